"""DynamoDB Local under the runner: data kept in the data folder, what the code relies on behaves
as in DynamoDB, TTL deletes expired items, a dead engine is started again, a taken port is named."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import BotoCoreError

from localrun import dynamodb, dynamodb_local, template
from localrun.dynamodb_local import DynamoDBLocal, LocalRunError
from localrun.stack import LocalApi
from tests.conftest import ROOT
from tests.localrun.test_commands import run_localrun

TABLES = template.load(ROOT / "template.yaml").tables
pytestmark = pytest.mark.skipif(
    dynamodb_local.unavailable_reason() is not None,
    reason=f"DynamoDB Local cannot run: {dynamodb_local.unavailable_reason()} (make test stops before)",
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DynamoDBLocal]:
    # The tests call the sweep themselves; the watchdog's own sweep would race them.
    with DynamoDBLocal(tmp_path_factory.mktemp("dynamodb-local"), port=0, sweep_every=3600) as database:
        dynamodb.ensure_tables(database.endpoint, TABLES.values())
        yield database


def test_data_survives_a_restart(tmp_path: Path) -> None:
    with DynamoDBLocal(tmp_path, port=0) as database:
        dynamodb.ensure_tables(database.endpoint, TABLES.values())
        dynamodb.client(database.endpoint).put_item(
            TableName="AgentsTable", Item={"pk": {"S": "AGENT#a"}, "sk": {"S": "PROFILE"}, "n": {"N": "7"}}
        )

    with DynamoDBLocal(tmp_path, port=0) as database:
        assert dynamodb.ensure_tables(database.endpoint, TABLES.values()) == []
        client = dynamodb.client(database.endpoint)
        item = client.get_item(TableName="AgentsTable", Key={"pk": {"S": "AGENT#a"}, "sk": {"S": "PROFILE"}})["Item"]
        assert item["n"] == {"N": "7"}
        ttl = client.describe_time_to_live(TableName="RateLimitTable")["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_ttl_sweep_deletes_expired_items_only(engine: DynamoDBLocal) -> None:
    client = dynamodb.client(engine.endpoint)
    now = int(time.time())
    for key, expires in (("past", now - 10), ("future", now + 3600), ("none", None)):
        item = {"pk": {"S": f"ttl-{key}"}} | ({"expires_at": {"N": str(expires)}} if expires else {})
        client.put_item(TableName="RateLimitTable", Item=item)
    client.put_item(TableName="RateLimitTable", Item={"pk": {"S": "ttl-text"}, "expires_at": {"S": "0"}})

    # TTL deletion is eventual, on DynamoDB as here; DynamoDB Local 1.25.1 was also seen removing an
    # expired item on its own before the sweep ran, so the test asserts the outcome, not who deleted.
    deadline = time.monotonic() + 15
    while True:
        engine.delete_expired_items()
        items = client.scan(TableName="RateLimitTable", ConsistentRead=True)["Items"]
        keys = {i["pk"]["S"] for i in items if i["pk"]["S"].startswith("ttl-")}
        if "ttl-past" not in keys or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    assert keys == {"ttl-future", "ttl-none", "ttl-text"}  # a non-number TTL is ignored, as in DynamoDB


def test_ttl_sweep_never_deletes_early(engine: DynamoDBLocal) -> None:
    client = dynamodb.client(engine.endpoint)
    expires = int(time.time()) + 5
    client.put_item(TableName="RateLimitTable", Item={"pk": {"S": "early"}, "expires_at": {"N": str(expires)}})
    assert engine.delete_expired_items(now=expires) == 0  # at the expiry second itself it stays
    assert "Item" in client.get_item(TableName="RateLimitTable", Key={"pk": {"S": "early"}})


def test_a_refused_conditional_update_returns_the_item_it_saw(engine: DynamoDBLocal) -> None:
    """The rate limiter reads the full counts from a refused update (ReturnValuesOnConditionCheckFailure)."""
    client = dynamodb.client(engine.endpoint)
    key = {"pk": {"S": "limit"}}
    client.put_item(TableName="RateLimitTable", Item={**key, "c": {"N": "100"}})
    update = {
        "TableName": "RateLimitTable",
        "Key": key,
        "UpdateExpression": "ADD c :one",
        "ConditionExpression": "c <= :limit",
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": "99"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    with pytest.raises(client.exceptions.ConditionalCheckFailedException) as refused:
        client.update_item(**update)
    assert refused.value.response["Item"]["c"] == {"N": "100"}
    with pytest.raises(client.exceptions.TransactionCanceledException) as cancelled:
        client.transact_write_items(TransactItems=[{"Update": update}])
    reason = cancelled.value.response["CancellationReasons"][0]
    assert reason["Code"] == "ConditionalCheckFailed" and reason["Item"]["c"] == {"N": "100"}


def test_a_dead_engine_is_started_again_with_its_data(tmp_path: Path) -> None:
    with DynamoDBLocal(tmp_path, port=0) as database:
        client = dynamodb.client(database.endpoint)
        dynamodb.ensure_tables(database.endpoint, [TABLES["AgentsTable"]])
        client.put_item(TableName="AgentsTable", Item={"pk": {"S": "kept"}, "sk": {"S": "kept"}})
        assert database.process is not None
        first = database.process.pid
        os.kill(first, signal.SIGKILL)

        deadline = time.monotonic() + 90
        while True:
            assert time.monotonic() < deadline, "not started again"
            try:
                item = client.get_item(TableName="AgentsTable", Key={"pk": {"S": "kept"}, "sk": {"S": "kept"}})
                break
            except BotoCoreError:
                time.sleep(0.5)
        assert "Item" in item
        assert database.process.pid != first


def test_a_taken_port_is_named_with_the_variable_to_change(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LocalRunError, match=f"port {port} .*DYNAMODB_PORT"):
            DynamoDBLocal(tmp_path, port=port).start()
        started = run_localrun("dev", "--port", "0", "--dynamodb-port", str(port), "--data-dir", str(tmp_path))
    assert started.returncode == 1
    assert started.stderr.strip().splitlines()[-1].startswith(f"port {port} on 127.0.0.1 is taken")


def test_health_answers_503_while_the_engine_is_down_and_200_once_restarted(tmp_path: Path) -> None:
    with LocalApi(ROOT / "template.yaml", tmp_path) as api:
        api.wait_until_healthy(timeout=90)
        java = next(p for p in _children(api.process.pid if api.process else 0) if _name(p) == "java")
        os.kill(java, signal.SIGKILL)
        down = httpx.get(f"{api.base_url}/health", timeout=90)  # retries of a busy machine, then 503
        assert down.status_code == 503
        assert down.json()["error"]["code"] == "DYNAMODB_UNAVAILABLE"
        api.wait_until_healthy(timeout=90)


def test_without_java_dev_falls_back_to_motos_server_and_says_so(tmp_path: Path) -> None:
    no_java = tmp_path / "bin"
    no_java.mkdir()
    env = {"PATH": str(no_java), "JAVA": ""}
    with LocalApi(ROOT / "template.yaml", tmp_path / "data", engine="auto", env=env) as api:
        assert api.engine == "moto"
        assert httpx.get(f"{api.base_url}/health", timeout=30).status_code == 200
        assert "DynamoDB Local cannot run: no Java on PATH (apt-get install openjdk-17-jre-headless" in api.output()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _name(pid: int) -> str:
    return Path(f"/proc/{pid}/comm").read_text().strip()
