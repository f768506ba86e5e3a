"""Each MCP tool refuses exactly what its REST twin refuses: both call the same use case, which
checks the caller; neither the handler nor the tool checks anything of its own."""

from __future__ import annotations

from typing import Any

import pytest

from cashback.api import tools
from cashback.auth import Caller
from cashback.errors import ApiError
from tests.apigw import LambdaContext, admin_authorizer, agent_authorizer, api_event, body_of
from tests.conftest import load_function

AGENT = "agt_TOOLSauthTOOLSauth0001"
OTHER_AGENT = "agt_TOOLSauthTOOLSauth0002"

CALLERS: dict[str, dict[str, Any] | None] = {
    "anonymous": None,
    "the agent": agent_authorizer(AGENT),
    "another agent": agent_authorizer(OTHER_AGENT),
    "an admin key without scopes": admin_authorizer("adm_TOOLSauth0001", ""),
    "an admin key with analytics:read": admin_authorizer("adm_TOOLSauth0002", "analytics:read"),
}


def _rest_search(authorizer: dict[str, Any] | None) -> dict[str, Any]:
    event = api_event("POST", "/search", body={"keywords": "pegasus"}, authorizer=authorizer)
    return load_function("search").lambda_handler(event, LambdaContext())


def _rest_compare(authorizer: dict[str, Any] | None) -> dict[str, Any]:
    event = api_event("GET", "/compare", query={"product_name": "Nike Pegasus 41"}, authorizer=authorizer)
    return load_function("compare").lambda_handler(event, LambdaContext())


def _rest_own_stats(authorizer: dict[str, Any] | None) -> dict[str, Any]:
    # The tool answers for the calling agent; its REST twin is that agent's own stats route.
    agent_id = (authorizer or {}).get("principalId") or AGENT
    path = f"/agents/{agent_id}/stats"
    event = api_event(
        "GET", path, resource="/agents/{agent_id}/stats", path_parameters={"agent_id": agent_id}, authorizer=authorizer
    )
    return load_function("agent_stats").lambda_handler(event, LambdaContext())


def _rest_trending(authorizer: dict[str, Any] | None) -> dict[str, Any]:
    event = api_event("GET", "/analytics/trending", authorizer=authorizer)
    return load_function("trending").lambda_handler(event, LambdaContext())


def _rest_webhook(method: str, suffix: str = "", body: dict[str, Any] | None = None) -> Any:
    """The agent's own webhook route (`/agents/{agent_id}/webhook<suffix>`): the twin of a tool
    that answers for the calling agent, as `_rest_own_stats` is."""

    def rest(authorizer: dict[str, Any] | None) -> dict[str, Any]:
        agent_id = (authorizer or {}).get("principalId") or AGENT
        event = api_event(
            method,
            f"/agents/{agent_id}/webhook{suffix}",
            resource=f"/agents/{{agent_id}}/webhook{suffix}",
            path_parameters={"agent_id": agent_id},
            body=body,
            authorizer=authorizer,
        )
        return load_function("webhook").lambda_handler(event, LambdaContext())

    return rest


HOOK = {"url": "https://127.0.0.1/hooks/cashback"}
TWINS = {
    "search_products": (_rest_search, {"keywords": "pegasus"}),
    "compare_cashback": (_rest_compare, {"product_name": "Nike Pegasus 41"}),
    "get_agent_stats": (_rest_own_stats, {}),
    "get_trending": (_rest_trending, {}),
    # Each runs with the webhook registered first (`webhook_ready`), so only the caller decides.
    "set_webhook": (_rest_webhook("PUT", body=HOOK), HOOK),
    "get_webhook": (_rest_webhook("GET"), {}),
    "delete_webhook": (_rest_webhook("DELETE"), {}),
    "rotate_webhook_secret": (_rest_webhook("POST", "/secret"), {}),
    "list_failed_webhook_deliveries": (_rest_webhook("GET", "/failures"), {}),
    "replay_failed_webhook_deliveries": (_rest_webhook("POST", "/failures/replay"), {}),
}


@pytest.fixture
def webhook_ready(settings_env: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Both agents exist; webhooks seal locally and may point at 127.0.0.1; `register()` gives each
    agent a webhook, so a route or tool that needs one finds it."""
    from cashback import notify
    from cashback.models import WebhookRequest
    from tests.helpers import publish_agent

    monkeypatch.delenv("WEBHOOK_KMS_KEY_ID", raising=False)
    settings_env("WEBHOOK_SEALING_KEY", "a local key for tests")
    settings_env("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    publish_agent(AGENT, "tools-one")
    publish_agent(OTHER_AGENT, "tools-two")

    def register() -> None:
        for agent in (AGENT, OTHER_AGENT):
            notify.set_webhook(agent, Caller.of_agent(agent), WebhookRequest(**HOOK))

    return register


def _tool_outcome(name: str, arguments: dict[str, Any], authorizer: dict[str, Any] | None) -> str:
    tool = tools.TOOLS[name]
    invocation = tools.Invocation(Caller.from_authorizer_context(authorizer), "https://api.test", "req-tools")
    try:
        tool.run(tool.parse(arguments), invocation)
    except ApiError as refused:
        return refused.code
    return "OK"


def _rest_outcome(response: dict[str, Any]) -> str:
    return "OK" if response["statusCode"] < 400 else body_of(response)["error"]["code"]


def test_every_tool_has_a_rest_twin_here() -> None:
    assert set(TWINS) == set(tools.TOOLS)


@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize("name", sorted(TWINS))
def test_a_tool_refuses_what_its_rest_route_refuses(
    name: str, caller: str, small_catalog: object, webhook_ready: Any
) -> None:
    rest, arguments = TWINS[name]
    authorizer = CALLERS[caller]

    webhook_ready()
    tool = _tool_outcome(name, arguments, authorizer)
    webhook_ready()  # again: the tool may have deleted it
    route = _rest_outcome(rest(authorizer))

    assert (tool == "OK") == (route == "OK")
    if route != "INVALID_AGENT_ID":  # an admin key has no agent id: its "own stats" route does not even route
        assert tool == route
