"""The template as CloudFormation receives it: SAM-transformed for each samconfig.toml environment,
then cfn-lint. What AWS would reject at deploy must fail here first."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from localrun import deployment
from tests.conftest import ROOT

pytestmark = [
    pytest.mark.skipif(not deployment.SAM_PYTHON.exists(), reason="make test installs .venv-sam first"),
    pytest.mark.xdist_group("sam"),
]
ENVIRONMENTS = deployment.config_environments()
LAYER = ROOT / "layers" / "common" / "cashback"


def test_samconfig_deploys_dev_and_prod() -> None:
    assert ENVIRONMENTS == ["default", "prod"]


@pytest.mark.parametrize("config_env", ENVIRONMENTS)
def test_the_translated_template_has_no_error_cloudformation_would_refuse(config_env: str) -> None:
    translated = deployment.translated_path(ROOT / "template.yaml", config_env)

    assert deployment.errors(deployment.lint(translated)) == []


def test_a_policy_that_names_the_api_inside_the_rotation_function_is_a_circular_dependency(tmp_path: Path) -> None:
    """The defect this check exists for: API -> function -> role -> API. sam validate --lint misses it."""
    source = (ROOT / "template.yaml").read_text(encoding="utf-8")
    statement = """
            - Sid: FlushAuthorizerCacheOnRotation
              Effect: Allow
              Action: apigateway:DELETE
              Resource: !Sub arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${CashbackApi}/*"""
    anchor = "            - Sid: ReplaceCredential"
    assert anchor in source
    broken = tmp_path / "template.yaml"
    broken.write_text(source.replace(anchor, statement.lstrip("\n") + "\n" + anchor, 1), encoding="utf-8")

    errors = deployment.errors(deployment.lint(deployment.translated_path(broken)))

    in_cycle = {match.group(1) for e in errors if (match := re.search(r":E3004:.*resource (\w+)", e))}
    assert {"CashbackApi", "RotateTokenFunction", "RotateTokenFunctionRole"} <= in_cycle


def _resources(config_env: str) -> dict[str, Any]:
    return deployment.translated_template(ROOT / "template.yaml", config_env)["Resources"]  # type: ignore[no-any-return]


def test_the_alarms_topic_uses_a_key_whose_policy_lets_cloudwatch_publish() -> None:
    resources = _resources("default")
    key_ref = resources["OperationsTopic"]["Properties"]["KmsMasterKeyId"]

    assert key_ref != "alias/aws/sns"  # the AWS-managed key's policy cannot grant CloudWatch
    key = resources[key_ref["Ref"]]
    grants = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= {a for s in grants for a in s["Action"]}


def _emitted_metrics() -> set[str]:
    found = set()
    for source in LAYER.rglob("*.py"):
        found |= set(re.findall(r'add_metric\(\s*name="(\w+)"', source.read_text(encoding="utf-8")))
    return found


def test_every_alarm_notifies_the_operations_topic_and_watches_a_metric_that_exists() -> None:
    alarms = {k: v["Properties"] for k, v in _resources("default").items() if v["Type"] == "AWS::CloudWatch::Alarm"}

    assert {
        "ApiServerErrorsAlarm",
        "ApiLatencyAlarm",
        "ConversionsErrorsAlarm",
        "RateLimiterErrorsAlarm",
        "AuthorizerCacheFlushFailedAlarm",
        "DynamoDBThrottlingAlarm",
        "RollupLagAlarm",
        "RollupErrorsAlarm",
        "RollupFailureQueueAlarm",
        "WebhookLagAlarm",
    } <= set(alarms)
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": "OperationsTopic"}], name
    ours = {a["MetricName"] for a in alarms.values() if a["Namespace"] == "CashbackApi"}
    assert ours <= _emitted_metrics()
    assert all(
        a["Dimensions"] == [{"Name": "service", "Value": "cashback-api"}]
        for a in alarms.values()
        if a["Namespace"] == "CashbackApi"
    ), "Powertools publishes custom metrics with the service dimension only"


def test_metrics_the_code_says_are_alarmed_have_an_alarm() -> None:
    alarms = [a["Properties"] for a in _resources("default").values() if a["Type"] == "AWS::CloudWatch::Alarm"]
    said = set()
    for source in LAYER.rglob("*.py"):
        lines = source.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            metric = re.search(r'add_metric\(name="(\w+)"', line)
            comments = [c for c in lines[max(0, number - 3) : number + 1] if "#" in c]
            if metric and any("alarm" in c.lower() for c in comments):
                said.add(metric.group(1))

    assert said and said <= {a["MetricName"] for a in alarms}


def test_prod_shifts_traffic_gradually_and_rolls_back_on_alarms_dev_deploys_at_once() -> None:
    for config_env, expected in (("prod", "Canary10Percent5Minutes"), ("default", "AllAtOnce")):
        stage = deployment.parameter_overrides(config_env)["Stage"]
        groups = [
            v["Properties"] for v in _resources(config_env).values() if v["Type"] == "AWS::CodeDeploy::DeploymentGroup"
        ]
        functions = [k for k, v in _resources(config_env).items() if v["Type"] == "AWS::Lambda::Function"]
        assert len(groups) == len(functions), "every function deploys through an alias"
        for group in groups:
            _, when_prod, otherwise = group["DeploymentConfigName"]["Fn::If"]
            chosen = when_prod if stage == "prod" else otherwise
            assert chosen["Fn::Sub"][1]["ConfigName"] == expected
            alarms = group["AlarmConfiguration"]["Fn::If"][1 if stage == "prod" else 2]
            assert bool(alarms) == (stage == "prod")
            assert group["AutoRollbackConfiguration"]["Enabled"] is True


def test_the_authorizer_the_api_calls_is_the_published_alias() -> None:
    template = yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    authorizer = template["Resources"]["CashbackApi"]["Properties"]["Auth"]["Authorizers"]["BearerTokenAuthorizer"]

    assert authorizer["FunctionArn"] == {"Ref": "AuthorizerFunction.Alias"}


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: {
        suffix: loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else loader.construct_sequence(node)
    },
)
