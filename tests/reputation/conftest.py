"""Helpers for directory, feedback and reputation tests: agents, and the functions called as API Gateway calls them."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from cashback import agents
from cashback.models import RegisterAgentRequest
from tests.apigw import LambdaContext, admin_authorizer, agent_authorizer, api_event, body_of
from tests.conftest import load_function

directory_fn = load_function("directory")
feedback_fn = load_function("feedback")
reputation_fn = load_function("reputation")
update_agent_fn = load_function("update_agent")


def new_agent(name: str = "agent", **profile: Any) -> dict[str, Any]:
    """A registered agent (the layer's registration, as POST /agents runs it); `public=True` lists it."""
    return agents.register(RegisterAgentRequest(agent_name=name, **profile)).model_dump(mode="json")


def as_agent(agent: dict[str, Any]) -> dict[str, Any]:
    return agent_authorizer(agent["agent_id"])


def as_admin(scopes: str = "feedback:write", key_id: str = "adm_FEEDBACKadmn") -> dict[str, Any]:
    return admin_authorizer(key_id, scopes)


def call(
    function: ModuleType, method: str, resource: str, path_parameters: dict[str, str], **event: Any
) -> dict[str, Any]:
    """The function's answer to `method` on `resource` with these path parameters filled in."""
    path = resource.format(**path_parameters)
    request = api_event(method, path, resource=resource, path_parameters=path_parameters, **event)
    return function.lambda_handler(request, LambdaContext())


def _authorized(authorizer: dict[str, Any]) -> dict[str, Any]:
    return {"headers": {"Authorization": "Bearer test"}, "authorizer": authorizer}


def give(subject_id: str, body: Any, authorizer: dict[str, Any]) -> dict[str, Any]:
    params = {"agent_id": subject_id}
    return call(feedback_fn, "POST", "/agents/{agent_id}/feedback", params, body=body, **_authorized(authorizer))


def revoke(subject_id: str, authorizer: dict[str, Any]) -> dict[str, Any]:
    return call(
        feedback_fn, "DELETE", "/agents/{agent_id}/feedback", {"agent_id": subject_id}, **_authorized(authorizer)
    )


def reply(subject_id: str, author_id: str, body: Any, authorizer: dict[str, Any]) -> dict[str, Any]:
    params = {"agent_id": subject_id, "author_id": author_id}
    resource = "/agents/{agent_id}/feedback/{author_id}/response"
    return call(feedback_fn, "POST", resource, params, body=body, **_authorized(authorizer))


def update_profile(agent_id: str, body: Any, authorizer: dict[str, Any]) -> dict[str, Any]:
    return call(
        update_agent_fn, "PATCH", "/agents/{agent_id}", {"agent_id": agent_id}, body=body, **_authorized(authorizer)
    )


def get_reputation(
    agent_id: str, query: dict[str, str] | None = None, source_ip: str = "198.51.100.1"
) -> dict[str, Any]:
    params = {"agent_id": agent_id}
    return call(reputation_fn, "GET", "/agents/{agent_id}/reputation", params, query=query, source_ip=source_ip)


def get_export(agent_id: str) -> dict[str, Any]:
    headers = {"Host": "api.example.test", "X-Forwarded-Proto": "https"}
    return call(reputation_fn, "GET", "/agents/{agent_id}/reputation/erc8004", {"agent_id": agent_id}, headers=headers)


def get_feedback_file(subject_id: str, author_id: str) -> dict[str, Any]:
    params = {"agent_id": subject_id, "author_id": author_id}
    return call(reputation_fn, "GET", "/agents/{agent_id}/feedback/{author_id}", params)


def list_directory(query: dict[str, str] | None = None, source_ip: str = "198.51.100.1") -> dict[str, Any]:
    return directory_fn.lambda_handler(api_event("GET", "/agents", query=query, source_ip=source_ip), LambdaContext())


def error_code(response: dict[str, Any]) -> str:
    return str(body_of(response)["error"]["code"])
