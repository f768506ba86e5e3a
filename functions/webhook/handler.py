"""/agents/{agent_id}/webhook: the agent's webhook, its signing secret and its failed deliveries."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from cashback import notify
from cashback.api import http
from cashback.auth import AGENT_ID_PATTERN
from cashback.models import Deleted, FailedDeliveryPage, ReplayResult, Webhook, WebhookRequest
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)

AgentIdPath = Annotated[str, Path(pattern=AGENT_ID_PATTERN)]
NOT_YOURS = {403: "FORBIDDEN (another agent's token, or an admin key)"}
FORBIDDEN_TARGET = {422: "WEBHOOK_TARGET_FORBIDDEN (not https, or a private, loopback or link-local host)"}
NO_WEBHOOK = {**NOT_YOURS, 404: f"WEBHOOK_NOT_FOUND; {http.UNROUTABLE_ID}"}


@app.put(
    "/agents/<agent_id>/webhook",
    summary="Register or move the agent's webhook",
    description=(
        "The agent is told by POST to this URL when a conversion is pending, confirmed or refunded, and when "
        "feedback about it is received. The first registration answers 201 with the signing secret, shown only "
        "then; moving the URL keeps the secret. The host must resolve to public addresses only."
    ),
    tags=["Webhooks"],
    responses={
        **http.responses(
            "Registered; the secret is shown only here",
            status=201,
            errors={**NOT_YOURS, **FORBIDDEN_TARGET, 404: http.UNROUTABLE_ID},
        ),
        200: {"description": "Moved to the new URL; the secret is kept and not shown"},
    },
    security=http.AGENT_TOKEN,
)
def put_webhook(agent_id: AgentIdPath, request: WebhookRequest) -> Response[Webhook]:
    webhook, created = notify.set_webhook(agent_id, http.caller(app), request)
    return Response(status_code=201 if created else 200, content_type="application/json", body=webhook)


@app.get(
    "/agents/<agent_id>/webhook",
    summary="Read the agent's webhook",
    tags=["Webhooks"],
    responses=http.responses(errors=NO_WEBHOOK),
    security=http.AGENT_TOKEN,
)
def get_webhook(agent_id: AgentIdPath) -> Webhook:
    return notify.get_webhook(agent_id, http.caller(app))


@app.delete(
    "/agents/<agent_id>/webhook",
    summary="Delete the agent's webhook",
    description="Deliveries stop at once; queued retries to it are dropped.",
    tags=["Webhooks"],
    responses=http.responses(errors=NO_WEBHOOK),
    security=http.AGENT_TOKEN,
)
def delete_webhook(agent_id: AgentIdPath) -> Deleted:
    notify.delete_webhook(agent_id, http.caller(app))
    return Deleted(deleted=agent_id)


@app.post(
    "/agents/<agent_id>/webhook/secret",
    summary="Rotate the webhook's signing secret",
    description="The new secret is shown only here; for a day, deliveries carry a second v1= signature made "
    "with the previous one, so a receiver can switch without losing a delivery.",
    tags=["Webhooks"],
    responses=http.responses(errors=NO_WEBHOOK),
    security=http.AGENT_TOKEN,
)
def rotate_secret(agent_id: AgentIdPath) -> Webhook:
    return notify.rotate_secret(agent_id, http.caller(app))


@app.get(
    "/agents/<agent_id>/webhook/failures",
    summary="List deliveries that failed every retry",
    tags=["Webhooks"],
    responses=http.responses(errors={**NOT_YOURS, 404: http.UNROUTABLE_ID}),
    security=http.AGENT_TOKEN,
)
def list_failures(
    agent_id: AgentIdPath,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> FailedDeliveryPage:
    return notify.failed_deliveries(agent_id, http.caller(app), limit, cursor)


@app.post(
    "/agents/<agent_id>/webhook/failures/replay",
    summary="Replay failed deliveries",
    description="Queues up to 100 failed deliveries (oldest first) for the next delivery run, within a minute, "
    "each with a fresh set of retries and its original body and id.",
    tags=["Webhooks"],
    responses=http.responses(errors=NO_WEBHOOK),
    security=http.AGENT_TOKEN,
)
def replay(agent_id: AgentIdPath) -> ReplayResult:
    return notify.replay(agent_id, http.caller(app))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
