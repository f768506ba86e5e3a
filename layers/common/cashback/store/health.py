"""The health probe of every table: one GetItem each, on a key nobody writes (AnalyticsTable is
probed by reading the rollup's state, which health reports: `analytics.get_state`), so GET /health
costs the same few requests whatever the tables hold."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from cashback.settings import get_settings
from cashback.store.dynamo import dynamodb, key, unavailable

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
