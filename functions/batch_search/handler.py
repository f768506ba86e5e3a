"""POST /search/batch: up to 10 searches in one call; each counts against the rate limit."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths

from cashback import shopping
from cashback.api import http
from cashback.models import BatchSearchRequest, BatchSearchResponse
from cashback.observability import logger, metrics, tracer

MAX_SEARCHES = 10

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.post(
    "/search/batch",
    summary="Run up to 10 searches at once",
    description="Each search gets its own results or its own error. A batch of N searches uses N requests of "
    "the rate limit.",
    tags=["Shopping"],
    responses=http.responses(errors={403: "FORBIDDEN (needs an agent token)"}),
    security=http.AGENT_TOKEN,
)
def batch_search(request: BatchSearchRequest) -> BatchSearchResponse:
    return shopping.run_batch(
        request.searches, http.caller(app), http.public_base_url(app), http.current_request_id(app)
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(cost=http.counted_items("searches", MAX_SEARCHES))
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
