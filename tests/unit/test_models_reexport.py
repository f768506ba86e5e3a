"""`from cashback.models import X` works for every model, yet loads only X's context module: the
re-exports are lazy (PEP 562), and the names a type checker reads must match the ones served."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

import cashback.models
from tests.conftest import ROOT

INIT = ROOT / "layers" / "common" / "cashback" / "models" / "__init__.py"


def _type_checker_imports() -> dict[str, str]:
    """Name -> context module, from the `if TYPE_CHECKING:` block type checkers read."""
    tree = ast.parse(INIT.read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If))
    return {
        alias.name: str(node.module).rsplit(".", 1)[1]
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_every_name_type_checkers_see_is_served_from_its_module() -> None:
    imported = _type_checker_imports()

    assert sorted(imported) == sorted(cashback.models.__all__)
    for name, module in imported.items():
        context = importlib.import_module(f"cashback.models.{module}")
        assert getattr(cashback.models, name) is getattr(context, name), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        cashback.models.NoSuchModel  # noqa: B018
    except AttributeError as error:
        assert "NoSuchModel" in str(error)
    else:
        raise AssertionError("cashback.models.NoSuchModel resolved")


def test_importing_one_model_loads_only_its_context_module() -> None:
    script = (
        "import sys; from cashback.models import HealthStatus; "
        "print(sorted(m for m in sys.modules if m.startswith('cashback.models.')))"
    )
    child = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(ROOT / "layers" / "common")},
        capture_output=True,
        text=True,
        check=True,
    )

    assert child.stdout.strip() == "['cashback.models.common', 'cashback.models.health']"
