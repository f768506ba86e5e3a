"""The MCP transport (`cashback.api.mcp_protocol`) against the official MCP Python SDK's server.

Each request below goes to both: the SDK's low-level `Server` behind its streamable HTTP session
manager (stateless, JSON answers), which is what POST /mcp ran before, and this project's
protocol module, with the same server identity and the same tools. Their answers must be the same
HTTP status and the same JSON, in both protocol eras. Where this module answers an invalid message
differently on purpose, the test says so and checks the answer it gives instead.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import mcp_types as types
import pytest
from mcp.server.lowlevel import Server as SdkServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION, MODERN_PROTOCOL_VERSIONS

from cashback.api import mcp_protocol
from tests import asgi
from tests.conftest import load_function

mcp_fn = load_function("mcp")

ECHO = {
    "name": "echo",
    "title": "Echo",
    "description": "Answers its arguments.",
    "inputSchema": {"type": "object", "properties": {"x": {"type": "integer"}}},
    "outputSchema": {"type": "object"},
    "annotations": {"title": "Echo", "readOnlyHint": True, "destructiveHint": False, "idempotentHint": True},
}


def call_tool(name: str, arguments: dict[str, Any] | None) -> dict[str, Any]:
    if name == "boom":
        raise mcp_protocol.ProtocolError(mcp_protocol.INTERNAL_ERROR, "It broke.", {"request_id": "r-1"})
    if name != "echo":
        raise mcp_protocol.ProtocolError(mcp_protocol.INVALID_PARAMS, f"Unknown tool: {name}")
    structured = {"arguments": arguments, "none": None}
    return {
        "content": [{"type": "text", "text": json.dumps(structured)}],
        "structuredContent": structured,
        "isError": False,
    }


OURS = mcp_protocol.Server(
    name="cashback-api",
    version="1.2.3",
    title="Cashback API",
    instructions="Use the tools.",
    list_tools=lambda: [ECHO, *mcp_fn.list_tools()],  # the real tools' schemas too
    call_tool=call_tool,
)


def sdk_server(ours: mcp_protocol.Server) -> SdkServer[Any]:
    """The SDK's server, with the same identity and the same tools as `ours`."""

    async def list_tools(_: Any, __: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[types.Tool.model_validate(tool) for tool in ours.list_tools()])

    async def call(_: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            return types.CallToolResult.model_validate(ours.call_tool(params.name, params.arguments))
        except mcp_protocol.ProtocolError as error:
            raise MCPError(code=error.code, message=error.message, data=error.data) from error

    return SdkServer(
        ours.name,
        version=ours.version,
        title=ours.title,
        instructions=ours.instructions,
        on_list_tools=list_tools,
        on_call_tool=call,
    )


SDK = sdk_server(OURS)


def sdk_answer(headers: list[tuple[str, str]], body: Any) -> tuple[int, Any]:
    async def serve() -> asgi.HttpResponse:
        manager = StreamableHTTPSessionManager(app=SDK, json_response=True, stateless=True)
        async with manager.run():
            return await asgi.call(
                manager.handle_request, asgi.HttpRequest("POST", "/mcp", headers, json.dumps(body).encode())
            )

    response = asyncio.run(serve())
    return response.status, json.loads(response.body) if response.body else None


def our_answer(headers: list[tuple[str, str]], body: Any) -> tuple[int, Any]:
    answer = mcp_protocol.answer(OURS, headers, body)
    return answer.status, answer.body


JSON = [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")]
MODERN = MODERN_PROTOCOL_VERSIONS[-1]


def handshake(version: str | None = None) -> list[tuple[str, str]]:
    return JSON + ([("MCP-Protocol-Version", version)] if version else [])


DROP = object()  # an argument's "leave this member out"


def envelope(version: Any = MODERN, **overrides: Any) -> dict[str, Any]:
    meta = {mcp_protocol.VERSION_KEY: version, mcp_protocol.CAPABILITIES_KEY: {}}
    meta.update(overrides)
    return {key: value for key, value in meta.items() if value is not DROP}


def per_request(method: str, name: str | None = None, version: str = MODERN) -> list[tuple[str, str]]:
    headers = [*JSON, ("MCP-Protocol-Version", version), ("Mcp-Method", method)]
    return [*headers, ("Mcp-Name", name)] if name is not None else headers


def request(method: str, params: Any = DROP, request_id: Any = 1) -> dict[str, Any]:
    message = {"jsonrpc": "2.0", "id": request_id, "method": method}
    return message if params is DROP else {**message, "params": params}


CLIENT = {"name": "pytest", "version": "1"}


def initialize(version: Any = LATEST_HANDSHAKE_VERSION, **fields: Any) -> dict[str, Any]:
    params = {"protocolVersion": version, "capabilities": {}, "clientInfo": CLIENT, **fields}
    return request("initialize", {key: value for key, value in params.items() if value is not DROP})


HANDSHAKE_ERA = {
    **{f"initialize at {v}": (handshake(), initialize(v)) for v in HANDSHAKE_PROTOCOL_VERSIONS},
    "initialize at an unknown version gets the latest": (handshake(), initialize("1999-01-01")),
    "initialize at the per-request version gets the latest handshake": (handshake(), initialize(MODERN)),
    "initialize without params": (handshake(), request("initialize")),
    "initialize without clientInfo": (handshake(), initialize(clientInfo=DROP)),
    "initialize, clientInfo without version": (handshake(), initialize(clientInfo={"name": "x"})),
    "initialize, version not a string": (handshake(), initialize(5)),
    "initialize, capabilities not an object": (handshake(), initialize(capabilities=5)),
    "initialize, a capability not an object": (handshake(), initialize(capabilities={"sampling": 5})),
    "notifications/initialized": (handshake(), {"jsonrpc": "2.0", "method": "notifications/initialized"}),
    "a notification with params": (handshake(), {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {}}),
    "a posted response": (handshake(), {"jsonrpc": "2.0", "id": 1, "result": {}}),
    "a posted error": (handshake(), {"jsonrpc": "2.0", "id": 1, "error": {"code": 1, "message": "x"}}),
    "ping": (handshake(), request("ping", request_id="a")),
    "ping with a progress token": (handshake("2025-06-18"), request("ping", {"_meta": {"progressToken": 1}})),
    "ping, _meta not an object": (handshake(), request("ping", {"_meta": [1]})),
    "ping, a progress token not a string or integer": (handshake(), request("ping", {"_meta": {"progressToken": {}}})),
    "ping with a negative id": (handshake(), request("ping", request_id=-7)),
    "ping with a member JSON-RPC does not define": (handshake(), {**request("ping"), "x": 1}),
    "tools/list": (handshake(), request("tools/list")),
    "tools/list at 2024-11-05": (handshake("2024-11-05"), request("tools/list")),
    "tools/list with a cursor": (handshake(), request("tools/list", {"cursor": "x"})),
    "tools/list, cursor not a string": (handshake(), request("tools/list", {"cursor": 5})),
    "tools/list with a per-request envelope": (handshake(), request("tools/list", {"_meta": envelope()})),
    "tools/call": (handshake(), request("tools/call", {"name": "echo", "arguments": {"x": 1}})),
    "tools/call without arguments": (handshake(), request("tools/call", {"name": "echo"})),
    "tools/call with null arguments": (handshake(), request("tools/call", {"name": "echo", "arguments": None})),
    "tools/call with a progress token": (
        handshake(),
        request("tools/call", {"name": "echo", "_meta": {"progressToken": "t"}}),
    ),
    "tools/call without a name": (handshake(), request("tools/call", {"arguments": {}})),
    "tools/call, name not a string": (handshake(), request("tools/call", {"name": 5})),
    "tools/call without params": (handshake(), request("tools/call")),
    "tools/call, arguments not an object": (handshake(), request("tools/call", {"name": "echo", "arguments": [1]})),
    "tools/call of an unknown tool": (handshake(), request("tools/call", {"name": "transfer_funds"})),
    "tools/call of a tool that fails": (handshake(), request("tools/call", {"name": "boom"})),
    "an unknown method": (handshake(), request("foo/bar")),
    "a method this server does not serve": (handshake(), request("resources/list")),
    "server/discover is not in this era": (handshake(), request("server/discover")),
    "Accept */*": ([("Content-Type", "application/json"), ("Accept", "*/*")], request("ping")),
    "Accept without JSON": ([("Content-Type", "application/json"), ("Accept", "text/event-stream")], request("ping")),
    "no Accept": ([("Content-Type", "application/json")], request("ping")),
}


def per_request_call(name: Any, header: str | None, **params: Any) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    return per_request("tools/call", header), request("tools/call", {"_meta": envelope(), "name": name, **params})


PER_REQUEST_ERA = {
    "server/discover": (per_request("server/discover"), request("server/discover", {"_meta": envelope()})),
    "tools/list": (per_request("tools/list"), request("tools/list", {"_meta": envelope()})),
    "tools/list with a string id and a cursor": (
        per_request("tools/list"),
        request("tools/list", {"_meta": envelope(), "cursor": "x"}, request_id="abc"),
    ),
    "tools/list, cursor not a string": (
        per_request("tools/list"),
        request("tools/list", {"_meta": envelope(), "cursor": 5}),
    ),
    "tools/list with a member JSON-RPC does not define": (
        per_request("tools/list"),
        {**request("tools/list", {"_meta": envelope()}), "x": 1},
    ),
    "tools/call": per_request_call("echo", "echo", arguments={"x": 2}),
    "tools/call, the name header base64-encoded": per_request_call("echo", "=?base64?ZWNobw==?="),
    "tools/call, the name header malformed base64": per_request_call("echo", "=?base64?ZWNob?="),
    "tools/call of an unknown tool": per_request_call("transfer_funds", "transfer_funds"),
    "tools/call of a tool that fails": per_request_call("boom", "boom"),
    "tools/call without the name header": per_request_call("echo", None),
    "tools/call, a name header that differs": per_request_call("echo", "other"),
    "tools/call, name not a string": per_request_call(5, None),
    "tools/call, arguments not an object": per_request_call("echo", "echo", arguments=[1]),
    "tools/call without a name": (per_request("tools/call"), request("tools/call", {"_meta": envelope()})),
    "ping is not in this era": (per_request("ping"), request("ping", {"_meta": envelope()})),
    "initialize is not in this era": (per_request("initialize"), request("initialize", {"_meta": envelope()})),
    "an unknown method": (per_request("foo/bar"), request("foo/bar", {"_meta": envelope()})),
    "an unknown method with a bad envelope": (
        per_request("foo/bar"),
        request("foo/bar", {"_meta": envelope(**{mcp_protocol.CAPABILITIES_KEY: 5})}),
    ),
    "no params": (per_request("tools/list"), request("tools/list")),
    "_meta not an object": (per_request("tools/list"), request("tools/list", {"_meta": [1]})),
    "no client capabilities": (
        per_request("tools/list"),
        request("tools/list", {"_meta": envelope(**{mcp_protocol.CAPABILITIES_KEY: DROP})}),
    ),
    "client capabilities not an object": (
        per_request("tools/list"),
        request("tools/list", {"_meta": envelope(**{mcp_protocol.CAPABILITIES_KEY: 5})}),
    ),
    "client info not an object": (
        per_request("tools/list"),
        request("tools/list", {"_meta": envelope(**{mcp_protocol.CLIENT_INFO_KEY: 5})}),
    ),
    "client info without version": (
        per_request("tools/list"),
        request("tools/list", {"_meta": envelope(**{mcp_protocol.CLIENT_INFO_KEY: {"name": "x"}})}),
    ),
    "client info": (
        per_request("tools/list"),
        request("tools/list", {"_meta": envelope(**{mcp_protocol.CLIENT_INFO_KEY: CLIENT})}),
    ),
    "a progress token not a string or integer": (
        per_request("tools/list"),
        request("tools/list", {"_meta": envelope(progressToken={})}),
    ),
    "the method header differs": (per_request("ping"), request("tools/list", {"_meta": envelope()})),
    "no method header": (
        [*JSON, ("MCP-Protocol-Version", MODERN)],
        request("tools/list", {"_meta": envelope()}),
    ),
    "the version header differs from the envelope": (
        per_request("tools/list"),
        request("tools/list", {"_meta": envelope(LATEST_HANDSHAKE_VERSION)}),
    ),
    "an envelope version that is not a string": (
        per_request("tools/list", version="5"),
        request("tools/list", {"_meta": envelope(5)}),
    ),
    "an unsupported version": (
        per_request("tools/list", version="2030-01-01"),
        request("tools/list", {"_meta": envelope("2030-01-01")}),
    ),
    "a version header that is no version": (handshake("garbage"), request("ping")),
    "a routing header sent twice": (
        [*per_request("tools/list"), ("Mcp-Method", "tools/list")],
        request("tools/list", {"_meta": envelope()}),
    ),
    "a notification": (per_request("notifications/initialized"), {"jsonrpc": "2.0", "method": "notifications/x"}),
    "a notification at an unsupported version": (
        handshake("2030-01-01"),
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {}},
    ),
    "a notification whose method is not a string": (per_request("x"), {"jsonrpc": "2.0", "method": 5}),
    "a notification whose params are not an object": (per_request("x"), {"jsonrpc": "2.0", "method": "x", "params": 5}),
    "a batch": (per_request("ping"), [request("ping")]),
    "a posted response": (per_request("ping"), {"jsonrpc": "2.0", "id": 1, "result": {}}),
    "params not an object": (per_request("tools/list"), request("tools/list", [1])),
    "an id that is an object": (per_request("tools/list"), request("tools/list", {"_meta": envelope()}, {})),
    "a null id": (per_request("tools/list"), request("tools/list", {"_meta": envelope()}, None)),
    "a fractional id": (per_request("tools/list"), request("tools/list", {"_meta": envelope()}, 1.5)),
    "JSON-RPC 1.0": (per_request("tools/list"), {**request("tools/list", {"_meta": envelope()}), "jsonrpc": "1.0"}),
    "Accept without JSON": (
        [("Content-Type", "application/json"), ("Accept", "text/event-stream"), ("MCP-Protocol-Version", MODERN)],
        request("tools/list", {"_meta": envelope()}),
    ),
    "subscriptions/listen without a stream accepted": (
        [
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
            *per_request("subscriptions/listen")[2:],
        ],
        request("subscriptions/listen", {"_meta": envelope()}),
    ),
}


@pytest.mark.parametrize(("headers", "body"), HANDSHAKE_ERA.values(), ids=HANDSHAKE_ERA.keys())
def test_the_handshake_era_answers_as_the_sdk_does(headers: list[tuple[str, str]], body: Any) -> None:
    assert our_answer(headers, body) == sdk_answer(headers, body)


@pytest.mark.parametrize(("headers", "body"), PER_REQUEST_ERA.values(), ids=PER_REQUEST_ERA.keys())
def test_the_per_request_era_answers_as_the_sdk_does(headers: list[tuple[str, str]], body: Any) -> None:
    assert our_answer(headers, body) == sdk_answer(headers, body)


INVALID_IN_THE_HANDSHAKE_ERA = {
    "a batch": [request("ping")],
    "JSON-RPC 1.0": {**request("ping"), "jsonrpc": "1.0"},
    "a request without a method": {"jsonrpc": "2.0", "id": 1},
    "params not an object": request("ping", [1]),
    "a number": 5,
    "an id that is an object": request("ping", request_id={"a": 1}),
    "a null id": request("ping", request_id=None),
    "a fractional id": request("ping", request_id=1.5),
    "a boolean id": request("ping", request_id=True),
}


INVALID_BODY = "Body must be a single JSON-RPC request or notification object"


@pytest.mark.parametrize("body", INVALID_IN_THE_HANDSHAKE_ERA.values(), ids=INVALID_IN_THE_HANDSHAKE_ERA.keys())
def test_an_invalid_message_in_the_handshake_era_is_an_invalid_request_as_in_the_per_request_era(body: Any) -> None:
    """Here the SDK's handshake-era transport drops a request with a bad id (202) or answers
    -32602 with pydantic's text; JSON-RPC owes it -32600, as the SDK's per-request era answers."""
    sdk_status, _ = sdk_answer(handshake(), body)

    status, answer = our_answer(handshake(), body)

    assert sdk_status in (202, 400)
    assert (status, answer) == (400, {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": INVALID_BODY}})


def test_no_tool_declares_a_header_so_the_per_request_eras_parameter_headers_have_nothing_to_check() -> None:
    """The SDK checks a tools/call's Mcp-Param-* headers against the tool's `x-mcp-header`
    properties; this module does not, which holds only while no tool declares one."""
    assert "x-mcp-header" not in json.dumps(mcp_fn.list_tools())
