"""The OpenAPI document: generated from the code, committed, and true to the template."""

from __future__ import annotations

import json
import re

import pytest

from localrun import template
from scripts import openapi
from tests.conftest import ROOT

DOCUMENT = json.loads(openapi.DOCUMENT.read_text())
OPERATIONS = {(method.upper(), path): op for path, ops in DOCUMENT["paths"].items() for method, op in ops.items()}
ROUTES = {(r.method.upper(), r.path): r for r in template.load(ROOT / "template.yaml").routes}
BEARER = {"agentToken", "adminKey"}
# Routes that serve a document, a page or another protocol rather than JSON resources.
NOT_IN_DOCUMENT = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/{name}"),
    ("GET", "/dashboard"),  # the dashboard's HTML page
    ("GET", "/dashboard/assets/{name}"),  # its script, style sheet and Chart.js
    ("POST", "/mcp"),  # the MCP server (JSON-RPC)
    ("GET", "/mcp"),
}
# The compatibility API (the seed's paths, README "Compatibility API"): documented in the README, kept
# out of this document so clients generated from it see one API.
COMPAT = {key for key in ROUTES if key[1].startswith("/api/")}


def test_the_committed_document_is_what_the_code_generates() -> None:
    assert openapi.DOCUMENT.read_text() == openapi.render(), "run make openapi and commit the result"


def test_the_document_has_exactly_the_template_routes() -> None:
    assert set(OPERATIONS) == set(ROUTES) - NOT_IN_DOCUMENT - COMPAT


def test_the_compatibility_api_has_the_seed_paths() -> None:
    assert {
        ("POST", "/api/agent/register"),
        ("GET", "/api/agent/search"),
        ("GET", "/api/agent/compare"),
        ("GET", "/api/agent/{agent_id}/stats"),
        ("GET", "/api/agent/{agent_id}/analytics"),
        ("GET", "/api/analytics/leaderboard"),
        ("GET", "/api/analytics/trending"),
        ("POST", "/api/mcp"),
        ("GET", "/api/mcp"),
    } == COMPAT


@pytest.mark.parametrize("key", sorted(OPERATIONS), ids=" ".join)
def test_security_matches_the_template_authorizer(key: tuple[str, str]) -> None:
    schemes = {name for requirement in OPERATIONS[key].get("security", []) for name in requirement}
    if ROUTES[key].authorizer not in (None, "NONE"):
        assert schemes and schemes <= BEARER
        assert "401" in OPERATIONS[key]["responses"]
    else:
        assert not schemes & BEARER


@pytest.mark.parametrize("key", sorted(OPERATIONS), ids=" ".join)
def test_every_error_response_is_the_error_body(key: tuple[str, str]) -> None:
    responses = OPERATIONS[key]["responses"]
    assert any(status.startswith(("2", "3")) for status in responses)
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
            assert response["description"]


def test_the_security_schemes_are_documented() -> None:
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["agentToken"]["scheme"] == "bearer"
    assert schemes["adminKey"]["scheme"] == "bearer"
    signature = schemes["webhookSignature"]
    assert (signature["in"], signature["name"]) == ("header", "X-Cashback-Signature")
    assert OPERATIONS[("POST", "/conversions")]["security"] == [{"webhookSignature": []}]


def test_every_reference_resolves() -> None:
    """A dangling $ref breaks code generators (make client) and validators alike."""
    text = openapi.DOCUMENT.read_text()
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text))
    assert refs <= set(DOCUMENT["components"]["schemas"])
