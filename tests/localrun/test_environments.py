"""Execution environments: one process each, their own variables, the Timeout, nothing left behind."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from localrun import template
from localrun.invokers import FunctionError, ProcessInvoker

HANDLER = """
import os, time

def lambda_handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "own": os.environ.get("OWN"), "other": os.environ.get("OTHER")}
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
      Environment: {Variables: {OWN: slow}}
  OtherFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: code/
      Handler: handler.lambda_handler
      Runtime: python3.13
      Environment: {Variables: {OTHER: other}}
"""


@pytest.fixture
def invoker(tmp_path: Path) -> Iterator[ProcessInvoker]:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "handler.py").write_text(HANDLER)
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    path = tmp_path / "template.yaml"
    process_invoker = ProcessInvoker(template.load(path), path, dict(os.environ))
    yield process_invoker
    process_invoker.close()


def _gone(pid: int, within: float = 5.0) -> bool:
    """The process has exited (SIGKILL is asynchronous, so allow it a moment)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_each_function_runs_in_its_own_process_with_only_its_own_variables(invoker: ProcessInvoker) -> None:
    slow, other = invoker.invoke("SlowFunction", {}), invoker.invoke("OtherFunction", {})

    assert slow["pid"] != other["pid"] != os.getpid()
    assert (slow["own"], slow["other"]) == ("slow", None)
    assert (other["own"], other["other"]) == (None, "other")
    assert invoker.invoke("SlowFunction", {})["pid"] == slow["pid"]  # warm: the same environment


def test_an_invocation_over_the_timeout_kills_its_environment_and_fails_as_lambda_does(
    invoker: ProcessInvoker,
) -> None:
    first = invoker.invoke("SlowFunction", {})["pid"]

    with pytest.raises(FunctionError, match=r"Task timed out after 1\.00 seconds") as raised:
        invoker.invoke("SlowFunction", {"sleep": 5})

    assert raised.value.error_type == "Sandbox.Timedout"
    assert invoker.invoke("SlowFunction", {})["pid"] != first  # a new environment
    assert _gone(first)


def test_closing_the_invoker_leaves_no_environment_behind(invoker: ProcessInvoker) -> None:
    pids = [invoker.invoke("SlowFunction", {})["pid"], invoker.invoke("OtherFunction", {})["pid"]]

    invoker.close()

    assert all(_gone(pid) for pid in pids)
