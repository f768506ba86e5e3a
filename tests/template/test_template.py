"""The template passes `sam validate --lint` and `sam build`, and keeps the promises the design makes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from localrun.rie import python313_first_on_path, sam_build
from tests.conftest import ROOT

SAM = ROOT / ".venv-sam" / "bin" / "sam"
pytestmark = pytest.mark.skipif(not SAM.exists(), reason="make test installs .venv-sam first")


def _sam(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": python313_first_on_path()}
    return subprocess.run([str(SAM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.xdist_group("sam")
def test_sam_validate_lint_passes() -> None:
    result = _sam("validate", "--lint", "--region", "us-east-1")
    assert result.returncode == 0, result.stdout + result.stderr


# What a `sam build` may weigh, unzipped (Lambda's limit is 250 MB for a function and its layers).
# Measured (README, "What ships is what runs"): layer 29.3 MB (bytecode 10.3 MB, botocore 3.7 MB with
# the models of its four services), Reputation 11.4 MB (pycryptodome), dashboard 0.25 MB, every other
# function (MCP included) a few KB.
LAYER_BUDGET_MB = 32
FUNCTION_BUDGET_MB = {"ReputationFunction": 13, "DashboardFunction": 1}
OTHER_FUNCTION_BUDGET_MB = 0.1


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One real `sam build` (a minute or two) for the tests of this module that read its output,
    through the local runner's `sam_build`: it holds the project's build lock, since sam build keeps
    its dependency cache under the project's .aws-sam whatever --build-dir says, and a build on
    another test worker at the same time broke this one ("Directory not empty" in .aws-sam/deps)."""
    build = tmp_path_factory.mktemp("sam") / "build"
    sam_build(ROOT / "template.yaml", build)
    yield build
    shutil.rmtree(build)


def _megabytes(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


@pytest.mark.xdist_group("sam")
def test_sam_build_puts_the_cashback_package_in_the_layer(build_dir: Path) -> None:
    layer = build_dir / "CommonLayer" / "python"
    assert (layer / "cashback" / "ratelimit.py").exists()
    assert (layer / "cashback" / "openapi.json").exists()  # served by GET /openapi.json
    assert (layer / "aws_lambda_powertools").is_dir()
    assert (layer / "pydantic").is_dir()
    assert (build_dir / "HealthFunction" / "handler.py").exists()
    dashboard = build_dir / "DashboardFunction"  # its Makefile vendors Chart.js from npm
    assert (dashboard / "static" / "index.html").exists()
    assert (dashboard / "vendor" / "chart.umd.min.js").read_text().startswith("/*!\n * Chart.js v4")
    assert (build_dir / "McpFunction" / "handler.py").exists()
    assert not (layer / "mcp").exists() and not (build_dir / "McpFunction" / "mcp").exists()  # no MCP SDK ships


@pytest.mark.xdist_group("sam")
def test_the_layer_ships_compiled(build_dir: Path) -> None:
    """Lambda's code is read-only, so a module without bytecode is compiled on every cold start: each
    module of the layer has its bytecode, valid without reading the source."""
    root = build_dir / "CommonLayer" / "python"
    modules = list(root.rglob("*.py"))
    assert len(modules) > 100
    tag = sys.implementation.cache_tag
    for module in modules:
        compiled = module.parent / "__pycache__" / f"{module.stem}.{tag}.pyc"
        assert compiled.is_file(), module.relative_to(root)
        flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
        assert flags == 0b01, module.relative_to(root)  # hash-based, source not checked (PEP 552)


@pytest.mark.xdist_group("sam")
def test_sam_build_installs_exactly_the_locked_versions(build_dir: Path) -> None:
    """Each folder that has a lock holds every locked distribution at its version, and nothing else
    (in particular no botocore other than the one the tests ran)."""
    for folder, lock in [
        (build_dir / "CommonLayer" / "python", ROOT / "layers/common/requirements.txt"),
        (build_dir / "ReputationFunction", ROOT / "functions/reputation/requirements.txt"),
    ]:
        installed = {
            _normalise(info.name.removesuffix(".dist-info").rsplit("-", 1)[0]): info.name.removesuffix(
                ".dist-info"
            ).rsplit("-", 1)[1]
            for info in folder.glob("*.dist-info")
        }
        assert installed == _locked(lock), folder.name


@pytest.mark.xdist_group("sam")
def test_keccak_ships_with_the_reputation_function_only(build_dir: Path) -> None:
    assert not (build_dir / "CommonLayer" / "python" / "Crypto").exists()
    assert not (build_dir / "CommonLayer" / "python" / "rfc8785").exists()
    assert (build_dir / "ReputationFunction" / "Crypto").is_dir()
    assert (build_dir / "ReputationFunction" / "rfc8785").is_dir()
    assert not [
        f.name for f in build_dir.glob("*Function") if (f / "Crypto").exists() and f.name != "ReputationFunction"
    ]


@pytest.mark.xdist_group("sam")
def test_every_built_function_imports_from_its_build_and_the_layer_alone(build_dir: Path) -> None:
    """Each handler, in a Python that sees only its build folder and the layer's (what Lambda puts
    on the path), imports; only ReputationFunction can compute the ERC-8004 hash."""
    script = """
import importlib.util, json, sys
build, layer = sys.argv[1], sys.argv[2]
sys.path[:0] = [layer]
failed = {}
for name in json.loads(sys.argv[3]):
    sys.path.insert(0, f"{build}/{name}")
    try:
        spec = importlib.util.spec_from_file_location(f"handler_{name}", f"{build}/{name}/handler.py")
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        if name == "ReputationFunction":
            from cashback import erc8004
            assert erc8004.keccak256(b"").startswith("0xc5d2460186f7233c927e7db2dcc703c0"), "keccak"
        else:
            assert "Crypto" not in sys.modules, "imported keccak"
    except Exception as error:
        failed[name] = repr(error)
    sys.path.remove(f"{build}/{name}")
print(json.dumps(failed))
"""
    functions = sorted(f.name for f in build_dir.glob("*Function"))
    functions.remove("ReputationFunction")
    functions.append("ReputationFunction")  # last: the only one whose folder has Crypto
    env = {
        "PATH": os.environ["PATH"],
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "CashbackApiTest",
    }
    layer = build_dir / "CommonLayer" / "python"
    output = _isolated_python(script, str(build_dir), str(layer), json.dumps(functions), env=env, timeout=300)
    assert json.loads(output.splitlines()[-1]) == {}


def _isolated_python(script: str, *args: str, env: dict[str, str], timeout: int) -> str:
    """What the script prints, run where only what it puts on sys.path is importable (no
    site-packages, no working directory); it must exit 0."""
    command = [sys.executable, "-I", "-S", "-c", script, *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.xdist_group("sam")
def test_the_build_stays_within_its_size_budget(build_dir: Path) -> None:
    assert _megabytes(build_dir / "CommonLayer") <= LAYER_BUDGET_MB
    for function in build_dir.glob("*Function"):
        budget = FUNCTION_BUDGET_MB.get(function.name, OTHER_FUNCTION_BUDGET_MB)
        assert _megabytes(function) <= budget, function.name


def _layer_services() -> set[str]:
    """The AWS services whose models the layer's botocore keeps (layers/common/Makefile)."""
    makefile = (ROOT / "layers/common/Makefile").read_text(encoding="utf-8")
    found = re.search(r"^AWS_SERVICES := (.+)$", makefile, re.MULTILINE)
    assert found, "layers/common/Makefile names no AWS_SERVICES"
    return set(found.group(1).split())


def test_the_layer_keeps_the_models_of_exactly_the_services_the_code_calls() -> None:
    """A client for a service whose model the layer dropped fails on AWS alone (the in-process
    runner has .venv's whole botocore), so every client the shipped code makes is on the list, and
    nothing else is but xray: the X-Ray SDK makes its client when it loads off Lambda."""
    sources = [*(ROOT / "layers/common/cashback").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    calls = [call for source in sources for call in re.findall(r"\.client\(\s*([^,)]*)", source.read_text("utf-8"))]
    assert all(re.fullmatch(r"""["'][a-z0-9-]+["']""", call) for call in calls), calls  # names a test can read
    assert {call.strip("\"'") for call in calls} | {"xray"} == _layer_services()


@pytest.mark.xdist_group("sam")
def test_the_built_layer_makes_clients_for_those_services_and_no_other(build_dir: Path) -> None:
    """Only the kept services' models ship, and from the built layer alone each of them still gets
    its AWS endpoint (endpoints.json keeps their entries), while any other service is unknown."""
    layer = build_dir / "CommonLayer" / "python"
    data = layer / "botocore" / "data"
    assert {folder.name for folder in data.iterdir() if folder.is_dir()} == _layer_services()
    partitions = json.loads((data / "endpoints.json").read_text(encoding="utf-8"))["partitions"]
    aws = next(partition for partition in partitions if partition["partition"] == "aws")
    assert set(aws["services"]) == _layer_services()  # each one's endpointPrefix is its name
    script = """
import json, sys
sys.path[:0] = [sys.argv[1]]
import boto3, botocore.exceptions
endpoints = {name: boto3.client(name, region_name="eu-west-1").meta.endpoint_url for name in sys.argv[2:]}
try:
    boto3.client("s3", region_name="eu-west-1")
except botocore.exceptions.UnknownServiceError:
    endpoints["s3"] = None
print(json.dumps(endpoints))
"""
    services = sorted(_layer_services())
    env = {"PATH": os.environ["PATH"], "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    endpoints = json.loads(_isolated_python(script, str(layer), *services, env=env, timeout=60))
    assert endpoints.pop("s3") is None
    assert endpoints == {name: f"https://{name}.eu-west-1.amazonaws.com" for name in services}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked(lock: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$", lock.read_text(encoding="utf-8"), re.MULTILINE)
    return {_normalise(name): version for name, version in pins}


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
