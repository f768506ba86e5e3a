"""moto's server, the fallback without Java: atomic requests, data kept in the data folder, TTL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from localrun import dynamodb, template
from localrun.dynamodb import EmbeddedDynamoDB
from tests.conftest import ROOT

TABLES = template.load(ROOT / "template.yaml").tables


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedDynamoDB]:
    with EmbeddedDynamoDB(tmp_path, port=0) as database:
        dynamodb.ensure_tables(database.endpoint, TABLES.values())
        yield database


def test_data_survives_a_restart(tmp_path: Path) -> None:
    with EmbeddedDynamoDB(tmp_path, port=0) as database:
        dynamodb.ensure_tables(database.endpoint, TABLES.values())
        client = dynamodb.client(database.endpoint)
        client.put_item(TableName="AgentsTable", Item={"pk": {"S": "AGENT#a"}, "sk": {"S": "PROFILE"}, "n": {"N": "7"}})
        client.put_item(TableName="RateLimitTable", Item={"pk": {"S": "ip#1"}, "expires_at": {"N": "9999999999"}})

    with EmbeddedDynamoDB(tmp_path, port=0) as database:
        assert dynamodb.ensure_tables(database.endpoint, TABLES.values()) == []
        client = dynamodb.client(database.endpoint)
        item = client.get_item(TableName="AgentsTable", Key={"pk": {"S": "AGENT#a"}, "sk": {"S": "PROFILE"}})["Item"]
        assert item["n"] == {"N": "7"}
        ttl = client.describe_time_to_live(TableName="RateLimitTable")["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_ttl_deletes_expired_items_only(embedded: EmbeddedDynamoDB) -> None:
    client = dynamodb.client(embedded.endpoint)
    now = int(time.time())
    for key, expires in (("past", now - 10), ("future", now + 3600), ("none", None)):
        item = {"pk": {"S": key}} | ({"expires_at": {"N": str(expires)}} if expires else {})
        client.put_item(TableName="RateLimitTable", Item=item)
    assert embedded.delete_expired_items() == 1
    keys = {i["pk"]["S"] for i in client.scan(TableName="RateLimitTable")["Items"]}
    assert keys == {"future", "none"}


def test_clients_in_any_region_see_the_same_tables(embedded: EmbeddedDynamoDB) -> None:
    other_region = boto3.client(
        "dynamodb",
        endpoint_url=embedded.endpoint,
        region_name="eu-west-3",
        aws_access_key_id="someone",
        aws_secret_access_key="else",
    )
    assert set(TABLES) <= set(other_region.list_tables()["TableNames"])


def test_conditional_writes_and_transactions_behave_as_in_dynamodb(embedded: EmbeddedDynamoDB) -> None:
    client = dynamodb.client(embedded.endpoint)
    key = {"pk": {"S": "CRED#x"}, "sk": {"S": "CRED"}}
    client.put_item(TableName="AgentsTable", Item=key, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(TableName="AgentsTable", Item=key, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "AgentsTable", "Item": {"pk": {"S": "new"}, "sk": {"S": "new"}}}},
                {"Put": {"TableName": "AgentsTable", "Item": key, "ConditionExpression": "attribute_not_exists(pk)"}},
            ]
        )
    assert "Item" not in client.get_item(TableName="AgentsTable", Key={"pk": {"S": "new"}, "sk": {"S": "new"}})


def test_a_cancelled_transaction_leaves_every_item_as_it_was(embedded: EmbeddedDynamoDB) -> None:
    """Transactions back up only the items they touch (moto copied whole tables): a failure
    after earlier actions applied puts back updated, deleted and new items alike."""
    client = dynamodb.client(embedded.endpoint)
    table = "AnalyticsTable"

    def key(name: str) -> dict:
        return {"pk": {"S": "T"}, "sk": {"S": name}}

    client.put_item(TableName=table, Item={**key("counted"), "n": {"N": "1"}})
    client.put_item(TableName=table, Item={**key("kept"), "n": {"N": "7"}})
    client.put_item(TableName=table, Item={**key("bystander"), "n": {"N": "3"}})
    add_one = {"UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}
    actions = [
        {"Update": {"TableName": table, "Key": key("counted"), **add_one}},
        {"Delete": {"TableName": table, "Key": key("kept")}},
        {"Put": {"TableName": table, "Item": {**key("new"), "n": {"N": "9"}}}},
        {"ConditionCheck": {"TableName": table, "Key": key("missing"), "ConditionExpression": "attribute_exists(pk)"}},
    ]
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=actions)
    with pytest.raises(client.exceptions.ClientError):  # the same item twice: a validation error
        client.transact_write_items(TransactItems=[actions[0], {"Delete": {"TableName": table, "Key": key("counted")}}])

    assert counts(client, table) == {"bystander": "3", "counted": "1", "kept": "7"}

    client.transact_write_items(TransactItems=actions[:3])
    assert counts(client, table) == {"bystander": "3", "counted": "2", "new": "9"}


def counts(client: Any, table: str) -> dict[str, str]:
    values = {":t": {"S": "T"}}
    found = client.query(TableName=table, KeyConditionExpression="pk = :t", ExpressionAttributeValues=values)
    return {i["sk"]["S"]: i["n"]["N"] for i in found["Items"]}
