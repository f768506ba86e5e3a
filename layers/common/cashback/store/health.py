"""The health probe of every table: one GetItem each, on a key nobody writes (AnalyticsTable is
probed by reading the rollup's state, which health reports: `analytics.get_state`), so GET /health
costs the same few requests whatever the tables hold."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cashback.settings import get_settings
from cashback.store import analytics
from cashback.store.dynamo import StoreUnavailable, dynamodb, key, unavailable

# The setting naming each table → the key probed (the rate-limit table has a partition key only).
PROBED: dict[str, tuple[str, str | None]] = {
    "agents_table": ("HEALTH", "HEALTH"),
    "rate_limit_table": ("HEALTH", None),
    "catalog_table": ("HEALTH", "HEALTH"),
    "activity_table": ("HEALTH", "HEALTH"),
    "reputation_table": ("HEALTH", "HEALTH"),
}


def probe(setting: str) -> str | None:
    """None when the table answers; else why not (the AWS error code)."""
    pk, sk = PROBED[setting]
    try:
        dynamodb().get_item(TableName=getattr(get_settings(), setting), Key=key(pk, sk))
    except (ClientError, BotoCoreError) as exc:
        return str(unavailable(exc).details["reason"])
    return None


TABLES = (*PROBED, "analytics_table")


def check_tables() -> dict[str, Any] | None:
    """Probe every table; the rollup's state (None before its first run), or DYNAMODB_UNAVAILABLE
    naming every table that did not answer."""
    failures = {name: reason for name in PROBED if (reason := probe(name))}
    state = None
    try:
        state = analytics.get_state()
    except StoreUnavailable as exc:
        failures["analytics_table"] = str(exc.details.get("reason") or "unavailable")
    if failures:
        raise StoreUnavailable(details={"reason": next(iter(failures.values())), "unavailable": sorted(failures)})
    return state
