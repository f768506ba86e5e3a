"""IAM enforced locally: AWS's evaluation rules, and each function's role as the template writes it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localrun import deployment, iam, template
from scripts import iam_table
from tests.conftest import ROOT, template_tables_in_moto

pytestmark = pytest.mark.skipif(not deployment.SAM_PYTHON.exists(), reason="make test installs .venv-sam first")

AGENTS = iam.table_arn("AgentsTable")
KEYS = {"AgentsTable": "pk", "ActivityTable": "pk", "RateLimitTable": "pk"}


def role(*statements: dict[str, Any]) -> iam.Role:
    return iam.Role("SomeFunction", "SomeFunctionRole", [iam.Statement.parse(s, "test") for s in statements])


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_nothing_is_allowed_that_no_statement_allows() -> None:
    denial = role().denial(iam.Request("dynamodb:GetItem", AGENTS))

    assert denial is not None and "because no identity-based policy allows the dynamodb:GetItem action" in denial


def test_an_explicit_deny_wins_over_any_allow() -> None:
    subject = role(allow("dynamodb:*", "*"), {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": AGENTS})

    assert subject.allows(iam.Request("dynamodb:PutItem", AGENTS))
    assert not subject.allows(iam.Request("dynamodb:DeleteItem", AGENTS))
    assert "explicit deny" in (subject.denial(iam.Request("dynamodb:DeleteItem", AGENTS)) or "")


def test_wildcards_match_actions_regardless_of_case_and_resources_exactly() -> None:
    subject = role(allow("DynamoDB:Get*", "arn:aws:dynamodb:us-east-1:123456789012:table/Agent?Table"))

    assert subject.allows(iam.Request("dynamodb:GetItem", AGENTS))
    assert not subject.allows(iam.Request("dynamodb:GetItem", iam.table_arn("agentsTable")))
    assert not subject.allows(iam.Request("dynamodb:PutItem", AGENTS))


def test_a_table_and_its_indexes_are_distinct_resources() -> None:
    table_only = role(allow("dynamodb:Query", AGENTS))
    indexes = role(allow("dynamodb:Query", f"{AGENTS}/index/*"))

    assert not table_only.allows(iam.Request("dynamodb:Query", iam.table_arn("AgentsTable", "ByName")))
    assert indexes.allows(iam.Request("dynamodb:Query", iam.table_arn("AgentsTable", "ByName")))
    assert not indexes.allows(iam.Request("dynamodb:Query", AGENTS))


def test_leading_keys_limit_which_partitions_a_statement_reaches() -> None:
    subject = role(
        allow("dynamodb:PutItem", AGENTS, Condition={"ForAllValues:StringLike": {iam.LEADING_KEYS: ["AGENT#*"]}})
    )

    assert subject.allows(iam.Request("dynamodb:PutItem", AGENTS, ("AGENT#agt_1",)))
    assert not subject.allows(iam.Request("dynamodb:PutItem", AGENTS, ("CRED#abc",)))


def test_a_condition_this_check_cannot_evaluate_is_refused_not_ignored() -> None:
    with pytest.raises(template.TemplateError, match="IpAddress"):
        role(allow("dynamodb:GetItem", AGENTS, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))


def test_each_item_of_a_transaction_is_its_own_request() -> None:
    params = {
        "TransactItems": [
            {"Update": {"TableName": "AgentsTable", "Key": {"pk": {"S": "AGENT#a"}, "sk": {"S": "PROFILE"}}}},
            {"Delete": {"TableName": "AgentsTable", "Key": {"pk": {"S": "CRED#old"}, "sk": {"S": "CRED"}}}},
            {"Put": {"TableName": "AgentsTable", "Item": {"pk": {"S": "CRED#new"}, "sk": {"S": "CRED"}}}},
            {"ConditionCheck": {"TableName": "ActivityTable", "Key": {"pk": {"S": "X"}, "sk": {"S": "Y"}}}},
        ]
    }

    assert iam.dynamodb_requests("TransactWriteItems", params, KEYS) == [
        iam.Request("dynamodb:UpdateItem", AGENTS, ("AGENT#a",)),
        iam.Request("dynamodb:DeleteItem", AGENTS, ("CRED#old",)),
        iam.Request("dynamodb:PutItem", AGENTS, ("CRED#new",)),
        iam.Request("dynamodb:ConditionCheckItem", iam.table_arn("ActivityTable"), ("X",)),
    ]


def test_batch_calls_are_checked_on_every_table_and_item_they_name() -> None:
    params = {
        "RequestItems": {
            "AgentsTable": [
                {"PutRequest": {"Item": {"pk": {"S": "AGENT#a"}}}},
                {"DeleteRequest": {"Key": {"pk": {"S": "CRED#b"}}}},
            ],
            "ActivityTable": [{"PutRequest": {"Item": {"pk": {"S": "EVENTS#1"}}}}],
        }
    }

    assert iam.dynamodb_requests("BatchWriteItem", params, KEYS) == [
        iam.Request("dynamodb:BatchWriteItem", AGENTS, ("AGENT#a",)),
        iam.Request("dynamodb:BatchWriteItem", AGENTS, ("CRED#b",)),
        iam.Request("dynamodb:BatchWriteItem", iam.table_arn("ActivityTable"), ("EVENTS#1",)),
    ]


# ---------------------------------------------------------------- the template's roles


@pytest.fixture(scope="module")
def roles() -> dict[str, iam.Role]:
    translated = deployment.translated_template(ROOT / "template.yaml")
    return iam.roles(translated, deployment.parameter_overrides("default"))


def test_only_registration_rotation_and_the_operators_may_write_credentials(roles: dict[str, iam.Role]) -> None:
    writes = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")
    writers = {
        name
        for name, r in roles.items()
        for action in writes
        if r.allows(iam.Request(f"dynamodb:{action}", AGENTS, ("CRED#" + "0" * 64,)))
    }

    # Operators change a credential's plan or standing, and delete it with the agent or the admin key.
    assert writers == {"RegisterAgentFunction", "RotateTokenFunction", "AgentAdminFunction", "AdminKeysFunction"}


def test_no_function_may_scan_a_table(roles: dict[str, iam.Role]) -> None:
    tables = template.load(ROOT / "template.yaml").tables

    assert [
        (name, table)
        for name, r in roles.items()
        for table in tables
        if r.allows(iam.Request("dynamodb:Scan", iam.table_arn(table)))
        or r.allows(iam.Request("dynamodb:Scan", iam.table_arn(table, "x")))
    ] == []


def test_rotation_may_delete_the_old_credential_and_flush_this_apis_authorizer_cache(
    roles: dict[str, iam.Role],
) -> None:
    rotation = roles["RotateTokenFunction"]

    assert rotation.allows(iam.Request("dynamodb:DeleteItem", AGENTS, ("CRED#old",)))
    cache = f"arn:aws:apigateway:us-east-1::/restapis/{template.LOCAL_API_ID}/stages/dev/cache/authorizers"
    assert rotation.allows(iam.Request("apigateway:DELETE", cache))
    assert not rotation.allows(iam.Request("apigateway:DELETE", cache.replace(template.LOCAL_API_ID, "otherapi")))


def test_the_readme_shows_each_functions_permissions_as_the_template_grants_them() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert readme == iam_table.readme_with_table(readme), "run `make iam-table`"


# ---------------------------------------------------------------- enforcement of real calls


@pytest.fixture
def moto_tables() -> Iterator[None]:
    with template_tables_in_moto():
        yield


def test_a_denied_call_raises_the_access_denied_error_aws_returns_and_writes_nothing(
    moto_tables: None, roles: dict[str, iam.Role]
) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    profile = {"pk": {"S": "AGENT#a"}, "sk": {"S": "PROFILE"}}
    credential = {"pk": {"S": "CRED#x"}, "sk": {"S": "CRED"}}

    with iam.acting_as(roles["UpdateAgentFunction"], KEYS), pytest.raises(ClientError) as denied:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "AgentsTable", "Item": profile}},
                {"Put": {"TableName": "AgentsTable", "Item": credential}},
            ]
        )

    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "dynamodb:PutItem on resource: " + AGENTS in denied.value.response["Error"]["Message"]
    assert client.scan(TableName="AgentsTable")["Items"] == []  # all or nothing, as on AWS


def test_calls_outside_a_function_are_the_runners_own_and_unchecked(moto_tables: None) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")

    client.put_item(TableName="AgentsTable", Item={"pk": {"S": "CRED#x"}, "sk": {"S": "CRED"}})
