"""GET /health: DynamoDB reachability and the deployed version."""

from __future__ import annotations

from collections.abc import Callable

from cashback import __version__
from tests.apigw import LambdaContext, api_event, body_of, header
from tests.handlers.conftest import error_code, health_fn


def test_health_is_200_with_version_stage_and_dynamodb_ok(aws: None) -> None:
    response = health_fn.lambda_handler(api_event("GET", "/health"), LambdaContext())
    assert response["statusCode"] == 200
    assert body_of(response) == {"status": "ok", "version": __version__, "stage": "dev", "checks": {"dynamodb": "ok"}}


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
    assert body_of(response)["error"]["details"] == {"reason": "AccessDeniedException"}
    assert header(response, "X-RateLimit-Limit") == "120"  # still counted under the public policy
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
