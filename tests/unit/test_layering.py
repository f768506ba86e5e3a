"""The layer's imports go one way: api → use cases → store → basics (models beside the store).

Read from the source with `ast`, so a new module is checked the day it is written; docs/conventions.md
draws the same map. Deferred imports (inside functions) count like any other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "common" / "cashback"
BASICS = {
    "cashback",
    "settings",
    "errors",
    "money",
    "clock",
    "text",
    "observability",
    "auth",
    "retry",
    "cursor",
    "json_input",
}


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The cashback modules a file imports (`from cashback.x import y` counts y when it is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("cashback"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cashback"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return found


MODULES = {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {module: _imports(path) for module, path in MODULES.items()}


def layer(module: str) -> str:
    """basics, models, store, use case or api: what a module is by where it sits."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("api", "store", "models"):
        return parts[1]
    return "basics" if (parts[1] if len(parts) > 1 else "cashback") in BASICS and len(parts) <= 2 else "use case"


ALLOWED = {
    "basics": {"basics"},
    "models": {"basics", "models"},
    "store": {"basics", "store"},
    "use case": {"basics", "models", "store", "use case"},
    "api": {"basics", "models", "store", "use case", "api"},
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_nothing_above_its_layer(module: str) -> None:
    upward = sorted(target for target in GRAPH[module] if layer(target) not in ALLOWED[layer(module)])
    assert not upward, f"{module} ({layer(module)}) imports {upward}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) != "store"))
def test_only_the_store_uses_the_dynamodb_plumbing(module: str) -> None:
    assert "cashback.store.dynamo" not in GRAPH[module], f"{module} builds DynamoDB requests; add a store function"


def test_the_layer_has_no_import_cycle() -> None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " → ".join([*path[path.index(module) :], module]))
        if module in done:
            return
        for target in sorted(GRAPH.get(module, ())):
            # A submodule imports its package's __init__ first; that edge is Python's, not a cycle of ours.
            if not module.startswith(target + "."):
                visit(target, [*path, module])
        done.add(module)

    for module in sorted(MODULES):
        visit(module, [])


FUNCTIONS = PACKAGE.parents[2] / "functions"
ENTRY_POINTS = sorted([*FUNCTIONS.glob("*/handler.py"), PACKAGE / "api" / "tools.py"])


@pytest.mark.parametrize("path", ENTRY_POINTS, ids=lambda p: str(p.relative_to(PACKAGE.parents[2])))
def test_handlers_and_tools_check_no_caller_themselves(path: Path) -> None:
    """Authorization lives in the use cases: a REST route and its MCP tool cannot drift apart."""
    checks = [
        node.func.attr
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr.startswith("require_")
    ]
    assert not checks, f"{path.name} checks the caller itself ({checks}); pass the Caller to the use case"


@pytest.mark.parametrize("path", sorted(FUNCTIONS.glob("*/handler.py")), ids=lambda p: p.parent.name)
def test_handlers_reach_data_only_through_use_cases(path: Path) -> None:
    reached = sorted(m for m in _imports(path) if m.startswith("cashback.store"))
    assert not reached, f"{path.parent.name} imports {reached}; call a use case"
