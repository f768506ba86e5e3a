"""DynamoDB access patterns of payouts: what each agent earned per calendar month (ActivityTable).

A conversion's state change that moves its agent's revenue (a confirmation, a refund) is placed in
the month it was APPLIED (`updated_at`, UTC), and its items are written in the same transaction as
the conversion (`activity.apply_conversion` adds `conversion_actions`), so the sum of an agent's
months is its revenue in `CONVTOTALS`, to the cent. A month is closed once it is over: nothing is
placed in it afterwards, so a paid month never changes; a refund of a paid conversion is a negative
line of the month the refund happened.

Item layout (pk / sk → attributes):
- `PAYOUT#<YYYY-MM>` / `AGENT#<agent_id>` → `revenue:<ISO 4217>` (the agent's confirmed commission
  placed in the month, net of refunds; atomic ADDs), updated_at. One item per agent that earned in the
  month: the report pages through this partition (a Query, never a Scan).
- `PAYOUT#<YYYY-MM>#AGENT#<agent_id>` / `<network>#<conversion_id>` → one line per conversion and
  month: `amount` (its net contribution to the month; ADD), currency, conversion_id, network, the
  conversion's status, commission_amount and refunded_commission as last applied, merchant_id,
  occurred_at, updated_at.
- `PAYOUT#<YYYY-MM>#PAID` / `PAID` → the month was paid: paid_at, paid_by. Written once
  (conditional Put); a second marking reads it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cashback.settings import get_settings
from cashback.store import dynamo
from cashback.store.dynamo import add_expression, dump, dynamodb, key, unavailable

# The lines of one agent's month read per Query page (a page is at most 1 MB either way).
LINES_PER_QUERY = 1000


def _table() -> str:
    return get_settings().activity_table


def period_of(moment: str) -> str:
    """The month (`YYYY-MM`) an ISO 8601 time falls in."""
    return moment[:7]


def _agent_sk(agent_id: str) -> str:
    return f"AGENT#{agent_id}"


def _lines_pk(period: str, agent_id: str) -> str:
    return f"PAYOUT#{period}#AGENT#{agent_id}"


def conversion_actions(state: Mapping[str, Any], ref: str, revenue: Decimal) -> list[dict[str, Any]]:
    """The transaction actions that place a conversion's revenue change (`revenue`, signed) in the
    month of `state["updated_at"]`: the agent's month total and the conversion's line."""
    period, agent, currency = period_of(str(state["updated_at"])), state["agent_id"], state["currency"]
    table = _table()
    total_add, total_names, total_values = add_expression({f"revenue:{currency}": revenue}, "p")
    line = {
        "currency": currency,
        "conversion_id": state["conversion_id"],
        "network": state.get("network"),
        "status": state["status"],
        "commission_amount": state["commission_amount"],
        "refunded_commission": state.get("refunded_commission"),
        "merchant_id": state["merchant_id"],
        "occurred_at": state["occurred_at"],
        "updated_at": state["updated_at"],
    }
    line_set, line_names, line_values = dynamo.set_or_remove(line, "l")
    return [
        {
            "Update": {
                "TableName": table,
                "Key": key(f"PAYOUT#{period}", _agent_sk(agent)),
                "UpdateExpression": f"ADD {total_add} SET updated_at = :at",
                "ExpressionAttributeNames": total_names,
                "ExpressionAttributeValues": dump({**total_values, ":at": state["updated_at"]}),
            }
        },
        {
            "Update": {
                "TableName": table,
                "Key": key(_lines_pk(period, agent), ref),
                "UpdateExpression": f"{line_set} ADD amount :amount",
                "ExpressionAttributeNames": line_names,
                "ExpressionAttributeValues": dump({**line_values, ":amount": revenue}),
            }
        },
    ]


def agents_page(period: str, limit: int, after_agent: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` month totals of agents that earned in `period`, by agent id, after `after_agent`;
    and the last agent id read when more remain. Each item has agent_id and its `revenue:<cur>`."""
    items, last = dynamo.query_partition(
        _table(), f"PAYOUT#{period}", limit, after_sk=_agent_sk(after_agent) if after_agent else None
    )
    rows = [{**i, "agent_id": str(i["sk"]).removeprefix("AGENT#")} for i in items]
    return rows, last.removeprefix("AGENT#") if last else None


def agent_lines(period: str, agent_id: str) -> list[dict[str, Any]]:
    """Every line (one per conversion) of the agent's month, by network and conversion id."""
    lines: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        items, after = dynamo.query_partition(_table(), _lines_pk(period, agent_id), LINES_PER_QUERY, after_sk=after)
        lines.extend(items)
        if after is None:
            return lines


def _paid_key(period: str) -> dict[str, Any]:
    return key(f"PAYOUT#{period}#PAID", "PAID")


def paid_record(period: str) -> dict[str, Any] | None:
    """The month's paid record, or None when it was not marked paid."""
    return dynamo.get_item(_table(), f"PAYOUT#{period}#PAID", "PAID", consistent=True)


def mark_paid(period: str, record: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """Record the month as paid unless it already is (one conditional PutItem); the record that
    stands and whether this call wrote it."""
    item = {**_paid_key(period), **dump({"period": period, **record})}
    try:
        dynamodb().put_item(TableName=_table(), Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise unavailable(exc) from exc
        existing = paid_record(period)
        if existing is None:  # cannot happen: the record is never deleted
            raise unavailable(exc) from exc
        return existing, False
    except BotoCoreError as exc:
        raise unavailable(exc) from exc
    return dynamo.load(item), True
