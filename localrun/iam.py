"""IAM, enforced locally: each function's AWS calls are authorized against its own role, as the SAM
transform of template.yaml writes that role (localrun.deployment.translated_template).

What is modelled, following AWS's evaluation rules for identity-based policies:
- a request is allowed when a statement allows it and none denies it (an explicit Deny wins;
  anything not allowed is an implicit deny);
- Action/NotAction and Resource/NotResource, with `*` and `?` wildcards; actions match without
  regard to case, resources with it; a table's ARN and its indexes' ARNs are distinct resources;
- conditions: StringEquals, StringLike and their negations, with the ForAllValues: and
  ForAnyValue: set operators, on `dynamodb:LeadingKeys` (the partition keys a request touches);
  any other condition key or operator makes the role unreadable here rather than being ignored;
- every item of TransactWriteItems (PutItem, UpdateItem, DeleteItem, ConditionCheckItem) and of
  TransactGetItems (GetItem) is its own request, and BatchWriteItem/BatchGetItem are checked on each
  table they name with each item's partition key;
- the managed policies SAM attaches (basic execution, X-Ray) with the statements AWS publishes.

A denied call raises the `AccessDeniedException` AWS returns, before anything is sent, so a
transaction is all or nothing here as on AWS, and the function's own error handling runs.
"""

from __future__ import annotations

import contextlib
import contextvars
import fnmatch
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore import handlers
from botocore.exceptions import ClientError

from localrun.template import LOCAL_ACCOUNT, LOCAL_REGION, Resolver, TemplateError

# The statements AWS publishes for the managed policies SAM attaches to every function's role.
MANAGED_POLICIES: dict[str, list[dict[str, Any]]] = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
}
LEADING_KEYS = "dynamodb:LeadingKeys"
_STRING_OPERATORS = {
    "StringEquals": (False, False),
    "StringNotEquals": (False, True),
    "StringLike": (True, False),
    "StringNotLike": (True, True),
}


@dataclass(frozen=True)
class Request:
    """One authorization request, as IAM evaluates it."""

    action: str
    resource: str
    leading_keys: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.action} on resource: {self.resource}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    regex = fnmatch.translate(pattern).replace("[", r"\[")  # IAM has no character classes
    return re.match(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


@dataclass(frozen=True)
class Condition:
    operator: str
    key: str
    values: tuple[str, ...]

    def holds(self, request: Request) -> bool:
        set_operator, _, operator = self.operator.rpartition(":")
        like, negated = _STRING_OPERATORS[operator]

        def matches(actual: str) -> bool:
            found = any(_wildcard(v, actual) if like else v == actual for v in self.values)
            return found != negated

        actual_values = list(request.leading_keys)
        if set_operator == "ForAllValues":
            return all(matches(v) for v in actual_values)  # true for no values, as on AWS
        if set_operator == "ForAnyValue":
            return any(matches(v) for v in actual_values)
        return len(actual_values) == 1 and matches(actual_values[0])


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...] = ()
    not_action: bool = False
    not_resource: bool = False
    source: str = ""  # the policy it came from

    @classmethod
    def parse(cls, statement: Mapping[str, Any], where: str) -> Statement:
        conditions = []
        for operator, by_key in statement.get("Condition", {}).items():
            if operator.rpartition(":")[2] not in _STRING_OPERATORS:
                raise TemplateError(f"{where}: condition operator {operator} is not modelled locally")
            for key, values in by_key.items():
                if key != LEADING_KEYS:
                    raise TemplateError(f"{where}: condition key {key} is not modelled locally")
                conditions.append(Condition(operator, key, tuple(str(v) for v in _as_list(values))))
        return cls(
            effect=statement["Effect"],
            actions=tuple(_as_list(statement.get("Action", statement.get("NotAction", [])))),
            resources=tuple(str(r) for r in _as_list(statement.get("Resource", statement.get("NotResource", "*")))),
            conditions=tuple(conditions),
            not_action="NotAction" in statement,
            not_resource="NotResource" in statement,
            source=where,
        )

    def applies(self, request: Request) -> bool:
        action = any(_wildcard(a, request.action, case_sensitive=False) for a in self.actions)
        resource = any(_wildcard(r, request.resource) for r in self.resources)
        return (
            action != self.not_action
            and resource != self.not_resource
            and all(c.holds(request) for c in self.conditions)
        )


@dataclass
class Role:
    """A function's execution role: the statements of every policy attached to it."""

    function: str
    name: str
    statements: list[Statement] = field(default_factory=list)

    def allows(self, request: Request) -> bool:
        return self.denial(request) is None

    def denial(self, request: Request) -> str | None:
        """None when allowed; else AWS's message for the denial."""
        applicable = [s for s in self.statements if s.applies(request)]
        principal = f"arn:aws:sts::{LOCAL_ACCOUNT}:assumed-role/{self.name}/{self.function}"
        if any(s.effect == "Deny" for s in applicable):
            return (
                f"User: {principal} is not authorized to perform: {request.describe()} "
                "with an explicit deny in an identity-based policy"
            )
        if not applicable:
            return (
                f"User: {principal} is not authorized to perform: {request.describe()} "
                f"because no identity-based policy allows the {request.action} action"
            )
        return None


def _policies_by_role(resources: Mapping[str, Any], resolver: Resolver) -> dict[str, list[tuple[str, Any]]]:
    """Each role's policies as (name, document): inline, attached by AWS::IAM::Policy, managed."""
    found: dict[str, list[tuple[str, Any]]] = {}
    for logical_id, resource in resources.items():
        if not resolver.included(resource):
            continue
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            documents = found.setdefault(logical_id, [])
            documents += [
                (f"{logical_id}.{p['PolicyName']}", p["PolicyDocument"])
                for p in resolver.resolve(properties.get("Policies", []))
            ]
            documents += [(arn, _managed(arn)) for arn in resolver.resolve(properties.get("ManagedPolicyArns", []))]
        elif resource["Type"] == "AWS::IAM::Policy":
            for role in properties.get("Roles", []):
                found.setdefault(role["Ref"], []).append((logical_id, resolver.resolve(properties["PolicyDocument"])))
    return found


def _managed(arn: str) -> dict[str, Any] | None:
    """AWS's statements of a managed policy; None when not modelled (an error only if a function uses it)."""
    return {"Statement": MANAGED_POLICIES[arn]} if arn in MANAGED_POLICIES else None


def roles(translated: Mapping[str, Any], parameters: Mapping[str, str] | None = None) -> dict[str, Role]:
    """Each function's role (by the function's logical id) from a SAM-transformed template."""
    resolver = Resolver(dict(translated), dict(parameters or {}))
    resources = translated["Resources"]
    policies = _policies_by_role(resources, resolver)
    found: dict[str, Role] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function" or not resolver.included(resource):
            continue
        role_ref = resource["Properties"]["Role"]
        role_id = role_ref["Fn::GetAtt"][0] if isinstance(role_ref, dict) else None
        if role_id not in policies:
            raise TemplateError(f"{logical_id}: its role {role_ref} is not a role of this template")
        role = Role(function=logical_id, name=role_id)
        for where, document in policies[role_id]:
            if document is None:
                raise TemplateError(f"{role_id}: managed policy {where} is not modelled locally")
            role.statements += [Statement.parse(s, where) for s in _as_list(document["Statement"])]
        found[logical_id] = role
    return found


# ---------------------------------------------------------------- requests of an API call


def table_arn(table: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def _partition_value(key: Mapping[str, Any], partition_keys: Mapping[str, str], table: str) -> tuple[str, ...]:
    attribute = key.get(partition_keys.get(table, "pk"))
    if not isinstance(attribute, Mapping):
        return ()
    return tuple(str(v) for v in attribute.values())


def _query_partition(params: Mapping[str, Any], partition_keys: Mapping[str, str]) -> tuple[str, ...]:
    """The partition key value a Query's key condition names (`pk = :v`), as DynamoDB derives
    dynamodb:LeadingKeys; indexes have their own keys, which carry no leading-key value here."""
    if params.get("IndexName"):
        return ()
    names = {v: k for k, v in params.get("ExpressionAttributeNames", {}).items()}
    attribute = partition_keys.get(params["TableName"], "pk")
    for name, placeholder in re.findall(r"(#?\w+)\s*=\s*(:\w+)", params.get("KeyConditionExpression", "")):
        if names.get(name, name) == attribute or name == attribute:
            value = params.get("ExpressionAttributeValues", {}).get(placeholder, {})
            return tuple(str(v) for v in value.values())
    return ()


# The action IAM checks for each kind of item in a transaction.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _items(operation: str, params: Mapping[str, Any]) -> list[tuple[str, str, list[Mapping[str, Any]]]]:
    """(action, table, keys) of each part of a call IAM checks on its own."""
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            (_TRANSACT_ACTIONS[kind], spec["TableName"], [spec.get("Key") or spec.get("Item") or {}])
            for item in params["TransactItems"]
            for kind, spec in item.items()
        ]
    if operation == "BatchGetItem":
        return [(operation, table, spec["Keys"]) for table, spec in params["RequestItems"].items()]
    if operation == "BatchWriteItem":
        return [
            (operation, table, [write.get("PutRequest", {}).get("Item") or write.get("DeleteRequest", {}).get("Key")])
            for table, writes in params["RequestItems"].items()
            for write in writes
        ]
    return [(operation, params["TableName"], [params.get("Key") or params.get("Item") or {}])]


def dynamodb_requests(operation: str, params: Mapping[str, Any], partition_keys: Mapping[str, str]) -> list[Request]:
    """What IAM checks for one DynamoDB API call."""
    if operation in ("Query", "Scan"):
        keys = _query_partition(params, partition_keys) if operation == "Query" else ()
        return [Request(f"dynamodb:{operation}", table_arn(params["TableName"], params.get("IndexName")), keys)]
    return [
        Request(
            f"dynamodb:{action}",
            table_arn(table),
            tuple(value for key in keys for value in _partition_value(key or {}, partition_keys, table)),
        )
        for action, table, keys in _items(operation, params)
    ]


def requests_of(
    service: str,
    operation: str,
    params: Mapping[str, Any],
    http: Mapping[str, Any],
    partition_keys: Mapping[str, str],
    uri_values: Mapping[str, Any] | None = None,
) -> list[Request]:
    """The requests IAM evaluates for one API call; unknown services fail loudly."""
    if service == "dynamodb":
        return dynamodb_requests(operation, params, partition_keys)
    if service == "apigateway":
        uri_values = uri_values or {}
        path = re.sub(r"\{(\w+)\+?\}", lambda m: str(uri_values.get(m.group(1), "")), http["requestUri"])
        return [Request(f"apigateway:{http['method']}", f"arn:aws:apigateway:{LOCAL_REGION}::{path.split('?')[0]}")]
    if service == "secretsmanager":
        secret = str(params.get("SecretId", ""))
        arn = (
            secret
            if secret.startswith("arn:")
            else f"arn:aws:secretsmanager:{LOCAL_REGION}:{LOCAL_ACCOUNT}:secret:{secret}"
        )
        return [Request(f"secretsmanager:{operation}", arn)]
    if service == "ssm":
        name = str(params.get("Name", "")).lstrip("/")
        return [Request(f"ssm:{operation}", f"arn:aws:ssm:{LOCAL_REGION}:{LOCAL_ACCOUNT}:parameter/{name}")]
    raise TemplateError(f"{service}:{operation}: the local IAM check does not model this service yet")


def _uri_values(model: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """The request URI's placeholders ({restapi_id}) filled from the parameters (restApiId)."""
    members = model.input_shape.members if model.input_shape else {}
    return {
        shape.serialization.get("name", name): params[name]
        for name, shape in members.items()
        if shape.serialization.get("location") == "uri" and name in params
    }


# ---------------------------------------------------------------- enforcement in a process

_current: contextvars.ContextVar[tuple[Role, Mapping[str, str]] | None] = contextvars.ContextVar(
    "localrun_iam_role", default=None
)
_process_role: tuple[Role, Mapping[str, str]] | None = None


def access_denied(message: str, operation: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "AccessDeniedException", "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        operation,
    )


def _authorize(params: Mapping[str, Any], model: Any, **_: Any) -> None:
    """Deny what the active role does not allow; LOCALRUN_IAM_AUDIT=<file> appends each decision."""
    active = _current.get() or _process_role
    if active is None:
        return  # the runner or a test's own set-up, not a function
    role, partition_keys = active
    service = model.service_model.endpoint_prefix
    try:
        requests = requests_of(service, model.name, params, model.http, partition_keys, _uri_values(model, params))
    except TemplateError as exc:
        raise access_denied(str(exc), model.name) from exc
    audit_log = os.environ.get("LOCALRUN_IAM_AUDIT")
    for request in requests:
        denial = role.denial(request)
        if audit_log:
            decision = [role.function, request.action, request.resource, list(request.leading_keys), denial is None]
            with open(audit_log, "a", encoding="utf-8") as log:
                log.write(json.dumps(decision) + "\n")
        if denial:
            raise access_denied(denial, model.name)


_installed = False


def install() -> None:
    """Check every AWS call of boto3's default session and of every session made from now on (as
    moto hooks itself in). Clients copy their session's handlers when created: install first."""
    global _installed  # noqa: PLW0603
    if not _installed:
        handlers.BUILTIN_HANDLERS.append(("before-parameter-build", _authorize))
        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION.events.register("before-parameter-build", _authorize)
        _installed = True


@contextlib.contextmanager
def acting_as(role: Role, partition_keys: Mapping[str, str]) -> Iterator[None]:
    """Calls in this context (this thread, and what copies its context) run with the role."""
    install()
    token = _current.set((role, partition_keys))
    try:
        yield
    finally:
        _current.reset(token)


def assume_for_process(role: Role, partition_keys: Mapping[str, str]) -> None:
    """Every call of this process runs with the role: one execution environment, one function."""
    global _process_role  # noqa: PLW0603
    install()
    _process_role = (role, partition_keys)
