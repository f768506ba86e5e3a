"""GET /agents/{agent_id}/analytics: recent searches, a 30-day timeline, top brands and merchants.
GET /api/agent/{agent_id}/analytics is the same with money as JSON numbers (the compatibility API)."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from cashback import analytics
from cashback.api import compat, http
from cashback.auth import AGENT_ID_PATTERN
from cashback.models import AgentAnalytics
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.get(
    "/agents/<agent_id>/analytics",
    summary="The agent's analytics",
    tags=["Analytics"],
    responses=http.responses(
        errors={403: "FORBIDDEN (another agent's data, or no analytics:read scope)", 404: http.UNROUTABLE_ID}
    ),
    security=http.AGENT_OR_ADMIN,
)
def agent_analytics(agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)]) -> AgentAnalytics:
    return analytics.analytics(agent_id, http.caller(app))


@app.get("/api/agent/<agent_id>/analytics", include_in_schema=False)
def compat_agent_analytics(agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)]) -> dict[str, Any]:
    return compat.envelope(analytics.analytics(agent_id, http.caller(app)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
