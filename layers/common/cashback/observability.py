"""The one Logger, Tracer and Metrics every function and layer module shares.

The Tracer patches botocore, so every AWS call (DynamoDB, KMS, Secrets Manager) is a subsegment on
AWS. It patches nothing else at init: Powertools' default (`patch_all`) imports every library the
X-Ray SDK can patch that is installed (httpx, sqlite3, ...), on every cold start, whether the
function uses it or not. httpx is patched by `trace_httpx`, where a client is made.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()


def trace_httpx() -> None:
    """Trace the httpx clients made from now on (the X-Ray SDK wraps the client's constructor):
    call it before making one. Patches once; nothing when tracing is off."""
    tracer.patch(("httpx",))


__all__ = ["MetricUnit", "logger", "metrics", "trace_httpx", "tracer"]
