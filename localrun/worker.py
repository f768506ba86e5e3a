"""Lambda execution environments: each a process that loads ONE function and runs its invocations
one at a time, as Lambda does.

Why a process: Powertools keeps the request in class attributes (the resolver's `current_event`
and `lambda_context`) and in the one Logger and Metrics of `cashback.observability`; in threads of
one process, concurrent requests would read each other's. A process per environment also gives
each function exactly its own environment variables.

`localrun.invokers.ProcessInvoker` starts one zygote, `python -m localrun.worker <control fd>
<lifeline fd>`, which imports the big third-party libraries once (PRELOAD; about 1 s of CPU per
process otherwise) and forks an environment for each socket the runner sends it. The environment
then talks to the runner over that socket (never stdout: the function logs there):

    runner -> worker  the EnvironmentSpec, as a dict          (once)
    worker -> runner  {"ready": init ms} | {"init_error": {errorType, errorMessage}}
    runner -> worker  {"request_id": ..., "event": JSON text} (per invocation)
    worker -> runner  {"result": JSON text} | {"error": {errorType, errorMessage}}

The environments' stdout and stderr are the runner's, so logs come out where they always did. The
lifeline is the read end of a pipe only the runner holds open: when the runner dies, however it
dies, the zygote and every environment see it close and exit, so none outlives it.
"""

from __future__ import annotations

import decimal
import importlib
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT = "123456789012"

Handler = Callable[[Any, Any], Any]
# Imported once by the zygote, before any function's environment variables exist: none of these
# reads the variables template.yaml sets at import time. The layer and the handlers are imported
# by each environment (bootstrap), so their init time is what the cold-start log shows.
PRELOAD = (
    "boto3",
    "botocore.session",
    "botocore.client",
    "pydantic",
    "httpx",
    "aws_xray_sdk.core",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
)
PID = struct.Struct("!i")


@dataclass(frozen=True)
class EnvironmentSpec:
    """What an execution environment needs to start: which function, from which template, its code
    and layers, and its complete environment variables (template, exports, runtime)."""

    function: str  # the logical id in the template
    template: str  # the template's path
    code_dir: str  # CodeUri, Lambda's /var/task
    handler: str  # module.function
    layer_dirs: list[str]  # what Lambda puts under /opt/python, in order
    environment: dict[str, str]
    timeout: int
    memory_mb: int = 512
    partition_keys: dict[str, str] = field(default_factory=dict)  # each table's, for dynamodb:LeadingKeys


@dataclass
class LambdaContext:
    """The context object Lambda passes to a handler."""

    function_name: str
    timeout_seconds: int
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.invoked_function_arn = f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/[$LATEST]{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def bootstrap(spec: EnvironmentSpec) -> Handler:
    """Lambda's init phase: the function's own environment variables, its code and layers on the
    path (/var/task, /opt/python) and cwd, then the handler module imported and its handler returned.

    Anything that must hold for every call of this function (e.g. its IAM role, from spec.function
    in spec.template) belongs here, before the import.
    """
    os.environ.clear()
    os.environ.update(spec.environment)
    _assume_role(spec)
    _inject_faults()
    sys.path[:0] = [spec.code_dir, *spec.layer_dirs]
    os.chdir(spec.code_dir)
    module_name, _, attribute = spec.handler.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


def _assume_role(spec: EnvironmentSpec) -> None:
    """Every AWS call of this environment is authorized against the function's own role, as the
    SAM transform of the template writes it (localrun.iam)."""
    # Imported here, not by the zygote: every function's environment reads its own template.
    from localrun import deployment, iam

    translated = deployment.translated_template(Path(spec.template).resolve())
    role = iam.roles(translated, deployment.parameter_overrides("default"))[spec.function]
    iam.assume_for_process(role, spec.partition_keys)


def _inject_faults() -> None:
    """LOCALRUN_FAULTS: DynamoDB throttling and errors on a fraction of this environment's calls."""
    from localrun import faults

    faults.install_from_environment()


class _LambdaJsonEncoder(json.JSONEncoder):
    """What the Lambda Python runtime's marshaller does with a Decimal: a JSON number."""

    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def _error(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {"errorType": error_type or type(error).__name__, "errorMessage": str(error)}


def _die_with_runner(lifeline_fd: int) -> None:
    while os.read(lifeline_fd, 1):
        pass
    os._exit(0)


def serve(connection: Connection) -> int:
    spec = EnvironmentSpec(**connection.recv())
    started = time.perf_counter()
    try:
        handler = bootstrap(spec)
    except Exception as error:
        traceback.print_exc()
        connection.send({"init_error": _error(error, "Runtime.ImportModuleError")})
        return 1
    connection.send({"ready": round((time.perf_counter() - started) * 1000)})
    while True:
        try:
            request = connection.recv()
        except EOFError:  # the runner closed this environment
            return 0
        context = LambdaContext(spec.function, spec.timeout, spec.memory_mb, aws_request_id=request["request_id"])
        try:
            result = handler(json.loads(request["event"]), context)
        except Exception as error:
            traceback.print_exc()  # Lambda logs an unhandled error, then answers with its type and message
            answer: dict[str, Any] = {"error": _error(error)}
        else:
            try:
                answer = {"result": json.dumps(result, cls=_LambdaJsonEncoder)}
            except (TypeError, ValueError) as error:
                answer = {"error": _error(error, "Runtime.MarshalError")}
        sys.stdout.flush()
        sys.stderr.flush()
        connection.send(answer)


def _environment(connection_fd: int, lifeline_fd: int) -> int:
    """In a forked child of the zygote: one execution environment."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # a handler's subprocesses are reaped as usual
    threading.Thread(target=_die_with_runner, args=(lifeline_fd,), daemon=True).start()
    return serve(Connection(connection_fd))


def zygote(control: socket.socket, lifeline_fd: int) -> int:
    """Preload, then fork one environment per socket received on `control`; answer with its pid.
    Single-threaded, so that forking is safe; exits when the runner's lifeline closes."""
    for module in PRELOAD:
        importlib.import_module(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the environments
    while True:
        readable, _, _ = select.select([control.fileno(), lifeline_fd], [], [])
        if lifeline_fd in readable and not os.read(lifeline_fd, 1):
            return 0
        if control.fileno() not in readable:
            continue
        _, fds, _, _ = socket.recv_fds(control, 1, 1)
        if not fds:  # the runner closed the control socket
            return 0
        pid = os.fork()
        if pid == 0:
            control.close()
            code = 1
            try:
                code = _environment(fds[0], lifeline_fd)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.close(fds[0])
        control.sendall(PID.pack(pid))


def main(argv: list[str]) -> int:
    control_fd, lifeline_fd = int(argv[0]), int(argv[1])
    # Ctrl-C reaches the whole process group; the runner decides when environments stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return zygote(socket.socket(fileno=control_fd), lifeline_fd)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
