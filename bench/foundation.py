"""Cold start per function, DynamoDB round trips per request, warm invocation time per endpoint.

Cold start: each function is imported and invoked once in a fresh Python process against an
embedded DynamoDB server, next to a bare `import boto3; boto3.client("dynamodb")` process on stock
boto3 and botocore (the layer's own Makefile, told to keep every service's model: what a function
that bundles no SDK gets). The functions' processes load what Lambda loads: the `sam build` output
(the function's folder, then the layer's `python` folder), with no site-packages (`python -I -S`), so
nothing installed only in .venv (a CLI an optional import finds, say) is imported or counted, and
without writing bytecode (`-B`), as on Lambda's read-only file system.
Round trips and warm times: in-process with moto, counted with a botocore event hook.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from localrun.template import Function

from bench.common import ROOT, counted_requests, describe, invoke, load_function, read_event, reset_clients, timed

# (function folder, event file) pairs measured; the events are the same files `make invoke` uses.
ENDPOINTS = [
    ("health", "events/health/get.json"),
    ("register_agent", "events/register_agent/register.json"),
    ("get_agent", "events/get_agent/own-profile.json"),
    ("rotate_token", "events/rotate_token/rotate.json"),
    ("authorizer", "events/authorizer/valid-token.json"),
]
# Cold starts are measured for every function, each with one of its event files.
COLD_STARTS = [
    *ENDPOINTS,
    ("search", "events/search/search.json"),
    ("compare", "events/compare/compare.json"),
    ("mcp", "events/mcp/tools-call-search.json"),
    ("redirect", "events/redirect/follow.json"),
    ("conversions", "events/conversions/signed.json"),
    ("agent_stats", "events/agent_stats/own-stats.json"),
    ("agent_analytics", "events/agent_analytics/own-analytics.json"),
    ("leaderboard", "events/leaderboard/revenue-30d.json"),
    ("trending", "events/trending/last-7-days.json"),
    ("rollup", "events/rollup/scheduled.json"),
    ("batch_search", "events/batch_search/batch.json"),
    ("update_agent", "events/update_agent/describe.json"),
    ("wallet_history", "events/wallet_history/own-history.json"),
    ("list_conversions", "events/list_conversions/list.json"),
    ("directory", "events/directory/newest.json"),
    ("feedback", "events/feedback/self-feedback.json"),
    ("reputation", "events/reputation/reputation.json"),
    ("webhook", "events/webhook/get-missing.json"),
    ("deliver_webhooks", "events/deliver_webhooks/scheduled.json"),
    ("agent_admin", "events/agent_admin/change-plan.json"),
    ("admin_keys", "events/admin_keys/list.json"),
    ("catalog_admin", "events/catalog_admin/list-products.json"),
    ("payouts", "events/payouts/report.json"),
    ("dashboard", "events/dashboard/page.json"),
    ("docs", "events/docs/openapi-json.json"),
]
FLOORS = Path(__file__).resolve().parent
BUILD_DIR = ROOT / ".aws-sam" / "bench" / "build"
EXAMPLE_AGENT_ID = "agt_EXAMPLEexampleEXAMPLE0"
EXAMPLE_TOKEN = "cbk_agent_EXAMPLE_token_for_events_only_0123456789abcdef"

_COLD_START_SCRIPT = """
import importlib.util, json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
sys.path[:0] = {paths!r}
spec = importlib.util.spec_from_file_location("handler", {handler!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
t1 = time.perf_counter()
sys.path.append({root!r})  # last, behind the build: only for the tests' Lambda context
from tests.apigw import LambdaContext
try:
    module.lambda_handler(json.load(open({event!r})), LambdaContext())
except Exception:
    pass
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({{"import_ms": (t1 - t0) * 1000, "first_invoke_ms": (t2 - t1) * 1000, "cpu_ms": (c2 - c0) * 1000}}))
"""

_BARE_SCRIPT = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
sys.path[:0] = {paths!r}
import boto3
client = boto3.client("dynamodb")
t1, c1 = time.perf_counter(), time.process_time()
print(json.dumps({{"import_ms": (t1 - t0) * 1000, "first_invoke_ms": 0.0, "cpu_ms": (c1 - c0) * 1000}}))
"""


def _seed_example_agent() -> None:
    from cashback.auth import hash_secret
    from cashback.store import agents as agent_store

    profile = {
        "agent_id": EXAMPLE_AGENT_ID,
        "agent_name": "bench",
        "plan": "standard",
        "created_at": "2026-11-25T00:00:00Z",
    }
    with contextlib.suppress(Exception):  # already there from a previous round
        agent_store.create_agent(profile, hash_secret(EXAMPLE_TOKEN))


def _fresh_process(script: str, env: dict[str, str]) -> dict[str, float]:
    """`-I -S`: no site-packages, no working directory on the path; `-B`: no bytecode written, as on
    Lambda, where the code is read-only (what the build did not compile is compiled on every start)."""
    command = [sys.executable, "-I", "-S", "-B", "-c", script]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=BUILD_DIR)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _wall(run: dict[str, float]) -> float:
    return run["import_ms"] + run["first_invoke_ms"]


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median CPU time (a shared machine is noisy)."""
    return sorted(runs, key=lambda r: r["cpu_ms"])[len(runs) // 2]


def _script(handler: Path, event: str, paths: list[Path]) -> str:
    return _COLD_START_SCRIPT.format(
        paths=[str(p) for p in paths], handler=str(handler), event=str(ROOT / event), root=str(ROOT)
    )


def _built(functions: Iterable[Function]) -> tuple[dict[str, Path], list[Path]]:
    """`sam build` into BUILD_DIR: each function's build folder by its source folder's name, and the
    layers' `python` folders (what Lambda mounts at /opt/python)."""
    from localrun.rie import sam_build

    sam_build(ROOT / "template.yaml", BUILD_DIR)
    return {f.code_dir.name: BUILD_DIR / f.logical_id for f in functions}, sorted(BUILD_DIR.glob("*/python"))


def _stock_sdk() -> Path:
    """The layer built by its own Makefile but keeping every service's model (`AWS_SERVICES=`): stock
    boto3 and botocore, for the bare process. Built again when the lock or the Makefile changes."""
    from localrun.rie import python313_first_on_path

    target = BUILD_DIR.parent / "stock-sdk"
    recipe = ROOT / "layers" / "common"
    made_from = "".join((recipe / name).read_text(encoding="utf-8") for name in ("requirements.txt", "Makefile"))
    stamp = target / ".made-from"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == made_from:
        return target / "python"
    shutil.rmtree(target, ignore_errors=True)
    make = ["make", "-C", str(recipe), "build-CommonLayer", f"ARTIFACTS_DIR={target}", "AWS_SERVICES="]
    subprocess.run(make, env={**os.environ, "PATH": python313_first_on_path()}, check=True, stdout=subprocess.DEVNULL)
    stamp.write_text(made_from, encoding="utf-8")
    return target / "python"


def cold_starts(rounds: int = 3, functions: list[str] | None = None) -> None:
    """Each function's cold start (or those named) as a ratio of the bare boto3 client process, with
    tracing on as deployed (Tracing: Active), beside the minimal-Powertools and FastAPI + Mangum floors."""
    from moto.server import ThreadedMotoServer

    from tests.conftest import create_template_tables

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    from localrun import template

    functions_by_id = template.load(ROOT / "template.yaml").functions
    # The template's environment (Globals, as every function has it) at the prod log level.
    deployed = {**functions_by_id["HealthFunction"].environment}
    deployed["POWERTOOLS_LOG_LEVEL"] = "INFO"
    env = {
        **os.environ,
        **deployed,
        "AWS_ENDPOINT_URL_DYNAMODB": f"http://{host}:{port}",
        "AWS_ENDPOINT_URL_API_GATEWAY": "http://127.0.0.1:9",
        # Tracing as deployed: Lambda sets LAMBDA_TASK_ROOT (without it Powertools turns the Tracer
        # off, and the X-Ray SDK builds its centralized-sampling clients, which it never does on
        # Lambda) and a sampled trace header, so the SDK patches, records and emits subsegments over
        # UDP as there; no daemon listens here.
        "POWERTOOLS_TRACE_DISABLED": "false",
        "LAMBDA_TASK_ROOT": str(ROOT),
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    }
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = env["AWS_ENDPOINT_URL_DYNAMODB"]
    try:
        reset_clients()
        create_template_tables()
        print(
            f"\nCold start (fresh process on the sam build output: import + first invocation, tracing on as on "
            f"Lambda; {rounds} rounds run in turn), as a ratio of a bare boto3 client process run next to "
            "each: the median of those pairs, by CPU time (what the process itself spends, steadier on a shared "
            "machine) and by wall time; the ms columns are the median run's"
        )
        built, layers = _built(functions_by_id.values())
        health = "events/health/get.json"
        targets = [("bare boto3 client", _BARE_SCRIPT.format(paths=[str(_stock_sdk())]))]
        # The same process on the layer's botocore, which keeps only the models of the services called.
        targets.append(("bare, the layer's botocore", _BARE_SCRIPT.format(paths=[str(p) for p in layers])))
        powertools_floor = _script(FLOORS / "floor_powertools.py", health, [FLOORS, *layers])
        targets.append(("floor: minimal Powertools", powertools_floor))
        if importlib.util.find_spec("fastapi") and importlib.util.find_spec("mangum"):
            # The layer first (the same pydantic), then .venv's packages for FastAPI, Starlette and Mangum.
            fastapi_paths = [FLOORS, *layers, Path(sysconfig.get_paths()["purelib"])]
            targets.append(("floor: FastAPI + Mangum", _script(FLOORS / "floor_fastapi.py", health, fastapi_paths)))
        else:
            print("  (FastAPI + Mangum: not installed in .venv, not measured)")
        for folder, event in COLD_STARTS:
            if functions is None or folder in functions:
                code = built[folder]
                targets.append((folder, _script(code / "handler.py", event, [code, *layers])))
        _print_ratios(_paired_runs(targets, env, rounds))
    finally:
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        reset_clients()
        server.stop()


Pair = tuple[dict[str, float], dict[str, float]]  # a target's run and the bare process run next to it


def _paired_runs(targets: list[tuple[str, str]], env: dict[str, str], rounds: int) -> dict[str, list[Pair]]:
    """Rounds in turn (every target once per round), each run paired with a bare process run next to
    it, so a busy moment on a shared machine weighs on both sides of a ratio instead of on whichever
    target it fell on. The bare run goes first in even rounds and second in odd ones (the second of
    two runs is a few percent faster)."""
    bare_script = targets[0][1]
    runs: dict[str, list[Pair]] = {name: [] for name, _ in targets}
    for round_number in range(rounds):
        for name, script in targets:
            _seed_example_agent()
            if round_number % 2 == 0:
                bare = _fresh_process(bare_script, env)
                run = _fresh_process(script, env)
            else:
                run = _fresh_process(script, env)
                bare = _fresh_process(bare_script, env)
            runs[name].append((run, bare))
    return runs


def _print_ratios(runs: dict[str, list[Pair]]) -> None:
    """Per target: the median run's times, and the median of its pairs' ratios (CPU, wall)."""
    header = f"{'import ms':>10}{'first call ms':>15}{'wall ms':>9}{'cpu ms':>8}{'ratio':>8}{'wall':>7}"
    print(f"  {'function':<26}{header}")
    for name, pairs in runs.items():
        row = _median([run for run, _ in pairs])
        cpu_ratio = statistics.median(run["cpu_ms"] / bare["cpu_ms"] for run, bare in pairs)
        wall_ratio = statistics.median(_wall(run) / _wall(bare) for run, bare in pairs)
        print(
            f"  {name:<26}{row['import_ms']:>10.0f}{row['first_invoke_ms']:>15.0f}{_wall(row):>9.0f}"
            f"{row['cpu_ms']:>8.0f}{cpu_ratio:>7.2f}x{wall_ratio:>6.2f}x"
        )


def round_trips_and_warm_latency(iterations: int = 300) -> None:
    from moto import mock_aws

    from tests.conftest import create_template_tables

    reset_clients()
    with mock_aws():
        create_template_tables()
        _seed_example_agent()
        print(f"\nDynamoDB round trips per request, and warm invocation time with moto ({iterations} calls each)")
        print(f"  {'function':<18}{'requests':>9}  {'operations':<40}{'p50 ms':>8}{'p95 ms':>8}")
        for folder, event_path in ENDPOINTS:
            function = load_function(folder)
            event = read_event(event_path)
            call = _Rotator(event).invoke_with(function) if folder == "rotate_token" else _quietly(function, event)
            call()  # warm
            with counted_requests() as calls:
                call()
            p50, p95 = timed(call, iterations)
            requests = calls.requests
            print(f"  {folder:<18}{requests.total():>9}  {describe(requests):<40}{p50:>8.2f}{p95:>8.2f}")
    reset_clients()


def _quietly(function: Any, event: dict[str, Any]) -> Any:
    def call() -> Any:
        with contextlib.suppress(Exception):
            return invoke(function, event)

    return call


class _Rotator:
    """Rotation consumes the token it presents, so each call presents the previous answer's token."""

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self.token = EXAMPLE_TOKEN

    def invoke_with(self, function: Any) -> Any:
        def call() -> Any:
            event = json.loads(json.dumps(self.event))
            event["headers"]["Authorization"] = f"Bearer {self.token}"
            result = invoke(function, event)
            self.token = json.loads(result["body"]).get("token", self.token)
            return result

        return call


def main(quick: bool = False) -> None:
    print("== foundation: agents, tokens, rate limits, health ==")
    cold_starts(rounds=1 if quick else 3)
    round_trips_and_warm_latency(iterations=100 if quick else 300)


if __name__ == "__main__":
    main()
