"""Whether the API can serve, for monitors: every table answers (one GetItem each), the rollup's
lag behind its watermark, the upstream catalog's breaker when that source is on, and the version.

A fixed number of requests whatever the data (six GetItems, and one upstream call through the
breaker when CATALOG_SOURCE=upstream). A table that does not answer is a 503 (DYNAMODB_UNAVAILABLE,
every failing table in the details); a lagging rollup or a breaker that is not closed answers 200
with status `degraded`: the API still serves, its analytics or search are behind.
"""

from __future__ import annotations

import contextlib
import time
from typing import Literal

from cashback import clock
from cashback.errors import ApiError
from cashback.models import HealthStatus, RollupHealth, UpstreamHealth
from cashback.models.health import CheckResult
from cashback.settings import get_settings
from cashback.store import health as health_store

# The rollup runs every 5 minutes and leaves the last minutes alone (rollup.CLOSE_GRACE_SECONDS):
# a watermark older than this means runs are failing or falling behind.
ROLLUP_STALE_SECONDS = 15 * 60


def check() -> HealthStatus:
    settings = get_settings()
    state = health_store.check_tables()
    now = int(time.time())
    checks: dict[str, CheckResult] = {"dynamodb": "ok", **dict.fromkeys(health_store.TABLES, "ok")}
    rollup = RollupHealth()
    if state and state.get("watermark"):
        watermark = str(state["watermark"])
        rollup = RollupHealth(watermark=watermark, lag_seconds=now - clock.epoch_of(watermark))
        checks["rollup"] = "stale" if (rollup.lag_seconds or 0) > ROLLUP_STALE_SECONDS else "ok"
    else:
        checks["rollup"] = "not_run"
    upstream = None
    if settings.catalog_source == "upstream":
        upstream = UpstreamHealth(breaker=_upstream_breaker())
        checks["upstream"] = "ok" if upstream.breaker == "closed" else upstream.breaker
    degraded = any(result not in ("ok", "not_run") for result in checks.values())
    return HealthStatus(
        status="degraded" if degraded else "ok",
        version=settings.version,
        stage=settings.stage,
        timestamp=clock.iso(now),
        checks=checks,
        rollup=rollup,
        upstream=upstream,
    )


def _upstream_breaker() -> Literal["closed", "open", "half-open"]:
    """The breaker's state after one probe of the upstream API through it (none while it is open)."""
    # Deferred: httpx and the upstream client load only where CATALOG_SOURCE names them.
    from cashback.catalog.upstream import UpstreamUnavailable, upstream_catalog  # noqa: PLC0415

    try:
        catalog = upstream_catalog()
    except UpstreamUnavailable:
        return "open"
    with contextlib.suppress(ApiError):  # a failure is what the breaker counts; its state is the answer
        catalog.offers("health-probe")
    state = catalog.breaker.state
    return "open" if state == "open" else "half-open" if state == "half-open" else "closed"
