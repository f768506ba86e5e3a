"""`make backfill` against DynamoDB Local: what earlier versions wrote without listings (an admin
key without its listing item, a merchant without `kind`) is listed over HTTP after it, and a second
run changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlparse

import boto3
import httpx

from cashback.auth import hash_secret
from localrun.stack import LocalApi
from tests.conftest import ROOT
from tests.helpers import make_admin_key
from tests.integration.conftest import bearer


def backfill(local_api: LocalApi) -> str:
    """One run as an operator starts it (`make backfill` against `make dev`); what it printed."""
    port = str(urlparse(local_api.dynamodb_endpoint).port)
    result = subprocess.run(
        [sys.executable, "-m", "scripts.backfill", "--dynamodb-port", port],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.endswith("_TABLE")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 3), result.stderr[-3000:]  # 3: something left for after the next rollup
    return result.stdout


def changed(output: str, step: str) -> int:
    line = next(line for line in output.splitlines() if line.startswith(f"{step}:"))
    return int(line.split("changed ", 1)[1].split(",")[0])


def test_an_old_admin_key_and_an_old_merchant_are_listed_after_the_backfill(
    local_api: LocalApi, client: httpx.Client
) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=local_api.dynamodb_endpoint, region_name="us-east-1")
    old_key = make_admin_key(local_api, "agents:read")
    listings = dynamodb.query(
        TableName="AgentsTable",
        KeyConditionExpression="pk = :p",
        FilterExpression="key_hash = :h",
        ExpressionAttributeValues={":p": {"S": "ADMINKEYS"}, ":h": {"S": hash_secret(old_key)}},
    )["Items"]
    [listing] = listings
    dynamodb.delete_item(TableName="AgentsTable", Key={"pk": listing["pk"], "sk": listing["sk"]})  # as before listings
    writer = bearer(make_admin_key(local_api, "catalog:write,catalog:read,keys:read"))
    merchant = {"merchant_id": "m_backfill", "name": "Backfill Mart", "domain": "backfill.example",
                "default_cashback_rate": "2.00"}  # fmt: skip
    assert client.put("/catalog/merchants", json={"merchants": [merchant]}, headers=writer).status_code == 200
    dynamodb.update_item(
        TableName="CatalogTable",
        Key={"pk": {"S": "MERCHANT#m_backfill"}, "sk": {"S": "MERCHANT"}},
        UpdateExpression="REMOVE kind, kind_id",  # as before the listing index
    )
    key_id = listing["key_id"]["S"]

    def listed() -> tuple[bool, bool]:
        keys = client.get("/admin/keys", params={"limit": 100}, headers=writer).json()["keys"]
        merchants = client.get("/catalog/merchants", params={"limit": 100}, headers=writer).json()["merchants"]
        return any(k["key_id"] == key_id for k in keys), any(m["merchant_id"] == "m_backfill" for m in merchants)

    before = listed()
    first, second = backfill(local_api), backfill(local_api)

    assert before == (False, False)
    assert listed() == (True, True)
    assert changed(first, "admin_key_listings") >= 1 and changed(first, "catalog_kinds") >= 1
    assert changed(second, "admin_key_listings") == changed(second, "catalog_kinds") == 0
