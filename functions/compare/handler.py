"""GET /compare: one product across merchants, best cashback first. GET /api/agent/compare is the
same comparison with money as JSON numbers (the compatibility API)."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from cashback import shopping
from cashback.api import compat, http
from cashback.auth import AGENT_ID_PATTERN
from cashback.models import CompareResponse
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.get(
    "/compare",
    summary="Compare one product's cashback across merchants",
    tags=["Shopping"],
    responses=http.responses(errors={403: "FORBIDDEN (needs an agent token)", 404: "PRODUCT_NOT_FOUND"}),
    security=http.AGENT_TOKEN,
)
def compare(
    product_name: Annotated[str, Query(min_length=1, max_length=200)],
    max_merchants: Annotated[int, Query(ge=1, le=20)] = 5,
    agent_id: Annotated[str | None, Query(pattern=AGENT_ID_PATTERN)] = None,
) -> CompareResponse:
    return shopping.run_compare(product_name, max_merchants, http.caller(app), http.public_base_url(app), agent_id)


@app.get("/api/agent/compare", include_in_schema=False)
def compat_compare(
    product_name: Annotated[str, Query(min_length=1, max_length=200)],
    max_merchants: Annotated[int, Query(ge=1, le=20)] = 5,
    agent_id: Annotated[str | None, Query(pattern=AGENT_ID_PATTERN)] = None,
) -> dict[str, Any]:
    return compat.envelope(
        shopping.run_compare(product_name, max_merchants, http.caller(app), http.public_base_url(app), agent_id)
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
