"""GET /health, for monitors: every table, the rollup's lag, the upstream breaker (when on), the version."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths

from cashback import health as health_check
from cashback.api import http
from cashback.models import HealthStatus
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.get(
    "/health",
    summary="Health of the API and its dependencies",
    tags=["Operations"],
    description="Every table answers (else 503 DYNAMODB_UNAVAILABLE naming them), the rollup's lag behind its "
    "watermark, the upstream catalog's breaker when that source is on. Limited per IP apart from the public routes.",
    responses=http.responses("The API serves (status ok, or degraded with the reason in checks)", authorized=False),
)
def health() -> HealthStatus:
    return health_check.check()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(anonymous_policy="health")
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
