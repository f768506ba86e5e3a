"""GET /health, for monitors: every table, the rollup's lag, the upstream breaker, the version."""

from __future__ import annotations

import time
from collections.abc import Callable

from cashback import __version__, clock
from cashback.catalog.upstream import FAILURES_TO_OPEN, upstream_catalog
from cashback.settings import get_settings
from cashback.store import analytics as analytics_store
from cashback.store import dynamo
from tests.apigw import LambdaContext, api_event, body_of, header
from tests.handlers.conftest import error_code, health_fn
from tests.helpers import free_port

TABLES = ("agents_table", "rate_limit_table", "catalog_table", "activity_table", "reputation_table", "analytics_table")


def test_health_is_200_with_version_stage_timestamp_and_every_table_ok(aws: None) -> None:
    response = health_fn.lambda_handler(api_event("GET", "/health"), LambdaContext())
    assert response["statusCode"] == 200
    body = body_of(response)
    assert (body["status"], body["version"], body["stage"]) == ("ok", __version__, "dev")
    assert body["timestamp"].endswith("Z")
    assert body["checks"] == {"dynamodb": "ok", **dict.fromkeys(TABLES, "ok"), "rollup": "not_run"}
    assert body["rollup"] == {"watermark": None, "lag_seconds": None}
    assert body["upstream"] is None


def test_health_reports_the_rollups_lag_and_is_degraded_when_it_is_stale(aws: None) -> None:
    watermark = clock.iso(time.time() - 3600)
    dynamo.dynamodb().put_item(
        TableName=get_settings().analytics_table,
        Item={**dynamo.key(*analytics_store.STATE_KEY), **dynamo.dump({"watermark": watermark})},
    )
    body = body_of(health_fn.lambda_handler(api_event("GET", "/health"), LambdaContext()))
    assert body["status"] == "degraded"
    assert body["checks"]["rollup"] == "stale"
    assert body["rollup"]["watermark"] == watermark
    assert 3600 <= body["rollup"]["lag_seconds"] < 3700


def test_health_reports_the_upstream_breaker_and_is_degraded_once_it_opens(
    aws: None, settings_env: Callable[[str, str], None]
) -> None:
    settings_env("CATALOG_SOURCE", "upstream")
    settings_env("UPSTREAM_BASE_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens: every probe fails
    upstream_catalog.cache_clear()
    try:
        first = body_of(health_fn.lambda_handler(api_event("GET", "/health"), LambdaContext()))
        assert first["upstream"] == {"breaker": "closed"}  # one failure does not open it
        for _ in range(FAILURES_TO_OPEN):
            last = health_fn.lambda_handler(api_event("GET", "/health"), LambdaContext())
        assert last["statusCode"] == 200  # the API still serves from its tables
        assert body_of(last)["upstream"] == {"breaker": "open"}
        assert body_of(last)["checks"]["upstream"] == "open"
        assert body_of(last)["status"] == "degraded"
    finally:
        upstream_catalog.cache_clear()


def test_health_has_its_own_rate_limit_apart_from_the_public_routes(aws: None) -> None:
    response = health_fn.lambda_handler(api_event("GET", "/health"), LambdaContext())
    assert header(response, "X-RateLimit-Limit") == "300"
    assert '"minute";q=300' in str(header(response, "RateLimit-Policy"))


def test_health_reports_the_configured_stage(aws: None, settings_env: Callable[[str, str], None]) -> None:
    settings_env("STAGE", "prod")
    assert body_of(health_fn.lambda_handler(api_event("GET", "/health"), LambdaContext()))["stage"] == "prod"


def test_health_is_503_dynamodb_unavailable_when_the_agents_table_does_not_answer(
    aws: None, settings_env: Callable[[str, str], None]
) -> None:
    settings_env("AGENTS_TABLE", "NoSuchAgentsTable")
    response = health_fn.lambda_handler(api_event("GET", "/health"), LambdaContext())
    assert response["statusCode"] == 503
    assert error_code(response) == "DYNAMODB_UNAVAILABLE"
    # The role may read only the template's table: IAM refuses before DynamoDB looks, as on AWS.
    assert body_of(response)["error"]["details"] == {"reason": "AccessDeniedException", "unavailable": ["agents_table"]}
    assert header(response, "X-RateLimit-Limit") == "300"  # still counted, under its own policy
    assert header(response, "Retry-After") == "1"  # every 503 says when to retry


class _AlmostTimedOut(LambdaContext):
    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 3_000  # less than the margin kept to answer


def test_no_dynamodb_call_starts_once_the_request_budget_is_spent(aws: None) -> None:
    """Under throttling, the SDK's retries could run past the function's timeout (API Gateway then
    answers 502); a call that would start too late is a 503 the client can retry instead."""
    response = health_fn.lambda_handler(api_event("GET", "/health"), _AlmostTimedOut())
    assert response["statusCode"] == 503
    assert body_of(response)["error"]["details"] == {"reason": "RequestBudgetSpent"}
    assert header(response, "Retry-After") == "1"
