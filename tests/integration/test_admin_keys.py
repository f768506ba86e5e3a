"""Admin keys made by `make admin-key` authenticate with their scopes, against the local API."""

from __future__ import annotations

import httpx

from localrun.stack import LocalApi
from tests.helpers import make_admin_key
from tests.integration.conftest import bearer, error_code, register


def test_admin_key_with_agents_read_reads_any_profile(local_api: LocalApi, client: httpx.Client) -> None:
    agent = register(client, "audited")
    key = make_admin_key(local_api, "agents:read")
    response = client.get(f"/agents/{agent['agent_id']}", headers=bearer(key))
    assert response.status_code == 200
    assert response.json()["agent_name"] == "audited"


def test_admin_key_without_agents_read_is_refused(local_api: LocalApi, client: httpx.Client) -> None:
    agent = register(client)
    key = make_admin_key(local_api, "catalog:write")
    response = client.get(f"/agents/{agent['agent_id']}", headers=bearer(key))
    assert response.status_code == 403
    assert error_code(response) == "FORBIDDEN"
