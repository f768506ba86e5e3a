"""GET /agents/{agent_id}: the agent itself or an admin key with agents:read; rate-limit headers always."""

from __future__ import annotations

import pytest

from cashback.auth import hash_secret
from cashback.store import agents as agent_store
from tests.apigw import body_of, header
from tests.handlers.conftest import error_code, get_agent, register

ADMIN_KEY = "cbk_admin_HANDLERtestHANDLERtestHANDLERtestHANDLERtes"
RATE_LIMIT_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "RateLimit-Policy",
    "RateLimit",
)


def admin_key(*scopes: str) -> str:
    agent_store.create_admin_key("adm_HANDLERtest", hash_secret(ADMIN_KEY), "handler tests", list(scopes))
    return ADMIN_KEY


def test_an_agent_reads_its_own_profile(aws: None) -> None:
    agent = register("profile-reader")
    response = get_agent(agent["agent_id"], agent["token"])
    assert response["statusCode"] == 200
    profile = body_of(response)
    assert (profile["agent_id"], profile["agent_name"], profile["plan"]) == (
        agent["agent_id"],
        "profile-reader",
        "standard",
    )


def test_the_profile_never_shows_the_token_or_its_hash(aws: None) -> None:
    agent = register()
    response = get_agent(agent["agent_id"], agent["token"])
    assert set(body_of(response)).isdisjoint({"token", "token_hash"})
    assert agent["token"] not in response["body"]
    assert hash_secret(agent["token"]) not in response["body"]


def test_another_agent_is_403_and_sees_nothing_of_the_profile(aws: None) -> None:
    owner, intruder = register("owner-name"), register("intruder")
    response = get_agent(owner["agent_id"], intruder["token"])
    assert response["statusCode"] == 403
    assert error_code(response) == "FORBIDDEN"
    assert "owner-name" not in response["body"]


def test_an_admin_key_with_agents_read_reads_any_profile(aws: None) -> None:
    agent = register("watched")
    response = get_agent(agent["agent_id"], admin_key("agents:read"))
    assert response["statusCode"] == 200
    assert body_of(response)["agent_name"] == "watched"


def test_an_admin_key_without_agents_read_is_403(aws: None) -> None:
    agent = register()
    response = get_agent(agent["agent_id"], admin_key("catalog:write", "analytics:read"))
    assert response["statusCode"] == 403


def test_an_unknown_agent_is_404_for_an_admin_key(aws: None) -> None:
    response = get_agent("agt_NOBODYnobodyNOBODYnob0", admin_key("agents:read"))
    assert response["statusCode"] == 404
    assert error_code(response) == "AGENT_NOT_FOUND"


def test_an_unknown_agent_is_403_not_404_for_an_agent_token(aws: None) -> None:
    """An agent cannot probe which agent ids exist."""
    agent = register()
    assert get_agent("agt_NOBODYnobodyNOBODYnob0", agent["token"])["statusCode"] == 403


@pytest.mark.parametrize("whose", ["own", "other"])
def test_rate_limit_headers_come_with_success_and_error(aws: None, whose: str) -> None:
    agent, other = register(), register()
    response = get_agent(agent["agent_id"] if whose == "own" else other["agent_id"], agent["token"])
    assert response["statusCode"] == (200 if whose == "own" else 403)
    for name in RATE_LIMIT_HEADERS:
        assert header(response, name), name
    assert header(response, "X-RateLimit-Limit") == "100"  # the standard plan's minute
    assert header(response, "X-RateLimit-Remaining") == "99"
    assert header(response, "X-Request-Id")


def test_successive_requests_count_down_the_agents_own_limit(aws: None) -> None:
    agent = register()
    remaining = [header(get_agent(agent["agent_id"], agent["token"]), "X-RateLimit-Remaining") for _ in range(3)]
    assert remaining == ["99", "98", "97"]


def test_an_admin_key_is_counted_under_the_admin_policy(aws: None) -> None:
    agent = register()
    response = get_agent(agent["agent_id"], admin_key("agents:read"))
    assert header(response, "RateLimit-Policy") == '"minute";q=1000;w=60, "hour";q=20000;w=3600'
