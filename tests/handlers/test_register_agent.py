"""POST /agents: a new agent, its token shown once and stored only as a hash; 10 per IP per minute."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from cashback.api import http
from cashback.auth import hash_secret
from cashback.settings import get_settings
from cashback.store import dynamo
from cashback.store import reputation as reputation_store
from tests.apigw import LambdaContext, api_event, body_of, header
from tests.handlers.conftest import error_code, register, register_fn

MINUTE_START = 1_795_600_800  # 2026-11-25T10:00:00Z


def stored_items() -> list[dict]:
    return [dynamo.load(i) for i in dynamo.dynamodb().scan(TableName=get_settings().agents_table)["Items"]]


def test_registration_is_201_with_the_profile_and_a_bearer_token(aws: None) -> None:
    event = api_event(
        "POST",
        "/agents",
        body={
            "agent_name": "deal-finder",
            "wallet_address": "0x52908400098527886E0F7030069857D2E4169EE7",
            "crypto_preference": "USDC",
        },
    )
    response = register_fn.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 201
    agent = body_of(response)
    assert re.fullmatch(r"agt_[A-Za-z0-9_-]{22}", agent["agent_id"])
    assert re.fullmatch(r"cbk_agent_[A-Za-z0-9_-]{43}", agent["token"])
    assert agent["token_type"] == "Bearer"
    assert (agent["agent_name"], agent["plan"], agent["crypto_preference"]) == ("deal-finder", "standard", "USDC")
    assert agent["wallet_address"] == "0x52908400098527886E0F7030069857D2E4169EE7"
    assert agent["token_rotated_at"] is None


def test_only_the_sha256_of_the_token_is_stored(aws: None) -> None:
    agent = register()
    items = stored_items()
    assert agent["token"] not in json.dumps(items, default=str)
    credential = next(i for i in items if i["pk"].startswith("CRED#"))
    assert credential["pk"] == f"CRED#{hash_secret(agent['token'])}"
    assert credential["principal_id"] == agent["agent_id"]
    profile = next(i for i in items if i["pk"] == f"AGENT#{agent['agent_id']}")
    assert profile["token_hash"] == hash_secret(agent["token"])


def test_each_registration_gets_its_own_id_and_token(aws: None) -> None:
    first, second = register("same name"), register("same name")
    assert first["agent_id"] != second["agent_id"]
    assert first["token"] != second["token"]


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> int:
    """The rate limiter's clock, 10 seconds into a minute, so a minute cannot roll over mid-test."""
    now = MINUTE_START + 10
    monkeypatch.setattr(http, "time", SimpleNamespace(time=lambda: float(now)))
    return now


def post_from(source_ip: str) -> dict:
    event = api_event("POST", "/agents", body={"agent_name": "burst"}, source_ip=source_ip)
    return register_fn.lambda_handler(event, LambdaContext())


def test_the_eleventh_registration_from_one_ip_in_a_minute_is_429(aws: None, frozen_clock: int) -> None:
    admitted = [post_from("198.51.100.20") for _ in range(10)]
    assert [r["statusCode"] for r in admitted] == [201] * 10
    assert [header(r, "X-RateLimit-Remaining") for r in admitted] == [str(n) for n in range(9, -1, -1)]

    refused = post_from("198.51.100.20")

    assert refused["statusCode"] == 429
    assert error_code(refused) == "RATE_LIMITED"
    assert body_of(refused)["error"]["details"] == {
        "policy": "registration",
        "window": "minute",
        "limit": 10,
        "retry_after": 50,
    }
    assert header(refused, "Retry-After") == "50"
    assert header(refused, "X-RateLimit-Limit") == "10"
    assert header(refused, "X-RateLimit-Remaining") == "0"
    assert header(refused, "X-RateLimit-Reset") == str(MINUTE_START + 60)
    assert header(refused, "RateLimit-Policy") == '"minute";q=10;w=60, "hour";q=50;w=3600'
    assert header(refused, "RateLimit") == '"minute";r=0;t=50, "hour";r=40;t=3590'


def test_a_refused_registration_creates_nothing(aws: None, frozen_clock: int) -> None:
    for _ in range(12):
        post_from("198.51.100.20")
    assert sum(i["pk"].startswith("AGENT#") for i in stored_items()) == 10


def test_the_registration_limit_is_per_source_ip(aws: None, frozen_clock: int) -> None:
    for _ in range(10):
        post_from("198.51.100.20")
    assert post_from("198.51.100.20")["statusCode"] == 429
    assert post_from("198.51.100.21")["statusCode"] == 201


def test_bad_registrations_count_against_the_limit_too(aws: None, frozen_clock: int) -> None:
    for _ in range(10):
        event = api_event("POST", "/agents", body="{not json", source_ip="198.51.100.20")
        assert register_fn.lambda_handler(event, LambdaContext())["statusCode"] == 400
    assert post_from("198.51.100.20")["statusCode"] == 429


PUBLIC_PROFILE = {
    "agent_name": "gear-scout",
    "public": True,
    "description": "Outdoor gear with the best cashback.",
    "homepage_url": "https://gearscout.example",
    "mcp_endpoint_url": "https://gearscout.example/mcp",
    "erc8004": {
        "chain_id": 8453,
        "identity_registry": "0x8004A169FB4a3325136EB29fA0ceB6D2e539a432",
        "agent_token_id": 9,
    },
}


def test_a_public_profile_is_registered_and_listed_in_the_directory(aws: None) -> None:
    response = register_fn.lambda_handler(api_event("POST", "/agents", body=PUBLIC_PROFILE), LambdaContext())

    assert response["statusCode"] == 201
    agent = body_of(response)
    assert {k: agent[k] for k in PUBLIC_PROFILE} == PUBLIC_PROFILE
    listed = reputation_store.get_summary(agent["agent_id"])
    assert listed is not None and listed["directory"] == "public"
    assert "token_hash" not in listed and agent["token"] not in json.dumps(listed, default=str)


def test_an_agent_is_private_unless_it_opts_in(aws: None) -> None:
    agent = register()

    assert agent["public"] is False
    assert reputation_store.get_summary(agent["agent_id"]) is None


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("public", "yes", "INVALID_TYPE"),
        ("description", "", "INVALID_VALUE"),
        ("description", "x" * 501, "INVALID_VALUE"),
        ("description", "bell\x07", "INVALID_VALUE"),
        ("homepage_url", "http://gearscout.example", "INVALID_VALUE"),
        ("mcp_endpoint_url", "gearscout.example/mcp", "INVALID_VALUE"),
        ("erc8004", {"chain_id": 8453}, "MISSING_FIELD"),
        ("erc8004", {**PUBLIC_PROFILE["erc8004"], "agent_token_id": "9"}, "INVALID_TYPE"),
        ("erc8004", {**PUBLIC_PROFILE["erc8004"], "identity_registry": "0x1234"}, "INVALID_VALUE"),
        ("erc8004", {**PUBLIC_PROFILE["erc8004"], "owner": "me"}, "UNKNOWN_FIELD"),
    ],
)
def test_public_profile_fields_are_validated(aws: None, field: str, value: object, code: str) -> None:
    response = register_fn.lambda_handler(
        api_event("POST", "/agents", body={**PUBLIC_PROFILE, field: value}), LambdaContext()
    )

    assert response["statusCode"] == 400
    assert error_code(response) == code
