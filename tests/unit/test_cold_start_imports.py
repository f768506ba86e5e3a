"""A function's cold start loads what its requests use, and not the rest (issue 12): imported in a
fresh process with the template's environment and tracing on as on Lambda, a handler leaves out
Powertools' OpenAPI models (only `make openapi` needs them), the libraries the X-Ray SDK could patch
but the function does not use (httpx), the model modules of other contexts, and pydantic's plugin
discovery. Each loads with the garbage collector off and leaves it on, with what init built frozen.
`make bench` measures the time; this keeps the imports from creeping back."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from functools import cache
from typing import Any

import pytest

from localrun import template
from tests.conftest import ROOT

CHILD = """
import gc, importlib.util, json, sys
collections_before = sum(generation["collections"] for generation in gc.get_stats())
spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from pydantic.plugin import _loader
print(json.dumps({
    "modules": sorted(sys.modules),
    "plugins_discovered": _loader._plugins is not None,
    "collections_while_loading": sum(generation["collections"] for generation in gc.get_stats()) - collections_before,
    "collector_on": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
}))
"""


@cache  # a function's cold import is the same whichever test reads it
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
    assert "aws_lambda_powertools.event_handler.openapi.merge" not in modules
    assert "aws_lambda_powertools.event_handler.appsync" not in modules  # the packages export lazily
    assert "aws_lambda_powertools.utilities.data_classes.kinesis_firehose_event" not in modules
    assert "asyncio" not in modules  # neither Powertools' AppSync resolver nor wrapt 2 loads it
    assert "httpx" not in modules
    assert "cashback.models.reputation" not in modules
    assert "cashback.models.webhooks" not in modules
    assert loaded["plugins_discovered"] is False


def test_the_health_check_loads_no_model_module_but_the_common_and_its_own() -> None:
    modules = set(_cold_import("health")["modules"])  # type: ignore[call-overload]

    own = {"cashback.models.common", "cashback.models.health"}
    assert {m for m in modules if m.startswith("cashback.models.")} <= own


@pytest.mark.parametrize("folder", ["leaderboard", "trending"])
def test_a_seed_path_shapes_its_answer_without_loading_the_other_use_cases(folder: str) -> None:
    modules = set(_cold_import(folder)["modules"])  # type: ignore[call-overload]

    assert "cashback.analytics" in modules
    assert not {"cashback.shopping", "cashback.search", "cashback.agents"} & modules


def test_the_redirect_follows_a_link_without_loading_search_or_the_catalog() -> None:
    modules = set(_cold_import("redirect")["modules"])  # type: ignore[call-overload]

    assert "cashback.clicks" in modules
    assert not {"cashback.shopping", "cashback.search", "cashback.catalog"} & modules
    assert not {m for m in modules if m.startswith("cashback.models.")} - {"cashback.models.common"}


@pytest.mark.parametrize("folder", ["agent_stats", "payouts", "list_conversions", "webhook"])
def test_money_is_typed_without_loading_the_catalog_models(folder: str) -> None:
    modules = set(_cold_import(folder)["modules"])  # type: ignore[call-overload]

    assert "cashback.models.common" in modules  # where Currency lives
    assert "cashback.models.catalog" not in modules


@pytest.mark.parametrize("folder", ["feedback", "reputation", "directory"])
def test_reputation_and_the_directory_load_no_agent_or_analytics_models(folder: str) -> None:
    """They show an agent's ERC-8004 identity and conversion counts, which live in models.common."""
    modules = set(_cold_import(folder)["modules"])  # type: ignore[call-overload]

    assert "cashback.models.reputation" in modules
    assert not {"cashback.models.agents", "cashback.models.analytics", "cashback.models.catalog"} & modules


def test_the_payout_report_loads_no_analytics_models() -> None:
    """Its commission by currency is the same MoneyByCurrency the stats show, from models.common."""
    modules = set(_cold_import("payouts")["modules"])  # type: ignore[call-overload]

    assert "cashback.models.payouts" in modules
    assert "cashback.models.analytics" not in modules


def test_writing_a_profile_builds_its_directory_entry_without_the_directory_models() -> None:
    """Registering, editing and deleting an agent write its directory entry, in the same transaction;
    the directory's answer models (and those they build on) load only where the directory is read."""
    code = (
        "import json, sys\n"
        "from cashback import agents\n"
        "from cashback.models import AgentProfile\n"
        "profile = AgentProfile(agent_id='agt_EXAMPLEexampleEXAMPLE0', agent_name='Runner', plan='standard',\n"
        "    public=True, description='Finds shoes.', created_at='2026-11-01T00:00:00Z')\n"
        "print(json.dumps({'entry': agents.directory_entry(profile), 'modules': sorted(sys.modules)}))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in (".", "layers/common"))}
    child = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert child.returncode == 0, child.stderr[-3000:]
    written = json.loads(child.stdout)

    assert written["entry"] == {
        "agent_id": "agt_EXAMPLEexampleEXAMPLE0",
        "agent_name": "Runner",
        "description": "Finds shoes.",
        "created_at": "2026-11-01T00:00:00Z",
        "search_text": "runner\nfinds shoes.",
    }
    assert not {"cashback.directory", "cashback.models.reputation", "cashback.models.analytics"} & set(
        written["modules"]
    )


@pytest.mark.parametrize("folder", ["webhook", "deliver_webhooks"])
def test_the_webhook_functions_load_httpx_only_to_deliver(folder: str) -> None:
    modules = set(_cold_import(folder)["modules"])  # type: ignore[call-overload]

    assert "cashback.outbound" in modules
    assert "httpx" not in modules


def test_the_docs_function_serves_the_document_without_powertools_openapi_models() -> None:
    modules = set(_cold_import("docs")["modules"])  # type: ignore[call-overload]

    assert "aws_lambda_powertools.event_handler.openapi.swagger_ui.html" in modules
    assert "aws_lambda_powertools.event_handler.openapi.models" not in modules


def test_mcp_speaks_the_protocol_without_the_mcp_sdk_or_an_asgi_stack() -> None:
    modules = set(_cold_import("mcp")["modules"])  # type: ignore[call-overload]

    assert "cashback.api.mcp_protocol" in modules
    sdk = ("mcp", "mcp_types", "starlette", "sse_starlette", "uvicorn", "anyio")
    assert not {m for m in modules if m.split(".")[0] in sdk}
    assert "cashback.shopping" in modules  # search, the tool most calls use
    assert not {"cashback.analytics", "cashback.notify"} & modules  # loaded by their tools' first call


@pytest.mark.parametrize("folder", ["health", "authorizer", "rollup"])
def test_a_function_loads_with_the_collector_off_and_leaves_it_on_with_init_frozen(folder: str) -> None:
    loaded = _cold_import(folder)

    assert loaded["collections_while_loading"] <= 1  # one may fall before the collector goes off (~50 with it on)
    assert loaded["collector_on"] is True
    assert loaded["frozen"] > 10_000  # type: ignore[operator]


def test_every_handler_starts_its_init_phase_first_and_finishes_it_last() -> None:
    for path in sorted((ROOT / "functions").glob("*/handler.py")):
        body = ast.parse(path.read_text()).body
        statements = body[1:] if isinstance(body[0], ast.Expr) else body  # after the docstring
        first, last = ast.unparse(statements[0]), ast.unparse(statements[-1])
        assert first == "from cashback import init_phase", path
        assert last == "init_phase.finished()", path


EXPORTED = """
import importlib, json, sys, types
if sys.argv[1] == "lazily":
    from cashback import init_phase
    packages = init_phase.LAZY_PACKAGES
else:
    packages = json.loads(sys.argv[2])
described = {}
for package in packages:
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        if isinstance(value, types.ModuleType):
            described[f"{package}.{name}"] = value.__name__
        else:  # a class or function by where it is defined; an alias (`A | B`) by what it names
            described[f"{package}.{name}"] = f"{value.__module__}.{getattr(value, '__qualname__', repr(value))}"
print(json.dumps({"packages": packages, "described": described}))
"""


def test_the_lazily_exporting_packages_give_what_their_own_init_would() -> None:
    def exported(*args: str) -> dict[str, Any]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in (".", "layers/common"))}
        command = [sys.executable, "-c", EXPORTED, *args]
        child = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        assert child.returncode == 0, child.stderr[-3000:]
        result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
        return result

    # In children: importing init_phase here would turn this process's garbage collector off.
    lazily = exported("lazily")
    as_installed = exported("as installed", json.dumps(lazily["packages"]))

    assert lazily["described"] == as_installed["described"]
    resolver = lazily["described"]["aws_lambda_powertools.event_handler.APIGatewayRestResolver"]
    assert resolver == "aws_lambda_powertools.event_handler.api_gateway.APIGatewayRestResolver"


def test_the_bench_measures_every_function_cold_with_an_event_it_has() -> None:
    # In a child: importing the bench sets the bench's environment (unlimited rate limits).
    listed = "import json; from bench.foundation import COLD_STARTS; print(json.dumps(COLD_STARTS))"
    child = subprocess.run([sys.executable, "-c", listed], cwd=ROOT, capture_output=True, text=True, check=True)
    cold_starts = json.loads(child.stdout.strip().splitlines()[-1])

    handlers = sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py"))
    assert sorted(folder for folder, _ in cold_starts) == handlers
    assert all((ROOT / event).is_file() for _, event in cold_starts)
