"""The whole local stack: DynamoDB, the functions, the API in front of them and the schedules.

`LocalStack` runs it in this process (what `python -m localrun dev` does); `LocalApi` runs it as
a child process on free ports and stops it again (what the tests use), so the functions'
environment and module state never mix with the process that drives them.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

import httpx
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from localrun import deployment, dynamodb, dynamodb_local, iam, template
from localrun.dynamodb_local import DynamoDBLocal, LocalRunError
from localrun.gateway import AuthorizerCache, Gateway, ManagementApi
from localrun.invokers import ProcessInvoker, shared_environment
from localrun.rie import RieInvoker
from localrun.template import LOCAL_ACCOUNT, LOCAL_REGION, Schedule, Template

log = logging.getLogger("localrun")

# The documented local default for POST /conversions signatures (README): one network, key id
# `local`, that may report for every merchant; override with WEBHOOK_NETWORKS (same JSON shape).
DEFAULT_WEBHOOK_KEY_ID = "local"
DEFAULT_WEBHOOK_SECRET = "whsec_local_development_only"
DEFAULT_WEBHOOK_NETWORKS = json.dumps({DEFAULT_WEBHOOK_KEY_ID: {"current": DEFAULT_WEBHOOK_SECRET, "merchants": "*"}})
# Seals agents' webhook secrets locally (cashback.sealing), where AWS uses KMS; override with WEBHOOK_SEALING_KEY.
DEFAULT_WEBHOOK_SEALING_KEY = "local_development_only_sealing_key"
READY_PREFIX = "LOCALRUN READY "
# The embedded database: DynamoDB Local (AWS's engine, needs Java) or moto's server (the fallback);
# "auto" takes DynamoDB Local when it can run here.
ENGINES = ("auto", "dynamodb-local", "moto")
ENGINE_NAMES = {"dynamodb-local": "DynamoDB Local", "moto": "moto's server (fallback)"}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if log.isEnabledFor(logging.INFO):
            super().log_request(code, size)


def _serve(app: Any, port: int) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


class LocalStack:
    """Everything `make dev` runs, in this process.

    `dynamodb_endpoint`: use that DynamoDB (another DynamoDB Local, a real account) instead of the
    embedded one; tables missing there are created from the template. `engine`: see ENGINES.
    """

    def __init__(
        self,
        template_path: Path,
        data_dir: Path,
        port: int = 3000,
        dynamodb_port: int = 8000,
        dynamodb_endpoint: str | None = None,
        run_schedules: bool = True,
        engine: str = "auto",
        build_dir: Path | None = None,
    ) -> None:
        """`build_dir`: serve the `sam build` output there under the Lambda runtime emulator
        (localrun.rie) instead of the source folders in forked processes (the default)."""
        self.build_dir = build_dir
        self.template_path = template_path
        self.template: Template = template.load(template_path)
        self.data_dir = data_dir
        self.port = port
        self.dynamodb_port = dynamodb_port
        self.external_dynamodb = dynamodb_endpoint
        self.run_schedules = run_schedules
        self.engine = engine
        self.embedded: DynamoDBLocal | dynamodb.EmbeddedDynamoDB | None = None
        self.invoker: ProcessInvoker | RieInvoker | None = None
        self._servers: list[tuple[BaseWSGIServer, threading.Thread]] = []
        self._stopping = threading.Event()
        self.base_url = ""
        self.dynamodb_endpoint = ""

    def start_dynamodb(self) -> str:
        endpoint = self.external_dynamodb or "http://127.0.0.1"
        if urlparse(endpoint).hostname in ("127.0.0.1", "localhost"):
            # Local DynamoDBs ignore credentials, but boto3 refuses to sign without some.
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        if self.external_dynamodb:
            self.dynamodb_endpoint = self.external_dynamodb
        else:
            self.engine = self._choose_engine()
            if self.engine == "dynamodb-local":
                self.embedded = DynamoDBLocal(self.data_dir, self.dynamodb_port)
            else:
                if self.dynamodb_port:
                    dynamodb_local.ensure_port_free(self.dynamodb_port)
                self.embedded = dynamodb.EmbeddedDynamoDB(self.data_dir, self.dynamodb_port)
            self.embedded.start()
            self.dynamodb_endpoint = self.embedded.endpoint
        created = dynamodb.ensure_tables(self.dynamodb_endpoint, self.template.tables.values())
        if created:
            log.info("created tables from template.yaml: %s", ", ".join(created))
        return self.dynamodb_endpoint

    def _choose_engine(self) -> str:
        if self.engine not in ENGINES:
            raise LocalRunError(f"unknown DynamoDB engine {self.engine!r}: one of {', '.join(ENGINES)}")
        if self.engine != "auto":
            return self.engine
        reason = dynamodb_local.unavailable_reason()
        if reason is None:
            return "dynamodb-local"
        print(f"DynamoDB Local cannot run: {reason}; using moto's server instead", file=sys.stderr, flush=True)
        return "moto"

    def start_functions(self) -> None:
        """Each function's environment: its template variables, then what the caller exported
        (which overrides them), then the runner's endpoints. The runner's own process (the
        --on-start hook) gets the variables every function agrees on."""
        cache = AuthorizerCache()
        management, _ = self._add_server(ManagementApi(self.template.api.stage, cache), 0)
        forced = {
            "AWS_REGION": LOCAL_REGION,
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_endpoint,
            "AWS_ENDPOINT_URL_API_GATEWAY": f"http://127.0.0.1:{management.server_port}",
        }
        defaults = {
            "AWS_DEFAULT_REGION": LOCAL_REGION,
            "WEBHOOK_NETWORKS": DEFAULT_WEBHOOK_NETWORKS,
            "WEBHOOK_SEALING_KEY": DEFAULT_WEBHOOK_SEALING_KEY,
        }
        environment = {**defaults, **os.environ, **forced}
        for name, value in {**shared_environment(self.template), **defaults}.items():
            os.environ.setdefault(name, value)
        os.environ.update(forced)
        for layer_dir in self.template.layer_dirs:  # the hook imports the layer, as the functions do
            if str(layer_dir) not in sys.path:
                sys.path.insert(0, str(layer_dir))
        # Each environment assumes its function's role from the translated template: made (and
        # checked) once here, read from the cache by every environment.
        roles = iam.roles(
            deployment.translated_template(self.template_path.resolve()), deployment.parameter_overrides("default")
        )
        if self.build_dir is not None:
            self.invoker = RieInvoker(self.template, self.build_dir, environment, roles)
        else:
            self.invoker = ProcessInvoker(self.template, self.template_path, environment)
        self._gateway = Gateway(self.template, self.invoker, cache)

    def start_api(self) -> str:
        server, _ = self._add_server(self._gateway, self.port)
        self.base_url = f"http://127.0.0.1:{server.server_port}"
        if self.run_schedules:
            for schedule in self.template.schedules:
                if schedule.enabled:
                    threading.Thread(target=self._run_schedule, args=(schedule,), daemon=True).start()
        return self.base_url

    def start(self) -> None:
        self.start_dynamodb()
        self.start_functions()
        self.start_api()

    def stop(self) -> None:
        self._stopping.set()
        for server, thread in reversed(self._servers):
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
        if self.invoker:
            self.invoker.close()
        if self.embedded:
            self.embedded.stop()

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        assert self.invoker is not None, "start_functions() first"
        return self.invoker.invoke(function, event)

    def _add_server(self, app: Any, port: int) -> tuple[BaseWSGIServer, threading.Thread]:
        server, thread = _serve(app, port)
        self._servers.append((server, thread))
        return server, thread

    def _run_schedule(self, schedule: Schedule) -> None:
        while not self._stopping.wait(schedule.every_seconds):
            try:
                result = self.invoke(schedule.function, scheduled_event(schedule))
                log.info("%s (%s): %s", schedule.function, schedule.expression, json.dumps(result, default=str))
            except Exception:
                log.exception("%s (%s) failed", schedule.function, schedule.expression)


def scheduled_event(schedule: Schedule) -> dict[str, Any]:
    """The event EventBridge Scheduler sends a function on its schedule."""
    return {
        "version": "0",
        "id": str(time.time_ns()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": LOCAL_ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": LOCAL_REGION,
        "resources": [f"arn:aws:events:{LOCAL_REGION}:{LOCAL_ACCOUNT}:rule/{schedule.function}-{schedule.name}"],
        "detail": {},
    }


class LocalApi:
    """`python -m localrun dev` in a child process, on free ports unless told otherwise.

    Use as a context manager; leaving it stops the child (and its database). The engine is
    DynamoDB Local unless told otherwise: tests never fall back to moto silently.
    """

    def __init__(
        self,
        template_path: Path,
        data_dir: Path,
        port: int = 0,
        dynamodb_port: int = 0,
        quiet: bool = True,
        env: dict[str, str] | None = None,
        on_start: str | None = None,
        startup_timeout: float = 60.0,
        engine: str = "dynamodb-local",
        build_dir: Path | None = None,
    ) -> None:
        """`build_dir`: serve that `sam build` output under the Lambda runtime emulator (built already)."""
        self.command = [
            sys.executable,
            "-m",
            "localrun",
            "--template",
            str(template_path),
            "dev",
            "--machine-readable",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--dynamodb-port",
            str(dynamodb_port),
            "--no-schedules",
            "--engine",
            engine,
        ]
        if on_start:
            self.command += ["--on-start", on_start]
        if build_dir is not None:
            self.command += ["--runtime", "rie", "--build-dir", str(build_dir), "--no-build"]
        else:  # whatever RUNTIME says: the caller asks for the emulator by giving a build
            self.command += ["--runtime", "process"]
        self.env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        self.quiet = quiet
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None
        self._stdout_lines: list[str] = []
        self._reader: threading.Thread | None = None
        self.base_url = ""
        self.dynamodb_endpoint = ""
        self.engine = ""

    def __enter__(self) -> LocalApi:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        self._log = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self._stdout_lines = []
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            self.command,
            stdout=subprocess.PIPE,
            stderr=self._log if self.quiet else None,
            text=True,
            env=self.env,
            cwd=Path(__file__).resolve().parent.parent,
        )
        ready = self._wait_until_ready()
        self.base_url = ready["api"]
        self.dynamodb_endpoint = ready["dynamodb"]
        self.engine = ready.get("engine", "")

    def _wait_until_ready(self) -> dict[str, str]:
        assert self.process is not None and self.process.stdout is not None
        found: dict[str, str] = {}
        ready = threading.Event()
        self._reader = threading.Thread(
            target=_read_stdout, args=(self.process.stdout, found, ready, self._stdout_lines), daemon=True
        )
        self._reader.start()
        if not ready.wait(self.startup_timeout) or not found:
            self.stop(keep_output=True)
            raise RuntimeError(f"the local API did not start:\n{self.output()}")
        return found

    def output(self) -> str:
        """What the child wrote so far: its stderr (when quiet), then its stdout, where the
        functions' Powertools logs go (one JSON object a line)."""
        stderr = ""
        if self._log is not None and not self._log.closed:
            # pread: the child writes through a shared file offset that seek() would move.
            stderr = os.pread(self._log.fileno(), os.fstat(self._log.fileno()).st_size, 0).decode("utf-8", "replace")
        return stderr + "".join(list(self._stdout_lines))

    def output_mark(self) -> tuple[int, int]:
        """Where the output ends now; `output_since` reads what came after it."""
        stderr_size = os.fstat(self._log.fileno()).st_size if self._log is not None and not self._log.closed else 0
        return stderr_size, len(self._stdout_lines)

    def output_since(self, mark: tuple[int, int]) -> str:
        """What the child wrote after `mark`: its stderr (the runner's request log), then its stdout."""
        stderr_size, stdout_lines = mark
        stderr = ""
        if self._log is not None and not self._log.closed:
            size = os.fstat(self._log.fileno()).st_size - stderr_size
            stderr = os.pread(self._log.fileno(), max(size, 0), stderr_size).decode("utf-8", "replace")
        return stderr + "".join(self._stdout_lines[stdout_lines:])

    def stop(self, keep_output: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._reader is not None:
            self._reader.join(timeout=10)  # the rest of stdout, up to the child's exit
        if self.process and self.process.stdout:
            self.process.stdout.close()
        if self._log and not keep_output:
            self._log.close()

    def wait_until_healthy(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/health", timeout=30).status_code == 200:
                    return
            except httpx.TimeoutException:
                pass
            time.sleep(0.1)
        raise RuntimeError("the local API is not healthy")


def _read_stdout(stream: IO[str], found: dict[str, str], ready: threading.Event, lines: list[str]) -> None:
    """Wait for the ready line, then keep every line (so the child never blocks on a full pipe)."""
    for line in stream:
        if line.startswith(READY_PREFIX):
            found.update(json.loads(line.removeprefix(READY_PREFIX)))
            break
        lines.append(line)
    ready.set()  # found, or the child exited
    for line in stream:
        lines.append(line)


def run_hook(spec: str) -> Callable[[], Any]:
    """`package.module:function` to the function, for --on-start."""
    module_name, _, attribute = spec.partition(":")
    module = __import__(module_name, fromlist=[attribute])
    hook: Callable[[], Any] = getattr(module, attribute)
    return hook
