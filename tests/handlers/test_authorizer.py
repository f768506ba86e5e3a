"""The TOKEN authorizer: bearer secret → principal, plan and scopes; anything else is Unauthorized."""

from __future__ import annotations

from typing import Any

import pytest

from cashback import agents
from cashback.auth import hash_secret, new_admin_key
from cashback.store import agents as agent_store
from cashback.store import dynamo
from tests.handlers.conftest import METHOD_ARN, authorize, register

ALL_ROUTES_OF_THE_STAGE = "arn:aws:execute-api:us-east-1:123456789012:localapi01/dev/*/*"


def test_an_agent_token_is_allowed_with_the_agents_context(aws: None) -> None:
    agent = register()
    answer = authorize(f"Bearer {agent['token']}")
    assert answer["principalId"] == agent["agent_id"]
    assert answer["context"] == {"kind": "agent", "plan": "standard", "scopes": ""}
    [statement] = answer["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "execute-api:Invoke"


def test_the_policy_allows_every_route_of_the_stage_so_a_cached_answer_fits_any_route(aws: None) -> None:
    agent = register()
    [statement] = authorize(f"Bearer {agent['token']}")["policyDocument"]["Statement"]
    assert statement["Resource"] == [ALL_ROUTES_OF_THE_STAGE]
    assert METHOD_ARN.startswith(ALL_ROUTES_OF_THE_STAGE[:-3])


def test_an_admin_key_is_allowed_with_its_id_and_scopes(aws: None) -> None:
    key, key_id = new_admin_key()
    agent_store.create_admin_key(key_id, hash_secret(key), "ops", ["catalog:write", "agents:read"])
    answer = authorize(f"Bearer {key}")
    assert answer["principalId"] == key_id
    assert answer["context"] == {"kind": "admin", "plan": "admin", "scopes": "agents:read,catalog:write"}
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_the_bearer_scheme_is_case_insensitive(aws: None) -> None:
    agent = register()
    assert authorize(f"bearer {agent['token']}")["principalId"] == agent["agent_id"]


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer cbk_agent_" + "x" * 43,
        "Bearer cbk_admin_" + "x" * 43,
        "Bearer ",
        "Bearer",
        "",
        "Basic dXNlcjpwYXNz",
        "Token {token}",
        "{token}",
        "Bearer {token}x",
        "Bearer {token_hash}",
    ],
    ids=[
        "unknown agent token",
        "unknown admin key",
        "blank secret",
        "scheme only",
        "empty",
        "basic auth",
        "other scheme",
        "no scheme",
        "token with a character added",
        "the stored hash itself",
    ],
)
def test_unknown_or_malformed_credentials_are_unauthorized(aws: None, authorization: str) -> None:
    agent = register()
    header = authorization.format(token=agent["token"], token_hash=hash_secret(agent["token"]))
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(header)


def test_an_expired_admin_key_is_refused(aws: None) -> None:
    key, key_id = new_admin_key()
    agent_store.create_admin_key(key_id, hash_secret(key), "ops", ["agents:read"], expires_at="2020-01-01T00:00:00Z")
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(f"Bearer {key}")


def test_an_admin_key_carries_its_expiry_to_every_function(aws: None) -> None:
    key, key_id = new_admin_key()
    agent_store.create_admin_key(key_id, hash_secret(key), "ops", ["agents:read"], expires_at="2999-01-01T00:00:00Z")
    assert authorize(f"Bearer {key}")["context"]["expires_at"] == "2999-01-01T00:00:00Z"


@pytest.fixture
def reads_and_metrics(aws: None, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """The DynamoDB calls the authorizer makes, and the metrics it counts."""
    calls: list[str] = []
    counted: list[str] = []
    dynamo.dynamodb().meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    real_add_metric = agents.metrics.add_metric

    def add_metric(name: str, **rest: Any) -> None:
        counted.append(name)
        real_add_metric(name=name, **rest)

    monkeypatch.setattr(agents.metrics, "add_metric", add_metric)
    return calls, counted


@pytest.mark.parametrize(
    "secret",
    ["A" * 43, "cbk_agent_short", "cbk_agent_" + "x" * 43 + "!", "cbk_other_" + "x" * 43, "eyJhbGciOi.eyJzdWIi.sig"],
    ids=["no prefix", "too short", "bad character", "unknown prefix", "a JWT"],
)
def test_a_token_of_another_shape_is_refused_without_a_database_read_and_counted(
    reads_and_metrics: tuple[list[str], list[str]], secret: str
) -> None:
    calls, counted = reads_and_metrics

    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(f"Bearer {secret}")

    assert calls == []
    assert counted == ["MalformedToken"]


def test_a_well_formed_unknown_token_costs_one_read_and_is_counted(
    reads_and_metrics: tuple[list[str], list[str]],
) -> None:
    calls, counted = reads_and_metrics

    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize("Bearer cbk_agent_" + "x" * 43)

    assert calls == ["GetItem"]
    assert counted == ["UnknownToken"]
