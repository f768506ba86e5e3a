"""API Gateway (REST, Lambda proxy) in front of the functions, as template.yaml declares it.

Routes and path parameters, the TOKEN authorizer with its cache and validation expression,
gateway responses and CORS preflight come from the template; each request becomes the v1 proxy
event API Gateway sends, with a request id and the caller's source IP.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from localrun.invokers import Invoker
from localrun.template import LOCAL_ACCOUNT, LOCAL_API_ID, LOCAL_REGION, Authorizer, Route, Template

# API Gateway's own quota for a request payload.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
# Default status of each gateway response type, where the template does not set one.
DEFAULT_STATUS = {
    "ACCESS_DENIED": 403,
    "AUTHORIZER_FAILURE": 500,
    "BAD_GATEWAY": 502,
    "INTEGRATION_TIMEOUT": 504,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "REQUEST_TOO_LARGE": 413,
    "UNAUTHORIZED": 401,
}
DEFAULT_MESSAGE = {
    "ACCESS_DENIED": "User is not authorized to access this resource",
    "AUTHORIZER_FAILURE": "Authorizer error",
    "BAD_GATEWAY": "Internal server error",
    "INTEGRATION_TIMEOUT": "Endpoint request timed out",
    "MISSING_AUTHENTICATION_TOKEN": "Missing Authentication Token",
    "REQUEST_TOO_LARGE": "Request Too Long",
    "UNAUTHORIZED": "Unauthorized",
}


@dataclass(frozen=True)
class _Decision:
    principal_id: str
    context: dict[str, Any]
    statements: list[dict[str, Any]]
    expires: float

    def allows(self, method_arn: str) -> bool:
        def matches(statement: dict[str, Any]) -> bool:
            resources = statement.get("Resource", [])
            resources = [resources] if isinstance(resources, str) else resources
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            return any(fnmatch.fnmatchcase(method_arn, r) for r in resources) and any(
                fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions
            )

        effects = {s.get("Effect") for s in self.statements if matches(s)}
        return "Allow" in effects and "Deny" not in effects


class AuthorizerCache:
    """API Gateway's per-token cache of authorizer decisions; flushable like the real one."""

    def __init__(self) -> None:
        self._decisions: dict[tuple[str, str], _Decision] = {}
        self._lock = threading.Lock()

    def get(self, authorizer: str, token: str) -> _Decision | None:
        with self._lock:
            decision = self._decisions.get((authorizer, token))
        return decision if decision and decision.expires > time.monotonic() else None

    def put(self, authorizer: str, token: str, decision: _Decision) -> None:
        with self._lock:
            self._decisions[(authorizer, token)] = decision

    def flush(self) -> None:
        with self._lock:
            self._decisions.clear()


class _GatewayError(Exception):
    def __init__(self, response_type: str, message: str | None = None) -> None:
        super().__init__(response_type)
        self.response_type = response_type
        self.message = message or DEFAULT_MESSAGE[response_type]


class Gateway:
    """A WSGI application answering as the template's REST API would."""

    def __init__(self, template: Template, invoker: Invoker, authorizer_cache: AuthorizerCache) -> None:
        self.template = template
        self.api = template.api
        self.invoker = invoker
        self.cache = authorizer_cache
        self.routes = [(route, route.pattern) for route in template.routes]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            if request.method == "OPTIONS" and self._path_exists(request.path):
                return Response(status=200, headers={**self.api.cors_headers, "x-amzn-RequestId": request_id})
            route, path_parameters = self._match(request.method, request.path)
            body = request.get_data(cache=False)
            if len(body) > MAX_PAYLOAD_BYTES:
                raise _GatewayError("REQUEST_TOO_LARGE")
            authorizer_context = self._authorize(route, request)
            event = proxy_event(self.api.stage, route, path_parameters, request, body, request_id, authorizer_context)
            result = self.invoker.invoke(route.function, event)
            return _proxy_response(result, request_id)
        except _GatewayError as error:
            return self._gateway_response(error, request_id)
        except Exception as error:  # a function that crashed or answered nonsense: API Gateway says 502
            kind = getattr(error, "error_type", type(error).__name__)  # FunctionError: e.g. Runtime.ExitError
            if kind == "Sandbox.Timedout":  # over its Timeout: the gateway's 504, and it keeps serving
                return self._gateway_response(_GatewayError("INTEGRATION_TIMEOUT"), request_id)
            return self._gateway_response(_GatewayError("BAD_GATEWAY", str(kind)), request_id)

    def _path_exists(self, path: str) -> bool:
        return any(pattern.match(path) for _, pattern in self.routes)

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        for route, pattern in self.routes:
            match = pattern.match(path)
            if match and route.method in (method, "ANY"):
                return route, match.groupdict()
        # API Gateway answers an unknown method or path as if a token were missing.
        raise _GatewayError("MISSING_AUTHENTICATION_TOKEN")

    def _authorize(self, route: Route, request: Request) -> dict[str, Any] | None:
        if route.authorizer in (None, "NONE"):
            return None
        authorizer = self.api.authorizers[route.authorizer]
        token = request.headers.get(authorizer.header)
        if not token or (
            authorizer.validation_expression and not re.fullmatch(authorizer.validation_expression, token)
        ):
            raise _GatewayError("UNAUTHORIZED")
        method_arn = (
            f"arn:aws:execute-api:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{LOCAL_API_ID}/{self.api.stage}/"
            f"{request.method}{request.path}"
        )
        decision = self.cache.get(authorizer.name, token)
        if decision is None:
            decision = self._decide(authorizer, token, method_arn)
            if authorizer.cache_seconds > 0:
                self.cache.put(authorizer.name, token, decision)
        if not decision.allows(method_arn):
            raise _GatewayError("ACCESS_DENIED")
        return {"principalId": decision.principal_id, "integrationLatency": 0, **decision.context}

    def _decide(self, authorizer: Authorizer, token: str, method_arn: str) -> _Decision:
        event = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        try:
            policy = self.invoker.invoke(authorizer.function, event)
        except Exception as error:
            if str(error) == "Unauthorized":
                raise _GatewayError("UNAUTHORIZED") from error
            raise _GatewayError("AUTHORIZER_FAILURE") from error
        try:
            statements = policy["policyDocument"]["Statement"]
            context = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (policy.get("context") or {}).items()}
            return _Decision(
                str(policy["principalId"]), context, statements, time.monotonic() + authorizer.cache_seconds
            )
        except (KeyError, TypeError) as error:
            raise _GatewayError("AUTHORIZER_FAILURE") from error

    def _gateway_response(self, error: _GatewayError, request_id: str) -> Response:
        status = DEFAULT_STATUS[error.response_type]
        family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        spec = self.api.gateway_responses.get(error.response_type) or self.api.gateway_responses.get(family)
        if spec and spec.status and error.response_type in self.api.gateway_responses:
            status = spec.status
        headers = Headers({"Content-Type": "application/json", "x-amzn-RequestId": request_id})
        body = json.dumps({"message": error.message})
        if spec:
            for name, source in spec.headers.items():
                value = _mapped_header(source, request_id)
                if value is not None:
                    headers[name] = value
            if spec.template:
                body = (
                    spec.template.replace("$context.requestId", request_id)
                    .replace("$context.error.messageString", json.dumps(error.message))
                    .replace("$context.error.message", error.message)
                )
        return Response(body, status=status, headers=headers)


def _mapped_header(source: str, request_id: str) -> str | None:
    if len(source) >= 2 and source[0] == source[-1] == "'":
        return source[1:-1]
    if source == "context.requestId":
        return request_id
    return None


def proxy_event(
    stage: str,
    route: Route,
    path_parameters: dict[str, str],
    request: Request,
    body: bytes,
    request_id: str,
    authorizer_context: dict[str, Any] | None,
) -> dict[str, Any]:
    """The Lambda proxy integration event (payload 1.0) for this request."""
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name, []).append(value)
    query: dict[str, list[str]] = {k: request.args.getlist(k) for k in request.args}
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    now = datetime.now(UTC)
    source_ip = request.remote_addr or "127.0.0.1"
    request_context: dict[str, Any] = {
        "resourceId": "local",
        "resourcePath": route.path,
        "httpMethod": request.method,
        "extendedRequestId": request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "path": f"/{stage}{request.path}",
        "accountId": LOCAL_ACCOUNT,
        "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        "stage": stage,
        "domainPrefix": LOCAL_API_ID,
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "requestId": request_id,
        "identity": {"sourceIp": source_ip, "userAgent": request.headers.get("User-Agent")},
        "domainName": request.host,
        "apiId": LOCAL_API_ID,
    }
    if authorizer_context is not None:
        request_context["authorizer"] = authorizer_context
    return {
        "resource": route.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in headers.items()} or None,
        "multiValueHeaders": headers or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": text if body else None,
        "isBase64Encoded": is_base64,
    }


def _proxy_response(result: Any, request_id: str) -> Response:
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise ValueError("malformed Lambda proxy response")
    headers = Headers()
    for name, value in (result.get("headers") or {}).items():
        headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.remove(name)
        for value in values:
            headers.add(name, str(value))
    headers.setdefault("x-amzn-RequestId", request_id)
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return Response(payload, status=result["statusCode"], headers=headers)


class ManagementApi:
    """The one API Gateway management call the functions make: flushing the authorizer cache
    (DELETE /restapis/{id}/stages/{stage}/cache/authorizers), reached through
    AWS_ENDPOINT_URL_API_GATEWAY as boto3 would reach the real one."""

    def __init__(self, stage: str, cache: AuthorizerCache) -> None:
        self.path = f"/restapis/{LOCAL_API_ID}/stages/{stage}/cache/authorizers"
        self.cache = cache

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if request.method == "DELETE" and request.path == self.path:
            self.cache.flush()
            response = Response(status=202)
        else:
            response = Response(json.dumps({"message": "Not found"}), status=404, content_type="application/json")
        return response(environ, start_response)
