"""Secrets and ids, bearer-header parsing, scopes, and who may act on whose data."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest

from cashback.auth import (
    Caller,
    PrincipalKind,
    Scope,
    bearer_secret,
    hash_secret,
    is_agent_id,
    new_admin_key,
    new_agent_id,
    new_agent_token,
    parse_scopes,
)
from cashback.errors import Forbidden

AGENT = "agt_SHOPPERshopperSHOPPER0"
OTHER_AGENT = "agt_OTHERotherOTHERother00"


# ---------------------------------------------------------------- ids and secrets


def test_agent_ids_are_agt_plus_22_url_safe_characters() -> None:
    agent_id = new_agent_id()
    assert re.fullmatch(r"agt_[A-Za-z0-9_-]{22}", agent_id)
    assert is_agent_id(agent_id)


def test_agent_tokens_are_cbk_agent_plus_256_random_bits() -> None:
    assert re.fullmatch(r"cbk_agent_[A-Za-z0-9_-]{43}", new_agent_token())


def test_admin_keys_are_cbk_admin_secrets_with_adm_ids() -> None:
    key, key_id = new_admin_key()
    assert re.fullmatch(r"cbk_admin_[A-Za-z0-9_-]{43}", key)
    assert re.fullmatch(r"adm_[A-Za-z0-9_-]{12}", key_id)


@pytest.mark.parametrize(
    "draw",
    [new_agent_id, new_agent_token, lambda: new_admin_key()[0], lambda: new_admin_key()[1]],
    ids=["agent id", "agent token", "admin key", "admin key id"],
)
def test_ids_and_secrets_do_not_repeat_over_many_draws(draw: Callable[[], str]) -> None:
    assert len({draw() for _ in range(5_000)}) == 5_000


@pytest.mark.parametrize(
    "value",
    ["agt_short", "agt_SHOPPERshopperSHOPPER0x", "usr_SHOPPERshopperSHOPPER0", "agt_SHOPPER/hopperSHOPPER0", ""],
)
def test_malformed_agent_ids_are_not_agent_ids(value: str) -> None:
    assert not is_agent_id(value)


def test_hash_secret_is_the_sha256_hex_digest() -> None:
    assert hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    token = new_agent_token()
    assert hash_secret(token) == hashlib.sha256(token.encode()).hexdigest()


def test_hash_secret_is_deterministic_and_distinguishes_secrets() -> None:
    token = new_agent_token()
    assert hash_secret(token) == hash_secret(token)
    assert hash_secret(token) != hash_secret(token + "x")


# ---------------------------------------------------------------- bearer header


@pytest.mark.parametrize(
    ("header", "secret"),
    [
        ("Bearer cbk_agent_abc", "cbk_agent_abc"),
        ("bearer cbk_agent_abc", "cbk_agent_abc"),
        ("BEARER cbk_agent_abc", "cbk_agent_abc"),
        ("Bearer   cbk_agent_abc  ", "cbk_agent_abc"),
    ],
)
def test_bearer_scheme_is_case_insensitive_and_the_secret_is_trimmed(header: str, secret: str) -> None:
    assert bearer_secret(header) == secret


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer    ", "Basic dXNlcjpwYXNz", "Token cbk_agent_abc", "cbk_agent_abc"],
    ids=["missing", "empty", "scheme only", "blank secret", "basic", "other scheme", "no scheme"],
)
def test_headers_without_a_bearer_secret_yield_none(header: str | None) -> None:
    assert bearer_secret(header) is None


# ---------------------------------------------------------------- scopes


def test_parse_scopes_reads_a_comma_separated_list() -> None:
    assert parse_scopes("catalog:write, agents:read") == {Scope.CATALOG_WRITE, Scope.AGENTS_READ}


def test_parse_scopes_of_blank_text_is_empty() -> None:
    assert parse_scopes(" , ") == frozenset()


def test_parse_scopes_refuses_an_unknown_scope() -> None:
    with pytest.raises(ValueError, match="root"):
        parse_scopes("agents:read,root")


# ---------------------------------------------------------------- the caller


@pytest.mark.parametrize("context", [None, {}, {"principalId": ""}, {"kind": "agent", "plan": "standard"}])
def test_a_context_without_principal_is_an_anonymous_caller(context: dict[str, object] | None) -> None:
    caller = Caller.from_authorizer_context(context)
    assert caller.is_anonymous
    assert caller.agent_id is None


def test_an_agent_context_is_an_agent_caller_with_its_plan() -> None:
    caller = Caller.from_authorizer_context({"principalId": AGENT, "kind": "agent", "plan": "premium", "scopes": ""})
    assert caller.kind is PrincipalKind.AGENT
    assert caller.agent_id == AGENT
    assert caller.plan == "premium"
    assert caller.scopes == frozenset()


def test_an_admin_context_is_an_admin_caller_with_its_scopes_and_no_agent_id() -> None:
    caller = Caller.from_authorizer_context(
        {"principalId": "adm_abcdefghijkl", "kind": "admin", "plan": "admin", "scopes": "agents:read,catalog:write"}
    )
    assert caller.kind is PrincipalKind.ADMIN
    assert caller.agent_id is None
    assert caller.scopes == {Scope.AGENTS_READ, Scope.CATALOG_WRITE}


def test_unknown_scopes_in_the_context_are_dropped() -> None:
    caller = Caller.from_authorizer_context(
        {"principalId": "adm_abcdefghijkl", "kind": "admin", "scopes": "agents:read,root,*"}
    )
    assert caller.scopes == {Scope.AGENTS_READ}


def test_the_authorizer_context_round_trips_to_the_same_caller() -> None:
    caller = Caller(
        kind=PrincipalKind.ADMIN,
        principal_id="adm_abcdefghijkl",
        plan="admin",
        scopes=frozenset({Scope.CATALOG_READ, Scope.ANALYTICS_READ}),
    )
    context = {"principalId": caller.principal_id, **caller.authorizer_context()}
    assert Caller.from_authorizer_context(context) == caller


def _agent(agent_id: str = AGENT) -> Caller:
    return Caller(kind=PrincipalKind.AGENT, principal_id=agent_id, plan="standard")


def _admin(*scopes: Scope) -> Caller:
    return Caller(kind=PrincipalKind.ADMIN, principal_id="adm_abcdefghijkl", plan="admin", scopes=frozenset(scopes))


@pytest.mark.parametrize(
    "caller",
    [_agent(), _admin(Scope.AGENTS_READ), _admin(Scope.CATALOG_WRITE, Scope.AGENTS_READ)],
    ids=["the agent itself", "admin with the scope", "admin with several scopes"],
)
def test_require_agent_or_scope_allows_the_agent_itself_or_an_admin_with_the_scope(caller: Caller) -> None:
    caller.require_agent_or_scope(AGENT, Scope.AGENTS_READ)


@pytest.mark.parametrize(
    "caller",
    [_agent(OTHER_AGENT), _admin(), _admin(Scope.CATALOG_WRITE), Caller()],
    ids=["another agent", "admin without scopes", "admin with another scope", "anonymous"],
)
def test_require_agent_or_scope_forbids_everyone_else(caller: Caller) -> None:
    with pytest.raises(Forbidden) as raised:
        caller.require_agent_or_scope(AGENT, Scope.AGENTS_READ)
    assert (raised.value.status, raised.value.code) == (403, "FORBIDDEN")


def test_require_agent_allows_the_agent_itself() -> None:
    _agent().require_agent(AGENT)


@pytest.mark.parametrize(
    "caller",
    [_agent(OTHER_AGENT), _admin(*Scope), Caller()],
    ids=["another agent", "admin with every scope", "anonymous"],
)
def test_require_agent_forbids_anyone_but_the_agent(caller: Caller) -> None:
    with pytest.raises(Forbidden) as raised:
        caller.require_agent(AGENT)
    assert raised.value.status == 403
