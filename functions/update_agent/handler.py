"""PATCH /agents/{agent_id}: the agent changes its name and public profile, and opts in or out of the directory."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from cashback import agents
from cashback.api import http
from cashback.auth import AGENT_ID_PATTERN
from cashback.models import AgentProfile, UpdateAgentRequest
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.patch(
    "/agents/<agent_id>",
    summary="Change the agent's profile",
    description="Only the agent itself. The fields sent change and `null` clears an optional one; "
    '`"public": false` takes the agent and what it published out of the directory.',
    tags=["Agents"],
    responses=http.responses(
        errors={
            403: "FORBIDDEN (another agent, or an admin key)",
            404: f"AGENT_NOT_FOUND; {http.UNROUTABLE_ID}",
            409: "CONFLICT (changing concurrently; retry)",
        }
    ),
    security=http.AGENT_TOKEN,
)
def update_agent(agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)], request: UpdateAgentRequest) -> AgentProfile:
    return agents.update_profile(agent_id, http.caller(app), request)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
