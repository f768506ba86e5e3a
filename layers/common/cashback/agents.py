"""Agent registration, profiles, token rotation and bearer-secret resolution; and what operators
do to an agent: change its plan, suspend, reinstate and delete it (scope agents:write).

Plan and standing live on the profile and on the token's credential, written together, so the
authorizer reads them with the token in its one GetItem. API Gateway caches the authorizer's
answer per token, so every such change flushes the stage's authorizer cache, as rotation does:
the next request is decided afresh, with the new plan's limits or the suspension.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from cashback import clock, cursor
from cashback.auth import (
    Caller,
    PrincipalKind,
    Scope,
    Standing,
    has_secret_shape,
    hash_secret,
    new_agent_id,
    new_agent_token,
    parse_scopes,
)
from cashback.errors import AgentNotFound, InvalidRequest, Unauthorized
from cashback.models import (
    AgentDeleted,
    AgentProfile,
    ChangePlanRequest,
    Plan,
    RegisterAgentRequest,
    RegisteredAgent,
    RotatedToken,
    UpdateAgentRequest,
    WalletChange,
    WalletHistory,
)
from cashback.models.wallets import check_currency_fits
from cashback.observability import MetricUnit, logger, metrics
from cashback.retry import LostRace, retry_on_race
from cashback.settings import AWS_CLIENT_CONFIG
from cashback.store import agents as agent_store
from cashback.store import events
from cashback.store import reputation as reputation_store
from cashback.text import fold

# What PATCH /agents/{agent_id} may change; the rest of the profile is fixed at registration.
WALLET = ("wallet_address", "crypto_preference")
EDITABLE = ("agent_name", "description", "homepage_url", "mcp_endpoint_url", "erc8004", "public", *WALLET)


def counted_event(agent_id: str, change: int) -> dict[str, Any]:
    """The event of a registration (+1) or a deletion (-1), written with it: the rollup keeps the
    network's agent count from these (the dashboard's totals), so no request writes one hot item."""
    what = "registered" if change > 0 else "deleted"
    fields = {"agent_id": agent_id, "d_agents": change}
    return events.event_item("agent", f"{agent_id}:{what}", int(time.time()), fields)


def directory_entry(profile: AgentProfile) -> dict[str, Any]:
    """A public agent's directory entry: its published fields and the text the directory's `query` matches."""
    published = profile.model_dump(mode="json", include=set(reputation_store.PUBLISHED), exclude_none=True)
    return {**published, "search_text": fold(f"{profile.agent_name}\n{profile.description or ''}")}


def register(request: RegisterAgentRequest) -> RegisteredAgent:
    token = new_agent_token()
    profile = AgentProfile(
        **request.model_dump(exclude={"public"}),
        agent_id=new_agent_id(),
        plan=Plan.STANDARD,
        public=request.public,
        created_at=clock.now_iso(),
    )
    listing = reputation_store.summary_put(directory_entry(profile)) if profile.public else None
    fields = profile.model_dump(mode="json", exclude_none=True)
    agent_store.create_agent(fields, hash_secret(token), listing, counted_event(profile.agent_id, 1))
    logger.info("agent registered", extra={"agent_id": profile.agent_id})
    metrics.add_metric(name="AgentRegistered", unit=MetricUnit.Count, value=1)
    return RegisteredAgent(**profile.model_dump(), token=token)


def profile(agent_id: str, caller: Caller) -> AgentProfile:
    caller.require_agent_or_scope(agent_id, Scope.AGENTS_READ)
    return AgentProfile.model_validate(agent_store.get_agent(agent_id))


def update_profile(agent_id: str, caller: Caller, request: UpdateAgentRequest) -> AgentProfile:
    """Change the agent's name, public profile and wallet; the directory entry follows in the same
    transaction (opting out takes the agent and what it published out of the directory), and so
    does a wallet change's entry in the audit trail payouts follow."""
    caller.require_agent(agent_id)

    def attempt() -> AgentProfile:
        stored = agent_store.get_agent(agent_id, consistent=True)
        updated = AgentProfile.model_validate({**stored, **request.changes()})
        try:  # the wallet kept and the currency sent (or the other way round) must still fit
            check_currency_fits(updated.wallet_address, updated.crypto_preference)
        except ValueError as exc:
            raise InvalidRequest("INVALID_VALUE", str(exc), {"fields": list(WALLET)}) from exc
        fields = updated.model_dump(mode="json", include=set(EDITABLE))
        entry = directory_entry(updated) if updated.public else None
        listing = reputation_store.listing_update(agent_id, entry)
        change = _wallet_change(stored, fields)
        if agent_store.update_agent_profile(agent_id, fields, stored.get("profile_revision"), listing, change):
            logger.info("agent profile updated", extra={"agent_id": agent_id, "public": updated.public})
            return updated
        raise LostRace

    return retry_on_race(attempt, "The profile is changing concurrently; retry.")


def _wallet_change(stored: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any] | None:
    """The audit entry of a wallet change, or None when wallet and currency stay as they were."""
    if all(stored.get(name) == fields.get(name) for name in WALLET):
        return None
    change = {"changed_at": clock.now_iso(), **{name: fields.get(name) for name in WALLET}}
    change.update({f"previous_{name}": stored.get(name) for name in WALLET})
    return {name: value for name, value in change.items() if value is not None}


WALLET_HISTORY_CURSOR = "The cursor is not one this agent's wallet history issued."


def wallet_history(agent_id: str, caller: Caller, limit: int, page_cursor: str | None) -> WalletHistory:
    """The agent's wallet changes, newest first: the agent itself, or an admin key with agents:read."""
    caller.require_agent_or_scope(agent_id, Scope.AGENTS_READ)
    agent_store.get_agent(agent_id)
    after = cursor.decode(page_cursor, WALLET_HISTORY_CURSOR) if page_cursor else None
    if after is not None and not after.startswith(agent_store.WALLET_PREFIX):
        raise cursor.invalid(WALLET_HISTORY_CURSOR)
    items, last = agent_store.wallet_history(agent_id, limit, after)
    return WalletHistory(
        agent_id=agent_id,
        changes=[WalletChange.model_validate(item) for item in items],
        cursor=cursor.encode(last) if last else None,
    )


# ---------------------------------------------------------------- operators


def change_plan(agent_id: str, caller: Caller, request: ChangePlanRequest, api_id: str, stage: str) -> AgentProfile:
    """Move the agent to another plan; its next request is held to the new plan's limits."""
    caller.require_scope(Scope.AGENTS_WRITE)
    changed = _set_standing(agent_id, {"plan": request.plan.value}, api_id, stage)
    logger.info("agent plan changed", extra={"agent_id": agent_id, "plan": request.plan.value})
    return changed


def suspend(agent_id: str, caller: Caller, api_id: str, stage: str) -> AgentProfile:
    """Refuse the agent's token (403 AGENT_SUSPENDED) from its next request on. Its affiliate links
    keep redirecting and its conversions keep counting: neither reads its standing."""
    caller.require_scope(Scope.AGENTS_WRITE)
    suspended = _set_standing(agent_id, {"standing": Standing.SUSPENDED.value}, api_id, stage)
    logger.info("agent suspended", extra={"agent_id": agent_id})
    metrics.add_metric(name="AgentSuspended", unit=MetricUnit.Count, value=1)
    return suspended


def reinstate(agent_id: str, caller: Caller, api_id: str, stage: str) -> AgentProfile:
    """Accept the agent's token again, from its next request on."""
    caller.require_scope(Scope.AGENTS_WRITE)
    reinstated = _set_standing(agent_id, {"standing": Standing.ACTIVE.value}, api_id, stage)
    logger.info("agent reinstated", extra={"agent_id": agent_id})
    return reinstated


def _set_standing(agent_id: str, fields: dict[str, str], api_id: str, stage: str) -> AgentProfile:
    def attempt() -> AgentProfile:
        stored = agent_store.get_agent(agent_id, consistent=True)
        if agent_store.set_standing(agent_id, stored["token_hash"], stored.get("profile_revision"), fields):
            return AgentProfile.model_validate({**stored, **fields})
        raise LostRace

    changed = retry_on_race(attempt, "The agent is changing concurrently; retry.")
    flush_authorizer_cache(api_id, stage)
    return changed


def delete(agent_id: str, caller: Caller, api_id: str, stage: str) -> AgentDeleted:
    """Erase the agent's personal data: its profile (name, wallet, public profile), its credential,
    its directory entry and its wallet history. What money moved stays: conversions, totals and
    analytics keep the agent id, which is now a tombstone naming no one. Idempotent: deleting a
    deleted agent answers the same."""
    caller.require_scope(Scope.AGENTS_WRITE)

    def attempt() -> AgentDeleted:
        stored = agent_store.get_agent_or_tombstone(agent_id, consistent=True)
        if stored is None:
            raise AgentNotFound()
        if stored.get("standing") == Standing.DELETED.value:
            return AgentDeleted(agent_id=agent_id, deleted_at=str(stored["deleted_at"]))
        deleted_at = clock.now_iso()
        listing = reputation_store.listing_update(agent_id, None)
        event = counted_event(agent_id, -1)
        if agent_store.delete_agent(
            agent_id, stored["token_hash"], stored.get("profile_revision"), listing, deleted_at, event
        ):
            return AgentDeleted(agent_id=agent_id, deleted_at=deleted_at)
        raise LostRace

    deleted = retry_on_race(attempt, "The agent is changing concurrently; retry.")
    agent_store.erase_wallet_history(agent_id)
    flush_authorizer_cache(api_id, stage)
    logger.info("agent deleted", extra={"agent_id": agent_id})
    metrics.add_metric(name="AgentDeleted", unit=MetricUnit.Count, value=1)
    return deleted


def rotate_token(agent_id: str, caller: Caller, presented_token: str | None, api_id: str, stage: str) -> RotatedToken:
    """Replace the agent's token; the presented (old) one stops working at once.

    API Gateway caches authorizer decisions per token, so after the credential swap the stage's
    authorizer cache is flushed: the next request with the old token reaches the authorizer,
    which no longer finds it. Rotation is rare, so flushing the whole stage costs little.
    """
    caller.require_agent(agent_id)
    if not presented_token:
        raise Unauthorized()
    new_token = new_agent_token()
    rotated_at = clock.now_iso()
    agent_store.rotate_agent_token(
        agent_id, caller.plan or Plan.STANDARD.value, hash_secret(presented_token), hash_secret(new_token), rotated_at
    )
    flush_authorizer_cache(api_id, stage)
    logger.info("agent token rotated", extra={"agent_id": agent_id})
    return RotatedToken(agent_id=agent_id, token=new_token, rotated_at=rotated_at)


def caller_for_secret(secret: str) -> Caller | None:
    """The principal a bearer secret authenticates, or None if it is unknown, revoked or expired.
    A suspended agent is authenticated, marked suspended: every function refuses it with 403
    AGENT_SUSPENDED, which says more than a 401. An admin key's use is recorded (last_used_at).

    A secret of another shape than the ones this API issues is refused without a DynamoDB read;
    both kinds of refusal are counted (MalformedToken, UnknownToken), so a flood of guessed tokens
    shows on a dashboard."""
    if not has_secret_shape(secret):
        metrics.add_metric(name="MalformedToken", unit=MetricUnit.Count, value=1)
        return None
    credential = agent_store.get_credential(hash_secret(secret))
    if credential is None:
        metrics.add_metric(name="UnknownToken", unit=MetricUnit.Count, value=1)
        return None
    kind = PrincipalKind(credential["kind"])
    expires_at = credential.get("expires_at")
    now = clock.now_iso()
    if expires_at and expires_at <= now:
        return None
    if kind is PrincipalKind.ADMIN:
        agent_store.touch_admin_key(credential["principal_id"], now)
    return Caller(
        kind=kind,
        principal_id=credential["principal_id"],
        plan=credential.get("plan"),
        scopes=parse_scopes(credential.get("scopes", "")) if kind is PrincipalKind.ADMIN else frozenset(),
        suspended=credential.get("standing") == Standing.SUSPENDED.value,
        expires_at=expires_at,
    )


@lru_cache(maxsize=1)
def _apigateway() -> Any:
    return boto3.client("apigateway", config=AWS_CLIENT_CONFIG)


def flush_authorizer_cache(api_id: str, stage: str) -> None:
    """Make API Gateway decide every token afresh: after a credential, or what it carries, changed."""
    try:
        _apigateway().flush_stage_authorizers_cache(restApiId=api_id, stageName=stage)
    except (ClientError, BotoCoreError):
        # The credential already changed in the table (gone, or with its new plan or standing), so
        # the token is decided afresh as soon as its cached decision expires
        # (AuthorizerCacheSeconds). Alarmed via this metric.
        logger.exception("authorizer cache flush failed", extra={"api_id": api_id, "stage": stage})
        metrics.add_metric(name="AuthorizerCacheFlushFailed", unit=MetricUnit.Count, value=1)
