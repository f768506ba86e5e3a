"""The runner reads template.yaml as CloudFormation and SAM would: nothing is copied by hand."""

from __future__ import annotations

import yaml

from localrun import template
from tests.conftest import ROOT

TEMPLATE = ROOT / "template.yaml"


def _raw_api_events() -> set[tuple[str, str, str]]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    document = yaml.load(TEMPLATE.read_text(), Loader=Loader)
    return {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"], logical_id)
        for logical_id, resource in document["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "Api"
    }


def test_every_api_event_of_the_template_is_a_route() -> None:
    loaded = template.load(TEMPLATE)
    assert {(r.method, r.path, r.function) for r in loaded.routes} == _raw_api_events()


def test_routes_without_their_own_auth_use_the_default_authorizer() -> None:
    routes = {(r.method, r.path): r for r in template.load(TEMPLATE).routes}
    assert routes[("GET", "/health")].authorizer == "NONE"
    assert routes[("POST", "/agents")].authorizer == "NONE"
    assert routes[("GET", "/agents/{agent_id}")].authorizer == "BearerTokenAuthorizer"


def test_path_parameters_match_one_segment() -> None:
    route = template.Route("GET", "/agents/{agent_id}/stats", "F", None)
    match = route.pattern.match("/agents/agt_123/stats")
    assert match and match.groupdict() == {"agent_id": "agt_123"}
    assert route.pattern.match("/agents/a/b/stats") is None
    assert template.Route("GET", "/files/{key+}", "F", None).pattern.match("/files/a/b").groupdict() == {"key": "a/b"}


def test_the_authorizer_comes_from_the_api_definition() -> None:
    authorizer = template.load(TEMPLATE).api.authorizers["BearerTokenAuthorizer"]
    assert authorizer.function == "AuthorizerFunction"
    assert authorizer.payload_type == "TOKEN"
    assert authorizer.header == "Authorization"
    assert authorizer.validation_expression == "^Bearer cbk_(agent|admin)_[A-Za-z0-9_-]{32,64}$"
    assert authorizer.cache_seconds == 300


def test_globals_merge_into_each_function_and_function_settings_win() -> None:
    functions = template.load(TEMPLATE).functions
    conversions = functions["ConversionsFunction"]
    assert conversions.environment["AGENTS_TABLE"] == "AgentsTable"
    assert conversions.environment["WEBHOOK_SECRET_NAME"].endswith(":secret:WebhookSecret")  # !Ref of a secret: its ARN
    assert "WEBHOOK_SECRET_NAME" not in functions["HealthFunction"].environment
    assert functions["RollupFunction"].timeout == 300
    assert functions["HealthFunction"].timeout == 10
    assert functions["HealthFunction"].code_dir == ROOT / "functions" / "health"


def test_parameters_and_conditions_resolve_like_cloudformation() -> None:
    dev = template.load(TEMPLATE)
    prod = template.load(TEMPLATE, {"Stage": "prod"})
    assert dev.functions["HealthFunction"].environment["POWERTOOLS_LOG_LEVEL"] == "DEBUG"
    assert prod.functions["HealthFunction"].environment["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert prod.api.stage == "prod"


def test_tables_keep_their_keys_and_ttl() -> None:
    tables = template.load(TEMPLATE).tables
    assert tables["RateLimitTable"].ttl_attribute == "expires_at"
    assert tables["AgentsTable"].ttl_attribute is None
    assert [k["AttributeName"] for k in tables["AgentsTable"].key_schema] == ["pk", "sk"]


def test_the_layer_is_on_the_path_as_opt_python_would_be() -> None:
    assert template.load(TEMPLATE).layer_dirs == [ROOT / "layers" / "common"]


def test_schedules_run_at_their_rate() -> None:
    every = {schedule.function: schedule.every_seconds for schedule in template.load(TEMPLATE).schedules}
    assert every == {"RollupFunction": 300, "DeliverWebhooksFunction": 60}
