"""POST and DELETE /agents/{agent_id}/feedback, POST /agents/{agent_id}/feedback/{author_id}/response.

One live feedback per author and subject, given by an agent (never about itself) or an admin key
with feedback:write; the subject may reply. Limited per caller by the `feedback` policy.
"""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from cashback import reputation
from cashback.api import http
from cashback.auth import AGENT_ID_PATTERN, AUTHOR_ID_PATTERN
from cashback.models import Feedback, FeedbackRequest, FeedbackResponseRequest, FeedbackRevoked
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)

SUBJECT_ERRORS = {
    403: "FORBIDDEN (an admin key without feedback:write), SELF_FEEDBACK",
    404: f"AGENT_NOT_FOUND, FEEDBACK_NOT_FOUND; {http.UNROUTABLE_ID}",
    409: "CONFLICT (changing concurrently; retry)",
}


@app.post(
    "/agents/<agent_id>/feedback",
    summary="Give or replace your feedback about an agent",
    description="Creates your feedback (201) or replaces it in place (200): one live feedback per author "
    "and agent. Counts toward the agent's reputation from the next rollup.",
    tags=["Reputation"],
    responses={
        **http.responses("Replaced", errors=SUBJECT_ERRORS),
        201: {"description": "Created", "content": {"application/json": {"model": Feedback}}},
    },
    security=http.AGENT_OR_ADMIN,
)
def give_feedback(
    agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)], request: FeedbackRequest
) -> Response[Feedback]:
    feedback, created = reputation.give(agent_id, http.caller(app), request)
    return Response(status_code=201 if created else 200, content_type="application/json", body=feedback)


@app.delete(
    "/agents/<agent_id>/feedback",
    summary="Revoke your feedback about an agent",
    tags=["Reputation"],
    responses=http.responses("Revoked", errors=SUBJECT_ERRORS),
    security=http.AGENT_OR_ADMIN,
)
def revoke_feedback(agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)]) -> FeedbackRevoked:
    caller = http.caller(app)
    reputation.revoke(agent_id, caller)
    return FeedbackRevoked(subject_id=agent_id, author_id=str(caller.principal_id))


@app.post(
    "/agents/<agent_id>/feedback/<author_id>/response",
    summary="Reply publicly to a feedback about you",
    description="Only the agent the feedback is about. Replies are appended (at most 10 per feedback).",
    tags=["Reputation"],
    responses=http.responses(
        "Replied; the feedback with its replies",
        status=201,
        errors={
            403: "FORBIDDEN (not the agent the feedback is about)",
            404: f"FEEDBACK_NOT_FOUND; {http.UNROUTABLE_ID}",
            409: "TOO_MANY_REPLIES",
        },
    ),
    security=http.AGENT_TOKEN,
)
def reply_to_feedback(
    agent_id: Annotated[str, Path(pattern=AGENT_ID_PATTERN)],
    author_id: Annotated[str, Path(pattern=AUTHOR_ID_PATTERN)],
    request: FeedbackResponseRequest,
) -> Response[Feedback]:
    feedback = reputation.reply(agent_id, author_id, http.caller(app), request)
    return Response(status_code=201, content_type="application/json", body=feedback)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(endpoint_policy="feedback")
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
