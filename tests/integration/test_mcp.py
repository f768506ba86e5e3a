"""POST /mcp driven by the official MCP Python SDK client over real HTTP against the local API.

The client speaks the streamable HTTP transport as any MCP host would (initialize, tools/list,
tools/call); each answer is checked against what the REST route answers for the same input.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from itertools import pairwise
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS

from cashback.models import (
    AgentStats,
    CompareRequest,
    CompareResponse,
    Deleted,
    FailedDeliveriesRequest,
    FailedDeliveryPage,
    OwnStatsRequest,
    OwnWebhookRequest,
    ReplayResult,
    SearchRequest,
    SearchResponse,
    Trending,
    TrendingRequest,
    Webhook,
    WebhookRequest,
)
from localrun.stack import LocalApi
from tests.helpers import make_admin_key
from tests.integration.conftest import bearer, error_code, put_small_catalog, register
from tests.small_catalog import HEADPHONES

TOOLS = {
    "search_products": (SearchRequest, SearchResponse),
    "compare_cashback": (CompareRequest, CompareResponse),
    "get_agent_stats": (OwnStatsRequest, AgentStats),
    "get_trending": (TrendingRequest, Trending),
    "set_webhook": (WebhookRequest, Webhook),
    "get_webhook": (OwnWebhookRequest, Webhook),
    "delete_webhook": (OwnWebhookRequest, Deleted),
    "rotate_webhook_secret": (OwnWebhookRequest, Webhook),
    "list_failed_webhook_deliveries": (FailedDeliveriesRequest, FailedDeliveryPage),
    "replay_failed_webhook_deliveries": (OwnWebhookRequest, ReplayResult),
}


@pytest.fixture(scope="module")
def agent(local_api: LocalApi) -> dict[str, Any]:
    """The small catalog loaded through the admin API, and a fresh agent."""
    admin = bearer(make_admin_key(local_api, "catalog:write"))
    with httpx.Client(base_url=local_api.base_url, timeout=30) as client:
        put_small_catalog(client, admin)
        return register(client, "mcp-agent")


@asynccontextmanager
async def mcp_session(
    local_api: LocalApi, token: str | None, seen: list[httpx2.Response] | None = None
) -> AsyncIterator[ClientSession]:
    """An initialized MCP client session on POST /mcp; `seen` collects every HTTP response."""

    async def record(response: httpx2.Response) -> None:
        if seen is not None:
            seen.append(response)

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60, event_hooks={"response": [record]}) as http,
        streamable_http_client(f"{local_api.base_url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    async def bounded() -> Any:
        with anyio.fail_after(120):
            return await scenario()

    return anyio.run(bounded)


def call_tool(local_api: LocalApi, token: str, name: str, arguments: dict[str, Any]) -> CallToolResult:
    async def scenario() -> CallToolResult:
        async with mcp_session(local_api, token) as session:
            return await session.call_tool(name, arguments)

    result: CallToolResult = run(scenario)
    return result


def without_links(body: dict[str, Any]) -> dict[str, Any]:
    """A search or compare answer without its affiliate links (each call mints fresh ones)."""
    return {**body, "results": [{k: v for k, v in row.items() if k != "affiliate_link"} for row in body["results"]]}


def tool_error_code(result: CallToolResult) -> str:
    assert result.is_error, result
    return str(result.structured_content["error"]["code"])


def flattened(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in flattened(inner)]
    return [error]


# ---------------------------------------------------------------- the handshake and the tool list


def test_initialize_names_the_server_and_offers_tools(local_api: LocalApi, agent: dict[str, Any]) -> None:
    async def scenario() -> Any:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {agent['token']}"}, timeout=60) as http,
            streamable_http_client(f"{local_api.base_url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            return await session.initialize()

    result = run(scenario)

    assert result.server_info.name == "cashback-api"
    assert result.protocol_version in HANDSHAKE_PROTOCOL_VERSIONS
    assert result.capabilities.tools is not None
    assert "search_products" in (result.instructions or "")


def test_tools_list_has_every_tool_with_the_rest_routes_schemas(local_api: LocalApi, agent: dict[str, Any]) -> None:
    async def scenario() -> Any:
        async with mcp_session(local_api, agent["token"]) as session:
            return await session.list_tools()

    listed = {tool.name: tool for tool in run(scenario).tools}

    assert sorted(listed) == sorted(TOOLS)
    for name, (arguments, answer) in TOOLS.items():
        assert listed[name].input_schema == arguments.model_json_schema()
        assert listed[name].output_schema == answer.model_json_schema(mode="serialization")
        assert listed[name].description
    assert listed["search_products"].input_schema["required"] == ["keywords"]
    assert listed["get_agent_stats"].input_schema.get("properties", {}) == {}
    assert listed["get_trending"].annotations and listed["get_trending"].annotations.read_only_hint is True


# ---------------------------------------------------------------- each tool answers what its REST route answers


def test_search_products_answers_what_post_search_answers(
    local_api: LocalApi, agent: dict[str, Any], client: httpx.Client
) -> None:
    arguments = {"keywords": "wireless headphones", "filters": {"max_price": "400"}, "sort": "cashback_amount"}

    result = call_tool(local_api, agent["token"], "search_products", arguments)
    rest = client.post("/search", json=arguments, headers=bearer(agent["token"]))

    assert not result.is_error and rest.status_code == 200
    assert result.structured_content["results"], "the small catalog has wireless headphones"
    assert without_links(result.structured_content) == without_links(rest.json())
    for row in result.structured_content["results"]:
        assert row["affiliate_link"].startswith(f"{local_api.base_url}/r/clk_")
    assert result.content[0].type == "text"


def test_an_affiliate_link_from_the_tool_redirects_to_the_merchant(
    local_api: LocalApi, agent: dict[str, Any], client: httpx.Client
) -> None:
    result = call_tool(local_api, agent["token"], "search_products", {"keywords": "pegasus"})
    (row,) = result.structured_content["results"]

    followed = client.get(row["affiliate_link"].removeprefix(local_api.base_url))

    assert followed.status_code == 302
    assert followed.headers["Location"].startswith("https://beta.example/p/p_shoe1?aff_sub=clk_")


def test_compare_cashback_answers_what_get_compare_answers(
    local_api: LocalApi, agent: dict[str, Any], client: httpx.Client
) -> None:
    arguments = {"product_name": HEADPHONES, "max_merchants": 3}

    result = call_tool(local_api, agent["token"], "compare_cashback", arguments)
    rest = client.get("/compare", params=arguments, headers=bearer(agent["token"]))

    assert not result.is_error and rest.status_code == 200
    assert len(result.structured_content["results"]) == 3
    assert result.structured_content["agent_id"] == agent["agent_id"]
    assert without_links(result.structured_content) == without_links(rest.json())


def test_get_agent_stats_answers_the_callers_own_stats_as_get_stats_does(
    local_api: LocalApi, client: httpx.Client
) -> None:
    own = register(client, "mcp-stats")
    assert client.post("/search", json={"keywords": "pegasus"}, headers=bearer(own["token"])).status_code == 200

    result = call_tool(local_api, own["token"], "get_agent_stats", {})
    rest = client.get(f"/agents/{own['agent_id']}/stats", headers=bearer(own["token"]))

    assert not result.is_error and rest.status_code == 200
    assert result.structured_content["agent_id"] == own["agent_id"]
    assert result.structured_content["total_searches"] == 1
    assert {**result.structured_content, "as_of": None} == {**rest.json(), "as_of": None}


def test_get_agent_stats_takes_no_agent_id_so_it_never_reads_another_agents_stats(
    local_api: LocalApi, agent: dict[str, Any], client: httpx.Client
) -> None:
    other = register(client, "mcp-other")

    result = call_tool(local_api, other["token"], "get_agent_stats", {"agent_id": agent["agent_id"]})

    assert tool_error_code(result) == "UNKNOWN_FIELD"


def test_get_trending_answers_what_get_trending_answers(
    local_api: LocalApi, agent: dict[str, Any], client: httpx.Client
) -> None:
    result = call_tool(local_api, agent["token"], "get_trending", {"days": 3})
    rest = client.get("/analytics/trending", params={"days": 3})

    assert not result.is_error and rest.status_code == 200
    assert result.structured_content == rest.json()


def test_the_webhook_tools_act_on_the_callers_webhook_as_its_routes_do(
    local_api: LocalApi, agent: dict[str, Any], client: httpx.Client
) -> None:
    token, path = agent["token"], f"/agents/{agent['agent_id']}/webhook"

    created = call_tool(local_api, token, "set_webhook", {"url": "http://127.0.0.1:9/hooks/cashback"})
    rest = client.get(path, headers=bearer(token))
    rotated = call_tool(local_api, token, "rotate_webhook_secret", {})
    failures = call_tool(local_api, token, "list_failed_webhook_deliveries", {})
    deleted_by_rest = client.delete(path, headers=bearer(token))
    gone = call_tool(local_api, token, "get_webhook", {})

    assert not created.is_error and created.structured_content["secret"].startswith("whsec_")
    assert rest.status_code == 200 and rest.json()["url"] == "http://127.0.0.1:9/hooks/cashback"
    assert rest.json()["secret"] is None
    assert rotated.structured_content["secret"] not in (None, created.structured_content["secret"])
    assert failures.structured_content == {"failed": [], "next_cursor": None}
    assert deleted_by_rest.status_code == 200
    assert tool_error_code(gone) == "WEBHOOK_NOT_FOUND"


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "arguments", "code"),
    [
        ("search_products", {"keywords": "shoes", "limit": 51}, "INVALID_VALUE"),
        ("search_products", {}, "MISSING_FIELD"),
        ("search_products", {"keywords": "shoes", "color": "red"}, "UNKNOWN_FIELD"),
        ("search_products", {"keywords": "shoes", "limit": "many"}, "INVALID_TYPE"),
        ("compare_cashback", {"product_name": "no such thing anywhere"}, "PRODUCT_NOT_FOUND"),
        ("get_trending", {"days": 31}, "INVALID_VALUE"),
    ],
)
def test_a_refused_call_is_a_tool_error_with_the_apis_error_code(
    local_api: LocalApi, agent: dict[str, Any], name: str, arguments: dict[str, Any], code: str
) -> None:
    result = call_tool(local_api, agent["token"], name, arguments)

    assert tool_error_code(result) == code
    error = result.structured_content["error"]
    assert error["message"] and error["request_id"]
    assert code in result.content[0].text  # the same error body, as text for the model


def test_an_unknown_tool_is_a_json_rpc_invalid_params_error(local_api: LocalApi, agent: dict[str, Any]) -> None:
    async def scenario() -> MCPError:
        async with mcp_session(local_api, agent["token"]) as session:
            with pytest.raises(MCPError) as raised:
                await session.call_tool("transfer_funds", {})
            return raised.value

    error = run(scenario)

    assert error.error.code == INVALID_PARAMS
    assert "transfer_funds" in error.error.message


@pytest.mark.parametrize("token", [None, "cbk_agent_unknown_unknown_unknown_unknown"])
def test_no_or_an_unknown_token_is_refused_with_401_before_the_mcp_server(
    local_api: LocalApi, client: httpx.Client, token: str | None
) -> None:
    seen: list[httpx2.Response] = []

    async def scenario() -> None:
        async with mcp_session(local_api, token, seen):
            pass

    with pytest.raises(BaseException) as raised:
        run(scenario)

    assert any(isinstance(leaf, MCPError) for leaf in flattened(raised.value))
    assert [r.status_code for r in seen] == [401]
    assert seen[0].json()["error"]["code"] == "UNAUTHORIZED"
    assert seen[0].headers["WWW-Authenticate"] == "Bearer"
    plain = client.post(
        "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=bearer(token) if token else {}
    )
    assert (plain.status_code, error_code(plain)) == (401, "UNAUTHORIZED")


def test_get_mcp_is_405_allow_post_since_the_server_offers_no_sse_stream(
    agent: dict[str, Any], client: httpx.Client
) -> None:
    response = client.get("/mcp", headers={**bearer(agent["token"]), "Accept": "text/event-stream"})

    assert (response.status_code, error_code(response)) == (405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "POST"


# ---------------------------------------------------------------- rate limit


def test_each_mcp_request_counts_once_against_the_agents_rate_limit(local_api: LocalApi, client: httpx.Client) -> None:
    own = register(client, "mcp-limited")
    seen: list[httpx2.Response] = []

    async def scenario() -> None:
        async with mcp_session(local_api, own["token"], seen) as session:
            await session.list_tools()
            await session.call_tool("get_trending", {})
            await session.call_tool("get_agent_stats", {})

    run(scenario)
    rest = client.get(f"/agents/{own['agent_id']}/stats", headers=bearer(own["token"]))

    # initialize, notifications/initialized, tools/list, two tools/call: one HTTP request each,
    # then the REST call, all counted for the same agent.
    responses = [*seen, rest]
    assert len(seen) == 5 and all(r.status_code in (200, 202) for r in seen)
    windows = [(r.headers["X-RateLimit-Reset"], int(r.headers["X-RateLimit-Remaining"])) for r in responses]
    steps = [(a, b) for a, b in pairwise(windows) if a[0] == b[0]]
    assert steps, "at most one minute boundary falls between six quick requests"
    assert all(later == earlier - 1 for (_, earlier), (_, later) in steps)
    assert all(r.headers["X-Request-Id"] for r in seen)


# ---------------------------------------------------------------- the 2026 protocol revision


def test_a_client_on_the_2026_protocol_revision_is_served_too(local_api: LocalApi, agent: dict[str, Any]) -> None:
    """The SDK's Client negotiates with server/discover (no initialize) when the server supports it."""

    async def scenario() -> tuple[str | None, list[str], CallToolResult]:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {agent['token']}"}, timeout=60) as http,
            Client(streamable_http_client(f"{local_api.base_url}/mcp", http_client=http)) as mcp,
        ):
            tools = await mcp.list_tools()
            result = await mcp.call_tool("get_trending", {"days": 1})
            return mcp.session.protocol_version, [t.name for t in tools.tools], result

    version, names, result = run(scenario)

    assert version in MODERN_PROTOCOL_VERSIONS
    assert sorted(names) == sorted(TOOLS)
    assert not result.is_error and result.structured_content["days"] == 1
