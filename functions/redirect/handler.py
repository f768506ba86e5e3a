"""GET /r/{click_id}: record the click and send the shopper to the merchant (302)."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from cashback import clicks
from cashback.api import http
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.get(
    "/r/<click_id>",
    summary="Follow an affiliate link",
    description="Anonymous: limited per click id, with a much higher per-IP ceiling (shoppers share addresses). "
    "Redirects only to the merchant URL stored with the click, even when counting the click fails.",
    tags=["Shopping"],
    responses=http.responses(
        "To the merchant (Location)", {404: f"CLICK_NOT_FOUND; {http.UNROUTABLE_ID}"}, status=302, authorized=False
    ),
)
def follow(click_id: Annotated[str, Path(pattern=clicks.CLICK_ID_PATTERN)]) -> Response[None]:
    target = clicks.follow(click_id)
    return Response(status_code=302, headers={"Location": target, "Referrer-Policy": "no-referrer"}, body="")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(anonymous_policy="redirect", per_resource=("click", "click_id"))
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
