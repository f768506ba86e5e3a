"""GET /agents/{agent_id}/stats: the agent's totals (one DynamoDB request). GET
/api/agent/{agent_id}/stats is the same in the seed's shape, with the profile (one more request)."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from cashback import agents, analytics
from cashback.api import compat, http
from cashback.auth import AGENT_ID_PATTERN
from cashback.models import AgentStats
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.get(
    "/agents/<agent_id>/stats",
    summary="The agent's totals",
    tags=["Analytics"],
    responses=http.responses(
        errors={403: "FORBIDDEN (another agent's data, or no analytics:read scope)", 404: http.UNROUTABLE_ID}
    ),
    security=http.AGENT_OR_ADMIN,
)
def agent_stats(agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)]) -> AgentStats:
    return analytics.stats(agent_id, http.caller(app))


@app.get("/api/agent/<agent_id>/stats", include_in_schema=False)
def compat_agent_stats(agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)]) -> dict[str, Any]:
    # Two use cases, so an admin key needs analytics:read and agents:read.
    caller = http.caller(app)
    return compat.stats(analytics.stats(agent_id, caller), agents.profile(agent_id, caller))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
