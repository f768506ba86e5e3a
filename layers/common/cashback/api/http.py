"""What every API function shares: the error body, request ids, rate limits, response headers.

A function wires it up in two places:

    app = APIGatewayRestResolver(enable_validation=True)
    http.configure(app)
    ...
    @http.api_endpoint(anonymous_policy="public")
    def lambda_handler(event, context):
        return app.resolve(event, context)

`api_endpoint` runs before the resolver (so malformed requests are counted too) and decorates
whatever comes back, success or error, with X-Request-Id and the rate-limit headers.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.middleware_factory import lambda_handler_decorator

from cashback import __version__, clock, json_input, ratelimit, retry
from cashback.auth import Caller, bearer_secret
from cashback.errors import (
    AgentSuspended,
    ApiError,
    InternalError,
    InvalidRequest,
    MalformedJson,
    PayloadTooLarge,
    RouteNotFound,
    Unauthorized,
    UnsupportedMediaType,
    error_body,
)
from cashback.models import ErrorBody
from cashback.observability import logger
from cashback.settings import get_settings

EXPOSED_HEADERS = ", ".join(
    [
        "X-Request-Id",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "RateLimit-Policy",
        "RateLimit",
        "Retry-After",
        "X-Next-Cursor",
    ]
)

# ---------------------------------------------------------------- OpenAPI: responses and security

API_TITLE = "Cashback API for AI shopping agents"

# Errors every endpoint may answer, with the codes each status carries.
COMMON_ERRORS: dict[int, str] = {
    400: "Invalid input: MALFORMED_JSON, MISSING_FIELD, INVALID_TYPE, UNKNOWN_FIELD, INVALID_VALUE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED; see Retry-After",
    503: "DYNAMODB_UNAVAILABLE or RATE_LIMITER_UNAVAILABLE",
}
# What a route with an id in its path answers when the id has characters the router never matches.
UNROUTABLE_ID = "ROUTE_NOT_FOUND (the path parameter has characters no id has)"
# Answered by API Gateway for routes behind the authorizer, with the same error body.
AUTHORIZER_ERRORS: dict[int, str] = {401: "UNAUTHORIZED (no or unknown token)", 403: "FORBIDDEN"}

# Security requirements (names of SECURITY_SCHEMES); alternatives are listed separately.
Security = list[dict[str, list[str]]]
AGENT_TOKEN: Security = [{"agentToken": []}]
ADMIN_KEY: Security = [{"adminKey": []}]
AGENT_OR_ADMIN: Security = [*AGENT_TOKEN, *ADMIN_KEY]
WEBHOOK_SIGNATURE: Security = [{"webhookSignature": []}]
# As the OpenAPI document writes them: plain dicts, not Powertools' OpenAPI models, which cost about
# 0.1 s to import on every cold start and are needed only where a document is made (`make openapi`,
# where pydantic validates these into the models).
SECURITY_SCHEMES: dict[str, Any] = {
    "agentToken": {
        "type": "http",
        "description": "The token POST /agents returned (cbk_agent_...); rotate it with POST /agents/{agent_id}/token.",
        "scheme": "bearer",
    },
    "adminKey": {
        "type": "http",
        "description": "An admin key (cbk_admin_...) with scopes such as catalog:write, agents:read, analytics:read.",
        "scheme": "bearer",
    },
    "webhookSignature": {
        "type": "apiKey",
        "description": "t=<unix seconds>,k=<network key id>,v1=<64 hex HMAC-SHA256(network secret, "
        "'<t>.<raw body>')>, in this order; 5 minutes tolerance.",
        "in": "header",
        "name": "X-Cashback-Signature",
    },
}


def responses(
    success: str = "OK",
    errors: dict[int, str] | None = None,
    status: int = 200,
    authorized: bool = True,
) -> dict[int, dict[str, Any]]:
    """A route's OpenAPI responses: its success (body from the return type) and every error it
    can answer, each with the error body and the codes it carries."""
    described = {**COMMON_ERRORS, **(AUTHORIZER_ERRORS if authorized else {}), **(errors or {})}
    error_content = {"application/json": {"model": ErrorBody}}
    return {
        status: {"description": success},
        **{code: {"description": text, "content": error_content} for code, text in sorted(described.items())},
    }


_TYPE_ERROR_SUFFIXES = ("_type", "_parsing")


def request_id(event: dict[str, Any]) -> str:
    """The API Gateway request id (also sent as X-Request-Id): the one way this API reads it."""
    return str((event.get("requestContext") or {}).get("requestId") or "unknown")


def current_request_id(app: APIGatewayRestResolver) -> str:
    """The request id of the event the resolver is handling."""
    return request_id(app.current_event.raw_event)


def caller(app: APIGatewayRestResolver) -> Caller:
    return Caller.from_authorizer_context(app.current_event.request_context.authorizer.raw_event)


def presented_secret(app: APIGatewayRestResolver) -> str | None:
    return bearer_secret(app.current_event.headers.get("Authorization"))


def public_base_url(app: APIGatewayRestResolver) -> str:
    """Where this API is reachable, for links it hands out: PUBLIC_BASE_URL when set (custom
    domains), else the host the request came to, with the stage on execute-api hosts."""
    configured = get_settings().public_base_url
    if configured:
        return configured.rstrip("/")
    event = app.current_event
    host = event.headers.get("Host") or event.request_context.domain_name or "localhost"
    scheme = event.headers.get("X-Forwarded-Proto") or "http"  # API Gateway always sends https
    stage = f"/{event.request_context.stage}" if ".execute-api." in host else ""
    return f"{scheme}://{host}{stage}"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A Lambda proxy result (REST API) with a JSON body."""
    return {
        "statusCode": status,
        "multiValueHeaders": {"Content-Type": ["application/json"], **{k: [v] for k, v in (headers or {}).items()}},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def _error_response(app: APIGatewayRestResolver, error: ApiError) -> Response:
    return Response(
        status_code=error.status,
        content_type="application/json",
        body=json.dumps(error_body(error, current_request_id(app)), separators=(",", ":")),
    )


def validation_error(errors: list[dict[str, Any]]) -> ApiError:
    """Name the first problem precisely; list every problem in details.errors."""
    listed = [
        {"field": ".".join(str(part) for part in e["loc"]), "type": e["type"], "message": e.get("msg", "")}
        for e in errors
    ]
    first = errors[0] if errors else {"type": "value_error", "loc": ("body",)}
    kind, location = first["type"], tuple(first["loc"])
    if kind == "json_invalid":
        return MalformedJson(details={"position": location[-1]})
    if location and location[0] == "path" and len(location) > 1:
        name = str(location[1])
        return InvalidRequest(f"INVALID_{name.upper()}", f"The path parameter {name} is not valid.", {"errors": listed})
    if kind == "missing":
        code, message = "MISSING_FIELD", "A required field is missing."
    elif kind == "extra_forbidden":
        code, message = "UNKNOWN_FIELD", "The request has a field this endpoint does not accept."
    elif str(kind).endswith(_TYPE_ERROR_SUFFIXES):
        code, message = "INVALID_TYPE", "A field has the wrong type."
    else:
        code, message = "INVALID_VALUE", "A field has a value this endpoint does not accept."
    return InvalidRequest(code, message, {"errors": listed})


def configure(app: APIGatewayRestResolver) -> None:
    """What every resolver shares: the security schemes its routes name in the OpenAPI document,
    and every exception a route can raise mapped to the project's error body (no traceback).
    The resolver reads bodies with `json_input.loads`, the one hardened JSON reader (the guard in
    `api_endpoint` has already refused what it refuses; this keeps a second parser out)."""
    app.configure_openapi(title=API_TITLE, version=__version__, security_schemes=SECURITY_SCHEMES)
    app._json_body_deserializer = json_input.loads  # Powertools' constructor argument, set in one place

    @app.exception_handler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return _error_response(app, error)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response:
        return _error_response(app, validation_error(list(error.errors())))

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_content_type(_: RequestUnsupportedContentType) -> Response:
        return _error_response(app, UnsupportedMediaType())

    @app.not_found
    def _route_not_found(_: NotFoundError) -> Response:
        return _error_response(app, RouteNotFound())

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("unhandled error")
        return _error_response(app, InternalError())


def raw_body(event: dict[str, Any]) -> bytes:
    """The request body exactly as the client sent it."""
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")


# What a 503 (a dependency down or throttling) tells clients to wait before retrying.
RETRY_AFTER_SECONDS = 1
# Of the function's time, what is kept back to answer: no DynamoDB attempt starts later than this
# before the timeout (an attempt's read timeout is 3 s), so throttling ends in a 503, not a 502.
ANSWER_MARGIN_SECONDS = 4.0

# Shared headers a handler may override (Cache-Control: no-store unless it serves static files).
HANDLER_MAY_SET = frozenset({"Cache-Control"})


def _add_headers(response: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    multi = response.setdefault("multiValueHeaders", {})
    for name, value in (response.get("headers") or {}).items():
        multi.setdefault(name, [value])
    response["headers"] = {}
    for name, value in headers.items():
        if not (name in HANDLER_MAY_SET and name in multi):
            multi[name] = [value]
    return response


def counted_items(field: str, maximum: int) -> Callable[[dict[str, Any]], int]:
    """A request cost: the number of items in the body's `field` list (1..maximum).

    Used where one call does several units of work (a batch of searches counts per search).
    A body that does not parse costs 1; validation then refuses it.
    """

    def cost(event: dict[str, Any]) -> int:
        try:
            body = json_input.loads(raw_body(event))
        except (ApiError, ValueError):  # not JSON, or not even base64
            return 1
        items = body.get(field) if isinstance(body, dict) else None
        return min(max(len(items), 1), maximum) if isinstance(items, list) else 1

    return cost


def _is_json(event: dict[str, Any]) -> bool:
    """A body is JSON unless its Content-Type says otherwise (a missing type is read as JSON)."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    media_type = str(headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _standing_refusal(caller: Caller) -> ApiError | None:
    """A suspended agent's token, or an expired admin key, refused on every route before any handler
    runs. The authorizer puts both in its (cached) context; suspending an agent flushes that cache,
    and an expiry is compared here with the clock, so neither waits for a cached decision to lapse."""
    if caller.suspended:
        return AgentSuspended()
    if caller.expires_at and caller.expires_at <= clock.now_iso():
        return Unauthorized("This admin key has expired.")
    return None


def _unacceptable_body(event: dict[str, Any], parse: bool) -> ApiError | None:
    """Why a body cannot be read at all (too large, not JSON, not UTF-8; with `parse`, outside the
    hardened reader's limits: see `json_input`), before any handler runs, for every function (MCP
    included). A signed webhook is parsed only once its signature holds (401 before 400)."""
    try:
        raw = raw_body(event)
    except ValueError:
        return MalformedJson("The request body is not valid base64.")
    if len(raw) > get_settings().max_body_bytes:
        return PayloadTooLarge(details={"max_bytes": get_settings().max_body_bytes})
    if raw and not _is_json(event):
        return UnsupportedMediaType()
    try:
        if raw and parse:
            json_input.loads(raw)
        elif raw:
            raw.decode("utf-8")
    except UnicodeDecodeError:
        return MalformedJson("The request body is not UTF-8 text.")
    except ApiError as error:
        return error
    return None


def _resource_decision(event: dict[str, Any], per_resource: tuple[str, str], now: int) -> ratelimit.Decision:
    name, parameter = per_resource
    resource_id = str((event.get("pathParameters") or {}).get(parameter) or "")[:128]
    return ratelimit.check(*ratelimit.resource_subject_and_policy(name, resource_id), now)


def _tighter(first: ratelimit.Decision, second: ratelimit.Decision) -> ratelimit.Decision:
    """The decision a client must heed: a refusal, else the one with fewer requests left."""
    if not second.allowed:
        return second
    return min((first, second), key=lambda d: d.binding.remaining)


@lambda_handler_decorator
def api_endpoint(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]],
    event: dict[str, Any],
    context: Any,
    anonymous_policy: str = "public",
    endpoint_policy: str | None = None,
    cost: Callable[[dict[str, Any]], int] | None = None,
    verify: Callable[[dict[str, Any]], None] | None = None,
    malformed: Callable[[MalformedJson, str], dict[str, Any]] | None = None,
    per_resource: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Count the request against its rate limit (`cost` units, default 1; `endpoint_policy` for a
    limit of the endpoint's own), reject early if over
    it or oversized or if `verify` (e.g. a webhook signature check on the raw body) raises, run
    the handler, and add the shared headers to whatever it answered. `malformed` shapes the answer
    to a body that is not JSON where a protocol has its own (MCP: a JSON-RPC parse error).

    `per_resource` = (policy, path parameter) adds a second limit on the resource the path names,
    whoever asks (the redirect: per click id, beside a high per-IP ceiling); the headers describe
    whichever of the two limits binds."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    with retry.request_budget(remaining() / 1000 - ANSWER_MARGIN_SECONDS if remaining else None):
        return _guarded(
            handler, event, context, anonymous_policy, endpoint_policy, cost, verify, malformed, per_resource
        )


def _guarded(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]],
    event: dict[str, Any],
    context: Any,
    anonymous_policy: str,
    endpoint_policy: str | None,
    cost: Callable[[dict[str, Any]], int] | None,
    verify: Callable[[dict[str, Any]], None] | None,
    malformed: Callable[[MalformedJson, str], dict[str, Any]] | None,
    per_resource: tuple[str, str] | None,
) -> dict[str, Any]:
    rid = request_id(event)
    request_context = event.get("requestContext") or {}
    identity = request_context.get("identity") or {}
    authenticated = Caller.from_authorizer_context(request_context.get("authorizer"))
    subject, policy = ratelimit.subject_and_policy(
        authenticated,
        str(identity.get("sourceIp") or "unknown"),
        anonymous_policy,
        endpoint_policy,
    )
    shared = {
        "X-Request-Id": rid,
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": EXPOSED_HEADERS,
        "Cache-Control": "no-store",
    }
    now = int(time.time())
    try:
        decision = ratelimit.check(subject, policy, now, cost(event) if cost else 1)
        if per_resource and decision.allowed:
            decision = _tighter(decision, _resource_decision(event, per_resource, now))
    except ApiError as error:
        return json_response(error.status, error_body(error, rid), {**shared, "Retry-After": str(RETRY_AFTER_SECONDS)})
    shared.update(decision.headers())
    if not decision.allowed:
        return json_response(429, error_body(ratelimit.rejection(decision), rid), shared)
    refusal = _standing_refusal(authenticated) or _unacceptable_body(event, parse=verify is None)
    if isinstance(refusal, MalformedJson) and malformed:
        return _add_headers(malformed(refusal, rid), shared)
    if refusal:
        return json_response(refusal.status, error_body(refusal, rid), shared)
    try:
        if verify:
            verify(event)
            refusal = _unacceptable_body(event, parse=True)
            if refusal:
                raise refusal
        response = handler(event, context)
    except ApiError as error:
        response = json_response(error.status, error_body(error, rid))
    except Exception:
        logger.exception("unhandled error outside the resolver")
        response = json_response(500, error_body(InternalError(), rid))
    if response.get("statusCode") == 503:  # every 503 says when to come back, whoever raised it
        shared.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return _add_headers(response, shared)
