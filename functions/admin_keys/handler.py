"""/admin/keys: operators list admin keys (never their secrets) and revoke them at once."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from cashback import admin_keys
from cashback.api import http
from cashback.auth import ADMIN_KEY_ID_PATTERN
from cashback.models import AdminKey, AdminKeyPage
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.get(
    "/admin/keys",
    summary="List admin keys",
    description="Name, scopes, created, expiry, last use and revocation of each key; never the key itself.",
    tags=["Operators"],
    responses=http.responses(errors={403: "FORBIDDEN (no keys:read or keys:write scope)"}),
    security=http.ADMIN_KEY,
)
def list_admin_keys(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> AdminKeyPage:
    return admin_keys.list_keys(http.caller(app), limit, cursor)


@app.delete(
    "/admin/keys/<key_id>",
    summary="Revoke an admin key",
    description="The key is refused from the next request on (the authorizer cache is flushed).",
    tags=["Operators"],
    responses=http.responses(
        errors={403: "FORBIDDEN (no keys:write scope)", 404: f"ADMIN_KEY_NOT_FOUND; {http.UNROUTABLE_ID}"}
    ),
    security=http.ADMIN_KEY,
)
def revoke_admin_key(key_id: Annotated[str, Path(pattern=ADMIN_KEY_ID_PATTERN)]) -> AdminKey:
    context = app.current_event.request_context
    return admin_keys.revoke(key_id, http.caller(app), context.api_id, context.stage)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
