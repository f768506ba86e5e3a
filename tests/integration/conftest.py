"""The local API (make dev's runner) started once per test session on free ports, over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from localrun.stack import LocalApi
from tests.conftest import ROOT

# Integration tests register many agents from 127.0.0.1; the per-IP registration limit (10/min)
# is exercised by the handler tests, so the session's server allows more.
TEST_RATE_LIMITS = {"registration": [[60, 1000], [3600, 10000]], "public": [[60, 1000], [3600, 10000]]}


@pytest.fixture(scope="session")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    data_dir = tmp_path_factory.mktemp("dynamodb-data")
    env = {"RATE_LIMITS": json.dumps(TEST_RATE_LIMITS)}
    with LocalApi(ROOT / "template.yaml", data_dir, port=0, dynamodb_port=0, quiet=True, env=env) as api:
        yield api


@pytest.fixture
def client(local_api: LocalApi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_api.base_url, timeout=30) as http_client:
        yield http_client


def register(client: httpx.Client, name: str = "integration-agent") -> dict:
    response = client.post("/agents", json={"agent_name": name})
    assert response.status_code == 201, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


__all__ = ["Path", "bearer", "error_code", "register"]
