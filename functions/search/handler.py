"""POST /search: products with cashback for the agent's keywords, filters and sort. GET
/api/agent/search is the same search in the seed's shape (the compatibility API)."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from cashback import shopping
from cashback.api import compat, http
from cashback.auth import AGENT_ID_PATTERN
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


@app.get("/api/agent/search", include_in_schema=False)
def compat_search(
    keywords: Annotated[str, Query(min_length=1, max_length=200)],
    size: Annotated[int, Query(ge=1, le=50)] = 10,
    agent_id: Annotated[str | None, Query(pattern=AGENT_ID_PATTERN)] = None,
) -> dict[str, Any]:
    request = SearchRequest(keywords=keywords, limit=size)
    caller = http.caller(app)
    answer = shopping.run_search(
        request, caller, http.public_base_url(app), http.current_request_id(app), on_behalf_of=agent_id
    )
    return compat.search(answer, caller.agent_id)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
