"""Concurrent requests never see each other: not their events, not their logger keys (issue 17).

Powertools keeps the request in class attributes (the resolver's `current_event`) and in the one
Logger of `cashback.observability`; a runner that ran handlers in threads of one process answered
some own-data reads with 403 (the handler had read another agent's event) and logged lines under
another request's correlation id. Many agents read their own data at once here, over real HTTP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from localrun.stack import LocalApi
from tests.conftest import ROOT
from tests.integration.conftest import bearer, register
from tests.local_api import TEST_RATE_LIMITS

AGENTS = 10
REQUESTS_PER_AGENT = 30  # 10 of each: stats, analytics, profile; under the 100 a minute per agent
ROUTES = ("/agents/{}/stats", "/agents/{}/analytics", "/agents/{}")


@pytest.fixture(scope="module")
def logging_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    """A local API whose functions log every event they receive (INFO, with the correlation id)."""
    env = {
        "RATE_LIMITS": json.dumps(TEST_RATE_LIMITS),
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_LOGGER_LOG_EVENT": "true",
    }
    with LocalApi(ROOT / "template.yaml", Path(tmp_path_factory.mktemp("isolation")), env=env) as api:
        yield api


def _own_reads(base_url: str, agents: list[dict[str, Any]]) -> list[tuple[str, httpx.Response]]:
    calls = [
        (agent, ROUTES[n % len(ROUTES)].format(agent["agent_id"]))
        for n in range(REQUESTS_PER_AGENT)
        for agent in agents
    ]
    with httpx.Client(base_url=base_url, timeout=120, limits=httpx.Limits(max_connections=len(calls))) as client:

        def call(agent_and_path: tuple[dict[str, Any], str]) -> tuple[str, httpx.Response]:
            agent, path = agent_and_path
            return agent["agent_id"], client.get(path, headers=bearer(agent["token"]))

        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(call, calls))


def _log_lines(api: LocalApi) -> list[dict[str, Any]]:
    lines = []
    for text in api.output().splitlines():
        if text.startswith("{"):
            try:
                lines.append(json.loads(text))
            except ValueError:
                continue
    return lines


def _logs_of(api: LocalApi, request_ids: set[str], timeout: float = 30.0) -> list[dict[str, Any]]:
    """The functions' log lines, once every request has logged (stdout arrives asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = _log_lines(api)
        if request_ids <= {line.get("correlation_id") for line in lines} or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def test_concurrent_agents_only_ever_see_their_own_request(logging_api: LocalApi) -> None:
    with httpx.Client(base_url=logging_api.base_url, timeout=120) as client:
        agents = [register(client, f"isolated-{n}") for n in range(AGENTS)]

    started = time.monotonic()
    answers = _own_reads(logging_api.base_url, agents)
    elapsed = time.monotonic() - started
    print(f"{len(answers)} concurrent own-data reads in {elapsed:.1f} s")

    wrong = [(caller, r.status_code, r.text[:200]) for caller, r in answers if r.status_code != 200]
    assert wrong == [], f"{len(wrong)} of {len(answers)} own-data reads were refused or failed"
    foreign = [(caller, r.json()["agent_id"]) for caller, r in answers if r.json()["agent_id"] != caller]
    assert foreign == [], f"{len(foreign)} answers carried another agent's data"

    request_ids = {r.headers["X-Request-Id"] for _, r in answers}
    assert len(request_ids) == len(answers)
    lines = _logs_of(logging_api, request_ids)
    logged = [line for line in lines if line.get("correlation_id") in request_ids]
    # Every request logged its event, under its own correlation id.
    events = [line for line in logged if isinstance(line.get("message"), dict)]
    assert {line["correlation_id"] for line in events} == request_ids
    mislabelled = [
        (line["correlation_id"], line["message"]["requestContext"]["requestId"])
        for line in events
        if line["message"]["requestContext"]["requestId"] != line["correlation_id"]
    ]
    assert mislabelled == [], f"{len(mislabelled)} events were logged under another request's correlation id"
    # One invocation, one correlation id, on every line it wrote.
    per_invocation: dict[str, set[str]] = {}
    for line in lines:
        if "function_request_id" in line:
            per_invocation.setdefault(line["function_request_id"], set()).add(str(line.get("correlation_id")))
    mixed = {invocation: ids for invocation, ids in per_invocation.items() if len(ids) > 1}
    assert mixed == {}, f"{len(mixed)} invocations logged under more than one correlation id"
    # The authorizer has no correlation id of its own; it must not carry one of an API request.
    borrowed = [
        line["correlation_id"]
        for line in lines
        if line.get("function_name") == "AuthorizerFunction" and line.get("correlation_id")
    ]
    assert borrowed == [], f"{len(borrowed)} authorizer log lines carried an API request's correlation id"
