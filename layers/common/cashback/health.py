"""Whether the API can serve: its database answers (one cheap read), and which version runs."""

from __future__ import annotations

from cashback.models import HealthStatus
from cashback.settings import get_settings
from cashback.store import agents as agent_store


def check() -> HealthStatus:
    """OK when DynamoDB answers; DYNAMODB_UNAVAILABLE (503) otherwise."""
    agent_store.ping()
    settings = get_settings()
    return HealthStatus(status="ok", version=settings.version, stage=settings.stage, checks={"dynamodb": "ok"})
