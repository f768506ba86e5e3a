"""PATCH /agents/{agent_id}: an agent changes its public profile and opts in or out of the directory."""

from __future__ import annotations

import pytest

from cashback.store import agents as agent_store
from cashback.store import reputation as reputation_store
from tests.apigw import body_of
from tests.reputation.conftest import (
    as_admin,
    as_agent,
    error_code,
    get_reputation,
    give,
    list_directory,
    new_agent,
    update_profile,
)


def _listed_ids() -> list[str]:
    return [e["agent_id"] for e in body_of(list_directory({"sort": "newest"}))["agents"]]


def test_a_private_agent_opts_in_and_is_listed_with_its_new_profile(aws: None) -> None:
    agent = new_agent("late joiner")

    response = update_profile(
        agent["agent_id"],
        {"public": True, "description": "Now public", "homepage_url": "https://late.example"},
        as_agent(agent),
    )

    assert response["statusCode"] == 200, response["body"]
    assert (body_of(response)["public"], body_of(response)["description"]) == (True, "Now public")
    (entry,) = body_of(list_directory())["agents"]
    assert (entry["agent_id"], entry["description"], entry["homepage_url"]) == (
        agent["agent_id"],
        "Now public",
        "https://late.example",
    )
    assert body_of(list_directory({"query": "now public"}))["agents"][0]["agent_id"] == agent["agent_id"]


def test_opting_out_removes_the_agent_and_what_it_published_but_keeps_its_feedback(aws: None) -> None:
    agent = new_agent("leaver", public=True, description="Soon private", mcp_endpoint_url="https://leaver.example/mcp")
    give(agent["agent_id"], {"score": 70, "tags": ["starred"]}, as_agent(new_agent("author")))

    response = update_profile(agent["agent_id"], {"public": False}, as_agent(agent))

    assert response["statusCode"] == 200
    assert agent["agent_id"] not in _listed_ids()
    assert get_reputation(agent["agent_id"])["statusCode"] == 404
    summary = reputation_store.get_summary(agent["agent_id"])
    assert summary is not None
    assert not {"directory", "description", "mcp_endpoint_url", "agent_name", "search_text"} & set(summary)
    assert (summary["feedback_count"], summary["tag:starred"]) == (1, 1)
    rejoined = update_profile(agent["agent_id"], {"public": True}, as_agent(agent))
    assert rejoined["statusCode"] == 200 and agent["agent_id"] in _listed_ids()
    assert body_of(get_reputation(agent["agent_id"]))["tags"] == [{"tag": "starred", "count": 1}]


def test_null_clears_an_optional_field_and_unsent_fields_stay(aws: None) -> None:
    agent = new_agent("tidy", public=True, description="old words", homepage_url="https://tidy.example")

    response = update_profile(agent["agent_id"], {"description": None, "agent_name": "tidier"}, as_agent(agent))

    profile = body_of(response)
    assert (profile["agent_name"], profile["description"], profile["homepage_url"]) == (
        "tidier",
        None,
        "https://tidy.example",
    )
    stored = agent_store.get_agent(agent["agent_id"])
    assert "description" not in stored and stored["agent_name"] == "tidier"
    (entry,) = body_of(list_directory())["agents"]
    assert (entry["agent_name"], entry["description"]) == ("tidier", None)
    assert body_of(list_directory({"query": "old words"}))["agents"] == []


def test_a_score_the_agent_already_has_survives_a_profile_change(aws: None) -> None:
    agent = new_agent("scored", public=True)
    reputation_store.set_reputation(agent["agent_id"], {"score": "88.00"}, reputation_store.Decimal("88.00"), 9, "t")

    update_profile(agent["agent_id"], {"description": "Still scored"}, as_agent(agent))

    (entry,) = body_of(list_directory())["agents"]
    assert (entry["reputation_score"], entry["confirmed_conversions"]) == ("88.00", 9)


@pytest.mark.parametrize("authorizer", [as_admin(scopes="agents:read"), None])
def test_only_the_agent_itself_may_change_its_profile(aws: None, authorizer) -> None:
    agent = new_agent("mine")
    other = new_agent("other")

    response = update_profile(agent["agent_id"], {"public": True}, authorizer or as_agent(other))

    assert response["statusCode"] == 403
    assert agent["agent_id"] not in _listed_ids()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "INVALID_VALUE"),
        ({"agent_name": None}, "INVALID_VALUE"),
        ({"public": None}, "INVALID_VALUE"),
        ({"public": "true"}, "INVALID_TYPE"),
        ({"homepage_url": "http://plain.example"}, "INVALID_VALUE"),
        ({"wallet_address": "0x5290"}, "INVALID_VALUE"),
        ({"crypto_preference": "DOGE"}, "INVALID_VALUE"),
        ({"plan": "premium"}, "UNKNOWN_FIELD"),
    ],
)
def test_bad_profile_changes_are_400(aws: None, body: dict, code: str) -> None:
    agent = new_agent("strict")

    response = update_profile(agent["agent_id"], body, as_agent(agent))

    assert response["statusCode"] == 400
    assert error_code(response) == code
