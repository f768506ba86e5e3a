"""The built artifacts under the real Lambda runtime, without Docker (`make dev RUNTIME=rie`).

`RieInvoker` serves each function from its `sam build` folder (.aws-sam/build/<Function>, Lambda's
/var/task) with the layer's build folder (<build>/CommonLayer/python, what Lambda mounts at
/opt/python) on PYTHONPATH, and no virtual environment's packages: only what `sam build` installed
from the locks. Each execution environment is one process tree: the Lambda Runtime Interface
Emulator that aws-sam-cli ships (`samcli/local/rapid/aws-lambda-rie-x86_64`, the Go program inside
Lambda's container images), which runs Python 3.13 with `awslambdaric`, Lambda's own runtime
interface client (RIE_PYTHON: an interpreter with only awslambdaric installed, Lambda's
/var/runtime). Scaling, reuse and cold starts are EnvironmentPools', as in the default mode.

Each environment gets the template's Timeout, MemorySize (reported to the handler's context; not a
memory limit here) and variables. A small bootstrap (written to a private folder that is the last
entry of PYTHONPATH, so it shadows nothing the build ships) makes the process assume the
function's IAM role (localrun.iam, as in the default mode), imports the handler module and writes
its init time for the runner's cold-start log, then hands over to awslambdaric's loop.

Timeouts: the emulator, unlike Lambda, counts the init phase against the first invocation's
Timeout. So the emulator is given Timeout + INIT_TIMEOUT_SECONDS, and the runner enforces the
Timeout itself on warm invocations (and Timeout + init on a cold one): an invocation over it
stops the environment and fails with Lambda's `Sandbox.Timedout`, which the gateway answers 504.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import json
import logging
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from localrun import iam
from localrun.dynamodb_local import LocalRunError
from localrun.invokers import INIT_TIMEOUT_SECONDS, EnvironmentPools, FunctionError
from localrun.template import Function, Template

log = logging.getLogger("localrun")

ROOT = Path(__file__).resolve().parent.parent
SAM = ROOT / ".venv-sam" / "bin" / "sam"
RAPID = ROOT / ".venv-sam" / "lib" / "python3.13" / "site-packages" / "samcli" / "local" / "rapid"
# An interpreter with awslambdaric (requirements-rie.txt): Lambda's runtime, without the function's
# packages. LOCALRUN_RIE_PYTHON points elsewhere.
RIE_PYTHON = Path(os.environ.get("LOCALRUN_RIE_PYTHON") or ROOT / ".venv-rie" / "bin" / "python")
INVOCATIONS = "/2015-03-31/functions/function/invocations"
# The runner's variables a function never sees under the emulator: they point at the runner's venv.
_NOT_PASSED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH")
BOOTSTRAP = '''"""localrun --runtime rie: Lambda's init phase (role, handler import, timed), then awslambdaric."""
import importlib
import os
import pickle
import sys
import time

from awslambdaric import __main__ as runtime

started = time.perf_counter()
with open(os.environ.pop("LOCALRUN_ROLE_FILE"), "rb") as role_file:
    role = pickle.load(role_file)
if role is not None:
    from localrun import iam

    iam.assume_for_process(*role)
try:
    importlib.import_module(sys.argv[1].rpartition(".")[0].replace("/", "."))
except Exception:
    pass  # awslambdaric imports it again and reports the error as Lambda does
with open(os.environ.pop("LOCALRUN_INIT_FILE"), "w") as init_file:
    init_file.write(str(round((time.perf_counter() - started) * 1000)))
runtime.main(sys.argv)
'''


def sam_build(template_path: Path, build_dir: Path) -> None:
    """What `sam deploy` would upload, into build_dir (aws-sam-cli from .venv-sam). Not `--cached`: its
    dependency folder (.aws-sam/deps, shared by every build in the project) was seen half-deleted."""
    command = [str(SAM), "build", "--template", str(template_path), "--build-dir", str(build_dir)]
    command += ["--cache-dir", str(build_dir.parent / "cache")]
    print("building:", " ".join(command), file=sys.stderr, flush=True)
    # One build at a time per project: sam build keeps working files under .aws-sam whatever
    # --build-dir says, and two test workers building at once were seen to break each other.
    lock_file = template_path.parent / ".aws-sam" / "build.lock"
    lock_file.parent.mkdir(exist_ok=True)
    with lock_file.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(  # noqa: S603 (aws-sam-cli from our own venv)
            command,
            cwd=template_path.parent,
            env={**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": python313_first_on_path()},
            check=False,
            stdout=sys.stderr,
        )
    if result.returncode:
        raise LocalRunError(f"sam build failed ({result.returncode})")


def python313_first_on_path() -> str:
    """PATH with our venv's base interpreter, a python3.13, first: sam build's python3.13 builder and
    the Makefiles it runs call python3.13 by name."""
    return f"{Path(sys.base_prefix) / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"


def rie_binary() -> Path:
    machine = os.uname().machine
    return RAPID / f"aws-lambda-rie-{'arm64' if machine in ('aarch64', 'arm64') else 'x86_64'}"


def missing_parts(python: Path = RIE_PYTHON) -> list[str]:
    """What RIE mode needs and is not here, each with how to get it (empty when ready)."""
    missing = []
    if not rie_binary().exists():
        missing.append(f"{rie_binary()} (aws-sam-cli's emulator: make install creates .venv-sam)")
    if not python.exists():
        missing.append(f"{python} (an interpreter with awslambdaric: requirements-rie.txt, or LOCALRUN_RIE_PYTHON)")
    return missing


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(eq=False)  # one object per process tree; hashed by identity
class _RieEnvironment:
    function: str
    number: int
    process: subprocess.Popen[bytes]
    url: str
    init_file: Path
    client: httpx.Client = field(default_factory=httpx.Client)
    invocations: int = 0

    def close(self) -> None:
        self.client.close()
        # The emulator stops the runtime it started (which has a process group of its own) on SIGTERM.
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.init_file.unlink(missing_ok=True)


class RieInvoker(EnvironmentPools[_RieEnvironment]):
    """Each function's built artifact, one emulator process tree per execution environment."""

    def __init__(
        self,
        template: Template,
        build_dir: Path,
        environment: Mapping[str, str],
        roles: Mapping[str, iam.Role] | None = None,
        max_environments: int | None = None,
        python: Path = RIE_PYTHON,
    ) -> None:
        """`template`: the source template (handlers, variables, Timeout, MemorySize); `build_dir`:
        where `sam build` put each function (by logical id) and the layer; `environment`: what every
        function gets besides its template variables (as ProcessInvoker); `roles`: each function's
        IAM role to enforce (none: calls are not checked)."""
        super().__init__(list(template.functions), max_environments)
        missing = missing_parts(python)
        if missing:
            raise FunctionError("Runtime.Unavailable", "RIE mode needs " + "; ".join(missing))
        self.template = template
        self.build_dir = build_dir.resolve()
        self.environment = dict(environment)
        self.python = python
        # Each invocation's request waits in a thread, so that the runner's deadline starts after init.
        self._requests = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="rie-invoke")
        self._private = Path(tempfile.mkdtemp(prefix="localrun-rie-"))
        self._runtime_dir = self._private / "runtime"
        self._runtime_dir.mkdir()
        (self._runtime_dir / "_localrun_rie_bootstrap.py").write_text(BOOTSTRAP, encoding="utf-8")
        if roles is not None:
            # localrun.iam (and PyYAML, which it reads templates with) for the role enforcement only.
            (self._runtime_dir / "localrun").symlink_to(Path(__file__).resolve().parent)
            (self._runtime_dir / "yaml").symlink_to(Path(yaml.__file__).resolve().parent)
        partition_keys = template.partition_keys()
        for name in template.functions:
            role = (roles[name], partition_keys) if roles is not None else None
            (self._private / f"{name}.role").write_bytes(pickle.dumps(role))

    def layer_dirs(self) -> list[Path]:
        """What Lambda mounts at /opt/python: each layer's build folder's python/ (SAM names the
        layer's build folder after its logical id, the template's Layers entry)."""
        return [self.build_dir / layer.name / "python" for layer in self._layer_builds()]

    def _layer_builds(self) -> list[Path]:
        return [path.parent for path in sorted(self.build_dir.glob("*/python")) if path.is_dir()]

    def environment_for(self, function: Function) -> dict[str, str]:
        code_dir = self.build_dir / function.logical_id
        path = [str(code_dir), *(str(d) for d in self.layer_dirs()), str(self._runtime_dir)]
        return {
            **function.environment,
            **{k: v for k, v in self.environment.items() if k not in _NOT_PASSED},
            # Lambda sets both; botocore reads the second.
            "AWS_DEFAULT_REGION": self.environment.get("AWS_DEFAULT_REGION") or self.environment.get("AWS_REGION", ""),
            "PYTHONPATH": os.pathsep.join(path),
            "LAMBDA_TASK_ROOT": str(code_dir),
            "_HANDLER": function.handler,
            "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            # The emulator counts init against the first invocation: see the module's docstring.
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout + int(INIT_TIMEOUT_SECONDS)),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.logical_id}",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "LOCALRUN_ROLE_FILE": str(self._private / f"{function.logical_id}.role"),
        }

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        spec = self.template.functions[function]
        environment = self._acquire(spec)
        request_id = str(uuid.uuid4())
        cold = environment.invocations == 0
        started = time.perf_counter()
        answer = self._requests.submit(
            environment.client.post,
            environment.url,
            content=json.dumps(event, default=str),
            timeout=spec.timeout + INIT_TIMEOUT_SECONDS,  # the runner's deadline is below
            headers={"X-Amz-Request-Id": request_id},
        )
        try:
            if cold:  # the Timeout starts when init is done, as on Lambda
                _wait_for_init(environment, answer)
            response = answer.result(timeout=spec.timeout)
        except concurrent.futures.TimeoutError as error:
            log.warning(
                "%s: invocation %s over its %d s Timeout; environment stopped", function, request_id, spec.timeout
            )
            self._discard(environment)
            raise FunctionError(
                "Sandbox.Timedout", f"{request_id} Task timed out after {spec.timeout:.2f} seconds"
            ) from error
        except httpx.HTTPError as error:
            self._discard(environment)
            raise FunctionError("Runtime.ExitError", f"{request_id} the execution environment exited") from error
        if cold:
            self._log_cold_start(environment, (time.perf_counter() - started) * 1000)
        if response.status_code != 200 and not response.content:  # the runtime died (Sandbox.Failure)
            self._discard(environment)
            raise FunctionError("Runtime.ExitError", f"{request_id} the runtime exited (see its log above)")
        result = response.json() if response.content else None
        if isinstance(result, dict) and _is_runtime_error(result):
            error_type, message = str(result.get("errorType") or "Runtime.Unknown"), str(result["errorMessage"])
            if "Task timed out" in message or error_type.startswith("Runtime."):
                # The emulator's own deadline, or a failed init (Runtime.ImportModuleError...): Lambda
                # does not reuse that environment.
                self._discard(environment)
                raise FunctionError("Sandbox.Timedout" if "Task timed out" in message else error_type, message)
            environment.invocations += 1
            self._release(environment)
            raise FunctionError(error_type, message)
        environment.invocations += 1
        self._release(environment)
        return result

    def close(self) -> None:
        self._close_environments()
        self._requests.shutdown(wait=True)
        shutil.rmtree(self._private, ignore_errors=True)  # symlinks are removed, not followed

    def _log_cold_start(self, environment: _RieEnvironment, first_invocation_ms: float) -> None:
        try:
            init = f"{int(environment.init_file.read_text(encoding='utf-8'))} ms"
        except (OSError, ValueError):
            init = "unknown"
        log.info(
            "%s: cold start, environment %d: init %s (under the emulator; init + first invocation %d ms)",
            environment.function,
            environment.number,
            init,
            first_invocation_ms,
        )

    def _start(self, function: Function, number: int) -> _RieEnvironment:
        """A cold start: the emulator, which starts the runtime (and the handler's init) on the
        first invocation, as Lambda does for an on-demand environment."""
        port = _free_port()
        init_file = self._private / f"{function.logical_id}-{number}.init"
        process = subprocess.Popen(  # noqa: S603 (aws-sam-cli's emulator, our interpreter)
            [
                str(rie_binary()),
                "--log-level",
                "error",
                "--runtime-interface-emulator-address",
                f"127.0.0.1:{port}",
                "--runtime-api-address",
                f"127.0.0.1:{_free_port()}",
                str(self.python),
                "-m",
                "_localrun_rie_bootstrap",
                function.handler,
            ],
            cwd=self.build_dir / function.logical_id,
            env={**self.environment_for(function), "LOCALRUN_INIT_FILE": str(init_file)},
            start_new_session=True,  # its own process group: close() stops the runtime with it
        )
        environment = _RieEnvironment(
            function.logical_id, number, process, f"http://127.0.0.1:{port}{INVOCATIONS}", init_file
        )
        self._register(environment)
        deadline = time.monotonic() + INIT_TIMEOUT_SECONDS
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                return environment
            if process.poll() is not None or time.monotonic() > deadline:
                self._forget(environment)
                raise FunctionError("Runtime.ExitError", f"{function.logical_id}: the emulator did not start")
            time.sleep(0.02)


def _wait_for_init(environment: _RieEnvironment, answer: concurrent.futures.Future[Any]) -> None:
    """Until the bootstrap has written the init time (or the invocation is over already)."""
    deadline = time.monotonic() + INIT_TIMEOUT_SECONDS
    while not environment.init_file.exists() and not answer.done():
        if time.monotonic() > deadline:
            raise concurrent.futures.TimeoutError
        time.sleep(0.01)


def _is_runtime_error(result: dict[str, Any]) -> bool:
    """The runtime's answer for an unhandled error (a proxy response always has a statusCode)."""
    return "errorMessage" in result and "statusCode" not in result
