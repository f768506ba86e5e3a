"""POST /mcp: the API as Model Context Protocol tools (streamable HTTP transport, stateless, JSON).

The official MCP Python SDK speaks the protocol: each invocation (one HTTP request) goes through
its StreamableHTTPSessionManager as one in-memory ASGI call, in stateless JSON-response mode, so
any instance can answer any request and nothing is kept between them. The tools come from the
layer (`cashback.api.tools`): the REST routes' models and use cases, run as the calling agent.
GET /mcp, where the transport would open a server-to-client SSE stream, is 405 (none offered).
/api/mcp (the compatibility API's path) is the same server.
"""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
import asyncio
import json
from contextvars import ContextVar
from functools import cache
from typing import Any

import mcp_types as types
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from cashback import __version__
from cashback.api import asgi, http, tools
from cashback.errors import ApiError, MalformedJson, MethodNotAllowed, error_body
from cashback.observability import MetricUnit, logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)

# The tools run inside the SDK's tasks; the invocation they serve reaches them through this.
_invocation: ContextVar[tools.Invocation] = ContextVar("invocation")

INSTRUCTIONS = (
    "Cashback for AI shopping agents. search_products finds offers with cashback and tracked affiliate "
    "links, compare_cashback ranks the merchants selling one product by cashback, get_agent_stats reads "
    "your own totals, get_trending shows what agents search and buy; set_webhook, get_webhook, delete_webhook, "
    "rotate_webhook_secret, list_failed_webhook_deliveries and replay_failed_webhook_deliveries manage where "
    "you are told about your conversions and feedback. Money is a decimal string; a tool "
    'that refuses answers isError with {"error": {"code", "message", "details", "request_id"}}.'
)


def _tool(tool: tools.Tool) -> types.Tool:
    return types.Tool(
        name=tool.name,
        title=tool.title,
        description=tool.description,
        input_schema=tool.input_schema(),
        output_schema=tool.output_schema(),
        annotations=types.ToolAnnotations(
            title=tool.title,
            read_only_hint=tool.read_only,
            destructive_hint=tool.destructive,
            idempotent_hint=tool.read_only,
            open_world_hint=False,
        ),
    )


@cache
def tool_list() -> types.ListToolsResult:
    """Built on the first tools/list (every tool's JSON schemas), not at import: a tools/call never needs it."""
    return types.ListToolsResult(tools=[_tool(tool) for tool in tools.TOOLS.values()])


def _result(structured: dict[str, Any], is_error: bool = False) -> types.CallToolResult:
    text = json.dumps(structured, separators=(",", ":"), ensure_ascii=False)
    return types.CallToolResult(
        content=[types.TextContent(text=text)], structured_content=structured, is_error=is_error
    )


async def list_tools(_: ServerRequestContext[Any], __: types.PaginatedRequestParams | None) -> types.ListToolsResult:
    return tool_list()


async def call_tool(_: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
    """Run a tool. Refusals (bad arguments, not found, forbidden) are tool results with the
    API's error body, so the model can read the code and correct itself; an unknown tool is a
    JSON-RPC error (Invalid params), and so is a bug (Internal error, logged, no details)."""
    tool = tools.TOOLS.get(params.name)
    if tool is None:
        raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown tool: {params.name}")
    invocation = _invocation.get()
    try:
        arguments = tool.parse(params.arguments or {})
    except ValidationError as invalid:
        refused = http.validation_error([dict(e) for e in invalid.errors()])
        return _result(error_body(refused, invocation.request_id), True)
    try:
        output = tool.run(arguments, invocation)
    except ApiError as refused:
        return _result(error_body(refused, invocation.request_id), True)
    except Exception as bug:
        logger.exception("tool failed", extra={"tool": tool.name})
        raise MCPError(
            code=types.INTERNAL_ERROR,
            message="An unexpected error occurred; it has been logged.",
            data={"request_id": invocation.request_id},
        ) from bug
    metrics.add_metric(name="McpToolCalls", unit=MetricUnit.Count, value=1)
    return _result(output.model_dump(mode="json"))


server: Server[Any] = Server(
    "cashback-api",
    version=__version__,
    title="Cashback API for AI shopping agents",
    instructions=INSTRUCTIONS,
    on_list_tools=list_tools,
    on_call_tool=call_tool,
)


async def _serve(request: asgi.HttpRequest, invocation: tools.Invocation) -> asgi.HttpResponse:
    _invocation.set(invocation)
    # A manager's run() may be entered once; stateless mode keeps nothing between requests, so
    # each invocation gets its own (cheap: no sessions, no event store).
    manager = StreamableHTTPSessionManager(app=server, json_response=True, stateless=True)
    async with manager.run():
        return await asgi.call(manager.handle_request, request)


@app.post("/mcp", include_in_schema=False)
@app.post("/api/mcp", include_in_schema=False)  # the compatibility API's path: the same server
def mcp() -> Response[str]:
    event = app.current_event
    invocation = tools.Invocation(http.caller(app), http.public_base_url(app), _rid())
    request = asgi.HttpRequest(
        method="POST",
        path="/mcp",
        headers=list((event.headers or {}).items()),
        body=http.raw_body(event.raw_event),
        host=event.headers.get("Host") or "localhost",
        client_ip=event.request_context.identity.source_ip or "127.0.0.1",
    )
    answer = asyncio.run(_serve(request, invocation))
    return Response(
        status_code=answer.status,
        headers={name.title(): value for name, value in answer.headers if name.lower() != "content-length"},
        body=answer.body.decode("utf-8"),
    )


@app.get("/mcp", include_in_schema=False)
@app.get("/api/mcp", include_in_schema=False)
def no_stream() -> Response[str]:
    """The transport's GET opens a server-to-client SSE stream; a stateless server on Lambda
    offers none, and the protocol says to answer 405 then (clients carry on with POST)."""
    refused = error_body(MethodNotAllowed("The MCP server answers POST only; it offers no SSE stream."), _rid())
    return Response(405, "application/json", json.dumps(refused, separators=(",", ":")), {"Allow": "POST"})


def _rid() -> str:
    return http.current_request_id(app)


def _parse_error(refused: MalformedJson, request_id: str) -> dict[str, Any]:
    """A body the API's one JSON reader refuses, answered as JSON-RPC says (-32700, no id)."""
    error = {
        "code": types.PARSE_ERROR,
        "message": f"Parse error: {refused.message}",
        "data": error_body(refused, request_id),
    }
    return http.json_response(400, {"jsonrpc": "2.0", "id": None, "error": error})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(malformed=_parse_error)
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
