"""The Model Context Protocol's streamable HTTP transport for a stateless, tools-only server that
answers JSON: one POST in, one answer out, nothing kept between requests.

Both protocol eras are served, as the official MCP Python SDK (2.3) serves them; the tests hold
every answer here equal to that SDK's for the same request (`tests/unit/test_mcp_protocol.py`).

- **The handshake era** (2024-11-05 to 2025-11-25): `initialize` negotiates a version, then
  `ping`, `tools/list` and `tools/call`. A request without an `MCP-Protocol-Version` header, or
  with one of those versions, is in this era; its answer is HTTP 200, errors included.
- **The per-request era** (2026-07-28): no handshake. Each request carries its protocol version
  and the client's capabilities in `params._meta`, and repeats its version, method and tool name
  in the `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers, which must agree with the
  body. `server/discover` replaces `initialize`; results say `resultType` and carry the server's
  identity in `_meta`; an error's HTTP status follows its code (400, or 404 for an unknown method).
  A request whose header names any other version is in this era, and is told what is served.

A notification (no `id`) is accepted with 202 and dropped: nothing here acts on one. This server
sends no requests to the client and offers no stream, so a posted response is acknowledged too.

Where the SDK's handshake-era transport accepts an invalid message (a request whose `id` is an
object or null is dropped with 202; other invalid envelopes get -32602 with pydantic's text), this
answers as its per-request era does: 400, -32600, "Body must be a single JSON-RPC request or
notification object". JSON-RPC 2.0 owes such a message an Invalid Request error.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
PER_REQUEST_VERSIONS = ("2026-07-28",)
LATEST_HANDSHAKE_VERSION = HANDSHAKE_VERSIONS[-1]  # every handshake version has the same messages

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
HEADER_MISMATCH = -32020
UNSUPPORTED_PROTOCOL_VERSION = -32022

# The per-request era's HTTP status for an error code (any other code: 200).
_ERROR_STATUS = {
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    INVALID_PARAMS: 400,
    HEADER_MISMATCH: 400,
    -32021: 400,  # a client capability the method requires is missing
    UNSUPPORTED_PROTOCOL_VERSION: 400,
    METHOD_NOT_FOUND: 404,
}

VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"
CLIENT_INFO_KEY = "io.modelcontextprotocol/clientInfo"
SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo"

VERSION_HEADER = "mcp-protocol-version"
METHOD_HEADER = "mcp-method"
NAME_HEADER = "mcp-name"

_CLIENT_CAPABILITIES = ("experimental", "roots", "sampling", "elicitation", "tasks", "extensions")
_BASE64_VALUE = re.compile(r"^=\?base64\?(?P<payload>.*)\?=$")
_INVALID_BODY = "Body must be a single JSON-RPC request or notification object"
# A result the client may cache: tools/list and server/discover, private to this caller, never reused.
_CACHE_HINT = {"ttlMs": 0, "cacheScope": "private"}


class ProtocolError(Exception):
    """A JSON-RPC error answer to a request."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def wire(self) -> dict[str, Any]:
        error = {"code": self.code, "message": self.message}
        return error if self.data is None else {**error, "data": self.data}


def _invalid_params() -> ProtocolError:
    return ProtocolError(INVALID_PARAMS, "Invalid request parameters", "")


@dataclass(frozen=True)
class Server:
    name: str
    version: str
    title: str
    instructions: str
    list_tools: Callable[[], list[dict[str, Any]]]  # each tool's wire form
    call_tool: Callable[[str, dict[str, Any] | None], dict[str, Any]]  # a CallToolResult, or ProtocolError


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any] | None = None  # None: no body (202, or the per-request era's 406)


def answer(server: Server, headers: Iterable[tuple[str, str]], message: Any) -> Answer:
    """The answer to one POST whose body `message` is decoded JSON (a body that is not JSON is the
    caller's to answer: -32700). `headers` are the request's, as sent (a name may repeat)."""
    pairs = [(name.lower(), value) for name, value in headers]
    folded = dict(pairs)
    version = folded.get(VERSION_HEADER)
    if version is None or version in HANDSHAKE_VERSIONS:
        return _handshake_era(server, folded, message)
    return _per_request_era(server, pairs, folded, message)


def _accepts(headers: Mapping[str, str]) -> tuple[bool, bool]:
    """Whether the Accept header admits the transport's two media types: (JSON, an event stream)."""
    types = {part.split(";")[0].strip().lower() for part in headers.get("accept", "").split(",")}
    json = bool(types & {"*/*", "application/*", "application/json"})
    stream = bool(types & {"*/*", "text/*", "text/event-stream"})
    return json, stream


# ---------------------------------------------------------------- the handshake era


def _handshake_era(server: Server, headers: Mapping[str, str], message: Any) -> Answer:
    if not _accepts(headers)[0]:
        refused = ProtocolError(INVALID_REQUEST, "Not Acceptable: Client must accept application/json")
        return Answer(406, _error(None, refused))
    if _is_notification(message) or _is_response(message):
        return Answer(202)
    if not _is_request(message):
        return Answer(400, _error(None, ProtocolError(INVALID_REQUEST, _INVALID_BODY)))
    request_id, method, params = message["id"], message["method"], message.get("params")
    try:
        return Answer(200, _result(request_id, _handshake_method(server, method, params)))
    except ProtocolError as error:
        return Answer(200, _error(request_id, error))


def _handshake_method(server: Server, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
    if method == "initialize":
        requested = _initialize_params(params)
        return {
            "protocolVersion": requested if requested in HANDSHAKE_VERSIONS else LATEST_HANDSHAKE_VERSION,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": _server_info(server),
            "instructions": server.instructions,
        }
    if method == "ping":
        _check_meta(params)
        return {}
    if method == "tools/list":
        _check_list_params(params)
        return {"tools": server.list_tools()}
    if method == "tools/call":
        return server.call_tool(*_call_params(params))
    raise ProtocolError(METHOD_NOT_FOUND, "Method not found", method)


def _initialize_params(params: dict[str, Any] | None) -> str:
    _check_meta(params)
    if params is None:
        raise _invalid_params()
    capabilities, client = params.get("capabilities"), params.get("clientInfo")
    if not (
        isinstance(params.get("protocolVersion"), str)
        and isinstance(capabilities, dict)
        and all(isinstance(capabilities.get(key, {}), dict) for key in _CLIENT_CAPABILITIES)
        and _is_implementation(client)
    ):
        raise _invalid_params()
    return str(params["protocolVersion"])


# ---------------------------------------------------------------- the per-request era


def _per_request_era(server: Server, pairs: list[tuple[str, str]], headers: Mapping[str, str], message: Any) -> Answer:
    wants_json, wants_stream = _accepts(headers)
    if not wants_json:
        return Answer(406)
    if _is_notification(message):
        return _acknowledge(headers, message)
    if not _is_request(message):
        return _per_request_error(None, ProtocolError(INVALID_REQUEST, _INVALID_BODY))
    request_id, method, params = message["id"], message["method"], message.get("params")
    if method == "subscriptions/listen" and not wants_stream:
        return Answer(406)  # its answer is a stream, never JSON
    try:
        _check_routing_headers(pairs, headers, message)
        return Answer(200, _result(request_id, _per_request_method(server, method, params)))
    except ProtocolError as error:
        return _per_request_error(request_id, error)


def _acknowledge(headers: Mapping[str, str], notification: dict[str, Any]) -> Answer:
    """202 for a notification at a version this era serves (the version header is all there is to
    check); otherwise the error a request would get."""
    if not _is_method_call(notification):
        return _per_request_error(None, ProtocolError(INVALID_REQUEST, _INVALID_BODY))
    if (unsupported := _unsupported(headers.get(VERSION_HEADER, ""))) is not None:
        return _per_request_error(None, unsupported)
    return Answer(202)


def _check_routing_headers(pairs: list[tuple[str, str]], headers: Mapping[str, str], message: dict[str, Any]) -> None:
    """The envelope in `params._meta` and the headers that repeat it, in the SDK's order."""
    routing = [name for name, _ in pairs if name in (VERSION_HEADER, METHOD_HEADER, NAME_HEADER)]
    if repeated := next((name for name in routing if routing.count(name) > 1), None):
        raise ProtocolError(HEADER_MISMATCH, f"{repeated} header appears more than once")
    params = message.get("params", {})  # an object, if any (a request)
    meta = params.get("_meta")
    if not isinstance(meta, dict):
        raise ProtocolError(
            INVALID_PARAMS,
            f"params._meta must be an object carrying the required {VERSION_KEY!r} and {CAPABILITIES_KEY!r} "
            "envelope keys",
        )
    if missing := [key for key in (VERSION_KEY, CAPABILITIES_KEY) if key not in meta]:
        raise ProtocolError(
            INVALID_PARAMS, f"params._meta is missing the required envelope key(s): {', '.join(missing)}"
        )
    if headers.get(VERSION_HEADER) != meta[VERSION_KEY]:
        raise ProtocolError(
            HEADER_MISMATCH, f"{VERSION_HEADER} header does not match the request envelope's protocol version"
        )
    if headers.get(METHOD_HEADER) != message["method"]:
        raise ProtocolError(HEADER_MISMATCH, f"{METHOD_HEADER} header does not match the request body's method")
    name = params.get("name") if message["method"] == "tools/call" else None
    if name is not None and _header_value(headers.get(NAME_HEADER)) != name:
        raise ProtocolError(HEADER_MISMATCH, f"{NAME_HEADER} header does not match the request body's 'name' parameter")
    if (unsupported := _unsupported(meta[VERSION_KEY])) is not None:
        raise unsupported


def _per_request_method(server: Server, method: str, params: dict[str, Any]) -> dict[str, Any]:
    if method in ("server/discover", "tools/list", "tools/call"):
        _check_envelope(params["_meta"])
    if method == "server/discover":
        _check_meta(params)
        result = {
            "supportedVersions": list(PER_REQUEST_VERSIONS),
            "capabilities": {"tools": {"listChanged": False}},
            "instructions": server.instructions,
            **_CACHE_HINT,
        }
    elif method == "tools/list":
        _check_list_params(params)
        result = {"tools": server.list_tools(), **_CACHE_HINT}
    elif method == "tools/call":
        result = server.call_tool(*_call_params(params))
    else:
        raise ProtocolError(METHOD_NOT_FOUND, "Method not found", method)
    return {**result, "resultType": "complete", "_meta": {SERVER_INFO_KEY: _server_info(server)}}


def _check_envelope(meta: dict[str, Any]) -> None:
    """The per-request era's own `_meta` keys (each method's parameter check reads the rest)."""
    client = meta.get(CLIENT_INFO_KEY)
    if not isinstance(meta[CAPABILITIES_KEY], dict) or (client is not None and not _is_implementation(client)):
        raise _invalid_params()


def _unsupported(version: Any) -> ProtocolError | None:
    if not isinstance(version, str):
        return ProtocolError(INVALID_PARAMS, "the protocol-version envelope value must be a string")
    if version in PER_REQUEST_VERSIONS:
        return None
    supported = {"supported": list(PER_REQUEST_VERSIONS), "requested": version}
    return ProtocolError(UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version", supported)


def _per_request_error(request_id: Any, error: ProtocolError) -> Answer:
    return Answer(_ERROR_STATUS.get(error.code, 200), _error(request_id, error))


def _header_value(value: str | None) -> str | None:
    """A header value as sent, or what its `=?base64?...?=` form encodes (None if that is malformed)."""
    match = _BASE64_VALUE.fullmatch(value or "")
    if value is None or match is None:
        return value
    payload = match.group("payload")
    try:
        decoded = base64.b64decode(payload, validate=True)
        if base64.b64encode(decoded).decode("ascii") != payload:
            return None
        return decoded.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


# ---------------------------------------------------------------- both eras


def _is_request(message: Any) -> bool:
    return _is_method_call(message) and _is_request_id(message.get("id"))


def _is_notification(message: Any) -> bool:
    """JSON-RPC 2.0: a message without an `id` member (its shape is checked apart)."""
    return isinstance(message, dict) and "id" not in message


def _is_method_call(message: Any) -> bool:
    """What a request and a notification share: JSON-RPC 2.0, a method, params an object if any."""
    return (
        isinstance(message, dict)
        and message.get("jsonrpc") == "2.0"
        and isinstance(message.get("method"), str)
        and isinstance(message.get("params", {}), dict)
    )


def _is_response(message: Any) -> bool:
    return (
        isinstance(message, dict)
        and message.get("jsonrpc") == "2.0"
        and _is_request_id(message.get("id"))
        and "method" not in message
        and (isinstance(message.get("result"), dict) or isinstance(message.get("error"), dict))
    )


def _is_request_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _is_implementation(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("name"), str) and isinstance(value.get("version"), str)


def _check_meta(params: dict[str, Any] | None) -> None:
    meta = (params or {}).get("_meta", {})
    if not isinstance(meta, dict) or not ("progressToken" not in meta or _is_request_id(meta["progressToken"])):
        raise _invalid_params()


def _check_list_params(params: dict[str, Any] | None) -> None:
    _check_meta(params)
    if not isinstance((params or {}).get("cursor", ""), str):
        raise _invalid_params()


def _call_params(params: dict[str, Any] | None) -> tuple[str, dict[str, Any] | None]:
    _check_meta(params)
    if params is None or not isinstance(params.get("name"), str):
        raise _invalid_params()
    arguments = params.get("arguments")
    if arguments is not None and not isinstance(arguments, dict):
        raise _invalid_params()
    return params["name"], arguments


def _server_info(server: Server) -> dict[str, Any]:
    return {"name": server.name, "title": server.title, "version": server.version}


def _result(request_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _error(request_id: Any, error: ProtocolError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.wire()}
