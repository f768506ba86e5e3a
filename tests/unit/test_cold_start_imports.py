"""A function's cold start loads what its requests use, and not the rest (issue 12): imported in a
fresh process with the template's environment and tracing on as on Lambda, a handler leaves out
Powertools' OpenAPI models (only `make openapi` needs them), the libraries the X-Ray SDK could patch
but the function does not use (httpx), the model modules of other contexts, and pydantic's plugin
discovery. `make bench` measures the time; this keeps the imports from creeping back."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from localrun import template
from tests.conftest import ROOT

CHILD = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from pydantic.plugin import _loader
print(json.dumps({"modules": sorted(sys.modules), "plugins_discovered": _loader._plugins is not None}))
"""


def _cold_import(folder: str) -> dict[str, object]:
    environment = template.load(ROOT / "template.yaml").functions["HealthFunction"].environment
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "PYDANTIC_"))}
    env.update(environment)
    env.update(
        {
            "POWERTOOLS_METRICS_DISABLED": "true",
            "LAMBDA_TASK_ROOT": str(ROOT / "functions" / folder),  # tracing on, as on Lambda
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in (".", "layers/common")),
        }
    )
    handler = str(ROOT / "functions" / folder / "handler.py")
    child = subprocess.run(
        [sys.executable, "-c", CHILD, handler], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert child.returncode == 0, child.stderr[-3000:]
    result: dict[str, object] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("folder", ["health", "search", "authorizer"])
def test_a_cold_function_leaves_out_what_its_requests_do_not_use(folder: str) -> None:
    loaded = _cold_import(folder)
    modules = set(loaded["modules"])  # type: ignore[call-overload]

    assert "aws_lambda_powertools.event_handler.openapi.models" not in modules
    assert "httpx" not in modules
    assert "cashback.models.reputation" not in modules
    assert "cashback.models.webhooks" not in modules
    assert loaded["plugins_discovered"] is False


def test_the_health_check_loads_no_model_module_but_the_common_one() -> None:
    modules = set(_cold_import("health")["modules"])  # type: ignore[call-overload]

    assert {m for m in modules if m.startswith("cashback.models.")} <= {"cashback.models.common"}


def test_the_bench_measures_every_function_cold_with_an_event_it_has() -> None:
    # In a child: importing the bench sets the bench's environment (unlimited rate limits).
    listed = "import json; from bench.foundation import COLD_STARTS; print(json.dumps(COLD_STARTS))"
    child = subprocess.run([sys.executable, "-c", listed], cwd=ROOT, capture_output=True, text=True, check=True)
    cold_starts = json.loads(child.stdout.strip().splitlines()[-1])

    handlers = sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py"))
    assert sorted(folder for folder, _ in cold_starts) == handlers
    assert all((ROOT / event).is_file() for _, event in cold_starts)
