"""Traces never carry a token: the handlers run under Powertools' Tracer with the template's own
environment and the real X-Ray SDK, which sends its segments over UDP to a daemon address; here
the test is that daemon, and reads every byte the SDK would have sent to X-Ray."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from localrun import template
from tests.conftest import ROOT

# Registers an agent and rotates its token, in a fresh interpreter (the Tracer reads its settings
# once, at import), and prints both answers' tokens.
CHILD = """
import json, os
from tests.conftest import template_tables_in_moto
os.environ.pop("POWERTOOLS_TRACE_DISABLED")  # tests.conftest turns tracing off; this test needs it on
from tests.handlers.conftest import register, rotate
with template_tables_in_moto():
    agent = register("tracer-check")
    rotated = json.loads(rotate(agent["agent_id"], agent["token"])["body"])
    print(json.dumps([agent["token"], rotated["token"]]))
"""


@pytest.fixture
def xray_daemon() -> Iterator[socket.socket]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(1.0)
    yield listener
    listener.close()


def _traced_run(
    daemon: socket.socket, function_environment: dict[str, str], child_script: str = CHILD
) -> tuple[list[str], list[str]]:
    """What the child printed last (by default the tokens the handlers answered, as JSON), and every
    segment document the X-Ray SDK emitted."""
    host, port = daemon.getsockname()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")}
    env.update(function_environment)
    env.update(
        {
            "POWERTOOLS_METRICS_DISABLED": "true",
            "LAMBDA_TASK_ROOT": str(ROOT / "functions" / "register_agent"),  # the SDK's Lambda mode
            "AWS_LAMBDA_FUNCTION_NAME": "RegisterAgentFunction",
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": f"{host}:{port}",
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in (".", "layers/common")),
        }
    )
    command = [sys.executable, "-c", child_script]
    child = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert child.returncode == 0, child.stderr[-3000:]
    tokens: list[str] = json.loads(child.stdout.strip().splitlines()[-1])
    segments = []
    try:
        while True:
            segments.append(daemon.recv(65536).decode())
    except TimeoutError:
        pass
    return tokens, segments


def _template_environment(**overrides: str) -> dict[str, Any]:
    functions = template.load(ROOT / "template.yaml").functions
    return {**functions["RegisterAgentFunction"].environment, **overrides}


def test_traces_of_registration_and_rotation_never_contain_the_token(xray_daemon: socket.socket) -> None:
    tokens, segments = _traced_run(xray_daemon, _template_environment())

    assert any('"lambda_handler"' in s or "## lambda_handler" in s for s in segments), "tracing was not on"
    leaked = [s for s in segments for token in tokens if token in s]
    assert leaked == []


def test_the_check_sees_a_token_when_the_tracer_records_responses(xray_daemon: socket.socket) -> None:
    """The default Powertools behaviour, which the template turns off: the check above would fail."""
    tokens, segments = _traced_run(xray_daemon, _template_environment(POWERTOOLS_TRACER_CAPTURE_RESPONSE="true"))

    assert all(any(token in s for s in segments) for token in tokens)


def _subsegments(segments: list[str]) -> list[dict[str, Any]]:
    """The documents the SDK sent (each datagram is a header line, then the document)."""
    return [json.loads(datagram.split("\n", 1)[1]) for datagram in segments]


def test_dynamodb_calls_are_traced(xray_daemon: socket.socket) -> None:
    """The Tracer patches botocore (and nothing else at init): each DynamoDB call is a subsegment."""
    _, segments = _traced_run(xray_daemon, _template_environment())

    operations = {
        document["aws"]["operation"]
        for document in _subsegments(segments)
        if document.get("namespace") == "aws" and document.get("name") == "dynamodb"
    }
    assert "TransactWriteItems" in operations or "PutItem" in operations, operations


# The upstream catalog's client, against a local server standing in for the product API.
UPSTREAM_CHILD = """
import json, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Products(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(b'{"products": []}')
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Products)
threading.Thread(target=server.serve_forever, daemon=True).start()
from cashback.catalog.upstream import CircuitBreaker, UpstreamCatalog
catalog = UpstreamCatalog(f"http://127.0.0.1:{server.server_port}", None, 1.0, CircuitBreaker())
print(json.dumps([server.server_port, len(catalog.candidates(["kettle"]).listings)]))
"""


def test_upstream_catalog_requests_are_traced(xray_daemon: socket.socket) -> None:
    """httpx is patched where a client is made, not at init: the upstream's requests stay traced."""
    (port, _), segments = _traced_run(xray_daemon, _template_environment(), UPSTREAM_CHILD)

    urls = [d.get("http", {}).get("request", {}).get("url", "") for d in _subsegments(segments)]
    assert any(url.startswith(f"http://127.0.0.1:{port}/v1/products/search") for url in urls), urls
