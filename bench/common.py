"""What every benchmark shares: the environment, function loading, request counting, percentiles.

Importing this module sets the environment the functions read (tables, quiet Powertools, limits
high enough that the limiter never refuses the benchmark's own calls).
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "common")]

UNLIMITED = [[60, 10**9], [3600, 10**9]]
ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AGENTS_TABLE": "AgentsTable",
    "RATE_LIMIT_TABLE": "RateLimitTable",
    "POWERTOOLS_SERVICE_NAME": "bench",
    "POWERTOOLS_METRICS_NAMESPACE": "Bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    # Rotation's authorizer-cache flush fails under moto (not implemented); the bench measures it
    # anyway, so its warning is not worth a screen of JSON per call.
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    "RATE_LIMITS": json.dumps(
        {name: UNLIMITED for name in ("standard", "registration", "public", "directory", "reputation", "feedback")}
    ),
}
import tests.conftest  # noqa: E402,F401  (sets the test environment first; ENV then overrides it)

os.environ.update(ENV)
logging.getLogger("werkzeug").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", message="No application metrics to publish")


from tests.conftest import clear_cached_clients as reset_clients  # noqa: E402,F401
from tests.conftest import load_function  # noqa: E402,F401


def read_event(path: str) -> dict[str, Any]:
    return json.loads((ROOT / path).read_text())


@dataclass
class DynamoDBCalls:
    requests: Counter[str] = field(default_factory=Counter)  # by operation
    items_read: int = 0  # items Query read (ScannedCount): what DynamoDB reads and bills


@contextmanager
def counted_requests() -> Iterator[DynamoDBCalls]:
    """DynamoDB requests made inside the block, counted with botocore event hooks."""
    from cashback.store import dynamo

    calls = DynamoDBCalls()

    def request(model: Any, **_: Any) -> None:
        calls.requests[model.name] += 1

    def response(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":  # items read before any filter: what a filtered Query bills too
            calls.items_read += int(parsed.get("ScannedCount", parsed.get("Count", 0)))

    events = dynamo.dynamodb().meta.events
    events.register("before-call.dynamodb", request, unique_id="bench-requests")
    events.register("after-call.dynamodb", response, unique_id="bench-items")
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", unique_id="bench-requests")
        events.unregister("after-call.dynamodb", unique_id="bench-items")


def describe(calls: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(calls.items())) or "none"


def timed(call: Callable[[], Any], iterations: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds over `iterations` calls."""
    timings = []
    with open(os.devnull, "w") as quiet, redirect_stdout(quiet):  # Powertools' EMF lines
        for _ in range(iterations):
            start = time.perf_counter()
            call()
            timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), statistics.quantiles(timings, n=20)[-1]


def invoke(function: Any, event: dict[str, Any]) -> dict[str, Any]:
    from tests.apigw import LambdaContext

    result: dict[str, Any] = function.lambda_handler(event, LambdaContext())
    return result
