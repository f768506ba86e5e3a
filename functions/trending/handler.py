"""GET /analytics/trending: the most searched products and keywords, and the top merchants. GET
/api/analytics/trending is the same with money as JSON numbers (the compatibility API)."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from cashback import analytics
from cashback.api import compat, http
from cashback.models import Trending
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.get(
    "/analytics/trending",
    summary="Trending products, keywords and merchants",
    description="Anonymous (per-IP limit). Built by the scheduled rollup; `as_of` says when.",
    tags=["Analytics"],
    responses=http.responses(authorized=False),
)
def get_trending(days: Annotated[int, Query(ge=1, le=30)] = 7) -> Trending:
    return analytics.trending(days)


@app.get("/api/analytics/trending", include_in_schema=False)
def compat_trending(days: Annotated[int, Query(ge=1, le=30)] = 7) -> dict[str, Any]:
    return compat.envelope(analytics.trending(days))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(anonymous_policy="public")
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
