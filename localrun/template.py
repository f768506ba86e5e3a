"""Read template.yaml the way CloudFormation and SAM would, for the parts the local runner needs.

The template is the one source of truth: tables, functions (with Globals merged), their
environment, API routes, the authorizer and gateway responses all come from here. Intrinsic
functions are resolved with parameter defaults and local pseudo parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT = "123456789012"
LOCAL_STACK = "cashback-local"
LOCAL_API_ID = "localapi01"  # the id the sample events in events/ carry

_SHORT_FORMS = ("Base64", "FindInMap", "GetAZs", "Join", "Select", "Split", "Sub", "And", "Equals", "If", "Not", "Or")
_NO_VALUE = object()


class TemplateError(Exception):
    """template.yaml uses something the local runner cannot resolve."""


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !Sub, ...) turned into their long form."""


def _node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _register_tags() -> None:
    _CloudFormationLoader.add_constructor("!Ref", lambda loader, node: {"Ref": _node_value(loader, node)})
    _CloudFormationLoader.add_constructor("!Condition", lambda loader, node: {"Condition": _node_value(loader, node)})

    def get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value = _node_value(loader, node)
        return {"Fn::GetAtt": value.split(".", 1) if isinstance(value, str) else value}

    _CloudFormationLoader.add_constructor("!GetAtt", get_att)
    for name in _SHORT_FORMS:
        _CloudFormationLoader.add_constructor(
            f"!{name}", lambda loader, node, name=name: {f"Fn::{name}": _node_value(loader, node)}
        )


_register_tags()


@dataclass(frozen=True)
class Table:
    logical_id: str
    name: str
    key_schema: list[dict[str, str]]
    attribute_definitions: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]] = field(default_factory=list)
    ttl_attribute: str | None = None

    def create_table_request(self, name: str | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": name or self.name,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": self.key_schema,
            "AttributeDefinitions": self.attribute_definitions,
        }
        if self.global_secondary_indexes:
            request["GlobalSecondaryIndexes"] = self.global_secondary_indexes
        return request


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    authorizer: str | None

    @property
    def pattern(self) -> re.Pattern[str]:
        """The path as a regex; `{name}` matches one segment, `{name+}` the rest."""
        regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(self.path))
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
        return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class Schedule:
    function: str
    name: str
    expression: str
    enabled: bool

    @property
    def every_seconds(self) -> int:
        """The period of a `rate(...)` expression; cron expressions are not run locally."""
        match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", self.expression)
        if not match:
            raise TemplateError(f"schedule {self.name}: only rate() expressions run locally")
        unit = {"minute": 60, "hour": 3600, "day": 86400}[match.group(2).rstrip("s")]
        return int(match.group(1)) * unit


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    timeout: int
    environment: dict[str, str]
    memory_mb: int = 128  # Lambda's default MemorySize


@dataclass(frozen=True)
class Authorizer:
    name: str
    function: str
    payload_type: str
    header: str
    validation_expression: str | None
    cache_seconds: int


@dataclass(frozen=True)
class GatewayResponse:
    status: int | None
    headers: dict[str, str]
    template: str | None


@dataclass(frozen=True)
class Api:
    logical_id: str
    stage: str
    default_authorizer: str | None
    authorizers: dict[str, Authorizer]
    gateway_responses: dict[str, GatewayResponse]
    cors_headers: dict[str, str]


@dataclass
class Template:
    root: Path
    tables: dict[str, Table]
    functions: dict[str, Function]
    routes: list[Route]
    schedules: list[Schedule]
    api: Api
    layer_dirs: list[Path]

    def table_names(self) -> dict[str, str]:
        return {t.logical_id: t.name for t in self.tables.values()}

    def partition_keys(self) -> dict[str, str]:
        """Each table's partition key attribute, by table name (what dynamodb:LeadingKeys reads)."""
        return {
            t.name: next(k["AttributeName"] for k in t.key_schema if k["KeyType"] == "HASH")
            for t in self.tables.values()
        }


def load(path: Path, parameters: Mapping[str, str] | None = None) -> Template:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_CloudFormationLoader)  # noqa: S506
    resolver = Resolver(document, dict(parameters or {}))
    root = path.resolve().parent
    resources = document["Resources"]
    globals_function = document.get("Globals", {}).get("Function", {})

    tables = {
        logical_id: _table(logical_id, resolver.resolve(resource.get("Properties", {})))
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::DynamoDB::Table" and resolver.included(resource)
    }
    functions: dict[str, Function] = {}
    routes: list[Route] = []
    schedules: list[Schedule] = []
    layer_dirs: list[Path] = []
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function" or not resolver.included(resource):
            continue
        properties = _merge(resolver.resolve(globals_function), resolver.resolve(resource["Properties"]))
        functions[logical_id] = Function(
            logical_id=logical_id,
            code_dir=root / properties["CodeUri"],
            handler=properties["Handler"],
            timeout=int(properties.get("Timeout", 3)),
            memory_mb=int(properties.get("MemorySize", 128)),
            environment={k: str(v) for k, v in properties.get("Environment", {}).get("Variables", {}).items()},
        )
        for layer in properties.get("Layers", []):
            layer_dir = root / resources[layer]["Properties"]["ContentUri"] if layer in resources else None
            if layer_dir and layer_dir not in layer_dirs:
                layer_dirs.append(layer_dir)
        for event_name, event in properties.get("Events", {}).items():
            event_props = event.get("Properties", {})
            if event["Type"] == "Api":
                authorizer = event_props.get("Auth", {}).get("Authorizer")
                routes.append(Route(event_props["Method"].upper(), event_props["Path"], logical_id, authorizer))
            elif event["Type"] == "Schedule":
                enabled = event_props.get("Enabled", True) and event_props.get("State", "ENABLED") == "ENABLED"
                schedules.append(Schedule(logical_id, event_name, event_props["Schedule"], bool(enabled)))

    apis = [(logical_id, r) for logical_id, r in resources.items() if r["Type"] == "AWS::Serverless::Api"]
    if len(apis) != 1:
        raise TemplateError("the local runner serves exactly one AWS::Serverless::Api")
    api = _api(apis[0][0], resolver.resolve(apis[0][1]["Properties"]))
    routes = [
        Route(r.method, r.path, r.function, api.default_authorizer if r.authorizer is None else r.authorizer)
        for r in routes
    ]
    return Template(root, tables, functions, routes, schedules, api, layer_dirs)


def _table(logical_id: str, properties: dict[str, Any]) -> Table:
    ttl = properties.get("TimeToLiveSpecification", {})
    indexes = [
        {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
        for index in properties.get("GlobalSecondaryIndexes", [])
    ]
    return Table(
        logical_id=logical_id,
        name=properties.get("TableName", logical_id),
        key_schema=properties["KeySchema"],
        attribute_definitions=properties["AttributeDefinitions"],
        global_secondary_indexes=indexes,
        ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
    )


def _api(logical_id: str, properties: dict[str, Any]) -> Api:
    auth = properties.get("Auth", {})
    authorizers = {}
    for name, spec in auth.get("Authorizers", {}).items():
        identity = spec.get("Identity", {})
        function_arn = spec["FunctionArn"]
        authorizers[name] = Authorizer(
            name=name,
            function=function_arn.split(":function:")[-1].split(":")[0],
            payload_type=spec.get("FunctionPayloadType", "TOKEN"),
            header=identity.get("Header", "Authorization"),
            validation_expression=identity.get("ValidationExpression"),
            cache_seconds=int(identity.get("ReauthorizeEvery", 300)),
        )
    responses = {}
    for kind, spec in properties.get("GatewayResponses", {}).items():
        headers = spec.get("ResponseParameters", {}).get("Headers", {})
        responses[kind] = GatewayResponse(
            status=int(spec["StatusCode"]) if "StatusCode" in spec else None,
            headers={k: str(v) for k, v in headers.items()},
            template=spec.get("ResponseTemplates", {}).get("application/json"),
        )
    cors = properties.get("Cors", {})
    if isinstance(cors, str):
        cors = {"AllowOrigin": cors}
    cors_headers = {
        header: _unquote(str(cors[key]))
        for key, header in (
            ("AllowOrigin", "Access-Control-Allow-Origin"),
            ("AllowHeaders", "Access-Control-Allow-Headers"),
            ("AllowMethods", "Access-Control-Allow-Methods"),
            ("MaxAge", "Access-Control-Max-Age"),
        )
        if key in cors
    }
    return Api(
        logical_id=logical_id,
        stage=str(properties.get("StageName", "Prod")),
        default_authorizer=auth.get("DefaultAuthorizer"),
        authorizers=authorizers,
        gateway_responses=responses,
        cors_headers=cors_headers,
    )


def _unquote(value: str) -> str:
    """API Gateway header mappings quote static values: "'*'" means the string *."""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else value


def _merge(base: Any, override: Any) -> Any:
    """SAM's Globals rule: maps merge key by key, anything else is replaced (lists are appended)."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return base + [item for item in override if item not in base]
    return override


class Resolver:
    """Evaluates intrinsic functions with parameter defaults and local pseudo parameters."""

    def __init__(self, document: dict[str, Any], overrides: dict[str, str]) -> None:
        self.resources = document["Resources"]
        self.globals_function = document.get("Globals", {}).get("Function", {})
        self.parameters = {
            name: str(overrides.get(name, spec.get("Default", "")))
            for name, spec in document.get("Parameters", {}).items()
        }
        self.pseudo = {
            "AWS::Region": LOCAL_REGION,
            "AWS::AccountId": LOCAL_ACCOUNT,
            "AWS::StackName": LOCAL_STACK,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        self.condition_specs = document.get("Conditions", {})
        self.conditions: dict[str, bool] = {}

    def included(self, resource: dict[str, Any]) -> bool:
        return "Condition" not in resource or self.condition(resource["Condition"])

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.resolve(self.condition_specs[name]))
        return self.conditions[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Condition":
                return self.condition(argument)
            if key.startswith("Fn::"):
                return self.function(key[4:], argument)
        return {k: r for k, r in ((k, self.resolve(v)) for k, v in value.items()) if r is not _NO_VALUE}

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.resources:
            return self._resource_ref(name, self.resources[name])
        function, _, alias = name.partition(".")
        if alias == "Alias" and function in self.resources:  # SAM's AutoPublishAlias reference
            properties = {**self.globals_function, **self.resources[function].get("Properties", {})}
            return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{function}:{properties['AutoPublishAlias']}"
        raise TemplateError(f"!Ref {name}: no such parameter or resource")

    @staticmethod
    def _resource_ref(name: str, resource: dict[str, Any]) -> str:
        """What !Ref of a resource returns, for the kinds the template references."""
        kind = resource["Type"]
        if kind == "AWS::DynamoDB::Table":
            return str(resource.get("Properties", {}).get("TableName", name))
        if kind in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
            return LOCAL_API_ID
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:{LOCAL_REGION}:{LOCAL_ACCOUNT}:secret:{name}"
        return name

    def function(self, name: str, argument: Any) -> Any:  # noqa: PLR0911, PLR0912
        if name == "GetAtt":
            logical_id, attribute = argument
            if logical_id not in self.resources:
                raise TemplateError(f"!GetAtt {logical_id}: no such resource")
            kind = self.resources[logical_id]["Type"]
            if attribute == "Arn" and kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
                return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{logical_id}"
            if attribute == "Arn" and kind == "AWS::DynamoDB::Table":
                return f"arn:aws:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT}:table/{self.ref(logical_id)}"
            if attribute == "Arn" and kind == "AWS::SQS::Queue":
                return f"arn:aws:sqs:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{logical_id}"
            if attribute == "Arn" and kind == "AWS::KMS::Key":
                return f"arn:aws:kms:{LOCAL_REGION}:{LOCAL_ACCOUNT}:key/{logical_id}"
            return f"arn:aws:local:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{logical_id}/{attribute}"
        if name == "Sub":
            return self.sub(argument)
        if name == "If":
            condition, when_true, when_false = argument
            return self.resolve(when_true if self.condition(condition) else when_false)
        arguments = self.resolve(argument)
        if name == "Equals":
            return str(arguments[0]) == str(arguments[1])
        if name == "Not":
            return not arguments[0]
        if name == "And":
            return all(arguments)
        if name == "Or":
            return any(arguments)
        if name == "Join":
            return str(arguments[0]).join(str(part) for part in arguments[1])
        if name == "Select":
            return arguments[1][int(arguments[0])]
        if name == "Split":
            return str(arguments[1]).split(str(arguments[0]))
        raise TemplateError(f"Fn::{name} is not supported by the local runner")

    def sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], self.resolve(argument[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                return str(self.function("GetAtt", name.split(".", 1)))
            return str(self.ref(name))

        return re.sub(r"\$\{([^!}][^}]*)\}", replace, text)
