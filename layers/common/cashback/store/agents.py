"""Agents and their credentials (AgentsTable).

Item layout (pk / sk → attributes):
- `AGENT#<agent_id>` / `PROFILE` → the profile, its plan and its current token hash.
- `CRED#<sha256 of secret>` / `CRED` → kind (agent|admin), principal_id, plan, scopes.
  The authorizer resolves a bearer secret with one GetItem on this key.
- `HEALTH` / `HEALTH` → never written; the health check reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cashback import clock
from cashback.errors import AgentNotFound, Conflict
from cashback.retry import new_revision
from cashback.settings import get_settings
from cashback.store.dynamo import (
    cancellation_reasons,
    dump,
    dynamodb,
    get_item,
    key,
    load,
    set_or_remove,
    transact,
    unavailable,
)


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
                details={"reasons": cancellation_reasons(exc)},
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
        "created_at": clock.now_iso(),
    }
    try:
        dynamodb().put_item(
            TableName=get_settings().agents_table,
            Item={**_credential_key(key_hash), **dump(item)},
            ConditionExpression="attribute_not_exists(pk)",
        )
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc
