"""The TypeScript client (clients/typescript): its Node tests against the local API, its types
checked by tsc, and the committed types equal to what openapi-typescript generates from the
OpenAPI document. `make test` installs its pinned packages first (`npm ci`, `make typescript-client`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from localrun.stack import LocalApi
from tests.conftest import ROOT
from tests.helpers import make_admin_key

CLIENT = ROOT / "clients" / "typescript"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(
    NODE is None, reason="the TypeScript client's tests need Node 20+ (apt-get install nodejs)"
)


def bin_of(name: str) -> Path:
    tool = CLIENT / "node_modules" / ".bin" / name
    if not tool.exists():
        pytest.fail(f"{tool} is missing: run `make typescript-client` (npm ci in clients/typescript)")
    return tool


def run(*command: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command], cwd=CLIENT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_node_tests_pass_against_the_local_api(local_api: LocalApi, catalog: None) -> None:
    bin_of("tsc")  # the packages are installed
    env = {
        **os.environ,
        "CASHBACK_API_URL": local_api.base_url,
        "CASHBACK_ADMIN_KEY": make_admin_key(local_api, "catalog:read"),
    }

    done = run(str(NODE), "--test", "test/client.test.mjs", env=env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout
    assert "# SKIP" not in done.stdout, "the API tests did not run"


def test_the_client_and_its_example_type_check() -> None:
    done = run(bin_of("tsc"), "--noEmit", "-p", ".")

    assert done.returncode == 0, done.stdout + done.stderr


def test_the_committed_types_are_generated_from_the_openapi_document(tmp_path: Path) -> None:
    generated = tmp_path / "schema.d.ts"

    done = run(
        bin_of("openapi-typescript"),
        "../../layers/common/cashback/openapi.json",
        "--default-non-nullable",
        "false",
        "-o",
        str(generated),
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert (CLIENT / "src" / "schema.d.ts").read_text() == generated.read_text(), (
        "clients/typescript/src/schema.d.ts is stale: run `npm run generate` in clients/typescript"
    )
