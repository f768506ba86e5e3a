"""The examples in docs/*.md, read the way the docs present them.

- ```bash blocks run, in order, in one shell per document (variables carry from block to block),
  with `set -euo pipefail`: each must succeed.
- A ```text block right after a ```bash block is what it prints: its lines without "…" must
  appear in what the block printed, and so must every error code (`"code": "…"`) and status line
  (`HTTP/1.1 429`) in the others.
- ```console blocks are commands a test cannot run here (a server that blocks, a deployment):
  each `make …` line in them must name a real target with valid arguments (`make -n` succeeds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
EXPECTED_CODE = re.compile(r'"code":\s*"([A-Z_]+)"')
EXPECTED_STATUS = re.compile(r"^HTTP/[\d.]+ (\d{3})", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    script: str
    expected: tuple[str, ...]  # fragments its output must contain


@dataclass(frozen=True)
class Document:
    path: Path
    examples: tuple[Example, ...]
    console: tuple[str, ...]  # commands checked with `make -n`

    @property
    def make_commands(self) -> list[str]:
        return [line.strip() for line in self.console if line.strip().startswith("make ")]


def expected_fragments(text: str) -> tuple[str, ...]:
    """Lines shown whole (no "…" in them) appear as they are; from the others, error codes and
    status lines."""
    whole = [line.strip().rstrip(",") for line in text.splitlines() if "…" not in line]
    codes = [f'"{code}"' for code in EXPECTED_CODE.findall(text)]
    statuses = [f" {status}" for status in EXPECTED_STATUS.findall(text)]
    return (*[line for line in whole if line.strip("{}[] ")], *codes, *statuses)


def read(path: Path) -> Document:
    blocks = [(match.group(1), match.group(2)) for match in FENCE.finditer(path.read_text())]
    examples: list[Example] = []
    console: list[str] = []
    for index, (kind, body) in enumerate(blocks):
        if kind == "bash":
            following = blocks[index + 1] if index + 1 < len(blocks) else ("", "")
            expected = expected_fragments(following[1]) if following[0] == "text" else ()
            examples.append(Example(body, expected))
        elif kind == "console":
            console.extend(line for line in body.splitlines() if line.strip() and not line.startswith("#"))
    return Document(path, tuple(examples), tuple(console))


MARKER = "=== example {} done ==="


def as_one_script(document: Document) -> str:
    """Every example in order, each followed by a marker line so its output can be found."""
    parts = ["set -euo pipefail"]
    for number, example in enumerate(document.examples):
        parts += [example.script, f"printf '\\n%s\\n' '{MARKER.format(number)}'"]
    return "\n".join(parts) + "\n"


def outputs(document: Document, printed: str) -> list[str]:
    """What each example printed, split at the markers."""
    found: list[str] = []
    rest = printed
    for number in range(len(document.examples)):
        before, _, rest = rest.partition(MARKER.format(number) + "\n")
        found.append(before)
    return found
