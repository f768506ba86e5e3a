"""The health check's answer: what each dependency reported."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cashback.models.common import ApiModel

CheckResult = Literal["ok", "unavailable", "stale", "not_run", "open", "half-open"]


class RollupHealth(ApiModel):
    watermark: str | None = Field(default=None, description="every event before it is in the analytics")
    lag_seconds: int | None = Field(default=None, description="now minus the watermark; null before the first run")


class UpstreamHealth(ApiModel):
    breaker: Literal["closed", "open", "half-open"] = Field(description="the upstream catalog's circuit breaker")


class HealthStatus(ApiModel):
    status: Literal["ok", "degraded"] = Field(
        description="degraded: the API serves, but the rollup lags or the upstream catalog's breaker is not closed"
    )
    version: str
    stage: str
    timestamp: str = Field(description="UTC ISO 8601, when the checks ran")
    checks: dict[str, CheckResult] = Field(
        description="dynamodb (every table answers), each table by its setting name, rollup, upstream (when on)"
    )
    rollup: RollupHealth
    upstream: UpstreamHealth | None = None
