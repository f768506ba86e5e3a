"""Agent registration, profiles, token rotation and bearer-secret resolution."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from cashback import clock, directory
from cashback.auth import (
    Caller,
    PrincipalKind,
    Scope,
    has_secret_shape,
    hash_secret,
    new_agent_id,
    new_agent_token,
    parse_scopes,
)
from cashback.errors import Unauthorized
from cashback.models import AgentProfile, Plan, RegisterAgentRequest, RegisteredAgent, RotatedToken, UpdateAgentRequest
from cashback.observability import MetricUnit, logger, metrics
from cashback.retry import LostRace, retry_on_race
from cashback.settings import AWS_CLIENT_CONFIG
from cashback.store import agents as agent_store
from cashback.store import reputation as reputation_store

# What PATCH /agents/{agent_id} may change; the rest of the profile is fixed at registration.
EDITABLE = ("agent_name", "description", "homepage_url", "mcp_endpoint_url", "erc8004", "public")


def register(request: RegisterAgentRequest) -> RegisteredAgent:
    token = new_agent_token()
    profile = AgentProfile(
        **request.model_dump(exclude={"public"}),
        agent_id=new_agent_id(),
        plan=Plan.STANDARD,
        public=request.public,
        created_at=clock.now_iso(),
    )
    listing = reputation_store.summary_put(directory.entry_of(profile)) if profile.public else None
    agent_store.create_agent(profile.model_dump(mode="json", exclude_none=True), hash_secret(token), listing)
    logger.info("agent registered", extra={"agent_id": profile.agent_id})
    metrics.add_metric(name="AgentRegistered", unit=MetricUnit.Count, value=1)
    return RegisteredAgent(**profile.model_dump(), token=token)


def profile(agent_id: str, caller: Caller) -> AgentProfile:
    caller.require_agent_or_scope(agent_id, Scope.AGENTS_READ)
    return AgentProfile.model_validate(agent_store.get_agent(agent_id))


def update_profile(agent_id: str, caller: Caller, request: UpdateAgentRequest) -> AgentProfile:
    """Change the agent's name and public profile; the directory entry follows in the same
    transaction (opting out takes the agent and what it published out of the directory)."""
    caller.require_agent(agent_id)

    def attempt() -> AgentProfile:
        stored = agent_store.get_agent(agent_id, consistent=True)
        updated = AgentProfile.model_validate({**stored, **request.changes()})
        fields = updated.model_dump(mode="json", include=set(EDITABLE))
        entry = directory.entry_of(updated) if updated.public else None
        listing = reputation_store.listing_update(agent_id, entry, directory.PUBLISHED)
        if agent_store.update_agent_profile(agent_id, fields, stored.get("profile_revision"), listing):
            logger.info("agent profile updated", extra={"agent_id": agent_id, "public": updated.public})
            return updated
        raise LostRace

    return retry_on_race(attempt, "The profile is changing concurrently; retry.")


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
    _flush_authorizer_cache(api_id, stage)
    logger.info("agent token rotated", extra={"agent_id": agent_id})
    return RotatedToken(agent_id=agent_id, token=new_token, rotated_at=rotated_at)


def caller_for_secret(secret: str) -> Caller | None:
    """The principal a bearer secret authenticates, or None if it is unknown or revoked.

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
    return Caller(
        kind=kind,
        principal_id=credential["principal_id"],
        plan=credential.get("plan"),
        scopes=parse_scopes(credential.get("scopes", "")) if kind is PrincipalKind.ADMIN else frozenset(),
    )


@lru_cache(maxsize=1)
def _apigateway() -> Any:
    return boto3.client("apigateway", config=AWS_CLIENT_CONFIG)


def _flush_authorizer_cache(api_id: str, stage: str) -> None:
    try:
        _apigateway().flush_stage_authorizers_cache(restApiId=api_id, stageName=stage)
    except (ClientError, BotoCoreError):
        # The credential is already gone from the table, so the old token fails as soon as its
        # cached decision expires (AuthorizerCacheSeconds). Alarmed via this metric.
        logger.exception("authorizer cache flush failed", extra={"api_id": api_id, "stage": stage})
        metrics.add_metric(name="AuthorizerCacheFlushFailed", unit=MetricUnit.Count, value=1)
