"""POST /agents/{agent_id}/token: a new token; the old one stops resolving at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cashback import agents
from cashback.auth import hash_secret
from cashback.settings import get_settings
from cashback.store import agents as agent_store
from cashback.store import dynamo
from tests.apigw import LambdaContext, api_event, body_of
from tests.handlers.conftest import authorize, context_for, error_code, get_agent, register, rotate, rotate_token_fn


def test_rotation_is_200_with_a_new_token(aws: None) -> None:
    agent = register()
    response = rotate(agent["agent_id"], agent["token"])
    assert response["statusCode"] == 200, response["body"]
    rotated = body_of(response)
    assert rotated["agent_id"] == agent["agent_id"]
    assert rotated["token"].startswith("cbk_agent_") and rotated["token"] != agent["token"]
    assert rotated["token_type"] == "Bearer"


def test_after_rotation_the_old_token_no_longer_resolves_and_the_new_one_does(aws: None) -> None:
    agent = register()
    new_token = body_of(rotate(agent["agent_id"], agent["token"]))["token"]

    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(f"Bearer {agent['token']}")
    answer = authorize(f"Bearer {new_token}")
    assert answer["principalId"] == agent["agent_id"]
    assert answer["context"] == {"kind": "agent", "plan": "standard", "scopes": ""}


def test_the_new_token_reads_the_profile_which_records_the_rotation(aws: None) -> None:
    agent = register()
    rotated = body_of(rotate(agent["agent_id"], agent["token"]))
    profile = body_of(get_agent(agent["agent_id"], rotated["token"]))
    assert profile["token_rotated_at"] == rotated["rotated_at"]


def test_only_the_new_tokens_hash_is_stored(aws: None) -> None:
    agent = register()
    new_token = body_of(rotate(agent["agent_id"], agent["token"]))["token"]
    items = dynamo.dynamodb().scan(TableName=get_settings().agents_table)["Items"]
    credentials = [i["pk"]["S"] for i in items if i["pk"]["S"].startswith("CRED#")]
    assert credentials == [f"CRED#{hash_secret(new_token)}"]


def test_rotating_with_an_already_retired_token_is_409(aws: None) -> None:
    """As when API Gateway still holds a cached Allow for the old token."""
    agent = register()
    cached_decision = context_for(agent["token"])
    rotate(agent["agent_id"], agent["token"])
    response = rotate(agent["agent_id"], agent["token"], authorizer=cached_decision)
    assert response["statusCode"] == 409
    assert error_code(response) == "CONFLICT"


def test_another_agent_cannot_rotate_my_token(aws: None) -> None:
    owner, intruder = register("owner"), register("intruder")
    response = rotate(owner["agent_id"], intruder["token"])
    assert response["statusCode"] == 403
    assert error_code(response) == "FORBIDDEN"
    assert authorize(f"Bearer {owner['token']}")["principalId"] == owner["agent_id"]


def test_an_admin_key_cannot_rotate_an_agents_token(aws: None) -> None:
    agent = register()
    key = "cbk_admin_ROTATEtestROTATEtestROTATEtestROTATEtestROTAT"
    agent_store.create_admin_key("adm_ROTATEtest", hash_secret(key), "rotate tests", ["agents:read"])
    assert rotate(agent["agent_id"], key)["statusCode"] == 403
    assert authorize(f"Bearer {agent['token']}")["principalId"] == agent["agent_id"]


def test_rotation_without_the_token_itself_is_401(aws: None) -> None:
    agent = register()
    event = api_event(
        "POST",
        f"/agents/{agent['agent_id']}/token",
        resource="/agents/{agent_id}/token",
        path_parameters={"agent_id": agent["agent_id"]},
        authorizer=context_for(agent["token"]),
    )
    response = rotate_token_fn.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 401
    assert error_code(response) == "UNAUTHORIZED"


@pytest.fixture
def flush_requests(aws: None) -> Iterator[list[dict[str, Any]]]:
    """The parameters of every FlushStageAuthorizersCache call (moto answers them 404, which is logged)."""
    requests: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        requests.append(params)

    agents._apigateway().meta.events.register("provide-client-params.apigateway.FlushStageAuthorizersCache", record)
    yield requests


def test_rotation_flushes_the_stages_authorizer_cache(flush_requests: list[dict[str, Any]]) -> None:
    agent = register()
    assert rotate(agent["agent_id"], agent["token"])["statusCode"] == 200
    assert len(flush_requests) == 1
    assert (flush_requests[0]["restApiId"], flush_requests[0]["stageName"]) == ("localapi01", "dev")


def test_a_failed_flush_does_not_undo_the_rotation(flush_requests: list[dict[str, Any]]) -> None:
    agent = register()
    response = rotate(agent["agent_id"], agent["token"])  # moto refuses the flush
    assert response["statusCode"] == 200
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(f"Bearer {agent['token']}")
