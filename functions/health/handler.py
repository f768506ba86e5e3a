"""GET /health: DynamoDB reachability and the deployed version."""

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
    responses=http.responses("All dependencies answer", authorized=False),
)
def health() -> HealthStatus:
    return health_check.check()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(anonymous_policy="public")
def lambda_handler(event, context):
    return app.resolve(event, context)
