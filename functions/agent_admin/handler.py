"""Operators act on an agent (scope agents:write): change its plan, suspend, reinstate, delete."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from cashback import agents
from cashback.api import http
from cashback.auth import AGENT_ID_PATTERN
from cashback.models import AgentDeleted, AgentProfile, ChangePlanRequest
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)

AgentIdPath = Annotated[str, Path(pattern=AGENT_ID_PATTERN)]
ERRORS = {
    403: "FORBIDDEN (no agents:write scope)",
    404: f"AGENT_NOT_FOUND; {http.UNROUTABLE_ID}",
    409: "CONFLICT (changing concurrently; retry)",
}


@app.put(
    "/agents/<agent_id>/plan",
    summary="Change the agent's plan",
    description="The new plan's rate limits apply from the agent's next request (the authorizer cache is flushed).",
    tags=["Operators"],
    responses=http.responses(errors=ERRORS),
    security=http.ADMIN_KEY,
)
def change_plan(agent_id: AgentIdPath, request: ChangePlanRequest) -> AgentProfile:
    context = app.current_event.request_context
    return agents.change_plan(agent_id, http.caller(app), request, context.api_id, context.stage)


@app.post(
    "/agents/<agent_id>/suspend",
    summary="Suspend the agent",
    description="From its next request the agent's token gets 403 AGENT_SUSPENDED; its links keep redirecting "
    "and its conversions keep counting.",
    tags=["Operators"],
    responses=http.responses(errors=ERRORS),
    security=http.ADMIN_KEY,
)
def suspend(agent_id: AgentIdPath) -> AgentProfile:
    context = app.current_event.request_context
    return agents.suspend(agent_id, http.caller(app), context.api_id, context.stage)


@app.post(
    "/agents/<agent_id>/reinstate",
    summary="Reinstate a suspended agent",
    tags=["Operators"],
    responses=http.responses(errors=ERRORS),
    security=http.ADMIN_KEY,
)
def reinstate(agent_id: AgentIdPath) -> AgentProfile:
    context = app.current_event.request_context
    return agents.reinstate(agent_id, http.caller(app), context.api_id, context.stage)


@app.delete(
    "/agents/<agent_id>",
    summary="Delete the agent (erase its personal data)",
    description="Erases the profile, the token and the directory entry and the wallet history; conversions, "
    "totals and analytics stay under the agent id, now a tombstone. The erasure path for personal data.",
    tags=["Operators"],
    responses=http.responses(errors=ERRORS),
    security=http.ADMIN_KEY,
)
def delete(agent_id: AgentIdPath) -> AgentDeleted:
    context = app.current_event.request_context
    return agents.delete(agent_id, http.caller(app), context.api_id, context.stage)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
