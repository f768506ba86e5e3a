"""DynamoDB Local: AWS's own DynamoDB engine, the database of `make dev` and the HTTP tests.

Why this engine: it is the code AWS ships to emulate DynamoDB, so conditional writes and
transactions are atomic under concurrency as they are in AWS (150 concurrent updates against a
limit of 100 admit exactly 100, with no lock in the runner), and it serves concurrent callers
quickly (measured on a 2-core machine against moto's server: seeding 5,000 offers 40 s vs 142 s,
8 concurrent callers 21 vs 1.6 requests/s; README, "Local run"). The jar comes from the npm
package amplify-dynamodb-simulator, fetched and checked by `make dynamodb-local`.

It runs as a Java child process on 127.0.0.1 with `-sharedDb` (every region and key sees the same
tables, as `aws dynamodb ... --endpoint-url` users expect) and `-dbPath <data_dir>` (data survives
restarts; `make wipe` deletes it). Its SQLite file is switched to write-ahead logging before the
engine opens it: in its default rollback journal every item written costs several fsyncs (seeding
took minutes on this machine's disk), with WAL one; WAL is a property of the file, so the engine
keeps it. What it lacks is added here:
- TTL: it accepts the TTL setting but never deletes; a sweeper deletes expired items late, never
  early, as DynamoDB does (a conditional delete spares an item whose TTL moved on meanwhile);
- a watchdog: if the process dies it is started again on the same port and data (requests fail
  with 503 DYNAMODB_UNAVAILABLE meanwhile), and it dies with the runner, even a killed one.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO

from botocore.exceptions import BotoCoreError, ClientError

from localrun import dynamodb

log = logging.getLogger("localrun")

ROOT = Path(__file__).resolve().parent.parent
JAR_DIR = Path(os.environ.get("DYNAMODB_LOCAL_DIR") or ROOT / ".local" / "dynamodb-local")
JAVA_PACKAGES = "openjdk-17-jre-headless (or default-jre-headless)"
DATABASE_FILE = "shared-local-instance.db"  # what -sharedDb writes under -dbPath
LOG_FILE = "dynamodb-local.log"
METADATA_FILE = "dynamodb-local-metadata.json"  # written to its working directory
RESTARTS_PER_MINUTE = 3


class LocalRunError(Exception):
    """Why the local database cannot start, in one line a developer can act on."""


def java() -> str | None:
    return os.environ.get("JAVA") or shutil.which("java")


def unavailable_reason(jar_dir: Path = JAR_DIR) -> str | None:
    """Why DynamoDB Local cannot run on this machine, or None when it can."""
    if not java():
        return f"no Java on PATH (apt-get install {JAVA_PACKAGES})"
    if not (jar_dir / "DynamoDBLocal.jar").is_file():
        return f"DynamoDB Local is not in {jar_dir} (`make dynamodb-local` fetches it)"
    return None


def ensure_port_free(port: int) -> None:
    """One clear line when the port is taken, instead of a Java or werkzeug stack trace."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise LocalRunError(
                f"port {port} on 127.0.0.1 is taken (another make dev?): "
                f"set DYNAMODB_PORT to a free one, e.g. make dev DYNAMODB_PORT={port + 1}"
            ) from exc


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def use_write_ahead_log(database: Path) -> None:
    """Create or switch DynamoDB Local's SQLite file to WAL mode (only while the engine is stopped)."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the runner dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: stop() ends it on every orderly exit
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class DynamoDBLocal:
    """DynamoDB Local on 127.0.0.1:<port> (0: a free one), data in data_dir."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        jar_dir: Path = JAR_DIR,
        sweep_every: float = 60.0,
        startup_timeout: float = 60.0,
    ) -> None:
        self.data_dir = data_dir
        self.requested_port = port
        self.port = port
        self.jar_dir = jar_dir
        self.sweep_every = sweep_every
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._stopping = threading.Event()
        self._restarts: deque[float] = deque(maxlen=RESTARTS_PER_MINUTE)
        self._watchdog: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE

    def start(self) -> None:
        reason = unavailable_reason(self.jar_dir)
        if reason:
            raise LocalRunError(f"DynamoDB Local cannot run: {reason}")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.requested_port:
            ensure_port_free(self.requested_port)
            self._launch()
        else:
            for attempt in range(3):  # a free port can be taken between the probe and Java's bind
                self.port = free_port()
                try:
                    self._launch()
                    break
                except LocalRunError:
                    if attempt == 2:
                        raise
        self._watchdog = threading.Thread(target=self._watch, name="dynamodb-local-watchdog", daemon=True)
        self._watchdog.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._watchdog:
            self._watchdog.join(timeout=10)
        self._terminate()
        if self._log:
            self._log.close()

    def __enter__(self) -> DynamoDBLocal:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _launch(self) -> None:
        java_path = java()
        assert java_path, "checked by start()"
        if self._log is None:
            self._log = self.log_path.open("ab")
        use_write_ahead_log(self.data_dir / DATABASE_FILE)
        command = [
            java_path,
            f"-Djava.library.path={self.jar_dir / 'DynamoDBLocal_lib'}",
            "-jar",
            str(self.jar_dir / "DynamoDBLocal.jar"),
            "-sharedDb",
            "-disableTelemetry",  # it would otherwise report usage to AWS
            "-dbPath",
            str(self.data_dir.resolve()),
            "-port",
            str(self.port),
        ]
        self.process = subprocess.Popen(  # noqa: S603 (the JDK's java and the pinned jar)
            command,
            stdin=subprocess.DEVNULL,
            cwd=self.data_dir,  # where it writes dynamodb-local-metadata.json
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the runner, which stops the database last
            preexec_fn=_die_with_parent,  # noqa: PLW1509 (only a prctl call)
        )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        client = dynamodb.client(self.endpoint, attempts=1)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalRunError(
                    f"DynamoDB Local exited with code {self.process.returncode} on start; see {self.log_path}"
                )
            try:
                client.list_tables(Limit=1)
                return
            except (BotoCoreError, ClientError):
                time.sleep(0.2)
        self._terminate()
        raise LocalRunError(f"DynamoDB Local did not answer within {self.startup_timeout:.0f} s; see {self.log_path}")

    def _terminate(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _watch(self) -> None:
        last_sweep = time.monotonic()
        while not self._stopping.wait(1.0):
            if self.process is not None and self.process.poll() is not None:
                self._restart()
            if time.monotonic() - last_sweep >= self.sweep_every:
                last_sweep = time.monotonic()
                try:
                    self.delete_expired_items()
                except (BotoCoreError, ClientError):
                    log.warning("TTL sweep failed; the next one retries", exc_info=True)

    def _restart(self) -> None:
        assert self.process is not None
        code = self.process.returncode
        now = time.monotonic()
        if len(self._restarts) == RESTARTS_PER_MINUTE and now - self._restarts[0] < 60:
            log.error(
                "DynamoDB Local keeps exiting (code %s); requests answer 503 DYNAMODB_UNAVAILABLE. "
                "See %s, then restart make dev.",
                code,
                self.log_path,
            )
            self._stopping.set()
            return
        self._restarts.append(now)
        log.warning("DynamoDB Local exited (code %s); starting it again on port %s", code, self.port)
        try:
            self._launch()
        except LocalRunError as exc:
            log.error("%s; requests answer 503 DYNAMODB_UNAVAILABLE until make dev is restarted", exc)
            self._stopping.set()

    def delete_expired_items(self, now: float | None = None) -> int:
        """Delete items whose TTL attribute lies in the past, as DynamoDB's TTL does.

        A Scan per TTL table finds candidates; each is deleted only if its TTL is still past when
        the delete runs, so an item extended meanwhile (a rate-limit window written again) stays.
        """
        client = dynamodb.client(self.endpoint)
        cutoff = {":now": {"N": str(int(now if now is not None else time.time()))}}
        deleted = 0
        for table in client.get_paginator("list_tables").paginate().build_full_result().get("TableNames", []):
            ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") != "ENABLED":
                continue
            keys = [k["AttributeName"] for k in client.describe_table(TableName=table)["Table"]["KeySchema"]]
            attribute = ttl["AttributeName"]
            names = {"#ttl": attribute, **{f"#k{i}": k for i, k in enumerate(keys)}}
            # No FilterExpression: DynamoDB Local drops a whole page when `#ttl < :now` meets a TTL
            # attribute of another type. DynamoDB skips such items; so does the test below.
            pages = client.get_paginator("scan").paginate(
                TableName=table,
                ConsistentRead=True,
                ProjectionExpression=", ".join(names),
                ExpressionAttributeNames=names,
            )
            for page in pages:
                for item in page["Items"]:
                    expires = item.get(attribute, {}).get("N")
                    if expires is None or float(expires) >= float(cutoff[":now"]["N"]):
                        continue
                    with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
                        client.delete_item(
                            TableName=table,
                            Key={k: item[k] for k in keys},
                            ConditionExpression="#ttl < :now",
                            ExpressionAttributeNames={"#ttl": attribute},
                            ExpressionAttributeValues=cutoff,
                        )
                        deleted += 1
        return deleted


def database_files(data_dir: Path) -> list[Path]:
    """DynamoDB Local's files in the data folder (what `make wipe` deletes)."""
    names = (DATABASE_FILE, f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm", LOG_FILE, METADATA_FILE)
    return [data_dir / name for name in names if (data_dir / name).exists()]
