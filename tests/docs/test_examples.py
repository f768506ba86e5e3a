"""Every example in docs/ runs against a local API (seeded like `make dev`) and prints what the
docs say it prints; every `make` command the docs show is a real target."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from localrun.stack import DEFAULT_WEBHOOK_SECRET, LocalApi
from tests.conftest import ROOT
from tests.docs import examples

DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = {"QUICKSTART.md", "TROUBLESHOOTING.md", "FAQ.md", "SLA.md", "DEPLOY.md"}


@pytest.fixture(scope="module")
def docs_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    data_dir = tmp_path_factory.mktemp("docs-dynamodb")
    with LocalApi(ROOT / "template.yaml", data_dir, on_start="scripts.seed_catalog:seed", startup_timeout=300) as api:
        yield api


def test_the_pages_exist_and_show_examples() -> None:
    assert {path.name for path in DOCS} >= PAGES
    for name in PAGES:
        document = examples.read(ROOT / "docs" / name)
        assert document.examples or document.make_commands, f"{name} shows no example"


@pytest.mark.parametrize("path", [p for p in DOCS if examples.read(p).examples], ids=lambda p: p.name)
def test_the_examples_run_and_print_what_the_docs_say(path: Path, docs_api: LocalApi, tmp_path: Path) -> None:
    document = examples.read(path)
    env = {
        **os.environ,
        "API": docs_api.base_url,
        "WEBHOOK_SECRET": DEFAULT_WEBHOOK_SECRET,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        ["bash", "-c", examples.as_one_script(document)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{path.name}: an example failed\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    for example, printed in zip(document.examples, examples.outputs(document, result.stdout), strict=True):
        for fragment in example.expected:
            assert fragment in printed, (
                f"{path.name}: expected {fragment} from\n{example.script}\nit printed\n{printed}"
            )


@pytest.mark.parametrize("path", [p for p in DOCS if examples.read(p).make_commands], ids=lambda p: p.name)
def test_the_make_commands_shown_are_real_targets(path: Path) -> None:
    for command in examples.read(path).make_commands:
        result = subprocess.run(
            ["make", "-n", *shlex.split(command)[1:]], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60
        )
        assert result.returncode == 0, f"{path.name}: `{command}` is not a valid make command: {result.stderr}"
