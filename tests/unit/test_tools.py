"""The tools POST /mcp serves: the REST routes' contracts, and the in-memory ASGI call."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from cashback.api import tools
from cashback.auth import Caller, PrincipalKind
from cashback.errors import Forbidden
from cashback.models import CompareRequest, FailedDeliveriesRequest, SearchRequest, TrendingRequest
from tests.conftest import ROOT

DOCUMENT = json.loads((ROOT / "layers/common/cashback/openapi.json").read_text())
SCHEMA_KEYS = ("type", "minLength", "maxLength", "minimum", "maximum", "default", "pattern")


def query_parameters(method: str, path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in DOCUMENT["paths"][path][method]["parameters"] if p["in"] == "query"}


@pytest.mark.parametrize(
    ("model", "method", "path", "left_out"),
    [
        # agent_id is implicit for a tool: the calling agent.
        (CompareRequest, "get", "/compare", {"agent_id"}),
        (TrendingRequest, "get", "/analytics/trending", set()),
        (FailedDeliveriesRequest, "get", "/agents/{agent_id}/webhook/failures", set()),
    ],
)
def test_tool_arguments_have_the_rest_routes_query_constraints(
    model: type[BaseModel], method: str, path: str, left_out: set[str]
) -> None:
    schema = model.model_json_schema()
    parameters = query_parameters(method, path)

    assert set(schema["properties"]) == set(parameters) - left_out
    for name, prop in schema["properties"].items():
        rest = parameters[name]["schema"]
        assert {k: prop.get(k) for k in SCHEMA_KEYS} == {k: rest.get(k) for k in SCHEMA_KEYS}, name
        assert (name in schema.get("required", [])) == parameters[name]["required"]


def test_every_tool_has_object_schemas_in_and_out() -> None:
    assert sorted(tools.TOOLS) == [
        "compare_cashback",
        "delete_webhook",
        "get_agent_stats",
        "get_trending",
        "get_webhook",
        "list_failed_webhook_deliveries",
        "replay_failed_webhook_deliveries",
        "rotate_webhook_secret",
        "search_products",
        "set_webhook",
    ]
    for tool in tools.TOOLS.values():
        assert tool.input_schema()["type"] == "object"
        assert tool.input_schema()["additionalProperties"] is False
        assert tool.output_schema()["type"] == "object" and tool.output_schema()["properties"]


def test_arguments_are_parsed_with_the_rest_routes_model() -> None:
    parsed = tools.TOOLS["search_products"].parse({"keywords": "shoes", "filters": {"max_price": "100"}})

    assert isinstance(parsed, SearchRequest) and parsed.limit == 10
    with pytest.raises(ValidationError):
        tools.TOOLS["search_products"].parse({"keywords": ""})


def test_agent_tools_refuse_a_caller_that_is_not_an_agent() -> None:
    admin = tools.Invocation(Caller(kind=PrincipalKind.ADMIN, principal_id="adm_x"), "https://x.test", "req-1")
    tool = tools.TOOLS["get_agent_stats"]

    with pytest.raises(Forbidden):
        tool.run(tool.parse({}), admin)
