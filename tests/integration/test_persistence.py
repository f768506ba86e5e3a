"""Data lives in the embedded DynamoDB and survives a restart of `make dev`'s runner."""

from __future__ import annotations

import httpx

from localrun.stack import LocalApi
from tests.conftest import ROOT
from tests.integration.conftest import bearer, register


def test_a_registered_token_still_works_after_a_restart(tmp_path) -> None:
    with (
        LocalApi(ROOT / "template.yaml", tmp_path / "data") as api,
        httpx.Client(base_url=api.base_url, timeout=30) as client,
    ):
        agent = register(client, "survivor")

    with (
        LocalApi(ROOT / "template.yaml", tmp_path / "data") as api,
        httpx.Client(base_url=api.base_url, timeout=30) as client,
    ):
        response = client.get(f"/agents/{agent['agent_id']}", headers=bearer(agent["token"]))
    assert response.status_code == 200
    assert response.json()["agent_name"] == "survivor"
