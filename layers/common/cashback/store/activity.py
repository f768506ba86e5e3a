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

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cashback.settings import get_settings
from cashback.store import dynamo
from cashback.store.dynamo import dump, dynamodb, key, unavailable


def _table() -> str:
    return get_settings().activity_table


def put_items(items: Sequence[Mapping[str, Any]]) -> None:
    """New items (clicks, search log entries, events) with BatchWriteItem."""
    dynamo.batch_put(_table(), items)


def add_counters(pk: str, sk: str, counters: Mapping[str, int], set_values: Mapping[str, Any] | None = None) -> None:
    """ADD every counter of one item (and SET some values) in one UpdateItem."""
    adds, names, values = _add_expression(counters, "c")
    sets = []
    for i, (name, value) in enumerate((set_values or {}).items()):
        names[f"#s{i}"], values[f":s{i}"] = name, value
        sets.append(f"#s{i} = :s{i}")
    expression = "ADD " + adds + (" SET " + ", ".join(sets) if sets else "")
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
    return dynamo.update_if(
        _table(),
        key(f"CLICK#{click_id}", "CLICK"),
        UpdateExpression="ADD clicks :one SET first_clicked_at = if_not_exists(first_clicked_at, :now), "
        "last_clicked_at = :now",
        ConditionExpression="attribute_exists(pk) AND valid_until > :epoch",
        ExpressionAttributeValues=dump({":one": 1, ":now": now_iso, ":epoch": now_epoch}),
    )


def get_item(pk: str, sk: str) -> dict[str, Any] | None:
    return dynamo.get_item(_table(), pk, sk)


def query_latest(pk: str, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` items of one partition (sort keys are ISO times)."""
    return dynamo.query_partition(_table(), pk, limit, newest_first=True)[0]


def query_page(pk: str, limit: int, after_sk: str | None) -> tuple[list[dict[str, Any]], str | None]:
    return dynamo.query_partition(_table(), pk, limit, newest_first=True, after_sk=after_sk)


def query_range(pk: str, first_sk: str, last_sk: str) -> list[dict[str, Any]]:
    items, _ = dynamo.query_partition(_table(), pk, 1000, sk_between=(first_sk, last_sk))
    return items


def get_items(keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return dynamo.batch_get(_table(), keys)


# ---------------------------------------------------------------- clicks and conversions


def get_click(click_id: str) -> dict[str, Any] | None:
    return dynamo.get_item(_table(), f"CLICK#{click_id}", "CLICK", consistent=True)


def get_conversion(conversion_id: str) -> dict[str, Any] | None:
    return dynamo.get_item(_table(), f"CONV#{conversion_id}", "CONV", consistent=True)


def _add_expression(counters: Mapping[str, Any], prefix: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    names = {f"#{prefix}{i}": name for i, name in enumerate(counters)}
    values = {f":{prefix}{i}": value for i, value in enumerate(counters.values())}
    return ", ".join(f"#{prefix}{i} :{prefix}{i}" for i in range(len(counters))), names, values


def apply_conversion(
    state: Mapping[str, Any], seen_version: int, delta: Mapping[str, Any], event: Mapping[str, Any]
) -> bool:
    """Write a conversion's new state and everything it changes in ONE transaction.

    Conditioned on the version it was computed from (or on absence): returns False when another
    delivery got there first, so the caller re-reads and decides again. Nothing is half-applied.
    """
    agent, day = state["agent_id"], str(state["occurred_at"])[:10]
    table = _table()
    condition = (
        {"ConditionExpression": "version = :seen", "ExpressionAttributeValues": dump({":seen": seen_version})}
        if seen_version
        else {"ConditionExpression": "attribute_not_exists(pk)"}
    )
    listing_sk = f"{state['first_seen_at']}#{state['conversion_id']}"
    actions: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table,
                **condition,
                "Item": {
                    **key(f"CONV#{state['conversion_id']}", "CONV"),
                    **dump({**state, "version": seen_version + 1}),
                },
            }
        },
        {"Put": {"TableName": table, "Item": {**key(f"AGENT#{agent}#CONV", listing_sk), **dump(state)}}},
        {
            "Put": {
                "TableName": table,
                "Item": {
                    **key(event["pk"], event["sk"]),
                    **dump({k: v for k, v in event.items() if k not in ("pk", "sk")}),
                },
            }
        },
    ]
    if delta:
        totals_add, totals_names, totals_values = _add_expression(delta, "t")
        actions.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": key(f"AGENT#{agent}", "CONVTOTALS"),
                    "UpdateExpression": f"ADD {totals_add} SET last_conversion_at = :at",
                    "ExpressionAttributeNames": totals_names,
                    "ExpressionAttributeValues": dump({**totals_values, ":at": state["updated_at"]}),
                }
            }
        )
        day_counters = {
            "conversions": delta.get("confirmed_count", 0),
            "revenue": delta.get("revenue", 0),
            "pending_revenue": delta.get("pending_revenue", 0),
            f"merchant:{state['merchant_id']}": delta.get("confirmed_count", 0),
        }
        day_add, day_names, day_values = _add_expression(day_counters, "d")
        actions.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": key(f"AGENT#{agent}#CONVDAY", day),
                    "UpdateExpression": f"ADD {day_add}",
                    "ExpressionAttributeNames": day_names,
                    "ExpressionAttributeValues": dump(day_values),
                }
            }
        )
    cancelled = dynamo.transact(actions)
    if cancelled and not dynamo.lost_race(cancelled):
        raise dynamo.StoreUnavailable(details={"reason": "TransactionCanceledException", "reasons": cancelled})
    return cancelled is None
