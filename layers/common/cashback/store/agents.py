"""Agents and their credentials (AgentsTable).

Item layout (pk / sk → attributes):
- `AGENT#<agent_id>` / `PROFILE` → the profile, its plan, its standing and its current token hash.
  A deleted agent leaves a tombstone here: only agent_id, standing `deleted` and deleted_at, so
  the money records kept under its id point at no person.
- `AGENT#<agent_id>` / `WALLET#<changed_at>#<time in ns>#<revision>` → one wallet change (the audit trail
  payouts follow): the wallet and crypto preference before and after.
- `CRED#<sha256 of secret>` / `CRED` → kind (agent|admin), principal_id, plan, scopes; an agent's
  standing; an admin key's expires_at.
  The authorizer resolves a bearer secret with one GetItem on this key.
- `ADMINKEYS` / `KEY#<key_id>` → what an operator may see of an admin key: name, scopes,
  created_at, expires_at, last_used_at, revoked_at, and the hash that finds its credential.
- `HEALTH` / `HEALTH` → never written; the health check reads it (`store.health`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cashback import clock
from cashback.errors import AgentNotFound, Conflict
from cashback.observability import logger
from cashback.retry import new_revision
from cashback.settings import get_settings
from cashback.store.dynamo import (
    batch_get,
    dump,
    dynamodb,
    get_item,
    key,
    load,
    query_partition,
    scan_pages,
    set_or_remove,
    transact,
    unavailable,
)

# ---------------------------------------------------------------- agents and credentials


def _agent_key(agent_id: str) -> dict[str, Any]:
    return key(f"AGENT#{agent_id}", "PROFILE")


def _credential_key(secret_hash: str) -> dict[str, Any]:
    return key(f"CRED#{secret_hash}", "CRED")


def _event_put(event: Mapping[str, Any]) -> dict[str, Any]:
    """The transaction action that writes an event to the activity event log (the rollup counts it)."""
    return {"Put": {"TableName": get_settings().activity_table, "Item": dump(event)}}


def create_agent(
    profile: Mapping[str, Any],
    token_hash: str,
    listing: Mapping[str, Any] | None = None,
    event: Mapping[str, Any] | None = None,
) -> None:
    """The profile and its credential (and, for a public agent, the `listing` action that writes its
    directory entry; the registration's `event`, which the rollup counts), together or not at all."""
    table = get_settings().agents_table
    credential = {"kind": "agent", "principal_id": profile["agent_id"], "plan": profile["plan"]}
    reasons = transact(
        [
            *([listing] if listing else []),
            *([_event_put(event)] if event else []),
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
    if reasons is not None:
        raise Conflict("An agent with this id or token already exists; retry.")


DELETED = "deleted"


def get_agent(agent_id: str, consistent: bool = False) -> dict[str, Any]:
    """The agent's profile; AGENT_NOT_FOUND for an unknown id and for a deleted agent's tombstone."""
    item = get_agent_or_tombstone(agent_id, consistent)
    if item is None or item.get("standing") == DELETED:
        raise AgentNotFound()
    return item


def profiles(agent_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The profiles (or tombstones) of these agents, by agent id; one BatchGetItem per 100 agents."""
    items = batch_get(get_settings().agents_table, [(f"AGENT#{a}", "PROFILE") for a in agent_ids])
    return {str(i["pk"]).removeprefix("AGENT#"): i for i in items}


def get_agent_or_tombstone(agent_id: str, consistent: bool = False) -> dict[str, Any] | None:
    return get_item(get_settings().agents_table, f"AGENT#{agent_id}", "PROFILE", consistent=consistent)


def _revision_condition(seen_revision: str | None, values: dict[str, Any]) -> str:
    """The profile exists, is no tombstone, and has not changed since it was read."""
    values[":deleted"] = DELETED
    if seen_revision:
        values[":seen"] = seen_revision
    return "attribute_exists(pk) AND (attribute_not_exists(standing) OR standing <> :deleted) AND " + (
        "profile_revision = :seen" if seen_revision else "attribute_not_exists(profile_revision)"
    )


def update_agent_profile(
    agent_id: str,
    fields: Mapping[str, Any],
    seen_revision: str | None,
    listing: Mapping[str, Any],
    wallet_change: Mapping[str, Any] | None = None,
) -> bool:
    """SET the profile `fields` (REMOVE those that are None) and apply the `listing` action (the
    directory entry follows), and record `wallet_change` in the wallet's audit trail, in one
    transaction conditioned on the profile revision read; False when another change got there first."""
    expression, names, values = set_or_remove(fields, "f", ["profile_revision = :rev"])
    values[":rev"] = new_revision()
    condition = _revision_condition(seen_revision, values)
    update = {
        "TableName": get_settings().agents_table,
        "Key": _agent_key(agent_id),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": dump(values),
    }
    audit = [{"Put": _wallet_change_put(agent_id, wallet_change, values[":rev"])}] if wallet_change else []
    return transact([{"Update": update}, dict(listing), *audit]) is None


def _wallet_change_put(agent_id: str, change: Mapping[str, Any], revision: str) -> dict[str, Any]:
    # Changes are serialised by the profile's revision, and `changed_at` is to the second: the
    # nanosecond clock keeps two changes of one second in the order they were made.
    sort_key = f"WALLET#{change['changed_at']}#{time.time_ns():020d}#{revision}"
    item = {**key(f"AGENT#{agent_id}", sort_key), **dump(change)}
    return {"TableName": get_settings().agents_table, "Item": item}


WALLET_PREFIX = "WALLET#"


def wallet_history(agent_id: str, limit: int, after_sk: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The agent's wallet changes, newest first, and the sort key to continue after (or None)."""
    return query_partition(
        get_settings().agents_table,
        f"AGENT#{agent_id}",
        limit,
        newest_first=True,
        after_sk=after_sk,
        sk_between=(WALLET_PREFIX, WALLET_PREFIX + "~"),
    )


def set_standing(agent_id: str, token_hash: str, seen_revision: str | None, fields: Mapping[str, str]) -> bool:
    """SET `fields` (plan, standing) on the profile and on its credential together, so the
    authorizer reads them with the token from then on; conditioned on the profile revision and
    token read (False when a rotation or another change got there first)."""
    table = get_settings().agents_table
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values: dict[str, Any] = {f":f{i}": value for i, value in enumerate(fields.values())}
    assignments = ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
    values.update({":rev": new_revision(), ":token": token_hash})
    condition = _revision_condition(seen_revision, values) + " AND token_hash = :token"
    profile = {
        "TableName": table,
        "Key": _agent_key(agent_id),
        "UpdateExpression": f"SET {assignments}, profile_revision = :rev",
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": dump(values),
    }
    credential_values = {k: v for k, v in values.items() if k.startswith(":f")} | {":agent": agent_id}
    credential = {
        "TableName": table,
        "Key": _credential_key(token_hash),
        "UpdateExpression": f"SET {assignments}",
        "ConditionExpression": "principal_id = :agent",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": dump(credential_values),
    }
    return transact([{"Update": profile}, {"Update": credential}]) is None


def delete_agent(
    agent_id: str,
    token_hash: str,
    seen_revision: str | None,
    listing: Mapping[str, Any],
    deleted_at: str,
    event: Mapping[str, Any] | None = None,
) -> bool:
    """Replace the profile with a tombstone, delete the credential, apply the `listing` action
    (the directory entry goes) and write the deletion's `event`, in one transaction conditioned on
    the profile read; False when another change got there first. The wallet history goes apart
    (`erase_wallet_history`)."""
    table = get_settings().agents_table
    values: dict[str, Any] = {}
    condition = _revision_condition(seen_revision, values) + " AND token_hash = :token"
    values[":token"] = token_hash
    tombstone = {"agent_id": agent_id, "standing": DELETED, "deleted_at": deleted_at}
    actions = [
        {
            "Put": {
                "TableName": table,
                "Item": {**_agent_key(agent_id), **dump(tombstone)},
                "ConditionExpression": condition,
                "ExpressionAttributeValues": dump(values),
            }
        },
        {
            "Delete": {
                "TableName": table,
                "Key": _credential_key(token_hash),
                "ConditionExpression": "attribute_not_exists(pk) OR principal_id = :agent",
                "ExpressionAttributeValues": dump({":agent": agent_id}),
            }
        },
        dict(listing),
        *([_event_put(event)] if event else []),
    ]
    return transact(actions) is None


def erase_wallet_history(agent_id: str) -> int:
    """Delete every wallet change of the agent (personal data); how many went."""
    erased = 0
    while True:
        items, _ = wallet_history(agent_id, 25, None)
        if not items:
            return erased
        try:
            dynamodb().batch_write_item(
                RequestItems={
                    get_settings().agents_table: [
                        {"DeleteRequest": {"Key": key(item["pk"], item["sk"])}} for item in items
                    ]
                }
            )
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc) from exc
        erased += len(items)


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
    reasons = transact(
        [
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
    if reasons is not None:
        raise Conflict(
            "The token was rotated concurrently; use the newest token.",
            details={"reasons": reasons},
        )


# ---------------------------------------------------------------- admin keys

ADMIN_KEYS = "ADMINKEYS"


def _admin_key_listing_key(key_id: str) -> dict[str, Any]:
    return key(ADMIN_KEYS, f"KEY#{key_id}")


def create_admin_key(key_id: str, key_hash: str, name: str, scopes: list[str], expires_at: str | None = None) -> None:
    """The key's credential and its listing, together or not at all."""
    table = get_settings().agents_table
    item = {
        "kind": "admin",
        "principal_id": key_id,
        "name": name,
        "scopes": ",".join(sorted(scopes)),
        "plan": "admin",
        "created_at": clock.now_iso(),
        **({"expires_at": expires_at} if expires_at else {}),
    }
    listing = _admin_key_listing(item, key_hash)
    reasons = transact(
        [
            {
                "Put": {
                    "TableName": table,
                    "Item": {**_credential_key(key_hash), **dump(item)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": table,
                    "Item": {**_admin_key_listing_key(key_id), **dump(listing)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
    )
    if reasons is not None:
        raise Conflict("An admin key with this id already exists; retry.")


def _admin_key_listing(credential: Mapping[str, Any], key_hash: str) -> dict[str, Any]:
    """What the listing of an admin key holds, from its credential's attributes."""
    listing = {k: v for k, v in credential.items() if k not in ("pk", "sk", "kind", "principal_id", "plan")}
    return {**listing, "key_id": credential["principal_id"], "key_hash": key_hash}


def admin_credentials() -> Iterator[list[dict[str, Any]]]:
    """Every admin key's credential, a page at a time (a Scan: the offline backfill only)."""
    return scan_pages(
        get_settings().agents_table,
        "#sk = :cred AND #kind = :admin",
        {"#sk": "sk", "#kind": "kind"},
        {":cred": "CRED", ":admin": "admin"},
    )


def add_admin_key_listing(credential: Mapping[str, Any]) -> bool:
    """Write the listing of an admin key created before listings were kept (they were written
    with the credential only), if it has none: False when it already had one."""
    key_hash = str(credential["pk"]).removeprefix("CRED#")
    listing = _admin_key_listing(credential, key_hash)
    try:
        dynamodb().put_item(
            TableName=get_settings().agents_table,
            Item={**_admin_key_listing_key(listing["key_id"]), **dump(listing)},
            ConditionExpression="attribute_not_exists(pk)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise unavailable(exc) from exc
    except BotoCoreError as exc:
        raise unavailable(exc) from exc
    return True


def agent_profiles() -> Iterator[list[dict[str, Any]]]:
    """Every agent's profile or tombstone (agent_id, standing, created_at, deleted_at), a page at
    a time (a Scan: the offline backfill only)."""
    return scan_pages(get_settings().agents_table, "#sk = :profile", {"#sk": "sk"}, {":profile": "PROFILE"})


def admin_keys(limit: int, after_sk: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Admin key listings in id order, and the sort key to continue after (or None)."""
    return query_partition(get_settings().agents_table, ADMIN_KEYS, limit, after_sk=after_sk)


def get_admin_key(key_id: str) -> dict[str, Any] | None:
    return get_item(get_settings().agents_table, ADMIN_KEYS, f"KEY#{key_id}", consistent=True)


def revoke_admin_key(key_id: str, key_hash: str, revoked_at: str) -> dict[str, Any]:
    """Delete the key's credential and mark its listing revoked, in one transaction; the listing
    as it is after (a key revoked twice keeps its first revocation time)."""
    table = get_settings().agents_table
    reasons = transact(
        [
            {
                "Delete": {
                    "TableName": table,
                    "Key": _credential_key(key_hash),
                    "ConditionExpression": "attribute_not_exists(pk) OR principal_id = :key",
                    "ExpressionAttributeValues": dump({":key": key_id}),
                }
            },
            {
                "Update": {
                    "TableName": table,
                    "Key": _admin_key_listing_key(key_id),
                    "UpdateExpression": "SET revoked_at = if_not_exists(revoked_at, :at)",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": dump({":at": revoked_at}),
                }
            },
        ]
    )
    if reasons is not None:
        raise Conflict("The admin key changed concurrently; retry.")
    listing = get_admin_key(key_id)
    if listing is None:
        raise Conflict("The admin key changed concurrently; retry.")
    return listing


def touch_admin_key(key_id: str, used_at: str) -> None:
    """Record when the key was last used (best effort: a failure never refuses the request).
    The authorizer calls it when it decides, so it is as fresh as the authorizer cache allows."""
    try:
        dynamodb().update_item(
            TableName=get_settings().agents_table,
            Key=_admin_key_listing_key(key_id),
            UpdateExpression="SET last_used_at = :at",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=dump({":at": used_at}),
        )
    except (ClientError, BotoCoreError):
        logger.warning("could not record the admin key's last use", extra={"key_id": key_id})
