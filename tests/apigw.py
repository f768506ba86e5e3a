"""One builder for API Gateway REST (v1) proxy events and Lambda contexts, shared by tests."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass
class LambdaContext:
    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2026/11/25/[$LATEST]test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def api_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    body: Any = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    authorizer: dict[str, Any] | None = None,
    source_ip: str = "203.0.113.7",
) -> dict[str, Any]:
    """An event as API Gateway sends it; `body` may be a str (sent as is) or JSON-able."""
    raw_body = body if isinstance(body, str) or body is None else json.dumps(body)
    all_headers = {"Content-Type": "application/json", "User-Agent": "pytest", **(headers or {})}
    request_id = str(uuid.uuid4())
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "body": raw_body,
        "isBase64Encoded": False,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": resource or path,
            "httpMethod": method,
            "path": f"/dev{path}",
            "accountId": "123456789012",
            "apiId": "localapi01",
            "stage": "dev",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": "25/Nov/2026:10:00:00 +0000",
            "requestTimeEpoch": 1795600000000,
            "domainName": "localapi01.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "localapi01",
            "identity": {"sourceIp": source_ip, "userAgent": "pytest"},
            **({"authorizer": authorizer} if authorizer else {}),
        },
    }


def agent_authorizer(agent_id: str, plan: str = "standard") -> dict[str, Any]:
    return {"principalId": agent_id, "kind": "agent", "plan": plan, "scopes": ""}


def admin_authorizer(key_id: str, scopes: str) -> dict[str, Any]:
    return {"principalId": key_id, "kind": "admin", "plan": "admin", "scopes": scopes}


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def header(response: dict[str, Any], name: str) -> str | None:
    values = (response.get("multiValueHeaders") or {}).get(name)
    if values:
        return values[0]
    return (response.get("headers") or {}).get(name)
