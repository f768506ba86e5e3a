"""The Python client covers the API: every operation of the OpenAPI document is a method of both
clients, named after its handler (or as `METHOD_NAMES` says)."""

from __future__ import annotations

import inspect
import json
import re
import tomllib

import pytest

from cashback_client import AsyncCashbackClient, CashbackClient
from cashback_client.client import METHOD_NAMES
from tests.conftest import ROOT

OPENAPI = json.loads((ROOT / "layers" / "common" / "cashback" / "openapi.json").read_text())
OPERATIONS = [
    (method.upper(), path, operation["operationId"])
    for path, methods in OPENAPI["paths"].items()
    for method, operation in methods.items()
]


def handler_name(method: str, path: str, operation_id: str) -> str:
    """The handler's function name: Powertools writes the operationId as `<function><path>_<method>`
    with every character that is not a letter, digit or `_` made `_`."""
    suffix = re.sub(r"\W", "_", path) + "_" + method.lower()
    assert operation_id.endswith(suffix), f"{operation_id} is not <function>{suffix}"
    return operation_id.removesuffix(suffix)


def test_the_document_has_operations() -> None:
    assert len(OPERATIONS) >= 20


@pytest.mark.parametrize(("method", "path", "operation_id"), OPERATIONS, ids=[o[2] for o in OPERATIONS])
def test_every_operation_is_a_method_of_both_clients(method: str, path: str, operation_id: str) -> None:
    name = METHOD_NAMES.get(handler_name(method, path, operation_id), handler_name(method, path, operation_id))

    missing = [
        f"{client.__name__}.{name}"
        for client in (CashbackClient, AsyncCashbackClient)
        if not callable(getattr(client, name, None))
    ]

    assert not missing, (
        f"{method} {path} (operationId {operation_id}) has no client method: add {' and '.join(missing)} "
        "in clients/python/src/cashback_client/client.py (or name it in METHOD_NAMES)"
    )
    assert inspect.iscoroutinefunction(getattr(AsyncCashbackClient, name)), f"AsyncCashbackClient.{name} is not async"


def test_every_renamed_operation_still_exists() -> None:
    handlers = {handler_name(*operation) for operation in OPERATIONS}

    assert set(METHOD_NAMES) <= handlers, (
        f"METHOD_NAMES names handlers the API no longer has: {set(METHOD_NAMES) - handlers}"
    )


def test_the_client_states_dependency_ranges_not_pins() -> None:
    project = tomllib.loads((ROOT / "clients" / "python" / "pyproject.toml").read_text())["project"]

    for requirement in project["dependencies"]:
        assert "==" not in requirement, f"{requirement}: a library others install states a range"
        assert ">=" in requirement and "<" in requirement.replace("<=", ""), f"{requirement}: lower and upper bound"
