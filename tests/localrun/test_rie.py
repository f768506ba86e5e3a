"""The runtime emulator mode's execution environments (localrun.rie): a process tree each, under
Lambda's own runtime client, with the template's Timeout, MemorySize and variables."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.test import Client

from localrun import template
from localrun.gateway import AuthorizerCache, Gateway
from localrun.invokers import FunctionError
from localrun.rie import RieInvoker, missing_parts

pytestmark = pytest.mark.skipif(bool(missing_parts()), reason="; ".join(missing_parts()) + " (make test-artifacts)")

HANDLER = """
import os, sys, time

STARTED_IN = os.getcwd()


def lambda_handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {
        "statusCode": 200,
        "body": "{}",
        "pid": os.getpid(),
        "own": os.environ.get("OWN"),
        "other": os.environ.get("OTHER"),
        "memory": int(context.memory_limit_in_mb),
        "task_root": STARTED_IN,
        "runtime": type(context).__module__,
        "path": sys.path,
    }
"""
TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: dev}
  SlowFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: code/
      Handler: handler.lambda_handler
      Runtime: python3.13
      Timeout: 1
      MemorySize: 256
      Environment: {Variables: {OWN: slow}}
      Events:
        Get: {Type: Api, Properties: {Path: /slow, Method: get}}
  OtherFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: code/
      Handler: handler.lambda_handler
      Runtime: python3.13
      Environment: {Variables: {OTHER: other}}
"""


@pytest.fixture
def built(tmp_path: Path) -> tuple[template.Template, Path]:
    """A template and what `sam build` would make of it: a folder per function, by logical id."""
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    build = tmp_path / "build"
    for function in ("SlowFunction", "OtherFunction"):
        (build / function).mkdir(parents=True)
        (build / function / "handler.py").write_text(HANDLER)
    return template.load(tmp_path / "template.yaml"), build


@pytest.fixture
def invoker(built: tuple[template.Template, Path]) -> Iterator[RieInvoker]:
    rie = RieInvoker(*built, {"PATH": os.environ["PATH"], "PYTHONPATH": "/nowhere", "AWS_REGION": "us-east-1"})
    yield rie
    rie.close()


def test_each_function_runs_from_its_build_folder_under_lambdas_runtime_client(
    invoker: RieInvoker, built: tuple[template.Template, Path]
) -> None:
    slow, other = invoker.invoke("SlowFunction", {}), invoker.invoke("OtherFunction", {})

    assert slow["pid"] != other["pid"] != os.getpid()
    assert (slow["own"], slow["other"], slow["memory"]) == ("slow", None, 256)
    assert (other["own"], other["other"], other["memory"]) == (None, "other", 128)
    assert slow["runtime"].startswith("awslambdaric")
    assert slow["task_root"] == str(built[1].resolve() / "SlowFunction")
    assert "/nowhere" not in slow["path"]  # the runner's PYTHONPATH stays out
    assert invoker.invoke("SlowFunction", {})["pid"] == slow["pid"]  # warm: the same environment


def test_a_busy_environment_makes_the_next_request_start_another(invoker: RieInvoker) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: invoker.invoke("OtherFunction", {"sleep": 0.5}), range(2)))

    assert answers[0]["pid"] != answers[1]["pid"]
    assert invoker.environment_count("OtherFunction") == 2


def test_over_its_timeout_the_gateway_answers_504_and_the_next_request_gets_a_new_environment(
    invoker: RieInvoker, built: tuple[template.Template, Path]
) -> None:
    first = invoker.invoke("SlowFunction", {})["pid"]
    with pytest.raises(FunctionError, match=r"Task timed out after 1\.00 seconds") as raised:
        invoker.invoke("SlowFunction", {"sleep": 3})
    assert raised.value.error_type == "Sandbox.Timedout"

    client = Client(Gateway(built[0], _SleepyInvoker(invoker), AuthorizerCache()))
    response = client.get("/slow")
    assert response.status_code == 504
    assert response.json == {"message": "Endpoint request timed out"}  # this template has no GatewayResponses
    assert client.get("/slow", headers={"X-Sleep": "0"}).status_code == 200
    assert invoker.invoke("SlowFunction", {})["pid"] != first


class _SleepyInvoker:
    """The gateway's requests to SlowFunction sleep 3 s (its Timeout is 1 s), unless X-Sleep says."""

    def __init__(self, invoker: RieInvoker) -> None:
        self.invoker = invoker

    def invoke(self, function: str, event: dict[str, object]) -> object:
        headers = event.get("headers") or {}
        assert isinstance(headers, dict)
        return self.invoker.invoke(function, {**event, "sleep": float(headers.get("X-Sleep", 3))})


def test_closing_the_invoker_leaves_no_process_behind(invoker: RieInvoker) -> None:
    pid = invoker.invoke("OtherFunction", {})["pid"]

    invoker.close()

    assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
