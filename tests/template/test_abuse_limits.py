"""What keeps a flood from costing money or taking the API down, as CloudFormation receives it:
per-method throttles on every anonymous route, reserved concurrency for the authorizer and the
conversions webhook, the optional WAF rule, and a gateway check of the token's shape."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cashback.auth import SECRET_PATTERN
from localrun import deployment, template
from tests.conftest import ROOT

pytestmark = [
    pytest.mark.skipif(not deployment.SAM_PYTHON.exists(), reason="make test installs .venv-sam first"),
    pytest.mark.xdist_group("sam"),
]


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    return deployment.translated_template(ROOT / "template.yaml", "default")


def _anonymous_routes() -> set[tuple[str, str]]:
    loaded = template.load(ROOT / "template.yaml")
    return {(route.path, route.method) for route in loaded.routes if route.authorizer in (None, "NONE")}


def path_of(resource_path: str) -> str:
    """A MethodSettings resource path ("/~1r~1{click_id}": "/" after the first is "~1") as a route path."""
    return resource_path[1:].replace("~1", "/")


def _method_settings(translated: dict[str, Any]) -> list[dict[str, Any]]:
    (stage,) = [r for r in translated["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    return list(stage["Properties"]["MethodSettings"])


def test_every_anonymous_route_has_a_throttle_of_its_own_below_the_stages(translated: dict[str, Any]) -> None:
    settings = _method_settings(translated)
    (stage_wide,) = [s for s in settings if s["ResourcePath"] == "/*"]
    throttled = {
        (path_of(s["ResourcePath"]), s["HttpMethod"]): (s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"])
        for s in settings
        if s["ResourcePath"] != "/*"
    }
    anonymous = _anonymous_routes()

    assert len(anonymous) >= 10
    assert anonymous <= set(throttled)
    for rate, burst in throttled.values():
        assert 0 < rate < stage_wide["ThrottlingRateLimit"] and rate <= burst < stage_wide["ThrottlingBurstLimit"]
    assert throttled[("/agents", "POST")][0] <= 5  # registration: the cheapest way to make sybils


@pytest.mark.parametrize(
    ("function", "parameter", "condition"),
    [
        ("AuthorizerFunction", "AuthorizerReservedConcurrency", "ReserveAuthorizerConcurrency"),
        ("ConversionsFunction", "ConversionsReservedConcurrency", "ReserveConversionsConcurrency"),
    ],
)
def test_the_authorizer_and_the_webhook_have_reserved_concurrency_by_default(
    translated: dict[str, Any], function: str, parameter: str, condition: str
) -> None:
    reserved = translated["Resources"][function]["Properties"]["ReservedConcurrentExecutions"]

    assert reserved == {"Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]}
    assert translated["Parameters"][parameter]["Default"] > 0
    assert translated["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, "0"]}]}


def test_the_waf_rate_rule_exists_only_when_enabled(translated: dict[str, Any]) -> None:
    resources = translated["Resources"]
    acl, association = resources["ApiWebAcl"], resources["ApiWebAclAssociation"]

    assert translated["Parameters"]["EnableWaf"]["Default"] == "false"
    assert translated["Conditions"]["HasWaf"] == {"Fn::Equals": [{"Ref": "EnableWaf"}, "true"]}
    assert acl["Condition"] == association["Condition"] == "HasWaf"
    (rule,) = acl["Properties"]["Rules"]
    assert rule["Action"] == {"Block": {}}
    assert rule["Statement"]["RateBasedStatement"] == {"Limit": {"Ref": "WafRateLimit"}, "AggregateKeyType": "IP"}
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": ["ApiWebAcl", "Arn"]}
    assert "/stages/" in association["Properties"]["ResourceArn"]["Fn::Sub"]


def test_the_gateway_refuses_tokens_of_another_shape_than_the_api_issues() -> None:
    loaded = template.load(ROOT / "template.yaml")
    (authorizer,) = loaded.api.authorizers.values()

    assert authorizer.validation_expression == f"^Bearer {SECRET_PATTERN}$"
    assert re.fullmatch(authorizer.validation_expression, "Bearer cbk_agent_" + "A" * 43)
    assert not re.fullmatch(authorizer.validation_expression, "Bearer " + "A" * 64)
