"""POST /conversions: signed purchase events from affiliate networks; idempotent, forward-only."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
import time

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths

from cashback import conversions
from cashback.api import http, webhooks
from cashback.models import ConversionEvent, ConversionReceipt
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.post(
    "/conversions",
    summary="Record a conversion (affiliate network webhook)",
    description="Signed with X-Cashback-Signature: t=<unix seconds>,k=<network key id>,"
    "v1=<hex HMAC-SHA256(network secret, '<t>.<raw body>')>. Conversion ids are the network's own: two networks "
    "may use the same id. Repeating a delivery changes nothing and answers the stored state.",
    tags=["Conversions"],
    responses=http.responses(
        "The conversion's state after this delivery",
        {
            401: "SIGNATURE_MISSING, SIGNATURE_MALFORMED, SIGNATURE_UNKNOWN_KEY, SIGNATURE_INVALID or "
            "SIGNATURE_EXPIRED",
            403: "MERCHANT_NOT_ALLOWED (the signing network does not report for the click's merchant)",
            409: "ILLEGAL_TRANSITION or CONVERSION_MISMATCH",
            422: "UNKNOWN_CLICK",
        },
        authorized=False,
    ),
    security=http.WEBHOOK_SIGNATURE,
)
def record_conversion(delivery: ConversionEvent) -> ConversionReceipt:
    return conversions.record(delivery, app.context["signed_by"])


def verify_signature(event: dict) -> None:
    """Before the body is parsed: who signed it (kept for the route), or 401."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    signed_by = webhooks.signer(headers.get(webhooks.SIGNATURE_HEADER.lower()), http.raw_body(event), int(time.time()))
    app.append_context(signed_by=signed_by)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(anonymous_policy="webhook", verify=verify_signature)
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
