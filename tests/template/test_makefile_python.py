"""Without Python 3.13, `make dev` and `make test` stop first, with one message that says how to get it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

# What the Makefile's rules read before they would build anything (empty stand-ins will do).
INPUTS = [
    "requirements-dev.txt",
    "requirements-sam.txt",
    "requirements-rie.txt",
    "constraints.txt",
    "layers/common/requirements.in",
    "functions/reputation/requirements.in",
    "clients/python/pyproject.toml",
]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("target", ["dev", "test", "test-artifacts"])
def test_without_python_313_the_target_stops_with_one_message(target: str, tmp_path: Path) -> None:
    """A copy of the Makefile in an empty checkout, so nothing real is installed or built."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for name in INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()

    # A PATH with make and a shell only: no python3.13, no pyenv, no java (whose check must not come first).
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("make", "bash", "sh"):
        (tools / tool).symlink_to(shutil.which(tool) or tool)

    result = subprocess.run(
        [str(tools / "make"), "--no-print-directory", target, "PYTHON="],
        cwd=tmp_path,
        env={"PATH": str(tools), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode != 0
    messages = [line for line in result.stderr.splitlines() if not line.startswith("make:")]
    assert len(messages) == 1 and messages[0].startswith("Python 3.13 is needed"), result.stderr
    assert "pyenv install 3.13" in messages[0]
    assert "Traceback" not in result.stdout + result.stderr
