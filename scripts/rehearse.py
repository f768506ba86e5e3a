"""`make rehearse`: a deploy without AWS. Prints what AWS would reject, or nothing, and exits 1 if
anything would fail.

1. `sam build`, as `sam deploy` needs it;
2. the SAM transform of template.yaml for each samconfig.toml environment, then cfn-lint on it;
3. the IAM table (what each function may do);
4. a smoke suite with IAM enforced (every event file against its function, the money flow and the
   agent API over HTTP); each denial is named: function, action, resource.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from localrun import deployment
from scripts import iam_table

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ["tests/events", "tests/integration/test_agents_api.py", "tests/integration/test_money_flow.py"]


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def build() -> list[str]:
    _step("sam build")
    result = subprocess.run(  # noqa: S603 (the pinned aws-sam-cli)
        [
            str(ROOT / ".venv-sam" / "bin" / "sam"),
            "build",
            "--build-dir",
            ".aws-sam/rehearsal",
            "--cached",
            "--parallel",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return [] if result.returncode == 0 else [f"sam build failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"]


def transform_and_lint() -> list[str]:
    problems = []
    for config_env in deployment.config_environments():
        _step(f"SAM transform and cfn-lint ({config_env}: {deployment.parameter_overrides(config_env)})")
        try:
            translated = deployment.translated_path(ROOT / "template.yaml", config_env)
        except deployment.DeploymentError as exc:
            problems.append(str(exc))
            continue
        findings = deployment.lint(translated)
        print("\n".join(findings) or "clean")
        problems += [f"{config_env}: {e}" for e in deployment.errors(findings)]
    return problems


def smoke() -> list[str]:
    _step("smoke suite with IAM enforced: " + " ".join(SMOKE))
    with tempfile.TemporaryDirectory() as folder:
        audit = Path(folder) / "iam.jsonl"
        env = {**os.environ, "LOCALRUN_IAM_AUDIT": str(audit)}
        result = subprocess.run(  # noqa: S603 (our own interpreter)
            [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup", *SMOKE],
            cwd=ROOT,
            env=env,
            check=False,
        )
        decisions = [json.loads(line) for line in audit.read_text().splitlines()] if audit.exists() else []
    denied = sorted({(f, action, resource) for f, action, resource, _, allowed in decisions if not allowed})
    problems = [
        f"{function} would be denied {action} on {resource}: add it to {function}'s Policies in template.yaml"
        for function, action, resource in denied
    ]
    print(f"{len(decisions)} AWS calls authorized against their function's role, {len(denied)} kinds denied")
    if result.returncode != 0:
        problems.append(f"the smoke suite failed (pytest exit {result.returncode})")
    return problems


def main() -> int:
    problems = build() + transform_and_lint()
    _step("IAM: what each function may do")
    print(iam_table.markdown())
    problems += smoke()
    _step("what would fail on AWS")
    print("\n".join(problems) if problems else "nothing")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
