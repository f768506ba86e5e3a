"""Rate-limit counters (RateLimitTable): `<subject>#<longest window start>` → one counter
attribute per window, expires_at (TTL). One conditional UpdateItem per request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cashback.settings import get_settings
from cashback.store.dynamo import dump, dynamodb, key, load, unavailable


class CounterLimitReached(Exception):
    """A rate-limit counter would pass its limit; carries the counts as they stand."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__("counter limit reached")
        self.counts = counts


def consume_counters(counter_key: str, limits: Mapping[str, int], expires_at: int, amount: int = 1) -> dict[str, int]:
    """Add `amount` to every counter of the item in ONE conditional UpdateItem, unless that would
    take any counter past its limit.

    Returns the counts after the increment. If any counter is already at its limit nothing
    changes and CounterLimitReached carries the current counts (ReturnValuesOnConditionCheckFailure),
    so the caller learns which window is full without a second round trip.
    """
    names = {f"#c{i}": counter for i, counter in enumerate(limits)}
    values: dict[str, Any] = {":amount": amount, ":exp": expires_at}
    conditions = []
    for i, limit in enumerate(limits.values()):
        values[f":l{i}"] = limit - amount  # admitted while count + amount <= limit
        conditions.append(f"(attribute_not_exists(#c{i}) OR #c{i} <= :l{i})")
    try:
        response = dynamodb().update_item(
            TableName=get_settings().rate_limit_table,
            Key=key(counter_key),
            UpdateExpression="ADD " + ", ".join(f"{n} :amount" for n in names) + " SET expires_at = :exp",
            ConditionExpression=" AND ".join(conditions),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=dump(values),
            ReturnValues="UPDATED_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            current = load(exc.response.get("Item", {}))
            raise CounterLimitReached({c: int(current.get(c, 0)) for c in limits}) from exc
        raise unavailable(exc) from exc
    except BotoCoreError as exc:
        raise unavailable(exc) from exc
    updated = load(response["Attributes"])
    return {c: int(updated[c]) for c in limits}
