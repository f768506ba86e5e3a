"""A permission the template lacks fails locally as it would on AWS: the local API runs a copy of
the template whose rotation role cannot DeleteItem (the defect of issue 11), over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from localrun import deployment
from localrun.stack import LocalApi
from tests.conftest import ROOT
from tests.integration.conftest import bearer, error_code, register
from tests.local_api import TEST_RATE_LIMITS

pytestmark = pytest.mark.skipif(not deployment.SAM_PYTHON.exists(), reason="make test installs .venv-sam first")


def _template_without_rotation_delete(folder: Path) -> Path:
    """The template with DeleteItem taken out of the rotation role, beside the code it names."""
    source = (ROOT / "template.yaml").read_text(encoding="utf-8")
    granted = "              Action: [dynamodb:PutItem, dynamodb:DeleteItem]\n"
    assert source.count(granted) == 1, "the rotation role's credential statement moved"
    for name in ("functions", "layers", "data"):
        (folder / name).symlink_to(ROOT / name)
    copy = folder / "template.yaml"
    copy.write_text(source.replace(granted, "              Action: [dynamodb:PutItem]\n"), encoding="utf-8")
    return copy


@pytest.fixture(scope="module")
def api_without_delete(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder = tmp_path_factory.mktemp("template-without-delete")
    env = {"RATE_LIMITS": json.dumps(TEST_RATE_LIMITS)}
    template = _template_without_rotation_delete(folder)
    with (
        LocalApi(template, folder / "data-dir", env=env, startup_timeout=120) as api,
        httpx.Client(base_url=api.base_url, timeout=30) as client,
    ):
        yield client


def test_rotation_without_delete_permission_is_a_503_with_the_error_body(api_without_delete: httpx.Client) -> None:
    agent = register(api_without_delete, "iam-check")

    response = api_without_delete.post(f"/agents/{agent['agent_id']}/token", headers=bearer(agent["token"]))

    assert response.status_code == 503
    assert error_code(response) == "DYNAMODB_UNAVAILABLE"
    assert response.json()["error"]["details"] == {"reason": "AccessDeniedException"}
    assert response.json()["error"]["request_id"] == response.headers["X-Request-Id"]


def test_the_denied_rotation_changed_nothing(api_without_delete: httpx.Client) -> None:
    agent = register(api_without_delete, "iam-check-atomic")
    api_without_delete.post(f"/agents/{agent['agent_id']}/token", headers=bearer(agent["token"]))

    profile = api_without_delete.get(f"/agents/{agent['agent_id']}", headers=bearer(agent["token"]))

    assert profile.status_code == 200  # the old token still resolves: no half-done rotation
