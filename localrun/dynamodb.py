"""Tables from the template, and moto's DynamoDB: in-process for unit tests, served over HTTP
when DynamoDB Local cannot run.

`make dev` and the HTTP tests run DynamoDB Local (localrun/dynamodb_local.py). On a machine
without Java, `make dev` falls back to moto's DynamoDB served over HTTP by `EmbeddedDynamoDB`,
persisted to a data folder. It implements transactions, conditional writes with
ReturnValuesOnConditionCheckFailure, TTL settings and batch operations and runs in this process,
but it is neither atomic under concurrency nor fast with many callers, so this fallback adds:
- one request at a time (a lock), so every request is atomic as it is in DynamoDB;
- persistence: each table is written to `<data_dir>/<table>.jsonl` when it changed (every few
  seconds and on exit) and loaded on start;
- TTL: expired items are deleted by a sweeper, as DynamoDB does (late, never early).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from localrun.template import LOCAL_ACCOUNT, LOCAL_REGION, Table

READ_ONLY_TARGETS = frozenset(
    {
        "BatchGetItem",
        "DescribeContinuousBackups",
        "DescribeEndpoints",
        "DescribeTable",
        "DescribeTimeToLive",
        "GetItem",
        "ListTables",
        "ListTagsOfResource",
        "Query",
        "Scan",
        "TransactGetItems",
    }
)
SNAPSHOT_SUFFIX = ".jsonl"


def client(endpoint: str | None, attempts: int = 5) -> Any:
    """A DynamoDB client for the runner's own set-up work (tables, seeding checks, TTL)."""
    return boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name=LOCAL_REGION, config=Config(retries={"max_attempts": attempts})
    )


def ensure_tables(endpoint: str | None, tables: Iterable[Table]) -> list[str]:
    """Create every table of the template that does not exist yet; returns the created names."""
    dynamodb = client(endpoint)
    existing = set(dynamodb.get_paginator("list_tables").paginate().build_full_result().get("TableNames", []))
    created = []
    for table in tables:
        if table.name in existing:
            continue
        dynamodb.create_table(**table.create_table_request())
        dynamodb.get_waiter("table_exists").wait(TableName=table.name, WaiterConfig={"Delay": 1})
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=table.name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
        created.append(table.name)
    return created


def query_one_partition_only() -> None:
    """Make moto's Query read only the queried partition, as DynamoDB does.

    moto 5 walks every item of the table on each Query on the base table, so a search against a
    seeded catalog (tens of thousands of index items) took seconds. Results are unchanged: the
    same method runs, over the one partition instead of the whole table. Idempotent. One such
    Query at a time: it swaps a method on the shared table object, and in-process callers (the
    catalog's thread pool under mock_aws) query concurrently.
    """
    from moto.dynamodb.models.table import Table as MotoTable

    original = MotoTable.query
    if getattr(original, "one_partition_only", False):
        return
    one_at_a_time = threading.Lock()

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            return original(self, hash_key, *args, **kwargs)
        with one_at_a_time:
            partition = list(self.items.get(hash_key, {}).values()) if self.range_key_attr else []
            if not self.range_key_attr and hash_key in self.items:
                partition = [self.items[hash_key]]
            self.all_items = lambda: partition
            try:
                return original(self, hash_key, *args, **kwargs)
            finally:
                del self.all_items

    query.one_partition_only = True  # type: ignore[attr-defined]
    MotoTable.query = query  # type: ignore[method-assign]


def transactions_back_up_touched_items_only() -> None:
    """Make moto's TransactWriteItems back up only the items it touches.

    moto 5 deep-copies the whole table once per action of a transaction, to roll back if it
    fails, so a 99-action transaction on a table of n items copied 99 n items (a rollup of one
    day of activity took minutes). Here each touched item is copied once before the transaction
    runs and put back if it fails; no other item can have changed. Same results, same errors.
    Idempotent.
    """
    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, "touched_items_only", False):
        return

    class _TablesNotCopied:  # stands in for the `copy` module inside moto.dynamodb.models
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, models.Table) else copy.deepcopy(value, memo)

    def restore(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
        items = table.items[hash_key] if range_key is not None else table.items
        slot = range_key if range_key is not None else hash_key
        if item is None:
            items.pop(slot, None)
        else:
            items[slot] = item

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backups = []
        for action in transact_items:
            op: Any = next(iter(action.values()), {})
            table: Any = self.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            try:
                attributes = op.get("Key") or op["Item"]
                hash_key = DynamoType(attributes[table.hash_key_attr])
                range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
            except (AttributeError, KeyError, TypeError):
                continue  # moto rejects the action itself, before changing anything
            backups.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        try:
            original(self, transact_items)
        except Exception:
            for backup in reversed(backups):  # reversed: an item named twice gets its first copy back
                restore(*backup)
            raise

    transact_write_items.touched_items_only = True  # type: ignore[attr-defined]
    models.copy = _TablesNotCopied  # type: ignore[assignment]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def faster_moto() -> None:
    """moto's DynamoDB with the two costs that grow with table size removed (Query, transactions)."""
    query_one_partition_only()
    transactions_back_up_touched_items_only()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class EmbeddedDynamoDB:
    """moto's DynamoDB on 127.0.0.1:<port>, one request at a time, snapshotted to data_dir.

    The fallback of `make dev` without Java; DynamoDB Local needs none of this.
    """

    def __init__(self, data_dir: Path, port: int, snapshot_every: float = 2.0, sweep_every: float = 60.0) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        faster_moto()
        self.data_dir = data_dir
        self.requested_port = port
        self.snapshot_every = snapshot_every
        self.sweep_every = sweep_every
        self._app = DomainDispatcherApplication(create_backend_app)
        self._lock = threading.Lock()
        self._dirty = False
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._backend().reset()  # the data folder, not what this process held before, is the truth
        self._server = make_server(
            "127.0.0.1", self.requested_port, self._locked_app, threaded=True, request_handler=_QuietHandler
        )
        self._spawn(self._server.serve_forever)
        self._restore()
        self._spawn(self._housekeeping)

    def stop(self) -> None:
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=10)
        self.snapshot()

    def __enter__(self) -> EmbeddedDynamoDB:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _spawn(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _locked_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # Every client lands in one account and region, whatever its own configuration says,
        # so `aws dynamodb scan --endpoint-url ...` sees the tables the functions use.
        environ["HTTP_HOST"] = f"dynamodb.{LOCAL_REGION}.amazonaws.com"
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = LOCAL_ACCOUNT
        operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
        with self._lock:
            body = b"".join(self._app(environ, start_response))
            if operation not in READ_ONLY_TARGETS:
                self._dirty = True
        return [body]

    def _backend(self) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[LOCAL_ACCOUNT][LOCAL_REGION]

    def _housekeeping(self) -> None:
        last_sweep = time.monotonic()
        while not self._stopping.wait(self.snapshot_every):
            if time.monotonic() - last_sweep >= self.sweep_every:
                self.delete_expired_items()
                last_sweep = time.monotonic()
            self.snapshot()

    def snapshot(self) -> None:
        """Write every table to the data folder if anything changed since the last snapshot."""
        with self._lock:
            if not self._dirty:
                return
            tables = {name: self._table_lines(table) for name, table in self._backend().tables.items()}
            self._dirty = False
        for name, lines in tables.items():
            target = self.data_dir / f"{name}{SNAPSHOT_SUFFIX}"
            partial = target.with_suffix(".partial")
            partial.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            partial.replace(target)
        for stale in self.data_dir.glob(f"*{SNAPSHOT_SUFFIX}"):
            if stale.name.removesuffix(SNAPSHOT_SUFFIX) not in tables:
                stale.unlink()

    @staticmethod
    def _table_lines(table: Any) -> list[str]:
        description = table.describe()["TableDescription"]
        schema = {
            "TableName": description["TableName"],
            "KeySchema": description["KeySchema"],
            "AttributeDefinitions": description["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if description.get("GlobalSecondaryIndexes"):
            schema["GlobalSecondaryIndexes"] = [
                {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
                for index in description["GlobalSecondaryIndexes"]
            ]
        header = {"table": schema, "ttl": table.ttl.get("AttributeName") if _ttl_enabled(table) else None}
        items = (json.dumps(item.to_json()["Attributes"], separators=(",", ":")) for item in table.all_items())
        return [json.dumps(header), *items]

    def _restore(self) -> None:
        snapshots = sorted(self.data_dir.glob(f"*{SNAPSHOT_SUFFIX}"))
        if not snapshots:
            return
        dynamodb = client(self.endpoint)
        for path in snapshots:
            with path.open(encoding="utf-8") as lines:
                header = json.loads(next(lines))
                dynamodb.create_table(**header["table"])
                if header["ttl"]:
                    dynamodb.update_time_to_live(
                        TableName=header["table"]["TableName"],
                        TimeToLiveSpecification={"Enabled": True, "AttributeName": header["ttl"]},
                    )
                table = self._backend().get_table(header["table"]["TableName"])
                with self._lock:
                    for line in lines:
                        table.put_item(json.loads(line))
        self._dirty = False

    def delete_expired_items(self) -> int:
        """Delete items whose TTL attribute lies in the past, as DynamoDB's TTL does."""
        now = time.time()
        deleted = 0
        with self._lock:
            for table in self._backend().tables.values():
                if not _ttl_enabled(table):
                    continue
                attribute = table.ttl["AttributeName"]
                for item in table.all_items():
                    expires = item.attrs.get(attribute)
                    if expires is not None and expires.type == "N" and float(expires.value) < now:
                        table.delete_item(item.hash_key, item.range_key)
                        deleted += 1
            self._dirty = self._dirty or deleted > 0
        return deleted


def _ttl_enabled(table: Any) -> bool:
    return table.ttl.get("TimeToLiveStatus") == "ENABLED" and bool(table.ttl.get("AttributeName"))
