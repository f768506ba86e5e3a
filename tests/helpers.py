"""Helpers several test folders share. Tests import helpers from here (or use fixtures from a
conftest), never from another test file: a test file is free to change without breaking others."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from typing import Any

from localrun.stack import LocalApi
from tests.conftest import ROOT


def make_admin_key(local_api: LocalApi, scopes: str) -> str:
    """An admin key with these scopes, made as an operator does (`make admin-key`) against the local API."""
    env = {**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": local_api.dynamodb_endpoint}
    result = subprocess.run(
        [sys.executable, "-m", "scripts.admin_key", "--scopes", scopes, "--name", "test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    key = result.stdout.strip()
    assert key.startswith("cbk_admin_")
    assert key not in result.stderr
    return key


# A scheduled function as its next schedule runs it, against the local API's DynamoDB: after waiting
# for the next whole second, with its module's clock moved past the grace period in which it leaves
# just-written events alone (CLOSE_GRACE_SECONDS). Every event written before the call is then read,
# and every one written after it lands at or after the new watermark (windows are half-open). The
# clock is patched here, so the function runs in this process: bootstrapped exactly as the runner's
# execution environments bootstrap it (its template environment and role, its CodeUri, the layer).
RUN_LATER = """
import importlib, json, os, sys, time, types
from pathlib import Path
sys.path.insert(0, sys.argv[1])
function, module, event_path = sys.argv[3], importlib.import_module(sys.argv[4]), sys.argv[5]
time.sleep(1.0 - time.time() % 1.0)
module.time = types.SimpleNamespace(time=lambda: time.time() + module.CLOSE_GRACE_SECONDS)
from localrun import template, worker
from localrun.invokers import ProcessInvoker
from localrun.stack import DEFAULT_WEBHOOK_SEALING_KEY
path = Path("template.yaml").resolve()
loaded = template.load(path)
runtime = {
    "AWS_REGION": "us-east-1",
    "AWS_ENDPOINT_URL_DYNAMODB": sys.argv[2],
    "WEBHOOK_SEALING_KEY": DEFAULT_WEBHOOK_SEALING_KEY,
}
spec = ProcessInvoker(loaded, path, {**os.environ, **runtime}).spec(loaded.functions[function])
event = json.loads(Path(event_path).read_text())
handler = worker.bootstrap(spec)
print(json.dumps(handler(event, worker.LambdaContext(function, spec.timeout)), default=str))
"""


def run_later(local_api: LocalApi, function: str, module: str, event: str, **env: str) -> dict[str, Any]:
    """Run a scheduled function once, as its next schedule would; its report (the last stdout line)."""
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}  # stdout is the report
    arguments = [str(ROOT / "layers" / "common"), local_api.dynamodb_endpoint, function, module, event]
    result = subprocess.run(
        [sys.executable, "-c", RUN_LATER, *arguments],
        cwd=ROOT,
        env={**os.environ, **quiet, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])  # after the function's warnings
    return report


def run_rollup(local_api: LocalApi) -> dict[str, Any]:
    """Run the scheduled rollup once against the local API's DynamoDB; its report."""
    return run_later(local_api, "RollupFunction", "cashback.rollup", "events/rollup/scheduled.json")


def run_deliveries(local_api: LocalApi) -> dict[str, Any]:
    """Run the scheduled webhook deliveries once against the local API's DynamoDB; its report.
    One retry, due at once (the runs are the backoff): the first run queues a failed delivery, the
    second dead-letters it."""
    return run_later(
        local_api,
        "DeliverWebhooksFunction",
        "cashback.notify",
        "events/deliver_webhooks/scheduled.json",
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        WEBHOOK_ALLOW_HTTP="true",
        WEBHOOK_RETRY_DELAYS="0",
        WEBHOOK_TIMEOUT_SECONDS="2",
    )


def free_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def publish_agent(agent_id: str, name: str) -> None:
    """A public agent profile written straight to the tables in use (public boards rank public
    agents only), for tests that count activity without registering over the API."""
    from cashback import agents
    from cashback.models import AgentProfile
    from cashback.store import agents as agent_store
    from cashback.store import reputation as reputation_store

    profile = AgentProfile(
        agent_id=agent_id, agent_name=name, plan="standard", public=True, created_at="2026-11-01T00:00:00Z"
    )
    listing = reputation_store.summary_put(agents.directory_entry(profile))
    agent_store.create_agent(profile.model_dump(mode="json", exclude_none=True), f"hash-{agent_id}", listing)
