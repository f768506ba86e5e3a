"""Agents' webhooks and their deliveries (AgentsTable).

Item layout (pk / sk → attributes):
- `AGENT#<agent_id>` / `WEBHOOK` → url, secret and, during a rotation, previous_secret with
  previous_until (both sealed, see `cashback.sealing`; never in clear), created_at, updated_at.
- `AGENT#<agent_id>` / `DEADLETTER#<failed_at>#<delivery_id>` → a delivery that failed every retry:
  the exact body it carried, its type, attempts and last error; kept until the agent replays it
  or deletes its webhook. In the agent's partition, so listing them is one Query.
- `WEBHOOK#RETRY` / `<due ISO time>#<delivery_id>` → a delivery waiting for its next attempt; the
  delivery function Queries the keys due by now. Claimed by a conditional delete before each
  attempt, so two runs never send it twice.
- `WEBHOOK#STATE` / `WATERMARK` → `watermark`: every activity event before it was handed over
  (delivered, or queued for retry).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cashback.errors import AgentNotFound
from cashback.settings import get_settings
from cashback.store.dynamo import (
    batch_get,
    dump,
    dynamodb,
    get_item,
    key,
    query_partition,
    transact,
    unavailable,
    update_if,
)

RETRY_PARTITION = "WEBHOOK#RETRY"
STATE_PARTITION = "WEBHOOK#STATE"
DEAD_LETTER_PREFIX = "DEADLETTER#"


def _table() -> str:
    return get_settings().agents_table


def _webhook_key(agent_id: str) -> dict[str, Any]:
    return key(f"AGENT#{agent_id}", "WEBHOOK")


def get_webhook(agent_id: str) -> dict[str, Any] | None:
    return get_item(_table(), f"AGENT#{agent_id}", "WEBHOOK", consistent=True)


def webhooks_of(agent_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The webhooks of these agents, by agent id (agents without one are absent)."""
    items = batch_get(_table(), [(f"AGENT#{a}", "WEBHOOK") for a in sorted(set(agent_ids))])
    return {str(item["pk"]).removeprefix("AGENT#"): item for item in items}


def put_webhook(agent_id: str, fields: Mapping[str, Any]) -> None:
    """Write the agent's webhook (the whole item); the agent must exist."""
    try:
        dynamodb().transact_write_items(
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": _table(),
                        "Key": key(f"AGENT#{agent_id}", "PROFILE"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {"Put": {"TableName": _table(), "Item": {**_webhook_key(agent_id), **dump(fields)}}},
            ]
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            raise AgentNotFound() from exc
        raise unavailable(exc) from exc
    except BotoCoreError as exc:
        raise unavailable(exc) from exc


def delete_webhook(agent_id: str) -> bool:
    """Delete the webhook; False when there was none."""
    try:
        response = dynamodb().delete_item(TableName=_table(), Key=_webhook_key(agent_id), ReturnValues="ALL_OLD")
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc
    return "Attributes" in response


# ---------------------------------------------------------------- retries and dead letters


def _retry_sk(due: str, delivery_id: str) -> str:
    return f"{due}#{delivery_id}"


def put_retry(record: Mapping[str, Any], due: str) -> None:
    item = {"pk": RETRY_PARTITION, "sk": _retry_sk(due, record["delivery_id"]), **record, "due": due}
    try:
        dynamodb().put_item(TableName=_table(), Item=dump(item))
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc


def due_retries(now: str, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` deliveries due at or before `now`, the longest waiting first."""
    items, _ = query_partition(_table(), RETRY_PARTITION, limit, sk_between=("0", f"{now}#~"))
    return items


def claim_retry(item: Mapping[str, Any]) -> bool:
    """Take a due delivery off the queue; False when another run took it first."""
    try:
        dynamodb().delete_item(
            TableName=_table(),
            Key=key(RETRY_PARTITION, str(item["sk"])),
            ConditionExpression="attribute_exists(pk)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise unavailable(exc) from exc
    except BotoCoreError as exc:
        raise unavailable(exc) from exc
    return True


def put_dead_letter(record: Mapping[str, Any], failed_at: str) -> None:
    sk = f"{DEAD_LETTER_PREFIX}{failed_at}#{record['delivery_id']}"
    item = {"pk": f"AGENT#{record['agent_id']}", "sk": sk, **record, "failed_at": failed_at}
    try:
        dynamodb().put_item(TableName=_table(), Item=dump(item))
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc


def dead_letters_page(agent_id: str, limit: int, after_sk: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the agent's dead letters, oldest first; and the last key read when more remain."""
    if after_sk is not None and not after_sk.startswith(DEAD_LETTER_PREFIX):
        after_sk = None
    return query_partition(
        _table(),
        f"AGENT#{agent_id}",
        limit,
        after_sk=after_sk,
        sk_between=(DEAD_LETTER_PREFIX, f"{DEAD_LETTER_PREFIX}~"),
    )


def requeue_dead_letter(item: Mapping[str, Any], due: str) -> bool:
    """Move a dead letter back to the retry queue, due at `due`, in one transaction; False when it
    was already replayed."""
    record = {k: v for k, v in item.items() if k not in ("pk", "sk", "failed_at", "due")}
    retry = {"pk": RETRY_PARTITION, "sk": _retry_sk(due, str(item["delivery_id"])), **record, "due": due}
    reasons = transact(
        [
            {
                "Delete": {
                    "TableName": _table(),
                    "Key": key(str(item["pk"]), str(item["sk"])),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {"Put": {"TableName": _table(), "Item": dump(retry)}},
        ]
    )
    return reasons is None


# ---------------------------------------------------------------- the delivery function's watermark


def get_watermark() -> str | None:
    item = get_item(_table(), STATE_PARTITION, "WATERMARK", consistent=True)
    return str(item["watermark"]) if item else None


def move_watermark(seen: str | None, new: str) -> bool:
    """Move the watermark from `seen` (None: never set) to `new`; False when another run moved it."""
    condition = "attribute_not_exists(pk)" if seen is None else "watermark = :seen"
    values = {":new": new, **({":seen": seen} if seen is not None else {})}
    return (
        update_if(
            _table(),
            key(STATE_PARTITION, "WATERMARK"),
            UpdateExpression="SET watermark = :new",
            ConditionExpression=condition,
            ExpressionAttributeValues=dump(values),
        )
        is not None
    )
