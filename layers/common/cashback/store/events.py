"""The activity event log the scheduled rollup reads: `EVENTS#<day>#<shard>` / `<ISO time>#<kind>#<id>`.

Every search, click and conversion change writes one event under the day and second it was
written, spread over a few shards so no partition runs hot. The rollup reads each shard's
events between its watermark and a little before now with one bounded Query per day and shard,
so its cost grows with the activity since its last run (plus a constant per day spanned).
"""

from __future__ import annotations

import zlib
from typing import Any

from cashback import clock

SHARDS = 4
EVENT_RETENTION_SECONDS = 35 * 86400


def partition(day: str, shard: int) -> str:
    return f"EVENTS#{day}#{shard}"


def event_item(kind: str, unique_id: str, epoch: int, fields: dict[str, Any]) -> dict[str, Any]:
    """An event item, ready for the activity table; `unique_id` makes retries overwrite, not add."""
    shard = zlib.crc32(unique_id.encode()) % SHARDS
    moment = clock.iso(epoch)
    return {
        "pk": partition(moment[:10], shard),
        "sk": f"{moment}#{kind}#{unique_id}",
        "kind": kind,
        "at": moment,
        "day": moment[:10],
        "expires_at": epoch + EVENT_RETENTION_SECONDS,
        **fields,
    }
