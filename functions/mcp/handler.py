"""POST /mcp: the API as Model Context Protocol tools (streamable HTTP transport, stateless, JSON).

The protocol is `cashback.api.mcp_protocol`: both eras the official MCP SDK serves (the handshake
era to 2025-11-25 and the per-request era of 2026-07-28), each answer held equal to that SDK's by
the tests. It is not the SDK itself because the SDK's import alone took more than twice the cold
start this function may spend (README, "Cold starts"). Any instance answers any request and
nothing is kept between them. The tools come from the layer (`cashback.api.tools`): the REST
routes' models and use cases, run as the calling agent.
GET /mcp, where the transport would open a server-to-client SSE stream, is 405 (none offered).
/api/mcp (the compatibility API's path) is the same server.
"""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
import json
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from pydantic import ValidationError

from cashback import __version__, json_input
from cashback.api import http, mcp_protocol, tools
from cashback.errors import ApiError, MalformedJson, MethodNotAllowed, error_body
from cashback.observability import MetricUnit, logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)

INSTRUCTIONS = (
    "Cashback for AI shopping agents. search_products finds offers with cashback and tracked affiliate "
    "links, compare_cashback ranks the merchants selling one product by cashback, get_agent_stats reads "
    "your own totals, get_trending shows what agents search and buy; set_webhook, get_webhook, delete_webhook, "
    "rotate_webhook_secret, list_failed_webhook_deliveries and replay_failed_webhook_deliveries manage where "
    "you are told about your conversions and feedback. Money is a decimal string; a tool "
    'that refuses answers isError with {"error": {"code", "message", "details", "request_id"}}.'
)


def _tool(tool: tools.Tool) -> dict[str, Any]:
    return {
        "name": tool.name,
        "title": tool.title,
        "description": tool.description,
        "inputSchema": tool.input_schema(),
        "outputSchema": tool.output_schema(),
        "annotations": {
            "title": tool.title,
            "readOnlyHint": tool.read_only,
            "destructiveHint": tool.destructive,
            "idempotentHint": tool.read_only,
            "openWorldHint": False,
        },
    }


@cache
def _tool_list() -> tuple[dict[str, Any], ...]:
    """Built on the first tools/list (every tool's JSON schemas), not at import: a tools/call never needs it."""
    return tuple(_tool(tool) for tool in tools.TOOLS.values())


def list_tools() -> list[dict[str, Any]]:
    return list(_tool_list())


def _result(structured: dict[str, Any], is_error: bool = False) -> dict[str, Any]:
    text = json.dumps(structured, separators=(",", ":"), ensure_ascii=False)
    return {"content": [{"type": "text", "text": text}], "structuredContent": structured, "isError": is_error}


def call_tool(name: str, arguments: dict[str, Any] | None) -> dict[str, Any]:
    """Run a tool as the calling agent. Refusals (bad arguments, not found, forbidden) are tool
    results with the API's error body, so the model can read the code and correct itself; an
    unknown tool is a JSON-RPC error (Invalid params), and so is a bug (Internal error, logged,
    no details)."""
    tool = tools.TOOLS.get(name)
    if tool is None:
        raise mcp_protocol.ProtocolError(mcp_protocol.INVALID_PARAMS, f"Unknown tool: {name}")
    invocation = tools.Invocation(http.caller(app), http.public_base_url(app), _rid())
    try:
        parsed = tool.parse(arguments or {})
    except ValidationError as invalid:
        refused = http.validation_error([dict(e) for e in invalid.errors()])
        return _result(error_body(refused, invocation.request_id), True)
    try:
        output = tool.run(parsed, invocation)
    except ApiError as refused:
        return _result(error_body(refused, invocation.request_id), True)
    except Exception as bug:
        logger.exception("tool failed", extra={"tool": tool.name})
        raise mcp_protocol.ProtocolError(
            mcp_protocol.INTERNAL_ERROR,
            "An unexpected error occurred; it has been logged.",
            {"request_id": invocation.request_id},
        ) from bug
    metrics.add_metric(name="McpToolCalls", unit=MetricUnit.Count, value=1)
    return _result(output.model_dump(mode="json"))


server = mcp_protocol.Server(
    name="cashback-api",
    version=__version__,
    title="Cashback API for AI shopping agents",
    instructions=INSTRUCTIONS,
    list_tools=list_tools,
    call_tool=call_tool,
)


@app.post("/mcp", include_in_schema=False)
@app.post("/api/mcp", include_in_schema=False)  # the compatibility API's path: the same server
def mcp() -> Response[str]:
    event = app.current_event.raw_event
    try:
        message = json_input.loads(http.raw_body(event))
    except MalformedJson as refused:  # an empty body: the guard reads only what was sent
        return Response(400, "application/json", json.dumps(_parse_error_body(refused, _rid()), separators=(",", ":")))
    answer = mcp_protocol.answer(server, _sent_headers(event), message)
    if answer.body is None:
        return Response(answer.status, "application/json", "")
    return Response(answer.status, "application/json", json.dumps(answer.body, separators=(",", ":")))


def _sent_headers(event: dict[str, Any]) -> list[tuple[str, str]]:
    """Every header line as sent: a header sent twice is two lines (the protocol refuses a repeated
    routing header), which API Gateway keeps in multiValueHeaders only."""
    multi = event.get("multiValueHeaders") or {}
    single = event.get("headers") or {}
    return [(name, value) for name, values in multi.items() for value in values or ()] or list(single.items())


@app.get("/mcp", include_in_schema=False)
@app.get("/api/mcp", include_in_schema=False)
def no_stream() -> Response[str]:
    """The transport's GET opens a server-to-client SSE stream; a stateless server on Lambda
    offers none, and the protocol says to answer 405 then (clients carry on with POST)."""
    refused = error_body(MethodNotAllowed("The MCP server answers POST only; it offers no SSE stream."), _rid())
    return Response(405, "application/json", json.dumps(refused, separators=(",", ":")), {"Allow": "POST"})


def _rid() -> str:
    return http.current_request_id(app)


def _parse_error_body(refused: MalformedJson, request_id: str) -> dict[str, Any]:
    """A body the API's one JSON reader refuses, answered as JSON-RPC says (-32700, no id)."""
    error = {
        "code": mcp_protocol.PARSE_ERROR,
        "message": f"Parse error: {refused.message}",
        "data": error_body(refused, request_id),
    }
    return {"jsonrpc": "2.0", "id": None, "error": error}


def _parse_error(refused: MalformedJson, request_id: str) -> dict[str, Any]:
    return http.json_response(400, _parse_error_body(refused, request_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(malformed=_parse_error)
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
