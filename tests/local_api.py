"""The `local_api` fixture: the local API (make dev's runner) once per test session, on free ports.

A plugin (listed in tests/conftest.py) so that every test folder that talks to the API over HTTP
(tests/integration, tests/client) shares the one server of its session.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from localrun import rie
from localrun.stack import LocalApi

ROOT = Path(__file__).resolve().parent.parent

# Integration tests register many agents and read the public routes from 127.0.0.1; the per-IP
# limits are exercised by the handler tests, so the session's server allows more.
TEST_RATE_LIMITS = {
    name: [[60, 1000], [3600, 10000]] for name in ("registration", "public", "directory", "reputation", "feedback")
}

# Agents' webhooks in tests point at a receiver on 127.0.0.1 over plain http (never allowed on AWS).
TEST_WEBHOOK_TARGETS = {"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "WEBHOOK_ALLOW_HTTP": "true"}


@pytest.fixture(scope="session")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    data_dir = tmp_path_factory.mktemp("dynamodb-data")
    env = {"RATE_LIMITS": json.dumps(TEST_RATE_LIMITS), **TEST_WEBHOOK_TARGETS}
    build_dir = None
    if os.environ.get("RUNTIME") == "rie":  # make test RUNTIME=rie: the HTTP tests against the built artifacts
        build_dir = tmp_path_factory.mktemp("sam") / "build"
        rie.sam_build(ROOT / "template.yaml", build_dir)
    with LocalApi(
        ROOT / "template.yaml",
        data_dir,
        port=0,
        dynamodb_port=0,
        quiet=True,
        env=env,
        build_dir=build_dir,
        startup_timeout=300 if build_dir else 60,
    ) as api:
        yield api


# What a request path must never do: log an unhandled exception (Powertools' logger.exception in
# cashback.api.http and the MCP tools; a traceback from an environment) or answer 500/502/504 (the
# runner's request log). Expected failures are not findings: a 503 (a dependency is down, said with
# Retry-After), and the authorizer raising, which is how a TOKEN authorizer answers 401 ("Unauthorized")
# or, when DynamoDB fails, 503 AUTH_UNAVAILABLE (API Gateway's AUTHORIZER_FAILURE).
LOGGED = re.compile(r'"message": ?"(unhandled error[^"]*|tool failed)"|" 50[024] ')
EXPECTED_RAISE = re.compile(r"^(Exception: Unauthorized|cashback\.\S*(StoreUnavailable|DependencyUnavailable)\b)")
CHAINED = ("The above exception was the direct cause", "During handling of the above exception")


def unexpected_failures(output: str) -> list[str]:
    """The lines of `output` that show an unexpected failure (for a traceback: its exception line)."""
    lines = output.splitlines()
    found = [line for line in lines if LOGGED.search(line)]
    for start, line in enumerate(lines):
        if not line.startswith("Traceback (most recent call last)"):
            continue
        rest = lines[start + 1 :]
        end = next((n for n, text in enumerate(rest) if text and not text.startswith((" ", "\t"))), len(rest))
        following = next((text for text in rest[end + 1 :] if text.strip()), "")
        if end < len(rest) and not following.startswith(CHAINED) and not EXPECTED_RAISE.match(rest[end]):
            found.append(rest[end])
    return found


@pytest.fixture(autouse=True)
def no_unexpected_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail any test over HTTP during which the local API logged an unhandled exception or answered
    a 500, 502 or 504, whatever the test itself asserted."""
    if "local_api" not in request.fixturenames:
        yield
        return
    api: LocalApi = request.getfixturevalue("local_api")
    mark = api.output_mark()
    yield
    found = unexpected_failures(api.output_since(mark))
    assert not found, "the local API failed unexpectedly:\n" + "\n".join(found[:20])
