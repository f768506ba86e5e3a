"""Functions chained as API Gateway chains them: the authorizer's answer becomes the request's context."""

from __future__ import annotations

from typing import Any

from tests.apigw import LambdaContext, api_event, body_of
from tests.conftest import load_function

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:localapi01/dev/GET/agents/agt_SHOPPERshopperSHOPPER0"

authorizer_fn = load_function("authorizer")
register_fn = load_function("register_agent")
get_agent_fn = load_function("get_agent")
rotate_token_fn = load_function("rotate_token")
health_fn = load_function("health")


def authorize(authorization: str) -> dict[str, Any]:
    """The authorizer's answer to an Authorization header; raises Exception("Unauthorized") to refuse."""
    event = {"type": "TOKEN", "authorizationToken": authorization, "methodArn": METHOD_ARN}
    return authorizer_fn.lambda_handler(event, LambdaContext())


def context_for(token: str) -> dict[str, Any]:
    """requestContext.authorizer as API Gateway builds it from the authorizer's answer."""
    answer = authorize(f"Bearer {token}")
    return {"principalId": answer["principalId"], **answer["context"]}


def register(name: str = "shopper", source_ip: str = "203.0.113.7") -> dict[str, Any]:
    event = api_event("POST", "/agents", body={"agent_name": name}, source_ip=source_ip)
    response = register_fn.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 201, response["body"]
    return body_of(response)


def get_agent(agent_id: str, token: str) -> dict[str, Any]:
    event = api_event(
        "GET",
        f"/agents/{agent_id}",
        resource="/agents/{agent_id}",
        path_parameters={"agent_id": agent_id},
        headers={"Authorization": f"Bearer {token}"},
        authorizer=context_for(token),
    )
    return get_agent_fn.lambda_handler(event, LambdaContext())


def rotate(agent_id: str, token: str, authorizer: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST /agents/{agent_id}/token presenting `token`; `authorizer` stands in for a cached decision."""
    event = api_event(
        "POST",
        f"/agents/{agent_id}/token",
        resource="/agents/{agent_id}/token",
        path_parameters={"agent_id": agent_id},
        headers={"Authorization": f"Bearer {token}"},
        authorizer=authorizer or context_for(token),
    )
    return rotate_token_fn.lambda_handler(event, LambdaContext())


def error_code(response: dict[str, Any]) -> str:
    return str(body_of(response)["error"]["code"])
