"""Scheduled (EventBridge, every minute): deliver new activity events and due retries to agents' webhooks."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from dataclasses import asdict

from aws_lambda_powertools.utilities.typing import LambdaContext

from cashback import notify
from cashback.observability import logger, metrics, tracer


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    report = notify.run()
    logger.info("webhook deliveries finished", extra=asdict(report))
    return asdict(report)


init_phase.finished()
