"""The floor a Powertools function starts from (bench.foundation's cold starts): a resolver with
validation, Logger, Metrics, Tracer and one pydantic model, nothing of this project's."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import BaseModel

logger, metrics, tracer = Logger(), Metrics(namespace="Floor"), Tracer()
app = APIGatewayRestResolver(enable_validation=True)


class Health(BaseModel):
    status: str


@app.get("/health")
def health() -> Health:
    return Health(status="ok")


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
