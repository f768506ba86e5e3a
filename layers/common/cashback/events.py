"""The activity event log the scheduled rollup reads: `EVENTS#<bucket start>#<shard>` / `<time>#<id>`.

Every search, click and conversion change writes one event into the 5-minute bucket it
happened in, spread over a few shards so no partition runs hot. The rollup reads closed
buckets after its watermark, so its cost grows with the activity since its last run.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

SHARDS = 4
BUCKET_SECONDS = 300
EVENT_RETENTION_SECONDS = 35 * 86400


def bucket_start(epoch: int) -> int:
    return epoch - epoch % BUCKET_SECONDS


def bucket_pk(bucket: int, shard: int) -> str:
    return f"EVENTS#{bucket}#{shard}"


def event_item(kind: str, unique_id: str, epoch: int, fields: dict[str, Any]) -> dict[str, Any]:
    """An event item, ready for the activity table; `unique_id` makes retries overwrite, not add."""
    shard = zlib.crc32(unique_id.encode()) % SHARDS
    moment = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "pk": bucket_pk(bucket_start(epoch), shard),
        "sk": f"{moment}#{kind}#{unique_id}",
        "kind": kind,
        "at": moment,
        "day": moment[:10],
        "expires_at": epoch + EVENT_RETENTION_SECONDS,
        **fields,
    }
