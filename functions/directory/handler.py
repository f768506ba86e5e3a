"""GET /agents: the public directory of agents that opted in, from an index (never a Scan)."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from cashback import directory
from cashback.api import http
from cashback.models import Decimal, DirectoryPage, DirectorySort
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.get(
    "/agents",
    summary="The public agent directory",
    description="Anonymous (per-IP limit). Lists agents registered with `public: true`, and only what they "
    "published. With `query` or `min_reputation` (other than on sort=reputation) a page reads a bounded part "
    "of the index and may come back short with a `next_cursor` to continue.",
    tags=["Directory"],
    responses=http.responses(errors={400: "INVALID_CURSOR, INVALID_VALUE"}, authorized=False),
)
def list_agents(
    query: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    min_reputation: Annotated[Decimal | None, Query(ge=0, le=100)] = None,
    sort: Annotated[DirectorySort, Query()] = DirectorySort.REPUTATION,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> DirectoryPage:
    return directory.listing(query, min_reputation, sort, limit, cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(anonymous_policy="directory")
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
