"""The template passes `sam validate --lint` and `sam build`, and keeps the promises the design makes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

SAM = ROOT / ".venv-sam" / "bin" / "sam"
pytestmark = pytest.mark.skipif(not SAM.exists(), reason="make test installs .venv-sam first")


def _sam(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # sam build looks for python3.13 on PATH (make puts it there); the venv's base interpreter is one.
    base_python = Path(sys.executable).resolve().parent
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": f"{base_python}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([str(SAM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.xdist_group("sam")
def test_sam_validate_lint_passes() -> None:
    result = _sam("validate", "--lint", "--region", "us-east-1")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.xdist_group("sam")
def test_sam_build_puts_the_cashback_package_in_the_layer(tmp_path: Path) -> None:
    build_dir = tmp_path / "build"
    result = _sam("build", "--build-dir", str(build_dir), "--cache-dir", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stdout + result.stderr
    layer = build_dir / "CommonLayer" / "python"
    assert (layer / "cashback" / "ratelimit.py").exists()
    assert (layer / "cashback" / "openapi.json").exists()  # served by GET /openapi.json
    assert (layer / "aws_lambda_powertools").is_dir()
    assert (layer / "pydantic").is_dir()
    assert (build_dir / "HealthFunction" / "handler.py").exists()
    dashboard = build_dir / "DashboardFunction"  # its Makefile vendors Chart.js from npm
    assert (dashboard / "static" / "index.html").exists()
    assert (dashboard / "vendor" / "chart.umd.min.js").read_text().startswith("/*!\n * Chart.js v4")
    assert (build_dir / "McpFunction" / "mcp").is_dir()  # the MCP SDK, in that function only
    assert not (layer / "mcp").exists() and not (build_dir / "HealthFunction" / "mcp").exists()
    shutil.rmtree(build_dir)


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: {
        suffix: loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else loader.construct_sequence(node)
    },
)


def _resources() -> dict[str, dict]:
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=_Loader)["Resources"]


def test_every_table_is_on_demand_with_point_in_time_recovery() -> None:
    tables = {k: v["Properties"] for k, v in _resources().items() if v["Type"] == "AWS::DynamoDB::Table"}
    assert tables
    for name, props in tables.items():
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name


def test_every_function_policy_is_scoped_to_one_table() -> None:
    functions = {k: v["Properties"] for k, v in _resources().items() if v["Type"] == "AWS::Serverless::Function"}
    for name, props in functions.items():
        for policy in props.get("Policies", []):
            if isinstance(policy, dict) and any(key.startswith("DynamoDB") for key in policy):
                ((_template_name, args),) = policy.items()
                assert set(args) == {"TableName"}, name
                assert "Ref" in args["TableName"], name
