"""The compatibility API over real HTTP: a client written against the seed's examples works unchanged.

Each fixture in `fixtures/` holds a request from the seed's documentation and the answer it shows;
the test sends the request to the local API and checks that our answer has every key of the seed's,
with the same JSON type (money as numbers, not the main API's decimal strings). The seed's answer
echoes the agent id the client chose; ours issues one (`agent.agent_id`), which the client then uses,
so the fixtures' `my-agent-001` stands for the id the registration answered.

Auth, rate limits and the error body are the main API's: the compat paths are routes of the same
functions behind the same authorizer and guard.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from localrun.stack import LocalApi
from tests.helpers import make_admin_key
from tests.integration.conftest import bearer, put_small_catalog

FIXTURES = Path(__file__).parent / "fixtures"
SEED_AGENT_ID = "my-agent-001"
AGENT_ID = re.compile(r"^agt_[A-Za-z0-9_-]{22}$")
STANDARD_LIMIT_PER_MINUTE = 100


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", type(None): "null", list: "array", dict: "object"}[type(value)]


def shape_differences(seed: Any, ours: Any, where: str = "$") -> list[str]:
    """Where `ours` lacks a key of `seed` or has another JSON type (array items against the seed's first)."""
    if json_type(seed) != json_type(ours):
        return [f"{where}: {json_type(ours)}, the seed has {json_type(seed)}"]
    if isinstance(seed, dict):
        return [
            problem
            for key, value in seed.items()
            for problem in (
                shape_differences(value, ours[key], f"{where}.{key}") if key in ours else [f"{where}.{key}: missing"]
            )
        ]
    if isinstance(seed, list) and seed:
        items = enumerate(ours)
        return [problem for index, item in items for problem in shape_differences(seed[0], item, f"{where}[{index}]")]
    return []


def send(
    client: httpx.Client, request: dict[str, Any], agent_id: str = SEED_AGENT_ID, token: str = ""
) -> httpx.Response:
    """A fixture's request, with the issued id and token where the seed's client put its own."""

    def ours(text: str) -> str:
        return text.replace(SEED_AGENT_ID, agent_id).replace("sk_live_abc123...", token)

    query = {name: ours(value) for name, value in (request.get("query") or {}).items()}
    headers = {name: ours(value) for name, value in (request.get("headers") or {}).items()}
    path, body = ours(request["path"]), request.get("body")
    return client.request(request["method"], path, params=query, json=body, headers=headers)


def reshaped_differences(main: Any, compat: Any, ignored: frozenset[str], where: str = "$") -> list[str]:
    """Where `compat` is not `main` with every decimal string a number (keys in `ignored` not compared)."""
    if isinstance(main, dict) and isinstance(compat, dict):
        if set(main) != set(compat):
            return [f"{where}: keys {sorted(set(compat) ^ set(main))} differ"]
        return [
            problem
            for key in main
            if key not in ignored
            for problem in reshaped_differences(main[key], compat[key], ignored, f"{where}.{key}")
        ]
    if isinstance(main, list) and isinstance(compat, list) and len(main) == len(compat):
        pairs = enumerate(zip(main, compat, strict=True))
        return [p for i, (m, c) in pairs for p in reshaped_differences(m, c, ignored, f"{where}[{i}]")]
    if isinstance(main, str) and json_type(compat) == "number":
        return [] if Decimal(main) == Decimal(str(compat)) else [f"{where}: {compat} is not {main}"]
    return [] if main == compat else [f"{where}: {compat!r} is not {main!r}"]


@pytest.fixture
def client(local_api: LocalApi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_api.base_url, timeout=30) as http_client:
        yield http_client


@pytest.fixture(scope="module", autouse=True)
def small_catalog_served(local_api: LocalApi) -> None:
    """The hand-made catalog (tests/small_catalog.py: Nike among its brands), written by an admin key."""
    admin = bearer(make_admin_key(local_api, "catalog:write"))
    with httpx.Client(base_url=local_api.base_url, timeout=30) as client:
        put_small_catalog(client, admin)


@pytest.fixture
def seed_agent(client: httpx.Client) -> dict[str, Any]:
    """An agent registered with the seed's own request."""
    response = send(client, fixture("register")["request"])
    assert response.status_code == 201, response.text
    return response.json()


# ---------------------------------------------------------------- the seed's documented examples


def test_the_seeds_registration_gets_the_seeds_answer_with_an_issued_id(seed_agent: dict[str, Any]) -> None:
    seed = fixture("register")

    assert shape_differences(seed["response"], seed_agent) == []
    assert seed_agent["success"] is True
    assert AGENT_ID.match(seed_agent["agent"]["agent_id"])  # ours, not the client's "my-agent-001"
    sent = seed["request"]["body"]
    agent = seed_agent["agent"]
    assert (agent["agent_name"], agent["wallet_address"], agent["crypto_preference"]) == (
        sent["agent_name"],
        sent["wallet_address"],
        "MON",
    )
    assert seed_agent["token_type"] == "Bearer"


def test_the_registered_agent_is_the_main_apis_agent(client: httpx.Client, seed_agent: dict[str, Any]) -> None:
    agent_id = seed_agent["agent"]["agent_id"]

    profile = client.get(f"/agents/{agent_id}", headers=bearer(seed_agent["auth_token"]))

    assert profile.status_code == 200
    assert (profile.json()["agent_name"], profile.json()["crypto_preference"]) == ("My Shopping Bot", "MON")


def test_the_seeds_search_gets_the_seeds_answer_with_money_as_numbers(
    client: httpx.Client, seed_agent: dict[str, Any]
) -> None:
    seed = fixture("search")
    agent_id, token = seed_agent["agent"]["agent_id"], seed_agent["auth_token"]
    request = seed["request"]
    headers = {"Authorization": "Bearer sk_live_abc123..."}  # the seed's note: the token on every later call

    response = send(client, {**request, "headers": headers}, agent_id, token)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert 1 <= len(answer["results"]) <= 5
    assert shape_differences(seed["response"], answer) == []
    assert (answer["query"], answer["agent_id"]) == ("nike shoes", agent_id)
    first = answer["results"][0]
    assert json_type(first["price"]) == json_type(first["cashback"]["amount"]) == "number"
    assert re.fullmatch(r"\d+\.\d\d%", first["cashback"]["rate"])
    assert first["affiliate_link"].startswith(client.base_url.join("/r/clk_").__str__())


def test_the_seeds_stats_request_gets_the_seeds_answer(client: httpx.Client, seed_agent: dict[str, Any]) -> None:
    seed = fixture("stats")
    agent_id, token = seed_agent["agent"]["agent_id"], seed_agent["auth_token"]
    client.get("/api/agent/search", params={"keywords": "coffee"}, headers=bearer(token))

    response = send(client, seed["request"], agent_id, token)

    assert response.status_code == 200, response.text
    stats = response.json()
    assert shape_differences(seed["response"], stats) == []
    assert (stats["agent_id"], stats["agent_name"]) == (agent_id, "My Shopping Bot")
    assert stats["total_searches"] == 1
    assert stats["total_earnings_mon"] == 0 and stats["total_earnings"] == {}
    assert stats["registered_at"] == seed_agent["agent"]["registered_at"]
    main = client.get(f"/agents/{agent_id}/stats", headers=bearer(token))
    assert response.headers["X-RateLimit-Limit"] == main.headers["X-RateLimit-Limit"]


# ---------------------------------------------------------------- the routes without a seed example


@pytest.mark.parametrize(
    ("main_path", "compat_path", "query"),
    [
        ("/compare", "/api/agent/compare", {"product_name": "sony wh-1000xm5"}),
        ("/agents/{agent_id}/analytics", "/api/agent/{agent_id}/analytics", {}),
        ("/analytics/leaderboard", "/api/analytics/leaderboard", {"metric": "revenue", "period": "30d"}),
        ("/analytics/trending", "/api/analytics/trending", {"days": "7"}),
    ],
)
def test_the_other_routes_answer_the_main_answer_in_an_envelope_with_numbers(
    client: httpx.Client, seed_agent: dict[str, Any], main_path: str, compat_path: str, query: dict[str, str]
) -> None:
    agent_id, headers = seed_agent["agent"]["agent_id"], bearer(seed_agent["auth_token"])
    client.get("/api/agent/search", params={"keywords": "headphones"}, headers=headers)

    main = client.get(main_path.format(agent_id=agent_id), params=query, headers=headers)
    compat = client.get(compat_path.format(agent_id=agent_id), params=query, headers=headers)

    assert (main.status_code, compat.status_code) == (200, 200), compat.text
    assert compat.json()["success"] is True
    # Links are minted per call and as_of is the time of the call.
    expected = {"success": True, **main.json()}
    assert reshaped_differences(expected, compat.json(), frozenset({"affiliate_link", "as_of"})) == []


def test_compare_money_is_numbers(client: httpx.Client, seed_agent: dict[str, Any]) -> None:
    query = {"product_name": "sony wh-1000xm5"}

    answer = client.get("/api/agent/compare", params=query, headers=bearer(seed_agent["auth_token"])).json()

    row = answer["results"][0]
    lowest = answer["summary"]["price_range"]["min"]
    for value in (row["price"], row["cashback_amount"], row["effective_price"], lowest):
        assert json_type(value) == "number"
    assert answer["summary"]["best_cashback_rate"].endswith("%")


def test_api_mcp_is_the_same_mcp_server(client: httpx.Client, seed_agent: dict[str, Any]) -> None:
    headers = {**bearer(seed_agent["auth_token"]), "Accept": "application/json, text/event-stream"}
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}

    main = client.post("/mcp", json=listing, headers=headers)
    compat = client.post("/api/mcp", json=listing, headers=headers)

    assert compat.status_code == 200, compat.text
    assert compat.json() == main.json()
    assert client.get("/api/mcp", headers=headers).status_code == 405


# ---------------------------------------------------------------- the same auth, limits and error body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/agent/search?keywords=shoes"),
        ("GET", "/api/agent/compare?product_name=shoes"),
        ("GET", "/api/agent/{agent_id}/stats"),
        ("GET", "/api/agent/{agent_id}/analytics"),
        ("POST", "/api/mcp"),
    ],
)
def test_the_agents_routes_need_a_token(
    client: httpx.Client, seed_agent: dict[str, Any], method: str, path: str
) -> None:
    response = client.request(method, path.format(agent_id=seed_agent["agent"]["agent_id"]))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert response.json()["error"]["request_id"] == response.headers["X-Request-Id"]


def test_an_agent_reads_no_other_agents_stats_nor_searches_as_another(
    client: httpx.Client, seed_agent: dict[str, Any]
) -> None:
    other = send(client, fixture("register")["request"]).json()
    headers = bearer(other["auth_token"])
    victim = seed_agent["agent"]["agent_id"]

    stats = client.get(f"/api/agent/{victim}/stats", headers=headers)
    search = client.get("/api/agent/search", params={"keywords": "shoes", "agent_id": victim}, headers=headers)

    assert (stats.status_code, stats.json()["error"]["code"]) == (403, "FORBIDDEN")
    assert (search.status_code, search.json()["error"]["code"]) == (403, "FORBIDDEN")


def test_a_refused_registration_is_our_error_body_not_the_seeds(client: httpx.Client) -> None:
    seed = fixture("register-missing-fields")

    response = send(client, seed["request"])

    assert response.status_code == 400
    assert shape_differences(seed["our_response"], response.json()) == []
    assert response.json()["error"]["code"] == seed["our_response"]["error"]["code"]
    assert response.json()["error"]["request_id"] == response.headers["X-Request-Id"]


def test_the_compat_routes_count_against_the_agents_own_rate_limit(
    client: httpx.Client, local_api: LocalApi, seed_agent: dict[str, Any]
) -> None:
    agent_id, headers = seed_agent["agent"]["agent_id"], bearer(seed_agent["auth_token"])
    if time.time() % 60 > 40:  # all the requests in one minute window
        time.sleep(60 - time.time() % 60 + 0.5)

    def main_call(_: int) -> int:
        with httpx.Client(base_url=local_api.base_url, timeout=60) as one_client:
            return one_client.get(f"/agents/{agent_id}", headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(main_call, range(STANDARD_LIMIT_PER_MINUTE)))
    refused = client.get(f"/api/agent/{agent_id}/stats", headers=headers)

    assert statuses.count(200) == STANDARD_LIMIT_PER_MINUTE
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["X-RateLimit-Remaining"] == "0"


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("GET", "/api/agent/search?size=5", None, "MISSING_FIELD"),
        ("GET", "/api/agent/search?keywords=shoes&size=many", None, "INVALID_TYPE"),
        ("GET", "/api/agent/search?keywords=shoes&size=0", None, "INVALID_VALUE"),
        ("GET", "/api/agent/search?keywords=shoes&agent_id=my-agent-001", None, "INVALID_VALUE"),
        ("GET", "/api/agent/my-agent-001/stats", None, "INVALID_AGENT_ID"),
        ("GET", "/api/analytics/trending?days=365", None, "INVALID_VALUE"),
        ("POST", "/api/agent/register", {"agent_name": "a", "plan": "premium"}, "UNKNOWN_FIELD"),
        (
            "POST",
            "/api/agent/register",
            {"agent_name": "a", "crypto_preference": "MON", "wallet_address": "x"},
            "INVALID_VALUE",
        ),
        ("POST", "/api/agent/register", {"agent_id": 7}, "INVALID_TYPE"),
        ("POST", "/api/agent/register", "[1, 2", "MALFORMED_JSON"),
    ],
)
def test_bad_input_on_the_compat_routes_is_a_400_with_our_error_body(
    client: httpx.Client, seed_agent: dict[str, Any], method: str, path: str, body: Any, code: str
) -> None:
    content = body if isinstance(body, str) else json.dumps(body) if body is not None else None
    headers = {**bearer(seed_agent["auth_token"]), "Content-Type": "application/json"}

    response = client.request(method, path, content=content, headers=headers)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["request_id"] == response.headers["X-Request-Id"]
