"""The public directory and reputation reads: who appears, what is shown, order, pages, per-IP limits."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cashback.store import reputation as reputation_store
from tests.apigw import body_of
from tests.reputation.conftest import (
    error_code,
    get_export,
    get_feedback_file,
    get_reputation,
    list_directory,
    new_agent,
)

WALLET = "0x52908400098527886E0F7030069857D2E4169EE7"
IDENTITY = {"chain_id": 8453, "identity_registry": "0x8004A169FB4a3325136EB29fA0ceB6D2e539a432", "agent_token_id": 42}


def _scored(agent: dict, score: str | None, confirmed: int = 0) -> None:
    """Stand in for the rollup: the agent's stored score and conversions (what the indexes sort by)."""
    rank = Decimal(score) if score is not None else reputation_store.UNSCORED_RANK
    reputation_store.set_reputation(agent["agent_id"], {"score": score}, rank, confirmed, "2026-12-01T00:00:00Z")


def _ids(response: dict) -> list[str]:
    assert response["statusCode"] == 200, response["body"]
    return [entry["agent_id"] for entry in body_of(response)["agents"]]


def test_only_agents_that_opted_in_are_listed_and_only_what_they_published(aws: None) -> None:
    public = new_agent(
        "Deal Hound",
        public=True,
        description="Finds the best cashback on outdoor gear.",
        homepage_url="https://dealhound.example",
        mcp_endpoint_url="https://dealhound.example/mcp",
        erc8004=IDENTITY,
        wallet_address=WALLET,
        crypto_preference="USDC",
    )
    private = new_agent("Quiet One", description="Private.", wallet_address=WALLET)

    response = list_directory()

    assert _ids(response) == [public["agent_id"]]
    (entry,) = body_of(response)["agents"]
    assert entry == {
        "agent_id": public["agent_id"],
        "agent_name": "Deal Hound",
        "description": "Finds the best cashback on outdoor gear.",
        "homepage_url": "https://dealhound.example",
        "mcp_endpoint_url": "https://dealhound.example/mcp",
        "erc8004": IDENTITY,
        "created_at": public["created_at"],
        "reputation_score": None,
        "confirmed_conversions": 0,
    }
    raw = response["body"]
    for secret in (public["token"], private["token"], WALLET, private["agent_id"], '"token', '"wallet', '"plan"'):
        assert secret not in raw


@pytest.mark.parametrize("reader", [get_reputation, get_export])
def test_a_private_agent_has_no_published_reputation(aws: None, reader) -> None:
    private = new_agent("Quiet One")

    response = reader(private["agent_id"])

    assert response["statusCode"] == 404
    assert error_code(response) == "AGENT_NOT_FOUND"
    assert private["token"] not in response["body"]


def test_a_private_agents_feedback_file_is_not_served(aws: None) -> None:
    private = new_agent("Quiet One")

    response = get_feedback_file(private["agent_id"], "adm_FEEDBACKadmn")

    assert response["statusCode"] == 404


def test_sorted_by_reputation_highest_first_unscored_last_and_min_reputation_is_a_bound(aws: None) -> None:
    low, high, unscored, middle = (new_agent(name, public=True) for name in ("low", "high", "unscored", "middle"))
    _scored(low, "20.00")
    _scored(high, "91.25")
    _scored(middle, "64.50")
    _scored(unscored, None)

    assert _ids(list_directory()) == [a["agent_id"] for a in (high, middle, low, unscored)]
    assert _ids(list_directory({"min_reputation": "50"})) == [high["agent_id"], middle["agent_id"]]
    by_newest = _ids(list_directory({"sort": "newest", "min_reputation": "64.5"}))
    assert sorted(by_newest) == sorted([high["agent_id"], middle["agent_id"]])


def test_sorted_by_conversions(aws: None) -> None:
    agents = [new_agent(f"a{n}", public=True) for n in range(3)]
    for agent, confirmed in zip(agents, [5, 40, 0], strict=True):
        _scored(agent, None, confirmed)

    response = list_directory({"sort": "conversions"})

    assert _ids(response) == [agents[1]["agent_id"], agents[0]["agent_id"], agents[2]["agent_id"]]
    assert [e["confirmed_conversions"] for e in body_of(response)["agents"]] == [40, 5, 0]


def test_pages_follow_each_other_without_gaps_or_repeats(aws: None) -> None:
    agents = [new_agent(f"agent {n}", public=True) for n in range(7)]
    for n, agent in enumerate(agents):
        _scored(agent, f"{10 * n}.00")
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = body_of(list_directory({"limit": "3", **({"cursor": cursor} if cursor else {})}))
        seen += [e["agent_id"] for e in page["agents"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [a["agent_id"] for a in reversed(agents)]


def test_query_matches_name_and_description_without_case_or_accents(aws: None) -> None:
    cafe = new_agent("Café Scout", public=True, description="Espresso machines with cashback")
    new_agent("Shoe Finder", public=True, description="Running shoes")
    new_agent("Cafe Private", description="Espresso too, but private")

    assert _ids(list_directory({"query": "CAFE"})) == [cafe["agent_id"]]
    assert _ids(list_directory({"query": "espresso"})) == [cafe["agent_id"]]
    assert _ids(list_directory({"query": "nothing like this"})) == []


def test_a_filtered_page_reads_a_bounded_part_of_the_index_and_says_where_to_go_on(aws: None, monkeypatch) -> None:
    monkeypatch.setattr(reputation_store, "PAGE_ITEMS", 2)  # 3 index pages of 2 per request
    match = new_agent("needle", public=True)
    _scored(match, "1.00")
    for n in range(8):
        _scored(new_agent(f"hay {n}", public=True), f"{50 + n}.00")

    first = body_of(list_directory({"query": "needle"}))
    second = body_of(list_directory({"query": "needle", "cursor": first["next_cursor"]}))

    assert first["agents"] == [] and first["next_cursor"]
    assert [e["agent_id"] for e in second["agents"]] == [match["agent_id"]]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "eyJwayI6MX0",  # {"pk":1}
        "eyJwayI6IkFHRU5UI3giLCJzayI6IlNVTU1BUlkiLCJkaXJlY3RvcnkiOiJwdWJsaWMiLCJyZXB1dGF0aW9uX3JhbmsiOiJ4In0",
    ],
)
def test_a_forged_cursor_is_400_not_a_database_error(aws: None, cursor: str) -> None:
    response = list_directory({"cursor": cursor})

    assert response["statusCode"] == 400
    assert error_code(response) == "INVALID_CURSOR"


def test_a_cursor_from_one_sort_does_not_serve_another(aws: None) -> None:
    for n in range(3):
        new_agent(f"a{n}", public=True)
    cursor = body_of(list_directory({"sort": "newest", "limit": "1"}))["next_cursor"]

    response = list_directory({"sort": "reputation", "cursor": cursor})

    assert response["statusCode"] == 400 and error_code(response) == "INVALID_CURSOR"


@pytest.mark.parametrize(
    "query",
    [{"sort": "popularity"}, {"limit": "0"}, {"limit": "51"}, {"min_reputation": "101"}, {"min_reputation": "NaN"}],
)
def test_bad_directory_parameters_are_400(aws: None, query: dict) -> None:
    response = list_directory(query)

    assert response["statusCode"] == 400
    assert error_code(response) == "INVALID_VALUE"


def test_the_directory_is_limited_per_source_ip(aws: None, settings_env) -> None:
    settings_env("RATE_LIMITS", json.dumps({"directory": [[60, 3], [3600, 100]]}))

    from_one = [list_directory(source_ip="198.51.100.7")["statusCode"] for _ in range(4)]
    from_another = list_directory(source_ip="198.51.100.8")["statusCode"]

    assert from_one == [200, 200, 200, 429]
    assert from_another == 200


def test_reputation_reads_are_limited_per_source_ip(aws: None, settings_env) -> None:
    settings_env("RATE_LIMITS", json.dumps({"reputation": [[60, 2], [3600, 100]]}))
    agent = new_agent("listed", public=True)

    from_one = [get_reputation(agent["agent_id"], source_ip="198.51.100.7")["statusCode"] for _ in range(3)]
    from_another = get_reputation(agent["agent_id"], source_ip="198.51.100.8")["statusCode"]

    assert from_one == [200, 200, 429]
    assert from_another == 200
