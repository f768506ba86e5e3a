"""API Gateway's behaviour as the template declares it: events, authorizer cache, gateway responses.

The functions here are stand-ins that record what they receive; the real functions behind the
real gateway are exercised over HTTP in tests/integration.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import Client

from localrun import template
from localrun.gateway import AuthorizerCache, Gateway, ManagementApi
from localrun.invokers import FunctionError
from tests.conftest import ROOT

TOKEN = "cbk_agent_" + "a" * 43
AGENT = "agt_GATEWAYgatewayGATEWA"


def allow(principal: str = AGENT, resource: str = "arn:aws:execute-api:*") -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [resource]}],
        },
        "context": {"kind": "agent", "plan": "standard", "scopes": ""},
    }


class RecordingInvoker:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.authorizer_answer: Any = allow()
        self.function_answer: Any = {"statusCode": 200, "headers": {"X-Request-Id": "from-fn"}, "body": "{}"}

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        self.calls.append((function, event))
        answer = self.authorizer_answer if function == "AuthorizerFunction" else self.function_answer
        if isinstance(answer, Exception):
            raise answer
        return answer

    def calls_to(self, function: str) -> list[dict[str, Any]]:
        return [event for name, event in self.calls if name == function]


@pytest.fixture
def invoker() -> RecordingInvoker:
    return RecordingInvoker()


@pytest.fixture
def cache() -> AuthorizerCache:
    return AuthorizerCache()


@pytest.fixture
def client(invoker: RecordingInvoker, cache: AuthorizerCache) -> Client:
    return Client(Gateway(template.load(ROOT / "template.yaml"), invoker, cache))


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_code(response: Any) -> str:
    return json.loads(response.get_data())["error"]["code"]


def test_the_function_receives_a_rest_proxy_event(client: Client, invoker: RecordingInvoker) -> None:
    client.get(
        "/agents/agt_x/conversions?limit=5&status=a&status=b",
        headers={**bearer(), "User-Agent": "shopper/1.0"},
        environ_base={"REMOTE_ADDR": "198.51.100.9"},
    )
    (event,) = invoker.calls_to("ListConversionsFunction")
    assert event["resource"] == "/agents/{agent_id}/conversions"
    assert event["path"] == "/agents/agt_x/conversions"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"agent_id": "agt_x"}
    assert event["queryStringParameters"] == {"limit": "5", "status": "b"}
    assert event["multiValueQueryStringParameters"]["status"] == ["a", "b"]
    assert event["headers"]["User-Agent"] == "shopper/1.0"
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["identity"]["sourceIp"] == "198.51.100.9"
    assert context["stage"] == "dev" and context["path"] == "/dev/agents/agt_x/conversions"
    assert context["requestId"]
    assert context["authorizer"]["principalId"] == AGENT
    assert context["authorizer"]["kind"] == "agent"


def test_a_binary_body_arrives_base64_encoded(client: Client, invoker: RecordingInvoker) -> None:
    client.post("/agents", data=b"\xff\xfe", headers={"Content-Type": "application/octet-stream"})
    (event,) = invoker.calls_to("RegisterAgentFunction")
    assert event["isBase64Encoded"] is True and event["body"] == "//4="


def test_the_authorizer_decision_is_cached_per_token_until_flushed(
    client: Client, invoker: RecordingInvoker, cache: AuthorizerCache
) -> None:
    client.get("/agents/agt_x", headers=bearer())
    client.get("/agents/agt_x/stats", headers=bearer())
    assert len(invoker.calls_to("AuthorizerFunction")) == 1
    assert invoker.calls_to("AuthorizerFunction")[0]["type"] == "TOKEN"

    management = Client(ManagementApi("dev", cache))
    assert management.delete(f"/restapis/{template.LOCAL_API_ID}/stages/dev/cache/authorizers").status_code == 202
    client.get("/agents/agt_x", headers=bearer())
    assert len(invoker.calls_to("AuthorizerFunction")) == 2


def test_a_token_failing_the_validation_expression_never_reaches_the_authorizer(
    client: Client, invoker: RecordingInvoker
) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer short"}):
        response = client.get("/agents/agt_x", headers=headers)
        assert response.status_code == 401
        assert error_code(response) == "UNAUTHORIZED"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert invoker.calls == []


def test_unauthorized_from_the_authorizer_is_a_401(client: Client, invoker: RecordingInvoker) -> None:
    invoker.authorizer_answer = Exception("Unauthorized")
    response = client.get("/agents/agt_x", headers=bearer())
    assert (response.status_code, error_code(response)) == (401, "UNAUTHORIZED")
    assert invoker.calls_to("GetAgentFunction") == []


def test_a_policy_that_does_not_allow_the_route_is_a_403(client: Client, invoker: RecordingInvoker) -> None:
    invoker.authorizer_answer = allow(resource="arn:aws:execute-api:*:*:*/dev/GET/health")
    response = client.get("/agents/agt_x", headers=bearer())
    assert (response.status_code, error_code(response)) == (403, "FORBIDDEN")


def test_a_failing_authorizer_is_the_templates_authorizer_failure(client: Client, invoker: RecordingInvoker) -> None:
    invoker.authorizer_answer = RuntimeError("DynamoDB timed out")
    response = client.get("/agents/agt_x", headers=bearer())
    assert (response.status_code, error_code(response)) == (503, "AUTH_UNAVAILABLE")
    assert response.headers["X-Request-Id"] == json.loads(response.get_data())["error"]["request_id"]


def test_unknown_routes_and_methods_are_404_route_not_found(client: Client) -> None:
    for method, path in (("GET", "/nowhere"), ("DELETE", "/agents"), ("GET", "/agents/a/b/c")):
        response = client.open(path, method=method)
        assert (response.status_code, error_code(response)) == (404, "ROUTE_NOT_FOUND")


def test_a_crashing_function_is_a_502_with_the_error_body(client: Client, invoker: RecordingInvoker) -> None:
    invoker.function_answer = KeyError("boom")
    response = client.get("/health")
    assert (response.status_code, error_code(response)) == (502, "INTERNAL_ERROR")
    assert "boom" not in response.get_data(as_text=True)


def test_a_function_over_its_timeout_is_a_504_with_the_error_body_and_the_gateway_keeps_serving(
    client: Client, invoker: RecordingInvoker
) -> None:
    invoker.function_answer = FunctionError("Sandbox.Timedout", "abc Task timed out after 10.00 seconds")
    response = client.get("/health")
    assert (response.status_code, error_code(response)) == (504, "INTERNAL_ERROR")
    assert json.loads(response.get_data())["error"]["message"] == "Endpoint request timed out"
    assert response.headers["X-Request-Id"] == json.loads(response.get_data())["error"]["request_id"]

    invoker.function_answer = {"statusCode": 200, "body": "{}"}
    assert client.get("/health").status_code == 200


def test_a_malformed_proxy_response_is_a_502(client: Client, invoker: RecordingInvoker) -> None:
    invoker.function_answer = {"body": "no status"}
    assert client.get("/health").status_code == 502


def test_an_oversized_body_is_refused_before_any_function(client: Client, invoker: RecordingInvoker) -> None:
    response = client.post("/agents", data=b"x" * (10 * 1024 * 1024 + 1))
    assert (response.status_code, error_code(response)) == (413, "PAYLOAD_TOO_LARGE")
    assert invoker.calls == []


def test_cors_preflight_is_answered_by_the_gateway(client: Client, invoker: RecordingInvoker) -> None:
    response = client.options("/search")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert invoker.calls == []


def test_the_functions_response_passes_through(client: Client, invoker: RecordingInvoker) -> None:
    invoker.function_answer = {
        "statusCode": 302,
        "headers": {"Location": "https://shop.example/p?subid=clk"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": "",
    }
    response = client.get("/r/clk_x")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://shop.example/p?subid=clk"
    assert response.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
