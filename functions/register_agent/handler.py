"""POST /agents: register an agent; its bearer token is returned once. POST /api/agent/register is
the same registration in the seed's shape (the compatibility API)."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from cashback import agents
from cashback.api import compat, http
from cashback.models import CompatRegisterRequest, RegisterAgentRequest, RegisteredAgent
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.post(
    "/agents",
    summary="Register an agent",
    description="Anonymous, limited per source IP. The token in the answer is shown once.",
    tags=["Agents"],
    responses=http.responses("Registered; the token is shown only here", status=201, authorized=False),
)
def register_agent(request: RegisterAgentRequest) -> Response[RegisteredAgent]:
    return Response(status_code=201, content_type="application/json", body=agents.register(request))


@app.post("/api/agent/register", include_in_schema=False)
def compat_register_agent(request: CompatRegisterRequest) -> Response[dict[str, Any]]:
    registered = agents.register(request.registration())
    return Response(status_code=201, content_type="application/json", body=compat.registered(registered))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(anonymous_policy="registration")
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
