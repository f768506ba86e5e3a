"""Every DynamoDB access pattern, by name. No other module builds DynamoDB requests.

Item layout (table: key → attributes):
- agents  `AGENT#<agent_id>` / `PROFILE` → the profile, its plan and its current token hash.
- agents  `CRED#<sha256 of secret>` / `CRED` → kind (agent|admin), principal_id, plan, scopes.
  The authorizer resolves a bearer secret with one GetItem on this key.
- agents  `HEALTH` / `HEALTH` → never written; the health check reads it.
- rate limits  `<subject>#<longest window start>` → one counter attribute per window, expires_at (TTL).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cashback.errors import AgentNotFound, Conflict, DependencyUnavailable
from cashback.observability import MetricUnit, metrics
from cashback.settings import get_settings

SERIALIZER = TypeSerializer()
DESERIALIZER = TypeDeserializer()

# Short timeouts and few retries: an API call must fail fast rather than hang until the
# Lambda timeout; callers retry with their own budget.
CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=3,
    retries={"mode": "standard", "max_attempts": 3},
)


# What DynamoDB answers when it throttles, once the SDK's own retries are spent.
THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "Throttling"}
)


class StoreUnavailable(DependencyUnavailable):
    code = "DYNAMODB_UNAVAILABLE"
    default_message = "The database is unavailable; retry later."


class CounterLimitReached(Exception):
    """A rate-limit counter would pass its limit; carries the counts as they stand."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__("counter limit reached")
        self.counts = counts


@lru_cache(maxsize=1)
def dynamodb() -> Any:
    """The DynamoDB client, created on first use and reused while the container is warm."""
    return boto3.client("dynamodb", config=CLIENT_CONFIG)


def dump(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: SERIALIZER.serialize(v) for k, v in item.items() if v is not None}


def load(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: DESERIALIZER.deserialize(v) for k, v in item.items()}


def key(pk: str, sk: str | None = None) -> dict[str, Any]:
    return dump({"pk": pk, "sk": sk}) if sk is not None else dump({"pk": pk})


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def unavailable(exc: Exception) -> StoreUnavailable:
    code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
    if code in THROTTLING_CODES:
        metrics.add_metric(name="DynamoDBThrottled", unit=MetricUnit.Count, value=1)  # DynamoDBThrottlingAlarm
    return StoreUnavailable(details={"reason": code})


def _cancellation_reasons(exc: ClientError) -> list[str]:
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
            **kwargs,
        )
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc
    last = response.get("LastEvaluatedKey")
    return [load(i) for i in response["Items"]], load(last)["sk"] if last else None


def batch_get(table: str, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Items by key with BatchGetItem (one request per 100 keys; unprocessed keys retried)."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), 100):
        pending: dict[str, Any] = {table: {"Keys": [key(pk, sk) for pk, sk in keys[start : start + 100]]}}
        while pending:
            try:
                response = dynamodb().batch_get_item(RequestItems=pending)
            except (ClientError, BotoCoreError) as exc:
                raise unavailable(exc) from exc
            found += [load(i) for i in response["Responses"].get(table, [])]
            pending = response.get("UnprocessedKeys") or {}
    return found


def batch_put(table: str, items: Sequence[Mapping[str, Any]]) -> None:
    """Put plain items with BatchWriteItem, 25 a request, retrying unprocessed ones with backoff."""
    for start in range(0, len(items), 25):
        pending: dict[str, Any] = {table: [{"PutRequest": {"Item": dump(i)}} for i in items[start : start + 25]]}
        for attempt in range(8):
            try:
                pending = dynamodb().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            except (ClientError, BotoCoreError) as exc:
                raise unavailable(exc) from exc
            if not pending:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise StoreUnavailable(details={"reason": "BatchWriteItem kept returning unprocessed items"})


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


def new_revision() -> str:
    """A fresh revision token for optimistic writes: unlike a counter it never repeats, so a writer
    that read an older state (even one deleted and written again since) never passes the condition."""
    return uuid.uuid4().hex


def lost_race(reasons: list[str]) -> bool:
    """Whether a cancelled transaction only lost to a concurrent change (re-read and retry), rather
    than failing for a reason a retry would not mend."""
    return set(reasons) <= {"None", "ConditionalCheckFailed", "TransactionConflict"}


def transact(actions: list[dict[str, Any]]) -> list[str] | None:
    """TransactWriteItems; None when it applied, else why each action was cancelled (one reason
    per action; all "None" for a conflict with another transaction). Other errors raise."""
    try:
        dynamodb().transact_write_items(TransactItems=actions)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "TransactionConflictException":
            return ["None"] * len(actions)
        if code == "TransactionCanceledException":
            return _cancellation_reasons(exc) or ["None"] * len(actions)
        raise unavailable(exc) from exc
    except BotoCoreError as exc:
        raise unavailable(exc) from exc
    return None


# ---------------------------------------------------------------- health


def ping() -> None:
    """One cheap read proving the agents table answers."""
    try:
        dynamodb().get_item(TableName=get_settings().agents_table, Key=key("HEALTH", "HEALTH"))
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc


# ---------------------------------------------------------------- agents and credentials


def _agent_key(agent_id: str) -> dict[str, Any]:
    return key(f"AGENT#{agent_id}", "PROFILE")


def _credential_key(secret_hash: str) -> dict[str, Any]:
    return key(f"CRED#{secret_hash}", "CRED")


def create_agent(profile: Mapping[str, Any], token_hash: str, listing: Mapping[str, Any] | None = None) -> None:
    """The profile and its credential (and, for a public agent, the `listing` action that writes its
    directory entry), together or not at all."""
    table = get_settings().agents_table
    credential = {"kind": "agent", "principal_id": profile["agent_id"], "plan": profile["plan"]}
    try:
        dynamodb().transact_write_items(
            TransactItems=[
                *([listing] if listing else []),
                {
                    "Put": {
                        "TableName": table,
                        "Item": {**_agent_key(profile["agent_id"]), **dump({**profile, "token_hash": token_hash})},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": {**_credential_key(token_hash), **dump(credential)},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            raise Conflict("An agent with this id or token already exists; retry.") from exc
        raise unavailable(exc) from exc
    except BotoCoreError as exc:
        raise unavailable(exc) from exc


def get_agent(agent_id: str, consistent: bool = False) -> dict[str, Any]:
    item = get_item(get_settings().agents_table, f"AGENT#{agent_id}", "PROFILE", consistent=consistent)
    if item is None:
        raise AgentNotFound()
    return item


def update_agent_profile(
    agent_id: str, fields: Mapping[str, Any], seen_revision: str | None, listing: Mapping[str, Any]
) -> bool:
    """SET the profile `fields` (REMOVE those that are None) and apply the `listing` action (the
    directory entry follows), in one transaction conditioned on the profile revision read; False
    when another change got there first."""
    expression, names, values = set_or_remove(fields, "f", ["profile_revision = :rev"])
    values[":rev"] = new_revision()
    condition = "attribute_exists(pk) AND " + (
        "profile_revision = :seen" if seen_revision else "attribute_not_exists(profile_revision)"
    )
    if seen_revision:
        values[":seen"] = seen_revision
    update = {
        "TableName": get_settings().agents_table,
        "Key": _agent_key(agent_id),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": dump(values),
    }
    return transact([{"Update": update}, dict(listing)]) is None


def get_credential(secret_hash: str) -> dict[str, Any] | None:
    """The principal a bearer secret belongs to, read strongly consistent (rotation is instant)."""
    try:
        response = dynamodb().get_item(
            TableName=get_settings().agents_table, Key=_credential_key(secret_hash), ConsistentRead=True
        )
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc
    return load(response["Item"]) if "Item" in response else None


def rotate_agent_token(agent_id: str, plan: str, old_hash: str, new_hash: str, rotated_at: str) -> None:
    """Swap the agent's credential in one transaction; fails if the old token is no longer current."""
    table = get_settings().agents_table
    try:
        dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": _agent_key(agent_id),
                        "UpdateExpression": "SET token_hash = :new, token_rotated_at = :at",
                        "ConditionExpression": "token_hash = :old",
                        "ExpressionAttributeValues": dump({":new": new_hash, ":old": old_hash, ":at": rotated_at}),
                    }
                },
                {
                    "Delete": {
                        "TableName": table,
                        "Key": _credential_key(old_hash),
                        "ConditionExpression": "principal_id = :agent",
                        "ExpressionAttributeValues": dump({":agent": agent_id}),
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": {
                            **_credential_key(new_hash),
                            **dump({"kind": "agent", "principal_id": agent_id, "plan": plan}),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            raise Conflict(
                "The token was rotated concurrently; use the newest token.",
                details={"reasons": _cancellation_reasons(exc)},
            ) from exc
        raise unavailable(exc) from exc
    except BotoCoreError as exc:
        raise unavailable(exc) from exc


def create_admin_key(key_id: str, key_hash: str, name: str, scopes: list[str]) -> None:
    item = {
        "kind": "admin",
        "principal_id": key_id,
        "name": name,
        "scopes": ",".join(sorted(scopes)),
        "plan": "admin",
        "created_at": now_iso(),
    }
    try:
        dynamodb().put_item(
            TableName=get_settings().agents_table,
            Item={**_credential_key(key_hash), **dump(item)},
            ConditionExpression="attribute_not_exists(pk)",
        )
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc


# ---------------------------------------------------------------- rate-limit counters


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
