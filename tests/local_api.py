"""The `local_api` fixture: the local API (make dev's runner) once per test session, on free ports.

A plugin (listed in tests/conftest.py) so that every test folder that talks to the API over HTTP
(tests/integration, tests/client) shares the one server of its session.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    with LocalApi(ROOT / "template.yaml", data_dir, port=0, dynamodb_port=0, quiet=True, env=env) as api:
        yield api
