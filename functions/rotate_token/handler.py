"""POST /agents/{agent_id}/token: rotate the agent's token; the old one stops working at once."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from cashback import agents
from cashback.api import http
from cashback.auth import AGENT_ID_PATTERN
from cashback.models import RotatedToken
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.post(
    "/agents/<agent_id>/token",
    summary="Rotate the agent's token",
    tags=["Agents"],
    responses=http.responses(
        errors={403: "FORBIDDEN (another agent's token)", 404: http.UNROUTABLE_ID, 409: "CONFLICT"}
    ),
    security=http.AGENT_TOKEN,
)
def rotate_token(agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)]) -> RotatedToken:
    request_context = app.current_event.request_context
    return agents.rotate_token(
        agent_id, http.caller(app), http.presented_secret(app), request_context.api_id, request_context.stage
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
