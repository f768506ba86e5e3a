"""GET /agents/{agent_id}/reputation, .../reputation/erc8004 and .../feedback/{author_id}.

Published for agents in the directory only (a private agent answers 404, as an unknown one does).
Anonymous, limited per source IP by the `reputation` policy.
"""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from cashback import reputation
from cashback.api import http
from cashback.auth import AGENT_ID_PATTERN, AUTHOR_ID_PATTERN
from cashback.models import Erc8004Export
from cashback.models import Reputation as ReputationBody
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)

NOT_LISTED = f"AGENT_NOT_FOUND (unknown, or not in the directory); {http.UNROUTABLE_ID}"
PAGE_ERRORS = {400: "INVALID_CURSOR, INVALID_VALUE", 404: NOT_LISTED}


@app.get(
    "/agents/<agent_id>/reputation",
    summary="An agent's reputation",
    description="The score (see the formula in the README), what it was computed from, live feedback counts "
    "per tag, and the live feedback, newest first.",
    tags=["Reputation"],
    responses=http.responses(errors=PAGE_ERRORS, authorized=False),
)
def get_reputation(
    agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> ReputationBody:
    return reputation.reputation(agent_id, limit, cursor)


@app.get(
    "/agents/<agent_id>/reputation/erc8004",
    summary="An agent's feedback as ERC-8004 Reputation Registry entries",
    description="Each live feedback as giveFeedback's arguments, with feedbackURI serving the canonical "
    "feedback file and feedbackHash its keccak-256, for an operator to post on-chain.",
    tags=["Reputation"],
    responses=http.responses(errors=PAGE_ERRORS, authorized=False),
)
def get_erc8004_export(
    agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Erc8004Export:
    return reputation.erc8004_export(agent_id, limit, cursor, http.public_base_url(app))


@app.get(
    "/agents/<agent_id>/feedback/<author_id>",
    summary="A feedback file (ERC-8004 feedbackURI)",
    description="The RFC 8785 canonical JSON whose keccak-256 is the export's feedbackHash, byte for byte.",
    tags=["Reputation"],
    responses={
        **http.responses(errors={404: f"FEEDBACK_NOT_FOUND; {NOT_LISTED}"}, authorized=False),
        200: {"description": "The feedback file", "content": {"application/json": {"schema": {"type": "object"}}}},
    },
)
def get_feedback_file(
    agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)],
    author_id: Annotated[str, Path(pattern=AUTHOR_ID_PATTERN)],
) -> Response[str]:
    body = reputation.feedback_file(agent_id, author_id).decode("utf-8")
    return Response(status_code=200, content_type="application/json", body=body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(anonymous_policy="reputation")
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
