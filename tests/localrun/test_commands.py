"""`make invoke` and `make wipe`: one function against the running stack's DynamoDB; data deleted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from localrun.stack import LocalApi
from tests.conftest import ROOT


def run_localrun(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "localrun", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_invoke_runs_a_function_against_the_running_stacks_dynamodb(tmp_path: Path) -> None:
    with LocalApi(ROOT / "template.yaml", tmp_path) as api:
        invoked = run_localrun(
            "invoke", "RegisterAgentFunction", "events/register_agent/register.json",
            "--dynamodb-endpoint", api.dynamodb_endpoint,
        )  # fmt: skip
        assert invoked.returncode == 0, invoked.stderr
        result = json.loads(invoked.stdout)
        assert result["statusCode"] == 201
        agent = json.loads(result["body"])
        profile = httpx.get(
            f"{api.base_url}/agents/{agent['agent_id']}",
            headers={"Authorization": f"Bearer {agent['token']}"},
            timeout=60,  # a cold function on a busy 2-core machine
        )
        assert profile.status_code == 200


def test_wipe_deletes_the_database(tmp_path: Path) -> None:
    with LocalApi(ROOT / "template.yaml", tmp_path) as api:
        assert httpx.post(f"{api.base_url}/agents", json={"agent_name": "gone soon"}, timeout=60).status_code == 201
    assert (tmp_path / "shared-local-instance.db").exists()
    (tmp_path / "AgentsTable.jsonl").write_text("{}\n")  # what the moto fallback keeps
    wiped = run_localrun("wipe", "--data-dir", str(tmp_path))
    assert wiped.returncode == 0, wiped.stderr
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_dev_seeds_the_catalog_once_and_keeps_it_across_restarts(tmp_path: Path) -> None:
    with LocalApi(ROOT / "template.yaml", tmp_path, on_start="scripts.seed_catalog:seed", startup_timeout=300) as api:
        # A cold function on a busy 2-core machine can take longer than httpx's 5 s default.
        agent = httpx.post(f"{api.base_url}/agents", json={"agent_name": "seeded"}, timeout=60).json()
        assert "seeding catalog: 100%" in api.output()  # the progress bar
    headers = {"Authorization": f"Bearer {agent['token']}"}

    with LocalApi(ROOT / "template.yaml", tmp_path, on_start="scripts.seed_catalog:seed", startup_timeout=300) as api:
        found = httpx.post(
            f"{api.base_url}/search", json={"keywords": "air fryer", "limit": 10}, headers=headers, timeout=60
        )
        assert "seeding catalog" not in api.output()
    assert found.status_code == 200, found.text
    results = found.json()["results"]
    assert len(results) == 10
    assert all("air fryer" in r["title"].lower() for r in results)
