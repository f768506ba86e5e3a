"""The template as CloudFormation receives it: SAM-transformed, for each samconfig.toml environment.

The transform runs in the aws-sam-cli environment (.venv-sam: its pins and ours differ) through
scripts/sam_transform.py, and its output is cached by content, so the runner and the tests pay for
it once per template change. cfn-lint then reads the translated template, where circular
dependencies, bad Fn::Sub and dangling references are visible (on the SAM source they are not).
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import subprocess
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
CFN_LINT = ROOT / ".venv-sam" / "bin" / "cfn-lint"
TRANSFORM_SCRIPT = ROOT / "scripts" / "sam_transform.py"
CACHE_DIR = ROOT / ".aws-sam" / "translated"


class DeploymentError(Exception):
    """What CloudFormation or SAM would reject at deploy time."""


def config_environments(samconfig: Path = ROOT / "samconfig.toml") -> list[str]:
    """The environments samconfig.toml deploys (`default`, `prod`)."""
    config = tomllib.loads(samconfig.read_text(encoding="utf-8"))
    return [name for name, sections in config.items() if isinstance(sections, dict) and "deploy" in sections]


def parameter_overrides(config_env: str, samconfig: Path = ROOT / "samconfig.toml") -> dict[str, str]:
    """`parameter_overrides` of `sam deploy --config-env <config_env>`."""
    config = tomllib.loads(samconfig.read_text(encoding="utf-8"))
    text = config.get(config_env, {}).get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
    pairs = shlex.split(text) if isinstance(text, str) else list(text)
    return dict(pair.split("=", 1) for pair in pairs)


def translated_path(template_path: Path, config_env: str = "default") -> Path:
    """The SAM-transformed template of one environment, as a JSON file (made once per content)."""
    overrides = parameter_overrides(config_env)
    argument = " ".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    digest = hashlib.sha256(template_path.read_bytes() + TRANSFORM_SCRIPT.read_bytes() + argument.encode()).hexdigest()[
        :16
    ]
    target = CACHE_DIR / f"{template_path.stem}-{config_env}-{digest}.json"
    if target.exists():
        return target
    if not SAM_PYTHON.exists():
        raise DeploymentError("the SAM transform needs aws-sam-cli: run `make install` (it creates .venv-sam)")
    result = subprocess.run(  # noqa: S603 (our own script in our own venv)
        [str(SAM_PYTHON), str(TRANSFORM_SCRIPT), str(template_path), argument],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        raise DeploymentError(f"{template_path.name} ({config_env}): {result.stderr.strip()}")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text(result.stdout, encoding="utf-8")
    partial.replace(target)
    return target


@lru_cache(maxsize=8)
def translated_template(template_path: Path, config_env: str = "default") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(translated_path(template_path, config_env).read_text(encoding="utf-8"))
    return document


def lint(translated: Path) -> list[str]:
    """cfn-lint's findings on a translated template, one line each (`path:line:col:rule:message`)."""
    result = subprocess.run(  # noqa: S603 (the pinned cfn-lint of .venv-sam)
        [str(CFN_LINT), "--regions", "us-east-1", "--format", "parseable", str(translated)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return [line for line in result.stdout.splitlines() if line.strip()]


def errors(findings: list[str]) -> list[str]:
    """The findings CloudFormation would refuse (cfn-lint's E rules), not its warnings."""
    return [f for f in findings if re.search(r":E\d+:", f)]
