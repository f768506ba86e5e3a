"""Admin keys as operators manage them: create (with an optional expiry), list, revoke.

A key's secret is shown once, at creation; its listing (name, scopes, created, expiry, last use,
revocation) never holds it. Revoking deletes the credential and flushes the authorizer cache, so
the key is refused from the next request on. Expiry is checked by the authorizer and, because
API Gateway caches the authorizer's answer, again on every request (`api.http`).
"""

from __future__ import annotations

from typing import Any

from cashback import agents, clock, cursor
from cashback.auth import Caller, Scope, hash_secret, new_admin_key
from cashback.errors import AdminKeyNotFound
from cashback.models import AdminKey, AdminKeyPage
from cashback.observability import logger
from cashback.store import agents as agent_store

KEYS_CURSOR = "The cursor is not one the admin key listing issued."
KEY_PREFIX = "KEY#"


def create(name: str, scopes: list[Scope], expires_at: str | None, caller: Caller) -> tuple[str, str]:
    """A new admin key and its id; the key is shown once, only its SHA-256 is stored."""
    caller.require_scope(Scope.KEYS_WRITE)
    key, key_id = new_admin_key()
    agent_store.create_admin_key(key_id, hash_secret(key), name, [s.value for s in scopes], expires_at)
    logger.info("admin key created", extra={"key_id": key_id, "scopes": [s.value for s in scopes]})
    return key, key_id


def list_keys(caller: Caller, limit: int, page_cursor: str | None) -> AdminKeyPage:
    caller.require_scope(Scope.KEYS_READ, Scope.KEYS_WRITE)
    after = cursor.decode(page_cursor, KEYS_CURSOR) if page_cursor else None
    if after is not None and not after.startswith(KEY_PREFIX):
        raise cursor.invalid(KEYS_CURSOR)
    items, last = agent_store.admin_keys(limit, after)
    return AdminKeyPage(keys=[_shown(item) for item in items], cursor=cursor.encode(last) if last else None)


def revoke(key_id: str, caller: Caller, api_id: str, stage: str) -> AdminKey:
    """Revoke the key at once; revoking a revoked key answers the same."""
    caller.require_scope(Scope.KEYS_WRITE)
    listing = agent_store.get_admin_key(key_id)
    if listing is None:
        raise AdminKeyNotFound()
    revoked = agent_store.revoke_admin_key(key_id, listing["key_hash"], clock.now_iso())
    agents.flush_authorizer_cache(api_id, stage)
    logger.info("admin key revoked", extra={"key_id": key_id, "by": caller.principal_id})
    return _shown(revoked)


def _shown(item: dict[str, Any]) -> AdminKey:
    scopes = [s for s in str(item.get("scopes", "")).split(",") if s]
    return AdminKey.model_validate({**item, "scopes": scopes})
