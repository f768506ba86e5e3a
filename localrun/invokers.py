"""How the runner calls a function. One small interface, so that the gateway does not care where a
handler runs.

`ProcessInvoker` (what `make dev`, `make invoke` and the tests use) runs Lambda's model: each
execution environment is a process of its own (localrun/worker.py) that loads one function and
serves one invocation at a time. A function keeps a pool of environments: an idle one is reused
(warm), and when all are busy another is started (a cold start, logged with its init time), up to
`max_environments`. An invocation that outlives the function's Timeout kills its environment and
fails as Lambda's does, with `Sandbox.Timedout`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from localrun.template import Function, Template
from localrun.worker import PID, EnvironmentSpec, LambdaContext

log = logging.getLogger("localrun")

# Lambda adds environments as concurrency grows; locally a function gets at most this many, and
# further requests wait for one to be free. Each is a process of about 77 MB RSS (much of it shared
# with the zygote) that takes about 0.45 s of CPU to start; on a 2-core machine 8 per function meant
# more cold starts than throughput, and requests starved past their Timeout. LOCALRUN_MAX_ENVIRONMENTS
# overrides it.
MAX_ENVIRONMENTS_PER_FUNCTION = 4
# How long an environment may take to start (Lambda's own init limit is 10 s, on faster CPUs).
INIT_TIMEOUT_SECONDS = 60.0
MEMORY_MB = 512

__all__ = ["EnvironmentPools", "FunctionError", "Invoker", "LambdaContext", "ProcessInvoker", "shared_environment"]


class Invoker(Protocol):
    def invoke(self, function: str, event: dict[str, Any]) -> Any: ...


def shared_environment(template: Template) -> dict[str, str]:
    """The template variables every function has with the same value (Globals, mostly)."""
    functions = list(template.functions.values())
    if not functions:
        return {}
    first, *others = functions
    return {
        name: value
        for name, value in first.environment.items()
        if all(other.environment.get(name) == value for other in others)
    }


class FunctionError(Exception):
    """The invocation failed, as Lambda reports it: an error type (the exception's class,
    `Sandbox.Timedout`, `Runtime.ExitError`...) and the message, which is str(error)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass(eq=False)  # one object per process; hashed by identity
class _Environment:
    function: str
    pid: int  # a child of the zygote, which reaps it
    connection: Connection
    number: int
    invocations: int = 0

    def close(self) -> None:
        self.connection.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


class PooledEnvironment(Protocol):
    """What EnvironmentPools needs of an execution environment."""

    @property
    def function(self) -> str: ...

    def close(self) -> None: ...


E = TypeVar("E", bound=PooledEnvironment)


@dataclass
class _Pool(Generic[E]):
    idle: list[E] = field(default_factory=list)
    count: int = 0
    started: int = 0


class EnvironmentPools(Generic[E]):
    """Lambda's scaling: each function's execution environments, started on demand (`_start`, a
    cold start) up to `max_environments`, an idle one reused (warm), one invocation at a time each.
    ProcessInvoker (the source folders, forked processes) and localrun.rie.RieInvoker (the built
    artifacts under the Lambda runtime emulator) share it."""

    def __init__(self, functions: list[str], max_environments: int | None = None) -> None:
        self.max_environments = max_environments or int(
            os.environ.get("LOCALRUN_MAX_ENVIRONMENTS", MAX_ENVIRONMENTS_PER_FUNCTION)
        )
        self._pools: dict[str, _Pool[E]] = {name: _Pool() for name in functions}
        self._all: set[E] = set()
        self._changed = threading.Condition()
        self._closed = False

    def environment_count(self, function: str) -> int:
        return self._pools[function].count

    def _start(self, function: Function, number: int) -> E:
        raise NotImplementedError

    def _acquire(self, spec: Function) -> E:
        pool = self._pools[spec.logical_id]
        with self._changed:
            while True:
                if self._closed:
                    raise FunctionError("Runtime.Unavailable", "the runner is stopping")
                if pool.idle:
                    return pool.idle.pop()  # the most recently used: warm
                if pool.count < self.max_environments:
                    pool.count += 1
                    pool.started += 1
                    number = pool.started
                    break
                self._changed.wait()
        try:
            return self._start(spec, number)
        except BaseException:
            with self._changed:
                pool.count -= 1
                self._changed.notify_all()
            raise

    def _register(self, environment: E) -> None:
        """A started environment, stopped by close() (or at once, when closing already)."""
        with self._changed:
            if self._closed:
                environment.close()
                raise FunctionError("Runtime.Unavailable", "the runner is stopping")
            self._all.add(environment)

    def _release(self, environment: E) -> None:
        with self._changed:
            if self._closed:
                environment.close()
                return
            self._pools[environment.function].idle.append(environment)
            self._changed.notify_all()

    def _discard(self, environment: E) -> None:
        environment.close()
        with self._changed:
            self._all.discard(environment)
            self._pools[environment.function].count -= 1
            self._changed.notify_all()

    def _forget(self, environment: E) -> None:
        environment.close()
        with self._changed:
            self._all.discard(environment)

    def _close_environments(self) -> None:
        """Stop every environment and refuse new invocations."""
        with self._changed:
            self._closed = True
            environments = list(self._all)
            self._all.clear()
            self._changed.notify_all()
        for environment in environments:
            environment.close()


class ProcessInvoker(EnvironmentPools[_Environment]):
    """Each function's execution environments, one process each, started on demand."""

    def __init__(
        self,
        template: Template,
        template_path: Path,
        environment: dict[str, str],
        max_environments: int | None = None,
    ) -> None:
        """`environment`: what every function gets besides its template variables (runtime values
        and what the caller exported, which overrides the template)."""
        super().__init__(list(template.functions), max_environments)
        self.template = template
        self.template_path = template_path.resolve()
        self.environment = environment
        # Only this process holds the write end: when it dies, every environment sees EOF and exits.
        self._lifeline_read, self._lifeline_write = os.pipe()
        self._zygote: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._zygote_lock = threading.Lock()

    def spec(self, function: Function) -> EnvironmentSpec:
        environment = {
            **function.environment,
            **self.environment,
            "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY_MB),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.logical_id}",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        }
        return EnvironmentSpec(
            function=function.logical_id,
            template=str(self.template_path),
            code_dir=str(function.code_dir.resolve()),
            handler=function.handler,
            layer_dirs=[str(d.resolve()) for d in self.template.layer_dirs],
            environment=environment,
            timeout=function.timeout,
            memory_mb=MEMORY_MB,
            partition_keys=self.template.partition_keys(),
        )

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        spec = self.template.functions[function]
        environment = self._acquire(spec)
        request_id = str(uuid.uuid4())
        try:
            environment.connection.send({"request_id": request_id, "event": json.dumps(event)})
            if not environment.connection.poll(spec.timeout):
                raise FunctionError("Sandbox.Timedout", f"{request_id} Task timed out after {spec.timeout:.2f} seconds")
            answer = environment.connection.recv()
        except FunctionError:
            log.warning(
                "%s: invocation %s timed out after %d s; environment stopped", function, request_id, spec.timeout
            )
            self._discard(environment)
            raise
        except (EOFError, OSError) as error:
            self._discard(environment)
            raise FunctionError("Runtime.ExitError", f"{request_id} the execution environment exited") from error
        environment.invocations += 1
        self._release(environment)
        if "error" in answer:
            raise FunctionError(answer["error"]["errorType"], answer["error"]["errorMessage"])
        return json.loads(answer["result"])

    def close(self) -> None:
        """Stop every environment and the zygote (and refuse new invocations)."""
        self._close_environments()
        with self._zygote_lock:
            if self._control is not None:
                self._control.close()
            if self._lifeline_write >= 0:
                os.close(self._lifeline_write)
                os.close(self._lifeline_read)
                self._lifeline_write = -1
            if self._zygote is not None:
                try:
                    self._zygote.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._zygote.kill()
                    self._zygote.wait()

    def _start(self, function: Function, number: int) -> _Environment:
        """A cold start: a new process, bootstrapped with the function's spec, ready when it says so."""
        started = time.perf_counter()
        ours, theirs = socket.socketpair()
        try:
            pid = self._fork(theirs)
        finally:
            theirs.close()
        connection = Connection(ours.detach())
        environment = _Environment(function.logical_id, pid, connection, number)
        self._register(environment)
        try:
            connection.send(asdict(self.spec(function)))
            if not connection.poll(INIT_TIMEOUT_SECONDS):
                raise FunctionError(
                    "Runtime.InitTimeout", f"{function.logical_id}: init took over {INIT_TIMEOUT_SECONDS} s"
                )
            ready = connection.recv()
        except (EOFError, OSError) as error:
            self._forget(environment)
            raise FunctionError(
                "Runtime.ExitError", f"{function.logical_id}: the environment exited during init"
            ) from error
        except FunctionError:
            self._forget(environment)
            raise
        if "init_error" in ready:
            self._forget(environment)
            raise FunctionError(ready["init_error"]["errorType"], ready["init_error"]["errorMessage"])
        log.info(
            "%s: cold start, environment %d: init %d ms (process start to ready %d ms)",
            function.logical_id,
            number,
            ready["ready"],
            (time.perf_counter() - started) * 1000,
        )
        return environment

    def _fork(self, connection: socket.socket) -> int:
        """A new environment process from the zygote (started on first use), talking on `connection`."""
        with self._zygote_lock:
            if self._lifeline_write < 0:
                raise FunctionError("Runtime.Unavailable", "the runner is stopping")
            if self._control is None:
                self._control, theirs = socket.socketpair()
                self._zygote = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                    [sys.executable, "-m", "localrun.worker", str(theirs.fileno()), str(self._lifeline_read)],
                    pass_fds=(theirs.fileno(), self._lifeline_read),
                    cwd=Path(__file__).resolve().parent.parent,
                )
                theirs.close()
            socket.send_fds(self._control, [b"f"], [connection.fileno()])
            answer = b""
            while len(answer) < PID.size:
                chunk = self._control.recv(PID.size - len(answer))
                if not chunk:
                    raise FunctionError("Runtime.ExitError", "the runner's zygote exited")
                answer += chunk
            pid: int = PID.unpack(answer)[0]
            return pid
