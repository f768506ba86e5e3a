"""GET /agents/{agent_id}: the agent's profile, for that agent or an admin key with agents:read."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from cashback import agents
from cashback.api import http
from cashback.auth import AGENT_ID_PATTERN
from cashback.models import AgentProfile
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.get(
    "/agents/<agent_id>",
    summary="An agent's profile",
    tags=["Agents"],
    responses=http.responses(
        errors={403: "FORBIDDEN (another agent, or no agents:read)", 404: f"AGENT_NOT_FOUND; {http.UNROUTABLE_ID}"}
    ),
    security=http.AGENT_OR_ADMIN,
)
def get_agent(agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)]) -> AgentProfile:
    return agents.profile(agent_id, http.caller(app))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
