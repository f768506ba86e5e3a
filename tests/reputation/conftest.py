"""Helpers for directory, feedback and reputation tests: agents, and the functions called as API Gateway calls them."""

from __future__ import annotations

from typing import Any

from cashback import agents
from cashback.models import RegisterAgentRequest
from tests.apigw import LambdaContext, admin_authorizer, agent_authorizer, api_event, body_of
from tests.conftest import load_function

directory_fn = load_function("directory")
feedback_fn = load_function("feedback")
reputation_fn = load_function("reputation")


def new_agent(name: str = "agent", **profile: Any) -> dict[str, Any]:
    """A registered agent (the layer's registration, as POST /agents runs it); `public=True` lists it."""
    return agents.register(RegisterAgentRequest(agent_name=name, **profile)).model_dump(mode="json")


def as_agent(agent: dict[str, Any]) -> dict[str, Any]:
    return agent_authorizer(agent["agent_id"])


def as_admin(scopes: str = "feedback:write", key_id: str = "adm_FEEDBACKadmn") -> dict[str, Any]:
    return admin_authorizer(key_id, scopes)


def give(subject_id: str, body: Any, authorizer: dict[str, Any]) -> dict[str, Any]:
    event = api_event(
        "POST",
        f"/agents/{subject_id}/feedback",
        resource="/agents/{agent_id}/feedback",
        path_parameters={"agent_id": subject_id},
        body=body,
        headers={"Authorization": "Bearer test"},
        authorizer=authorizer,
    )
    return feedback_fn.lambda_handler(event, LambdaContext())


def revoke(subject_id: str, authorizer: dict[str, Any]) -> dict[str, Any]:
    event = api_event(
        "DELETE",
        f"/agents/{subject_id}/feedback",
        resource="/agents/{agent_id}/feedback",
        path_parameters={"agent_id": subject_id},
        headers={"Authorization": "Bearer test"},
        authorizer=authorizer,
    )
    return feedback_fn.lambda_handler(event, LambdaContext())


def reply(subject_id: str, author_id: str, body: Any, authorizer: dict[str, Any]) -> dict[str, Any]:
    event = api_event(
        "POST",
        f"/agents/{subject_id}/feedback/{author_id}/response",
        resource="/agents/{agent_id}/feedback/{author_id}/response",
        path_parameters={"agent_id": subject_id, "author_id": author_id},
        body=body,
        headers={"Authorization": "Bearer test"},
        authorizer=authorizer,
    )
    return feedback_fn.lambda_handler(event, LambdaContext())


def get_reputation(
    agent_id: str, query: dict[str, str] | None = None, source_ip: str = "198.51.100.1"
) -> dict[str, Any]:
    event = api_event(
        "GET",
        f"/agents/{agent_id}/reputation",
        resource="/agents/{agent_id}/reputation",
        path_parameters={"agent_id": agent_id},
        query=query,
        source_ip=source_ip,
    )
    return reputation_fn.lambda_handler(event, LambdaContext())


def get_export(agent_id: str) -> dict[str, Any]:
    event = api_event(
        "GET",
        f"/agents/{agent_id}/reputation/erc8004",
        resource="/agents/{agent_id}/reputation/erc8004",
        path_parameters={"agent_id": agent_id},
        headers={"Host": "api.example.test", "X-Forwarded-Proto": "https"},
    )
    return reputation_fn.lambda_handler(event, LambdaContext())


def get_feedback_file(subject_id: str, author_id: str) -> dict[str, Any]:
    event = api_event(
        "GET",
        f"/agents/{subject_id}/feedback/{author_id}",
        resource="/agents/{agent_id}/feedback/{author_id}",
        path_parameters={"agent_id": subject_id, "author_id": author_id},
    )
    return reputation_fn.lambda_handler(event, LambdaContext())


def list_directory(query: dict[str, str] | None = None, source_ip: str = "198.51.100.1") -> dict[str, Any]:
    return directory_fn.lambda_handler(api_event("GET", "/agents", query=query, source_ip=source_ip), LambdaContext())


def error_code(response: dict[str, Any]) -> str:
    return str(body_of(response)["error"]["code"])


update_agent_fn = load_function("update_agent")


def update_profile(agent_id: str, body: Any, authorizer: dict[str, Any]) -> dict[str, Any]:
    event = api_event(
        "PATCH",
        f"/agents/{agent_id}",
        resource="/agents/{agent_id}",
        path_parameters={"agent_id": agent_id},
        body=body,
        headers={"Authorization": "Bearer test"},
        authorizer=authorizer,
    )
    return update_agent_fn.lambda_handler(event, LambdaContext())
