"""A Scan is for the operators' offline backfill only: the store functions that Scan are called
from `cashback.backfill` and nowhere else in the layer or the functions (a request path never Scans)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "common" / "cashback"
SOURCES = sorted([*PACKAGE.rglob("*.py"), *(ROOT / "functions").glob("*/handler.py")])


def _scanning_functions() -> set[str]:
    """Store functions whose body calls `scan_pages` (or the client's `scan`)."""
    found = set()
    for path in sorted((PACKAGE / "store").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name != "scan_pages":
                names = {n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "") for n in ast.walk(node)}
                if names & {"scan_pages", "scan"}:
                    found.add(node.name)
    return found


def test_only_the_backfill_calls_the_store_functions_that_scan() -> None:
    scanning = _scanning_functions()
    assert scanning  # the backfill's own
    callers = {
        path.relative_to(ROOT).as_posix()
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in scanning
    }
    assert callers == {"layers/common/cashback/backfill.py"}
