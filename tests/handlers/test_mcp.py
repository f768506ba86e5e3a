"""POST /mcp through its function (moto): JSON-RPC on the wire as API Gateway delivers it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cashback import analytics
from tests.apigw import LambdaContext, admin_authorizer, agent_authorizer, api_event, body_of, header
from tests.conftest import ROOT, load_function

AGENT = "agt_SHOPPERshopperSHOPPER0"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Host": "api.example.test"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "pytest", "version": "1"}},
}

mcp_fn = load_function("mcp")


def post(body: Any, authorizer: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> dict:
    event = api_event(
        "POST", "/mcp", body=body, authorizer=authorizer or agent_authorizer(AGENT), headers=headers or MCP_HEADERS
    )
    return mcp_fn.lambda_handler(event, LambdaContext())


def call(name: str, arguments: dict[str, Any], authorizer: dict[str, Any] | None = None) -> dict[str, Any]:
    """A tools/call on its own, without initialize first: the server keeps no sessions."""
    message = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    response = post(message, authorizer)
    assert response["statusCode"] == 200, response["body"]
    answer: dict[str, Any] = body_of(response)
    assert answer["id"] == 7
    return answer


def test_initialize_answers_json_with_the_request_id_and_rate_limit_headers(small_catalog: object) -> None:
    event = api_event("POST", "/mcp", body=INITIALIZE, authorizer=agent_authorizer(AGENT), headers=MCP_HEADERS)

    response = mcp_fn.lambda_handler(event, LambdaContext())

    assert response["statusCode"] == 200
    assert header(response, "Content-Type") == "application/json"
    assert header(response, "X-Request-Id") == event["requestContext"]["requestId"]
    assert header(response, "X-RateLimit-Remaining") == "99"
    result = body_of(response)["result"]
    assert result["protocolVersion"] == "2025-11-25"
    assert result["serverInfo"]["name"] == "cashback-api"
    assert "tools" in result["capabilities"]
    assert header(response, "Mcp-Session-Id") is None  # stateless: no session to remember


def test_the_example_tools_call_event_searches_and_hands_out_links_on_the_api_host(small_catalog: object) -> None:
    event = json.loads((ROOT / "events/mcp/tools-call-search.json").read_text())

    result = body_of(mcp_fn.lambda_handler(event, LambdaContext()))["result"]

    assert result["isError"] is False
    rows = result["structuredContent"]["results"]
    assert rows and all(r["in_stock"] and float(r["price"]) <= 400 for r in rows)
    assert rows[0]["affiliate_link"].startswith("https://localapi01.execute-api.us-east-1.amazonaws.com/dev/r/clk_")
    assert json.loads(result["content"][0]["text"]) == result["structuredContent"]


def test_a_notification_is_accepted_with_202_and_no_body(small_catalog: object) -> None:
    response = post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    assert response["statusCode"] == 202
    assert not response["body"]


def test_a_body_that_is_not_json_is_a_json_rpc_parse_error(small_catalog: object) -> None:
    response = post("{not json")

    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == -32700


def test_a_client_that_does_not_accept_json_is_refused_406(small_catalog: object) -> None:
    response = post(INITIALIZE, headers={"Accept": "text/html"})

    assert response["statusCode"] == 406


def test_a_body_that_is_not_declared_json_is_refused_415_before_the_server(small_catalog: object) -> None:
    response = post("hello", headers={**MCP_HEADERS, "Content-Type": "text/plain"})

    assert response["statusCode"] == 415
    assert body_of(response)["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_over_the_rate_limit_is_429_before_the_server(
    small_catalog: object, settings_env: Callable[[str, str], None]
) -> None:
    settings_env("RATE_LIMITS", json.dumps({"standard": [[60, 1], [3600, 100]]}))
    assert post(INITIALIZE)["statusCode"] == 200

    response = post(INITIALIZE)

    assert response["statusCode"] == 429
    assert body_of(response)["error"]["code"] == "RATE_LIMITED"
    assert header(response, "Retry-After")


def test_an_admin_key_may_read_trending_but_not_act_as_an_agent(small_catalog: object) -> None:
    admin = admin_authorizer("adm_ops", "analytics:read")

    trending = call("get_trending", {"days": 2}, admin)["result"]
    search = call("search_products", {"keywords": "pegasus"}, admin)["result"]
    stats = call("get_agent_stats", {}, admin)["result"]

    assert trending["isError"] is False and trending["structuredContent"]["days"] == 2
    assert search["isError"] is True and search["structuredContent"]["error"]["code"] == "FORBIDDEN"
    assert stats["isError"] is True and stats["structuredContent"]["error"]["code"] == "FORBIDDEN"


def test_tool_errors_carry_the_request_id_of_the_http_request(small_catalog: object) -> None:
    message = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "get_trending"}}
    event = api_event(
        "POST",
        "/mcp",
        body={**message, "params": {**message["params"], "arguments": {"days": 0}}},
        authorizer=agent_authorizer(AGENT),
        headers=MCP_HEADERS,
    )

    result = body_of(mcp_fn.lambda_handler(event, LambdaContext()))["result"]

    error = result["structuredContent"]["error"]
    assert (error["code"], error["request_id"]) == ("INVALID_VALUE", event["requestContext"]["requestId"])
    assert error["details"]["errors"][0]["field"] == "days"


def test_a_bug_in_a_tool_is_a_json_rpc_internal_error_without_its_details(
    small_catalog: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_: int) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(analytics, "trending", broken)

    answer = call("get_trending", {})

    assert answer["error"]["code"] == -32603
    assert "secret" not in json.dumps(answer)
    assert answer["error"]["data"]["request_id"]


def test_get_is_405_allow_post_as_the_transport_says_for_a_server_without_an_sse_stream(small_catalog: object) -> None:
    event = api_event("GET", "/mcp", authorizer=agent_authorizer(AGENT), headers={"Accept": "text/event-stream"})

    response = mcp_fn.lambda_handler(event, LambdaContext())

    assert response["statusCode"] == 405
    assert header(response, "Allow") == "POST"
    assert body_of(response)["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert header(response, "X-RateLimit-Remaining") == "99"


# ---------------------------------------------------------------- the agent's webhook as tools


@pytest.fixture
def webhook_targets(aws: None, settings_env: Callable[[str, str], None], monkeypatch: pytest.MonkeyPatch) -> None:
    """The shopper exists; webhooks seal locally and may point at 127.0.0.1 (as the local runner allows)."""
    from tests.helpers import publish_agent

    monkeypatch.delenv("WEBHOOK_KMS_KEY_ID", raising=False)
    for name, value in {
        "WEBHOOK_SEALING_KEY": "a local key for tests",
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "WEBHOOK_ALLOW_HTTP": "true",
    }.items():
        settings_env(name, value)
    publish_agent(AGENT, "shopper")


def result_of(name: str, arguments: dict[str, Any], authorizer: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = call(name, arguments, authorizer)["result"]
    return result


def test_the_webhook_tools_show_the_secret_once_and_manage_the_callers_own_webhook(webhook_targets: None) -> None:
    from cashback.settings import get_settings
    from cashback.store import dynamo

    created = result_of("set_webhook", {"url": "https://127.0.0.1/hooks/cashback"})
    secret = created["structuredContent"]["secret"]
    moved = result_of("set_webhook", {"url": "https://127.0.0.1/hooks/moved"})
    read = result_of("get_webhook", {})
    rotated = result_of("rotate_webhook_secret", {})

    assert created["isError"] is False and secret.startswith("whsec_")
    assert moved["structuredContent"]["secret"] is None  # moving keeps the secret and does not show it
    assert read["structuredContent"]["url"] == "https://127.0.0.1/hooks/moved"
    assert read["structuredContent"]["secret"] is None
    new_secret = rotated["structuredContent"]["secret"]
    assert new_secret.startswith("whsec_") and new_secret != secret
    assert result_of("get_webhook", {})["structuredContent"]["secret"] is None  # shown once, by rotation only
    stored = dynamo.get_item(get_settings().agents_table, f"AGENT#{AGENT}", "WEBHOOK")
    assert (
        stored and secret not in json.dumps(stored, default=str) and new_secret not in json.dumps(stored, default=str)
    )

    deleted = result_of("delete_webhook", {})
    gone = result_of("get_webhook", {})

    assert deleted["structuredContent"] == {"deleted": AGENT}
    assert gone["isError"] is True and gone["structuredContent"]["error"]["code"] == "WEBHOOK_NOT_FOUND"


def test_failed_deliveries_are_listed_and_replayed_through_the_tools(webhook_targets: None) -> None:
    from cashback.store import webhooks as webhooks_store

    assert result_of("set_webhook", {"url": "https://127.0.0.1/hooks/cashback"})["isError"] is False
    for n in range(3):
        record = {
            "delivery_id": f"dlv_{n:032d}",
            "agent_id": AGENT,
            "event_type": "conversion.confirmed",
            "body": '{"id":"dlv"}',
            "attempts": 8,
            "first_attempted_at": "2026-11-20T10:00:00Z",
            "last_error": "HTTP 500",
        }
        webhooks_store.put_dead_letter(record, f"2026-11-20T11:0{n}:00Z")

    first = result_of("list_failed_webhook_deliveries", {"limit": 2})["structuredContent"]
    rest = result_of("list_failed_webhook_deliveries", {"cursor": first["next_cursor"]})["structuredContent"]
    replayed = result_of("replay_failed_webhook_deliveries", {})["structuredContent"]

    assert [f["delivery_id"] for f in first["failed"] + rest["failed"]] == [f"dlv_{n:032d}" for n in range(3)]
    assert rest["next_cursor"] is None
    assert replayed == {"requeued": 3, "remaining": False}
    assert result_of("list_failed_webhook_deliveries", {})["structuredContent"]["failed"] == []


def test_the_webhook_tools_refuse_admin_keys_and_private_targets(webhook_targets: None) -> None:
    admin = admin_authorizer("adm_ops", "agents:write")
    private = result_of("set_webhook", {"url": "https://10.0.0.1/hook"})

    refused = {name: result_of(name, {}, admin) for name in ("get_webhook", "delete_webhook", "rotate_webhook_secret")}

    assert private["structuredContent"]["error"]["code"] == "WEBHOOK_TARGET_FORBIDDEN"
    assert {n: r["structuredContent"]["error"]["code"] for n, r in refused.items()} == dict.fromkeys(
        refused, "FORBIDDEN"
    )


def test_tools_list_marks_only_delete_webhook_destructive(small_catalog: object) -> None:
    listed = body_of(post({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))["result"]["tools"]

    destructive = sorted(t["name"] for t in listed if t["annotations"]["destructiveHint"])

    assert destructive == ["delete_webhook"]
