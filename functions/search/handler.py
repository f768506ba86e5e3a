"""POST /search: products with cashback for the agent's keywords, filters and sort."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths

from cashback import shopping
from cashback.api import http
from cashback.models import SearchRequest, SearchResponse
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.post(
    "/search",
    summary="Search products with cashback",
    description="Each result's affiliate_link is a fresh tracked link; the search is logged for the agent.",
    tags=["Shopping"],
    responses=http.responses(errors={403: "FORBIDDEN (needs an agent token)"}),
    security=http.AGENT_TOKEN,
)
def search(request: SearchRequest) -> SearchResponse:
    return shopping.run_search(request, http.caller(app), http.public_base_url(app), http.current_request_id(app))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)
