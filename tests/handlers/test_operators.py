"""What a cached authorizer decision cannot outlive: a suspension and an admin key's expiry.

API Gateway may hand a function a decision made minutes ago. Suspension flushes that cache (HTTP
tests in tests/integration/test_operators.py); an expiry is a moment nobody flushes at, so every
function compares it with the clock itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scripts.admin_key import expiry
from tests.apigw import LambdaContext, admin_authorizer, agent_authorizer, api_event
from tests.handlers.conftest import error_code, get_agent_fn, register

NOW = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)


def _profile_read(agent_id: str, authorizer: dict[str, str]) -> dict:
    event = api_event(
        "GET",
        f"/agents/{agent_id}",
        resource="/agents/{agent_id}",
        path_parameters={"agent_id": agent_id},
        authorizer=authorizer,
    )
    return get_agent_fn.lambda_handler(event, LambdaContext())


def test_a_cached_decision_for_an_admin_key_past_its_expiry_is_401(aws: None) -> None:
    agent = register()
    expired = {**admin_authorizer("adm_EXPIREDkey01", "agents:read"), "expires_at": "2020-01-01T00:00:00Z"}
    response = _profile_read(agent["agent_id"], expired)
    assert response["statusCode"] == 401
    assert error_code(response) == "UNAUTHORIZED"


def test_an_admin_key_before_its_expiry_is_served(aws: None) -> None:
    agent = register()
    valid = {**admin_authorizer("adm_VALIDkey0001", "agents:read"), "expires_at": "2999-01-01T00:00:00Z"}
    assert _profile_read(agent["agent_id"], valid)["statusCode"] == 200


def test_a_suspended_agents_decision_is_403_agent_suspended(aws: None) -> None:
    agent = register()
    suspended = {**agent_authorizer(agent["agent_id"]), "standing": "suspended"}
    response = _profile_read(agent["agent_id"], suspended)
    assert response["statusCode"] == 403
    assert error_code(response) == "AGENT_SUSPENDED"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("30d", NOW + timedelta(days=30)),
        ("12h", NOW + timedelta(hours=12)),
        ("2027-01-31T00:00:00Z", datetime(2027, 1, 31, tzinfo=UTC)),
    ],
)
def test_make_admin_key_expires_takes_days_hours_or_a_utc_time(given: str, expected: datetime) -> None:
    assert expiry(given, NOW) == expected.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("given", ["2020-01-01T00:00:00Z", "2027-01-31T00:00:00", "soon", "0h"])
def test_make_admin_key_refuses_an_expiry_in_the_past_without_a_zone_or_unreadable(given: str) -> None:
    with pytest.raises(ValueError, match="--expires"):
        expiry(given, NOW)
