"""Every file in events/ is invoked against its function (as `sam local invoke -e` would)."""

from __future__ import annotations

import json

import pytest

from cashback import activity_store, store
from cashback.auth import hash_secret
from tests.apigw import LambdaContext, body_of
from tests.conftest import ROOT, load_function

EVENTS = ROOT / "events"
# The example agent the event files act as; seeded before each invocation.
EXAMPLE_AGENT_ID = "agt_EXAMPLEexampleEXAMPLE0"
EXAMPLE_TOKEN = "cbk_agent_EXAMPLE_token_for_events_only_0123456789abcdef"

EXPECTED = {
    "authorizer/valid-token.json": "Allow",
    "authorizer/unknown-token.json": "Unauthorized",
    "get_agent/own-profile.json": 200,
    "get_agent/other-agent.json": 403,
    "health/get.json": 200,
    "register_agent/register.json": 201,
    "register_agent/malformed-json.json": 400,
    "rotate_token/rotate.json": 200,
    "search/search.json": 200,
    "batch_search/batch.json": 200,
    "compare/compare.json": 200,
    "compare/unknown-product.json": 404,
    "redirect/follow.json": 302,
    "redirect/unknown-click.json": 404,
    "catalog_admin/put-products.json": 200,
    "catalog_admin/get-product.json": 200,
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
    """The example agent, the small test catalog and one live click, as the event files expect."""
    profile = {
        "agent_id": EXAMPLE_AGENT_ID,
        "agent_name": "example",
        "plan": "standard",
        "created_at": "2026-11-25T00:00:00Z",
    }
    store.create_agent(profile, hash_secret(EXAMPLE_TOKEN))
    activity_store.put_items(
        [
            {
                "pk": f"CLICK#{EXAMPLE_CLICK_ID}",
                "sk": "CLICK",
                "agent_id": EXAMPLE_AGENT_ID,
                "product_id": "p_shoe1",
                "merchant_id": "m_beta",
                "target_url": f"https://beta.example/p/p_shoe1?aff_sub={EXAMPLE_CLICK_ID}",
                "valid_until": 4_102_444_800,  # 2100-01-01
            }
        ]
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event_file_runs_against_its_function(name: str, example_agent: None) -> None:
    function = load_function(name.split("/", maxsplit=1)[0])
    event = json.loads((EVENTS / name).read_text())
    expected = EXPECTED[name]
    if expected == "Unauthorized":
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            function.lambda_handler(event, LambdaContext())
        return
    result = function.lambda_handler(event, LambdaContext())
    if expected == "Allow":
        assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        assert result["principalId"] == EXAMPLE_AGENT_ID
    else:
        assert result["statusCode"] == expected, body_of(result)
