"""The DynamoDB plumbing every store module shares: the client, the item codec, keys, and the
generic request shapes (a read by key, a page of one partition, batches, a conditional update, a
transaction). Only `cashback.store` modules import it; they turn `ClientError` into domain errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from cashback.errors import DependencyUnavailable
from cashback.observability import MetricUnit, metrics
from cashback.retry import budget_spent
from cashback.settings import AWS_CLIENT_CONFIG

SERIALIZER = TypeSerializer()
DESERIALIZER = TypeDeserializer()


# What DynamoDB answers when it throttles, once the SDK's own retries are spent.
THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "Throttling"}
)


class StoreUnavailable(DependencyUnavailable):
    code = "DYNAMODB_UNAVAILABLE"
    default_message = "The database is unavailable; retry later."


@lru_cache(maxsize=1)
def dynamodb() -> Any:
    """The DynamoDB client, created on first use and reused while the container is warm. No
    attempt (the SDK's retries included) starts once the request's time budget is spent."""
    client = boto3.client("dynamodb", config=AWS_CLIENT_CONFIG)
    client.meta.events.register_first("before-send.dynamodb", _within_budget)
    return client


def _within_budget(**_: Any) -> None:
    if budget_spent():
        raise StoreUnavailable(details={"reason": "RequestBudgetSpent"})


def dump(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: SERIALIZER.serialize(v) for k, v in item.items() if v is not None}


def load(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: DESERIALIZER.deserialize(v) for k, v in item.items()}


def key(pk: str, sk: str | None = None) -> dict[str, Any]:
    return dump({"pk": pk, "sk": sk}) if sk is not None else dump({"pk": pk})


def unavailable(exc: Exception) -> StoreUnavailable:
    code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
    if code in THROTTLING_CODES:
        metrics.add_metric(name="DynamoDBThrottled", unit=MetricUnit.Count, value=1)  # DynamoDBThrottlingAlarm
    return StoreUnavailable(details={"reason": code})


def cancellation_reasons(exc: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in exc.response.get("CancellationReasons", [])]


# ---------------------------------------------------------------- generic reads


def get_item(table: str, pk: str, sk: str, consistent: bool = False) -> dict[str, Any] | None:
    try:
        response = dynamodb().get_item(TableName=table, Key=key(pk, sk), ConsistentRead=consistent)
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc
    return load(response["Item"]) if "Item" in response else None


def query_partition(
    table: str,
    pk: str,
    limit: int,
    newest_first: bool = False,
    after_sk: str | None = None,
    sk_between: tuple[str, str] | None = None,
    consistent: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` items of one partition in sort-key order (optionally after a sort key, or
    within a sort-key range); and the last sort key read when more items remain, else None."""
    condition, values = "pk = :pk", {":pk": pk}
    if sk_between:
        condition += " AND sk BETWEEN :low AND :high"
        values.update({":low": sk_between[0], ":high": sk_between[1]})
    kwargs: dict[str, Any] = {"ExclusiveStartKey": key(pk, after_sk)} if after_sk else {}
    try:
        response = dynamodb().query(
            TableName=table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=dump(values),
            ScanIndexForward=not newest_first,
            Limit=limit,
            ConsistentRead=consistent,
            **kwargs,
        )
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc
    last = response.get("LastEvaluatedKey")
    return [load(i) for i in response["Items"]], load(last)["sk"] if last else None


def scan_pages(
    table: str, condition: str, names: Mapping[str, str], values: Mapping[str, Any] | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Every item of a table that passes `condition` (a FilterExpression), a page at a time,
    strongly consistent. For the operators' offline backfill only (`cashback.backfill`, run from
    a machine with the operator's credentials): no request path Scans, and no function's role
    allows it (tests/localrun/test_iam.py)."""
    kwargs: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": condition,
        "ExpressionAttributeNames": dict(names),
        "ConsistentRead": True,
        **({"ExpressionAttributeValues": dump(values)} if values else {}),
    }
    while True:
        try:
            response = dynamodb().scan(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc) from exc
        yield [load(i) for i in response["Items"]]
        if "LastEvaluatedKey" not in response:
            return
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


UNPROCESSED_ATTEMPTS = 8


def _until_processed(send: Callable[[dict[str, Any]], dict[str, Any]], pending: dict[str, Any], what: str) -> None:
    """Send a batch request, then what it left unprocessed, with capped exponential backoff, at most
    UNPROCESSED_ATTEMPTS times; `send` returns what is still pending. DynamoDB unavailable past that."""
    for attempt in range(UNPROCESSED_ATTEMPTS):
        try:
            pending = send(pending)
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc) from exc
        if not pending:
            return
        time.sleep(min(0.05 * 2**attempt, 1.0))
    raise StoreUnavailable(details={"reason": f"{what} kept returning unprocessed items"})


def batch_get(table: str, keys: list[tuple[str, str]], consistent: bool = False) -> list[dict[str, Any]]:
    """Items by key with BatchGetItem, 100 keys a request, retrying unprocessed keys with backoff."""
    found: list[dict[str, Any]] = []

    def send(pending: dict[str, Any]) -> dict[str, Any]:
        response = dynamodb().batch_get_item(RequestItems=pending)
        found.extend(load(i) for i in response["Responses"].get(table, []))
        return response.get("UnprocessedKeys") or {}

    for start in range(0, len(keys), 100):
        request = {"Keys": [key(pk, sk) for pk, sk in keys[start : start + 100]], "ConsistentRead": consistent}
        _until_processed(send, {table: request}, "BatchGetItem")
    return found


def batch_put(table: str, items: Sequence[Mapping[str, Any]]) -> None:
    """Put plain items with BatchWriteItem, 25 a request, retrying unprocessed ones with backoff."""

    def send(pending: dict[str, Any]) -> dict[str, Any]:
        return dynamodb().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    for start in range(0, len(items), 25):
        chunk = {table: [{"PutRequest": {"Item": dump(i)}} for i in items[start : start + 25]]}
        _until_processed(send, chunk, "BatchWriteItem")


def update_if(table: str, item_key: Mapping[str, Any], **update: Any) -> dict[str, Any] | None:
    """One conditional UpdateItem (`update` holds its expressions); the item as it is after the
    update, or None when the condition failed and nothing changed."""
    try:
        response = dynamodb().update_item(TableName=table, Key=dict(item_key), ReturnValues="ALL_NEW", **update)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise unavailable(exc) from exc
    except BotoCoreError as exc:
        raise unavailable(exc) from exc
    return load(response["Attributes"])


def add_expression(counters: Mapping[str, Any], prefix: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The body of an `ADD` clause for these counters (`#p0 :p0, #p1 :p1`), with its names and values."""
    names = {f"#{prefix}{i}": name for i, name in enumerate(counters)}
    values = {f":{prefix}{i}": value for i, value in enumerate(counters.values())}
    return ", ".join(f"#{prefix}{i} :{prefix}{i}" for i in range(len(counters))), names, values


def set_or_remove(
    fields: Mapping[str, Any], prefix: str, also_set: Sequence[str] = ()
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """An UpdateExpression that SETs each field with a value and REMOVEs each that is None (plus
    the `also_set` clauses), with its attribute names and values."""
    names = {f"#{prefix}{i}": name for i, name in enumerate(fields)}
    values = {f":{prefix}{i}": value for i, value in enumerate(fields.values()) if value is not None}
    sets = [*also_set, *(f"#{prefix}{i} = :{prefix}{i}" for i, v in enumerate(fields.values()) if v is not None)]
    removes = [f"#{prefix}{i}" for i, value in enumerate(fields.values()) if value is None]
    clauses = [("SET", sets), ("REMOVE", removes)]
    return " ".join(f"{verb} {', '.join(parts)}" for verb, parts in clauses if parts), names, values


def lost_race(reasons: list[str]) -> bool:
    """Whether a cancelled transaction only lost to a concurrent change (re-read and retry), rather
    than failing for a reason a retry would not mend."""
    return set(reasons) <= {"None", "ConditionalCheckFailed", "TransactionConflict"}


def transact(actions: Sequence[Mapping[str, Any]]) -> list[str] | None:
    """TransactWriteItems; None when it applied, else why each action was cancelled (one reason
    per action; all "None" for a conflict with another transaction). Other errors raise."""
    try:
        dynamodb().transact_write_items(TransactItems=actions)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "TransactionConflictException":
            return ["None"] * len(actions)
        if code == "TransactionCanceledException":
            return cancellation_reasons(exc) or ["None"] * len(actions)
        raise unavailable(exc) from exc
    except BotoCoreError as exc:
        raise unavailable(exc) from exc
    return None
