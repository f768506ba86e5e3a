"""DynamoDB access patterns of agent activity (ActivityTable).

Item layout (pk / sk → attributes):
- `CLICK#<click_id>` / `CLICK` → agent_id, product_id, merchant_id, target_url, valid_until,
  clicks, first_clicked_at, last_clicked_at; expires_at (TTL) well after valid_until, so late
  conversions still find their click.
- `AGENT#<agent_id>` / `TOTALS` → total_searches, total_clicks, last_activity.
- `AGENT#<agent_id>#DAY` / `<YYYY-MM-DD>` → searches, clicks and `kw:<token>` / `brand:<brand>`
  counters for that day.
- `AGENT#<agent_id>#SEARCH` / `<ISO time>#<request id>` → keywords, filters, results_count.
Counters are atomic ADDs; each item takes all its counters in one UpdateItem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cashback import store
from cashback.settings import get_settings
from cashback.store import dump, dynamodb, key, load, unavailable

_BATCH_WRITE_MAX = 25


def _table() -> str:
    return get_settings().activity_table


def put_items(items: list[Mapping[str, Any]]) -> None:
    """New items (clicks, search log entries) with BatchWriteItem; unprocessed items are retried."""
    for start in range(0, len(items), _BATCH_WRITE_MAX):
        pending: dict[str, Any] = {
            _table(): [
                {
                    "PutRequest": {
                        "Item": {**key(i["pk"], i["sk"]), **dump({k: v for k, v in i.items() if k not in ("pk", "sk")})}
                    }
                }
                for i in items[start : start + _BATCH_WRITE_MAX]
            ]
        }
        for _ in range(5):
            try:
                pending = dynamodb().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            except (ClientError, BotoCoreError) as exc:
                raise unavailable(exc) from exc
            if not pending:
                break
        else:
            raise unavailable(RuntimeError("BatchWriteItem kept returning unprocessed items"))


def add_counters(pk: str, sk: str, counters: Mapping[str, int], set_values: Mapping[str, Any] | None = None) -> None:
    """ADD every counter of one item (and SET some values) in one UpdateItem."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    adds, sets = [], []
    for i, (name, amount) in enumerate(counters.items()):
        names[f"#c{i}"], values[f":c{i}"] = name, amount
        adds.append(f"#c{i} :c{i}")
    for i, (name, value) in enumerate((set_values or {}).items()):
        names[f"#s{i}"], values[f":s{i}"] = name, value
        sets.append(f"#s{i} = :s{i}")
    expression = "ADD " + ", ".join(adds) + (" SET " + ", ".join(sets) if sets else "")
    try:
        dynamodb().update_item(
            TableName=_table(),
            Key=key(pk, sk),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=dump(values),
        )
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc


def record_click(click_id: str, now_iso: str, now_epoch: int) -> dict[str, Any] | None:
    """Count one use of a live click and return it; None when unknown or expired. One UpdateItem."""
    try:
        response = dynamodb().update_item(
            TableName=_table(),
            Key=key(f"CLICK#{click_id}", "CLICK"),
            UpdateExpression="ADD clicks :one SET first_clicked_at = if_not_exists(first_clicked_at, :now), "
            "last_clicked_at = :now",
            ConditionExpression="attribute_exists(pk) AND valid_until > :epoch",
            ExpressionAttributeValues=dump({":one": 1, ":now": now_iso, ":epoch": now_epoch}),
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise unavailable(exc) from exc
    except BotoCoreError as exc:
        raise unavailable(exc) from exc
    return load(response["Attributes"])


def get_item(pk: str, sk: str) -> dict[str, Any] | None:
    return store.get_item(_table(), pk, sk)


def query_latest(pk: str, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` items of one partition (sort keys are ISO times)."""
    return store.query_partition(_table(), pk, limit, newest_first=True)[0]
