"""What `sam build` installs is what the tests ran: each requirements.txt that ships (the layer's, a
function's) is the lock `make lock` wrote from the requirements.in beside it, every package pinned
with its hashes, at the version constraints.txt (the tests' environment) has. The local tools'
environments (sam, the runtime emulator's client) are hashed locks of their own pins too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

LOCKED = [
    ROOT / "layers" / "common" / "requirements.in",
    ROOT / "functions" / "reputation" / "requirements.in",
]
TOOLS = [ROOT / "requirements-sam.in", ROOT / "requirements-rie.in"]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[_name(match[1])] = match[2]
    return pins


def _lock_entries(lock: Path) -> dict[str, tuple[str, list[str], list[str]]]:
    """name -> (version, hashes, what it is there for, from pip-compile's `# via` notes)."""
    entries: dict[str, tuple[str, list[str], list[str]]] = {}
    current = ""
    for line in lock.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        match = _PIN.match(line)
        if match:
            current = _name(match[1])
            entries[current] = (match[2], [], [])
        elif stripped.startswith("--hash=sha256:") and current:
            entries[current][1].append(stripped.removeprefix("--hash=sha256:").rstrip(" \\"))
        elif stripped.startswith("#   ") or stripped.startswith("# via "):
            entries[current][2].append(stripped.removeprefix("# via").lstrip("# ").strip())
        elif stripped and not stripped.startswith("#"):
            raise AssertionError(f"{lock}: unexpected line {line!r}")
    return entries


def test_every_requirements_file_that_ships_is_a_lock() -> None:
    """A requirements.txt under layers/ or functions/ is what sam build installs there."""
    shipped = sorted(
        p.relative_to(ROOT)
        for p in [*ROOT.glob("layers/*/requirements.txt"), *ROOT.glob("functions/*/requirements.txt")]
    )
    assert shipped == sorted(p.with_suffix(".txt").relative_to(ROOT) for p in LOCKED)


@pytest.mark.parametrize("source", LOCKED + TOOLS, ids=lambda p: str(p.relative_to(ROOT)))
def test_lock_pins_every_package_with_hashes(source: Path) -> None:
    entries = _lock_entries(source.with_suffix(".txt"))
    assert entries
    for name, (_version, hashes, _via) in entries.items():
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name


@pytest.mark.parametrize("source", LOCKED + TOOLS, ids=lambda p: str(p.relative_to(ROOT)))
def test_lock_matches_its_inputs(source: Path) -> None:
    """Every top-level pin is locked at its version, and nothing is locked for a top-level pin that
    was removed: otherwise requirements.in changed without `make lock`."""
    entries = _lock_entries(source.with_suffix(".txt"))
    wanted = _pins(source)
    assert {name: entries[name][0] for name in wanted if name in entries} == wanted, "run `make lock`"
    from_input = {name for name, (_v, _h, via) in entries.items() if any(v.endswith(source.name) for v in via)}
    assert from_input == set(wanted), "run `make lock`"


@pytest.mark.parametrize("source", LOCKED, ids=lambda p: str(p.parent.relative_to(ROOT)))
def test_lock_ships_the_versions_the_tests_ran(source: Path) -> None:
    """constraints.txt is the tests' environment (pip freeze of .venv): what ships must be in it, at
    the same version."""
    tested = _pins(ROOT / "constraints.txt")
    locked = {name: version for name, (version, _h, _v) in _lock_entries(source.with_suffix(".txt")).items()}
    assert {name: tested.get(name) for name in locked} == locked, "re-freeze constraints.txt or run `make lock`"


def test_the_tests_install_the_same_top_level_pins() -> None:
    dev = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8")
    for source in LOCKED:
        assert f"-r {source.relative_to(ROOT)}\n" in dev, source


def test_make_lock_locks_every_input() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    listed = re.findall(r"^(?:TOOL_)?LOCK_INPUTS := (.*)$", makefile, re.MULTILINE)
    assert sorted(" ".join(listed).split()) == sorted(str(p.relative_to(ROOT)) for p in LOCKED + TOOLS)
