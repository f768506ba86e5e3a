"""Every file in events/ is invoked against its function (as `sam local invoke -e` would)."""

from __future__ import annotations

import json
import time
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from cashback import agents
from cashback.auth import hash_secret
from cashback.models import AgentProfile
from cashback.store import activity as activity_store
from cashback.store import agents as agent_store
from cashback.store import events
from cashback.store import reputation as reputation_store
from tests.apigw import LambdaContext, body_of
from tests.conftest import ROOT, load_function

EVENTS = ROOT / "events"
# The example agent the event files act as; seeded before each invocation.
EXAMPLE_AGENT_ID = "agt_EXAMPLEexampleEXAMPLE0"
EXAMPLE_TOKEN = "cbk_agent_EXAMPLE_token_for_events_only_0123456789abcdef"
# The network key events/conversions/signed.json is signed with (k=example; WEBHOOK_NETWORKS locally).
EXAMPLE_WEBHOOK_SECRET = "whsec_EXAMPLE_secret_for_events_only"
EXAMPLE_WEBHOOK_NETWORKS = json.dumps({"example": {"current": EXAMPLE_WEBHOOK_SECRET, "merchants": "*"}})

EXPECTED = {
    "authorizer/valid-token.json": "Allow",
    "authorizer/unknown-token.json": "Unauthorized",
    "get_agent/own-profile.json": 200,
    "get_agent/other-agent.json": 403,
    "health/get.json": 200,
    "docs/openapi-json.json": 200,
    "register_agent/register.json": 201,
    "register_agent/malformed-json.json": 400,
    "rotate_token/rotate.json": 200,
    "update_agent/describe.json": 200,
    "update_agent/opt-out.json": 200,
    "search/search.json": 200,
    "batch_search/batch.json": 200,
    "compare/compare.json": 200,
    "compare/unknown-product.json": 404,
    "mcp/initialize.json": 200,
    "mcp/tools-call-search.json": 200,
    "redirect/follow.json": 302,
    "redirect/unknown-click.json": 404,
    "catalog_admin/put-products.json": 200,
    "catalog_admin/get-product.json": 200,
    "catalog_admin/list-products.json": 200,
    "conversions/signed.json": 200,
    "conversions/bad-signature.json": 401,
    "list_conversions/list.json": 200,
    "agent_stats/own-stats.json": 200,
    "agent_analytics/own-analytics.json": 200,
    "leaderboard/revenue-30d.json": 200,
    "leaderboard/unknown-metric.json": 400,
    "trending/last-7-days.json": 200,
    "dashboard/page.json": 200,
    "dashboard/unknown-asset.json": 404,
    "directory/newest.json": 200,
    "directory/bad-cursor.json": 400,
    "feedback/admin-feedback.json": 201,
    "feedback/self-feedback.json": 403,
    "reputation/reputation.json": 200,
    "reputation/erc8004.json": 200,
    "rollup/scheduled.json": "Rolled up",
    "update_agent/change-wallet.json": 200,
    "wallet_history/own-history.json": 200,
    "agent_admin/change-plan.json": 200,
    "agent_admin/suspend.json": 200,
    "agent_admin/suspend-without-scope.json": 403,
    "admin_keys/list.json": 200,
    "payouts/report.json": 200,
    "payouts/report-csv.json": 200,
    "payouts/mark-paid.json": 200,
    "webhook/get-missing.json": 404,
    "deliver_webhooks/scheduled.json": "Delivered",
    "register_agent/compat-register.json": 201,
    "search/compat-search.json": 200,
    "agent_stats/compat-stats.json": 200,
}
# What the error events answer, beyond their status.
ERROR_CODES = {
    "get_agent/other-agent.json": "FORBIDDEN",
    "register_agent/malformed-json.json": "MALFORMED_JSON",
    "compare/unknown-product.json": "PRODUCT_NOT_FOUND",
    "redirect/unknown-click.json": "CLICK_NOT_FOUND",
    "conversions/bad-signature.json": "SIGNATURE_INVALID",
    "leaderboard/unknown-metric.json": "INVALID_VALUE",
    "dashboard/unknown-asset.json": "ROUTE_NOT_FOUND",
    "directory/bad-cursor.json": "INVALID_CURSOR",
    "feedback/self-feedback.json": "SELF_FEEDBACK",
    "agent_admin/suspend-without-scope.json": "FORBIDDEN",
    "webhook/get-missing.json": "WEBHOOK_NOT_FOUND",
}
EXAMPLE_CLICK_ID = "clk_EXAMPLEclickEXAMPLEcli"


def _event_files() -> list[str]:
    return sorted(str(p.relative_to(EVENTS)) for p in EVENTS.rglob("*.json"))


def test_every_event_file_has_an_expectation_and_every_function_an_event() -> None:
    assert _event_files() == sorted(EXPECTED)
    functions = {p.parent.name for p in (ROOT / "functions").glob("*/handler.py")}
    assert functions == {name.split("/")[0] for name in EXPECTED}


@pytest.fixture
def example_agent(small_catalog: object) -> None:
    """The example agent (listed in the directory), the small test catalog, one live click and its
    click event (two minutes old, so the rollup reads it), as the event files expect."""
    profile = {
        "agent_id": EXAMPLE_AGENT_ID,
        "agent_name": "example",
        "plan": "standard",
        "created_at": "2026-11-25T00:00:00Z",
    }
    listing = reputation_store.summary_put(agents.directory_entry(AgentProfile(**profile, public=True)))
    agent_store.create_agent({**profile, "public": True}, hash_secret(EXAMPLE_TOKEN), listing)
    click = {"agent_id": EXAMPLE_AGENT_ID, "product_id": "p_shoe1", "merchant_id": "m_beta"}
    activity_store.put_items(
        [
            {
                "pk": f"CLICK#{EXAMPLE_CLICK_ID}",
                "sk": "CLICK",
                **click,
                "target_url": f"https://beta.example/p/p_shoe1?aff_sub={EXAMPLE_CLICK_ID}",
                "valid_until": 4_102_444_800,  # 2100-01-01
            },
            events.event_item("click", f"{EXAMPLE_CLICK_ID}:1", int(time.time()) - 120, click),
        ]
    )


def _signed_at(event: dict[str, Any]) -> int:
    """When API Gateway received the event; the example webhook was signed at that moment."""
    return int(event["requestContext"]["requestTimeEpoch"]) // 1000


def _webhook_clock(monkeypatch: pytest.MonkeyPatch, function: ModuleType, now: int) -> None:
    """The webhook secret the example events are signed with, and the signature check's clock at `now`.

    Only the handler's clock is set: the signature check still compares timestamps with it, so a
    stale or tampered event is still refused (see the test below)."""
    monkeypatch.setenv("WEBHOOK_NETWORKS", EXAMPLE_WEBHOOK_NETWORKS)
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("WEBHOOK_SECRET_PREVIOUS", raising=False)
    monkeypatch.setattr(function, "time", SimpleNamespace(time=lambda: float(now)))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event_file_runs_against_its_function(name: str, example_agent: None, monkeypatch: pytest.MonkeyPatch) -> None:
    function = load_function(name.split("/", maxsplit=1)[0])
    event = json.loads((EVENTS / name).read_text())
    if name.startswith("conversions/"):
        _webhook_clock(monkeypatch, function, _signed_at(event))
    expected = EXPECTED[name]
    if expected == "Unauthorized":
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            function.lambda_handler(event, LambdaContext())
        return
    result = function.lambda_handler(event, LambdaContext())
    if expected == "Allow":
        assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        assert result["principalId"] == EXAMPLE_AGENT_ID
    elif expected == "Rolled up":
        assert result["events"] == 1, result  # the example click event
        assert result["rebuilt"] is True
        assert result["stopped_by_concurrent_run"] is False
    elif expected == "Delivered":
        assert result["delivered"] == 0, result  # the example agent has no webhook
        assert result["stopped_by_concurrent_run"] is False
    else:
        assert result["statusCode"] == expected, body_of(result)
        if name in ERROR_CODES:
            assert body_of(result)["error"]["code"] == ERROR_CODES[name]


def test_the_signed_conversion_event_is_refused_once_its_timestamp_is_stale(
    example_agent: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    function = load_function("conversions")
    event = json.loads((EVENTS / "conversions/signed.json").read_text())
    _webhook_clock(monkeypatch, function, _signed_at(event) + 301)

    result = function.lambda_handler(event, LambdaContext())

    assert result["statusCode"] == 401
    assert body_of(result)["error"]["code"] == "SIGNATURE_EXPIRED"


def test_the_signed_conversion_event_records_a_pending_conversion_for_the_example_click(
    example_agent: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    function = load_function("conversions")
    event = json.loads((EVENTS / "conversions/signed.json").read_text())
    _webhook_clock(monkeypatch, function, _signed_at(event))

    receipt = body_of(function.lambda_handler(event, LambdaContext()))

    assert receipt["applied"] is True
    conversion = receipt["conversion"]
    assert (conversion["click_id"], conversion["agent_id"]) == (EXAMPLE_CLICK_ID, EXAMPLE_AGENT_ID)
    assert (conversion["status"], conversion["commission_amount"]) == ("pending", "4.55")
