"""Admin keys made by `make admin-key` authenticate with their scopes, against the local API."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from localrun.stack import LocalApi
from tests.conftest import ROOT
from tests.integration.conftest import bearer, error_code, register


def _admin_key(local_api: LocalApi, scopes: str) -> str:
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


def test_admin_key_with_agents_read_reads_any_profile(local_api: LocalApi, client: httpx.Client) -> None:
    agent = register(client, "audited")
    key = _admin_key(local_api, "agents:read")
    response = client.get(f"/agents/{agent['agent_id']}", headers=bearer(key))
    assert response.status_code == 200
    assert response.json()["agent_name"] == "audited"


def test_admin_key_without_agents_read_is_refused(local_api: LocalApi, client: httpx.Client) -> None:
    agent = register(client)
    key = _admin_key(local_api, "catalog:write")
    response = client.get(f"/agents/{agent['agent_id']}", headers=bearer(key))
    assert response.status_code == 403
    assert error_code(response) == "FORBIDDEN"
