"""Time as this API writes it: UTC, ISO 8601 to the second with a `Z` (`2026-12-01T09:30:00Z`).

Callers read the clock themselves (`time.time()`) where a test needs to move it, and format here.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime


def iso(moment: datetime | float) -> str:
    """An aware datetime or epoch seconds as UTC ISO 8601 to the second, `Z` suffixed."""
    as_datetime = datetime.fromtimestamp(moment, UTC) if isinstance(moment, int | float) else moment.astimezone(UTC)
    return as_datetime.isoformat(timespec="seconds").replace("+00:00", "Z")


def now_and_epoch() -> tuple[datetime, int]:
    """This second, as an aware datetime and as epoch seconds."""
    epoch = int(time.time())
    return datetime.fromtimestamp(epoch, UTC), epoch


def now_iso() -> str:
    return iso(int(time.time()))


def today() -> date:
    return datetime.now(UTC).date()


def epoch_of(moment: str) -> int:
    """Epoch seconds of an ISO 8601 time this API wrote."""
    return int(datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp())
