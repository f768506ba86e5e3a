"""How the runner calls a function. One small interface, so that the gateway does not care whether
a handler runs in this process (fast; what `make dev` and the tests use) or elsewhere (e.g. the
`sam build` output under the Lambda Runtime Interface Emulator, where a container runtime exists).
"""

from __future__ import annotations

import importlib.util
import itertools
import queue
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from localrun import iam
from localrun.template import LOCAL_ACCOUNT, LOCAL_REGION, Function, Template, TemplateError

# Lambda runs one request per execution environment at a time and adds environments as
# concurrency grows; the in-process invoker does the same with module instances, up to this many.
MAX_ENVIRONMENTS_PER_FUNCTION = 16
_module_numbers = itertools.count()


class Invoker(Protocol):
    def invoke(self, function: str, event: dict[str, Any]) -> Any: ...


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


def function_environment(template: Template) -> dict[str, str]:
    """Every function's variables in one mapping; in one process they must agree."""
    merged: dict[str, str] = {}
    for function in template.functions.values():
        for name, value in function.environment.items():
            if merged.setdefault(name, value) != value:
                raise TemplateError(f"{name} differs between functions; the in-process invoker shares one environment")
    return merged


class InProcessInvoker:
    """Loads each function's handler module from its CodeUri, isolated from the others (its own
    module instance per execution environment), with the layer on sys.path as /opt/python would be."""

    def __init__(self, template: Template, roles: Mapping[str, iam.Role]) -> None:
        self.template = template
        self.roles = roles
        self.partition_keys = template.partition_keys()
        iam.install()
        for layer_dir in template.layer_dirs:
            if str(layer_dir) not in sys.path:
                sys.path.insert(0, str(layer_dir))
        self._idle: dict[str, queue.LifoQueue[ModuleType]] = {name: queue.LifoQueue() for name in template.functions}
        self._created: dict[str, int] = dict.fromkeys(template.functions, 0)
        self._lock = threading.Lock()

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        spec = self.template.functions[function]
        module = self._acquire(spec)
        try:
            handler = getattr(module, spec.handler.rpartition(".")[2])
            with iam.acting_as(self.roles[function], self.partition_keys):
                return handler(event, LambdaContext(function_name=function, timeout_seconds=spec.timeout))
        finally:
            self._idle[function].put(module)

    def _acquire(self, spec: Function) -> ModuleType:
        idle = self._idle[spec.logical_id]
        try:
            return idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            may_create = self._created[spec.logical_id] < MAX_ENVIRONMENTS_PER_FUNCTION
            if may_create:
                self._created[spec.logical_id] += 1
        return _load_handler_module(spec) if may_create else idle.get()


def _load_handler_module(spec: Function) -> ModuleType:
    module_path, _, _ = spec.handler.rpartition(".")
    source = spec.code_dir / Path(*module_path.split(".")).with_suffix(".py")
    name = f"localrun_{spec.logical_id}_{next(_module_numbers)}"
    module_spec = importlib.util.spec_from_file_location(name, source)
    if module_spec is None or module_spec.loader is None:
        raise TemplateError(f"{spec.logical_id}: cannot load {source}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module
