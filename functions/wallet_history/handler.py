"""GET /agents/{agent_id}/wallet-history: every change of the agent's payout wallet, newest first."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from cashback import agents
from cashback.api import http
from cashback.auth import AGENT_ID_PATTERN
from cashback.models import WalletHistory
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.get(
    "/agents/<agent_id>/wallet-history",
    summary="The agent's wallet changes, newest first",
    description="Payouts follow the wallet, so each change of wallet_address or crypto_preference is kept here.",
    tags=["Agents"],
    responses=http.responses(
        errors={
            403: "FORBIDDEN (another agent's data, or no agents:read scope)",
            404: f"AGENT_NOT_FOUND; {http.UNROUTABLE_ID}",
        }
    ),
    security=http.AGENT_OR_ADMIN,
)
def wallet_history(
    agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> WalletHistory:
    return agents.wallet_history(agent_id, http.caller(app), limit, cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
