"""Scheduled (EventBridge, every 5 minutes): roll activity events up into analytics read models."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from dataclasses import asdict

from aws_lambda_powertools.utilities.typing import LambdaContext

from cashback import rollup
from cashback.observability import logger, metrics, tracer


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    report = rollup.run(remaining_ms=context.get_remaining_time_in_millis)
    logger.info("rollup finished", extra=asdict(report))
    return asdict(report)


init_phase.finished()
