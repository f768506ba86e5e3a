"""Shared fixtures: fake AWS credentials, Powertools quiet, tables from template.yaml in moto."""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from localrun import iam

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.small_catalog", "tests.local_api"]

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "CashbackApiTest",
        "POWERTOOLS_SERVICE_NAME": "cashback-api-test",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "AGENTS_TABLE": "AgentsTable",
        "RATE_LIMIT_TABLE": "RateLimitTable",
    }
)
for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(name, None)
# Before any boto3 client exists: handlers the tests call run with their template roles (load_function).
iam.install()


def clear_cached_clients() -> None:
    from cashback import agents, settings
    from cashback.store import dynamo

    settings.get_settings.cache_clear()
    dynamo.dynamodb.cache_clear()
    agents._apigateway.cache_clear()


@contextmanager
def template_tables_in_moto() -> Iterator[None]:
    """moto's in-memory AWS with every DynamoDB table of template.yaml created empty."""
    from moto import mock_aws

    from localrun.dynamodb import faster_moto

    faster_moto()
    clear_cached_clients()
    with mock_aws():
        create_template_tables()
        yield
    clear_cached_clients()


@pytest.fixture
def aws() -> Iterator[None]:
    """moto's in-memory AWS with every DynamoDB table of template.yaml created empty."""
    with template_tables_in_moto():
        yield


def create_template_tables() -> None:
    """The tables exactly as template.yaml declares them, read by the local runner's template reader."""
    from localrun import dynamodb, template

    dynamodb.ensure_tables(None, template.load(ROOT / "template.yaml").tables.values())


def load_function(directory: str) -> ModuleType:
    """Import functions/<directory>/handler.py under its own module name, as Lambda would; its
    `lambda_handler` runs with the function's own IAM role from the template (localrun.iam)."""
    path = ROOT / "functions" / directory / "handler.py"
    spec = importlib.util.spec_from_file_location(f"function_{directory}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.lambda_handler = _with_role(module.lambda_handler, directory)
    return module


@cache
def _template_roles() -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Roles by function, table partition keys, and the function of each functions/ folder."""
    from localrun import deployment, iam, template

    loaded = template.load(ROOT / "template.yaml")
    translated = deployment.translated_template(ROOT / "template.yaml")
    roles = iam.roles(translated, deployment.parameter_overrides("default"))
    functions = {f.code_dir.name: f.logical_id for f in loaded.functions.values()}
    return roles, loaded.partition_keys(), functions


def _with_role(handler: Callable[..., Any], directory: str) -> Callable[..., Any]:
    from localrun import iam

    roles, partition_keys, functions = _template_roles()
    role = roles[functions[directory]]

    @functools.wraps(handler)
    def handle(event: Any, context: Any) -> Any:
        with iam.acting_as(role, partition_keys):
            return handler(event, context)

    return handle


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set environment overrides for one test; settings are re-read around it."""
    from cashback.settings import get_settings

    get_settings.cache_clear()
    yield monkeypatch.setenv
    get_settings.cache_clear()
