"""The TOKEN authorizer: a bearer secret (agent token or admin key) to principal, plan and scopes.

API Gateway caches the answer per token for AuthorizerCacheSeconds, so the policy allows every
route of the stage; each function then checks what this particular caller may do.
"""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    APIGatewayAuthorizerTokenEvent,
)

from cashback import agents
from cashback.auth import bearer_secret
from cashback.observability import logger, metrics, tracer


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=APIGatewayAuthorizerTokenEvent)
def lambda_handler(event: APIGatewayAuthorizerTokenEvent, context):
    secret = bearer_secret(event.authorization_token)
    caller = agents.caller_for_secret(secret) if secret else None
    if caller is None or caller.principal_id is None:
        raise Exception("Unauthorized")  # API Gateway's contract for a 401
    arn = event.parsed_arn
    policy = APIGatewayAuthorizerResponse(
        principal_id=caller.principal_id,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        context=caller.authorizer_context(),
    )
    policy.allow_all_routes()
    return policy.asdict()


init_phase.finished()
