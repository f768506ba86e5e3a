"""What ships is what runs: the `sam build` output answers under the Lambda runtime emulator.

One real `sam build`, then the local API with every function served from its build folder under
the emulator and awslambdaric (localrun.rie): every route of the template, the authorizer, the
scheduled rollup and MCP each answer a request. Slow (every function's cold start from its built
artifact), so it runs once per session in its own xdist group; `make test-artifacts` runs it alone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from localrun import template
from localrun.rie import missing_parts, sam_build
from localrun.stack import LocalApi
from tests.conftest import ROOT

pytestmark = [
    pytest.mark.skipif(bool(missing_parts()), reason="; ".join(missing_parts()) + " (make test installs it)"),
    pytest.mark.xdist_group("sam"),
]
ALL_SCOPES = "agents:read,catalog:read,catalog:write,analytics:read,feedback:write"
# The gateway's own refusals (template.yaml, GatewayResponses): the function never ran.
GATEWAY_MESSAGES = (
    "A valid bearer token is required.",
    "This token may not call this route.",
    "No route matches this method and path.",
)
# Files the asset routes serve (an unknown name is a 404 that reads like the gateway's).
ASSETS = {"/docs/{name}": {"name": "swagger-ui.min.css"}, "/dashboard/assets/{name}": {"name": "dashboard.css"}}
# What a request to each route carries so that the function, not the gateway, answers.
BODIES = {
    ("POST", "/agents"): {"agent_name": "built-artifact"},
    ("POST", "/search"): {"query": "headphones"},
    ("POST", "/search/batch"): {"searches": [{"query": "headphones"}]},
    ("POST", "/mcp"): {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
}


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh `sam build` (ARTIFACTS_BUILD_DIR: serve that build as it is, to iterate faster)."""
    if os.environ.get("ARTIFACTS_BUILD_DIR"):
        return Path(os.environ["ARTIFACTS_BUILD_DIR"]).resolve()
    build = tmp_path_factory.mktemp("artifacts") / "build"
    sam_build(ROOT / "template.yaml", build)
    return build


@pytest.fixture(scope="module")
def built_api(build_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    data_dir = tmp_path_factory.mktemp("dynamodb-data")
    engine = os.environ.get("DYNAMODB_ENGINE") or "dynamodb-local"
    with LocalApi(ROOT / "template.yaml", data_dir, build_dir=build_dir, startup_timeout=300, engine=engine) as api:
        yield api


@pytest.fixture(scope="module")
def agent(built_api: LocalApi) -> dict[str, str]:
    registered = httpx.post(f"{built_api.base_url}/agents", json=BODIES[("POST", "/agents")], timeout=120)
    assert registered.status_code == 201, registered.text
    return {"agent_id": registered.json()["agent_id"], "token": registered.json()["token"]}


@pytest.fixture(scope="module")
def admin_key(built_api: LocalApi) -> str:
    created = subprocess.run(
        [sys.executable, "-m", "scripts.admin_key", "--scopes", ALL_SCOPES],
        cwd=ROOT,
        env={**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": built_api.dynamodb_endpoint},
        capture_output=True,
        text=True,
        check=True,
    )
    return created.stdout.strip()


def _answered_by_the_function(response: httpx.Response) -> bool:
    """Not one of the gateway's own answers (a crashed or timed-out function, a refused token)."""
    if response.status_code in (502, 504):
        return False
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        return True  # HTML, a redirect, an asset: the function's own
    from_gateway = error.get("message") in GATEWAY_MESSAGES and not error.get("details")
    return not from_gateway and error.get("code") not in ("INTERNAL_ERROR", "AUTH_UNAVAILABLE")


def test_the_authorizer_and_mcp_answer_from_the_build(built_api: LocalApi, agent: dict[str, str]) -> None:
    bearer = {"Authorization": f"Bearer {agent['token']}"}
    own = httpx.get(f"{built_api.base_url}/agents/{agent['agent_id']}", headers=bearer, timeout=120)
    assert own.json()["agent_id"] == agent["agent_id"]
    refused = httpx.get(
        f"{built_api.base_url}/agents/{agent['agent_id']}", headers={"Authorization": "Bearer " + "x" * 40}
    )
    assert refused.status_code == 401

    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    mcp = httpx.post(
        f"{built_api.base_url}/mcp",
        json=initialize,
        headers={**bearer, "Accept": "application/json, text/event-stream"},
        timeout=120,
    )
    assert mcp.status_code == 200, mcp.text
    assert mcp.json()["result"]["serverInfo"]["name"] == "cashback-api"


def test_every_route_is_answered_by_its_built_function(  # after the test above: it rotates the token
    built_api: LocalApi, agent: dict[str, str], admin_key: str
) -> None:
    routes = template.load(ROOT / "template.yaml").routes

    def request(route: template.Route) -> tuple[str, httpx.Response]:
        values = {"agent_id": agent["agent_id"], **ASSETS.get(route.path, {})}
        path = re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], "unknown"), route.path)
        own = path.startswith(f"/agents/{agent['agent_id']}")
        headers = {"Accept": "application/json, text/event-stream"}
        if route.authorizer not in (None, "NONE"):
            headers["Authorization"] = f"Bearer {agent['token'] if own else admin_key}"
        body = BODIES.get((route.method, route.path))
        if route.method in ("PATCH", "PUT", "POST") and body is None:
            body = {}
        response = httpx.request(
            route.method, built_api.base_url + path, json=body, headers=headers, timeout=180, follow_redirects=False
        )
        return f"{route.method} {route.path}", response

    # POST /agents registered the fixture's agent; rotating its token comes last (it ends the token).
    last = [r for r in routes if (r.method, r.path) == ("POST", "/agents/{agent_id}/token")]
    wanted = [r for r in routes if (r.method, r.path) != ("POST", "/agents") and r not in last]
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(request, wanted))
    answers += [request(route) for route in last]

    failures = {name: (r.status_code, r.text[:200]) for name, r in answers if not _answered_by_the_function(r)}
    assert failures == {}
    # Each function served at least one of these requests, after a cold start it logged.
    functions = set(template.load(ROOT / "template.yaml").functions) - set(SCHEDULED)  # each in its own process
    started = set(re.findall(r"(\w+Function): cold start, environment \d+: init \d+ ms", built_api.output()))
    assert functions - started == set(), built_api.output()[-3000:]


SCHEDULED = {"RollupFunction": "rollup", "DeliverWebhooksFunction": "deliver_webhooks"}


@pytest.mark.parametrize("function", sorted(SCHEDULED))
def test_the_scheduled_functions_run_from_the_build(built_api: LocalApi, build_dir: Path, function: str) -> None:
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "localrun",
            "invoke",
            function,
            str(ROOT / "events" / SCHEDULED[function] / "scheduled.json"),
            "--dynamodb-endpoint",
            built_api.dynamodb_endpoint,
            "--runtime",
            "rie",
            "--build-dir",
            str(build_dir),
            "--no-build",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert f"{function}: cold start, environment 1: init" in ran.stderr
    # Its result is printed last, after the function's own log lines.
    report = json.loads(ran.stdout[ran.stdout.rindex("{\n") :])
    assert report["watermark"] and not report["stopped_by_concurrent_run"]
