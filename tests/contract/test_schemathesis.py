"""schemathesis against the running local API, from the committed OpenAPI document: every
operation, a bounded number of generated requests each (valid and invalid), with real
credentials; no 5xx and no response that the document does not describe. Then stateful
scenarios along the links schemathesis infers from the document (POST /agents → the agent's
routes, feedback → its file, a product → its deletion...), each new agent calling with its own token."""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation

from cashback.api.webhooks import sign
from cashback.auth import AGENT_ID_PATTERN
from localrun.stack import DEFAULT_WEBHOOK_KEY_ID, DEFAULT_WEBHOOK_SECRET, LocalApi
from scripts import openapi
from tests.conftest import ROOT
from tests.helpers import make_admin_key

schema = schemathesis.openapi.from_path(openapi.DOCUMENT)
# Generous limits: the point is the contract, not the limiter (tests/integration covers that).
RATE_LIMITS = {
    name: [[60, 100_000], [3600, 1_000_000]]
    for name in ("standard", "admin", "public", "registration", "directory", "reputation", "feedback")
}
# Generated requests per operation. `make test` runs 40 (26 operations: about 8 minutes on a shared
# 2-core machine, ~0.45 s a request); SCHEMATHESIS_EXAMPLES=200 is the deep run (about 40 minutes there).
EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "40"))
# Stateful scenarios, each a chain of up to STATEFUL_STEPS calls along the inferred links (~80 s).
STATEFUL_SCENARIOS = 60
STATEFUL_STEPS = 6
# Without this, schemathesis starts every scenario at POST /agents/{agent_id}/feedback (a root it
# rates likely to succeed) with a random agent id: 398 calls, all 400/404, no chain. Feedback is
# still reached from POST /agents, along the link with the new agent's id.
STATEFUL_SCHEMA = schemathesis.openapi.from_path(openapi.DOCUMENT).exclude(
    method="POST", path="/agents/{agent_id}/feedback"
)
# API Gateway (REST) answers a method a resource does not declare like an unknown route (our
# 404 ROUTE_NOT_FOUND gateway response); it cannot answer 405 with an Allow header.
# "Schema-valid data is accepted" does not hold where a rule spans fields or needs our data, which
# JSON Schema cannot say: commission <= order amount, SOL needs a Solana wallet, cursors are ones
# the API issued, a product name needs a word. Those answer 400 with a code, as documented.
NOT_APPLICABLE = [
    schemathesis.checks.unsupported_method,
    schemathesis.checks.allow_header_conformance,
    schemathesis.checks.positive_data_acceptance,
]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    env = {"RATE_LIMITS": json.dumps(RATE_LIMITS)}
    data_dir = tmp_path_factory.mktemp("schemathesis-dynamodb")
    with LocalApi(ROOT / "template.yaml", data_dir, env=env) as local_api:
        with httpx.Client(base_url=local_api.base_url, timeout=30) as client:
            agent = client.post("/agents", json={"agent_name": "schemathesis"}).json()
        admin_key = make_admin_key(local_api, "catalog:read,catalog:write,agents:read,analytics:read,payouts:write")
        yield {"base_url": local_api.base_url, "agent": agent, "admin_key": admin_key}


def credentials(case: schemathesis.Case, api: dict[str, Any]) -> dict[str, str]:
    """The credential each operation's security names: the agent's token or the admin key; none
    when schemathesis left it out on purpose (a negative header case), which the API must refuse."""
    headers = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if headers is not None and headers.mode.is_negative:
        return {}
    schemes = {name for requirement in case.operation.definition.raw.get("security", []) for name in requirement}
    if "agentToken" in schemes:
        return {"Authorization": f"Bearer {api['agent']['token']}"}
    if "adminKey" in schemes:
        return {"Authorization": f"Bearer {api['admin_key']}"}
    return {}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure here is a finding, not noise
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_documented(case: schemathesis.Case, api: dict[str, Any]) -> None:
    agent_id = (case.path_parameters or {}).get("agent_id")
    if isinstance(agent_id, str) and re.fullmatch(AGENT_ID_PATTERN, agent_id):
        case.path_parameters["agent_id"] = api["agent"]["agent_id"]  # reach past the ownership check
    headers = credentials(case, api)
    if case.operation.path == "/conversions" and isinstance(case.body, dict):
        raw = json.dumps(case.body).encode()
        headers["X-Cashback-Signature"] = sign(DEFAULT_WEBHOOK_SECRET, int(time.time()), raw, DEFAULT_WEBHOOK_KEY_ID)
    case.call_and_validate(base_url=api["base_url"], headers=headers, excluded_checks=NOT_APPLICABLE)


def test_stateful_scenarios_follow_the_links(api: dict[str, Any]) -> None:
    tokens = {api["agent"]["agent_id"]: api["agent"]["token"]}
    calls: Counter[str] = Counter()

    class Workflow(STATEFUL_SCHEMA.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            headers = credentials(case, api)
            agent_id = (case.path_parameters or {}).get("agent_id")
            if "Authorization" in headers and agent_id in tokens and "agentToken" in str(case.operation.definition.raw):
                headers["Authorization"] = f"Bearer {tokens[agent_id]}"  # the agent a link named, as itself
            if case.operation.path == "/conversions" and isinstance(case.body, dict):
                raw = json.dumps(case.body).encode()
                headers["X-Cashback-Signature"] = sign(DEFAULT_WEBHOOK_SECRET, int(time.time()), raw)
            return {"base_url": api["base_url"], "headers": headers}

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            super().after_call(response, case)
            calls[f"{case.operation.method.upper()} {case.operation.path} {response.status_code}"] += 1
            if (case.operation.method.upper(), case.operation.path) == (
                "POST",
                "/agents",
            ) and response.status_code == 201:
                created = response.json()
                tokens[created["agent_id"]] = created["token"]

        def validate_response(self, response: Any, case: schemathesis.Case, *_: Any, **kwargs: Any) -> None:
            case.validate_response(
                response, excluded_checks=NOT_APPLICABLE, transport_kwargs=kwargs or None, recorder=self.recorder
            )

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    print(f"\nstateful: {STATEFUL_SCENARIOS} scenarios, {sum(calls.values())} calls, {len(tokens) - 1} agents made")
    print("\n".join(f"  {count} x {call}" for call, count in calls.most_common()))
