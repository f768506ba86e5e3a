"""GET /analytics/leaderboard: the top 10 agents by conversions, revenue or searches. GET
/api/analytics/leaderboard is the same with money as JSON numbers (the compatibility API)."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from cashback import analytics
from cashback.api import compat, http
from cashback.models import Currency, Leaderboard, LeaderboardMetric, LeaderboardPeriod
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.get(
    "/analytics/leaderboard",
    summary="The network leaderboard",
    description="Anonymous (per-IP limit). Built by the scheduled rollup; `as_of` says when. Revenue is never "
    "summed across currencies: metric=revenue ranks within `currency` (default USD), and each row shows its "
    "revenue by currency.",
    tags=["Analytics"],
    responses=http.responses(authorized=False),
)
def get_leaderboard(
    metric: Annotated[LeaderboardMetric, Query()] = LeaderboardMetric.CONVERSIONS,
    period: Annotated[LeaderboardPeriod, Query()] = LeaderboardPeriod.WEEK,
    currency: Annotated[Currency, Query(description="ISO 4217 code metric=revenue ranks by")] = "USD",
) -> Leaderboard:
    return analytics.leaderboard(metric, period, currency)


@app.get("/api/analytics/leaderboard", include_in_schema=False)
def compat_leaderboard(
    metric: Annotated[LeaderboardMetric, Query()] = LeaderboardMetric.CONVERSIONS,
    period: Annotated[LeaderboardPeriod, Query()] = LeaderboardPeriod.WEEK,
    currency: Annotated[Currency, Query()] = "USD",
) -> dict[str, Any]:
    return compat.envelope(analytics.leaderboard(metric, period, currency))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(anonymous_policy="public")
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
