"""Typed Python client (sync and async) for the cashback API, and the `cashback` command.

    from cashback_client import CashbackClient

    with CashbackClient("http://127.0.0.1:3000", token) as api:
        page = api.search("running shoes", max_price=150)
        print(page.results[0].cashback_amount, api.last_rate_limit.remaining)

The response models (`cashback_client.models`) are generated from the API's OpenAPI document.
"""

from cashback_client import models
from cashback_client._core import DEFAULT_BASE_URL, Retry, RetryPolicy, SearchOptions, __version__
from cashback_client.client import AsyncCashbackClient, CashbackClient
from cashback_client.errors import (
    BadResponseError,
    CashbackError,
    ConflictError,
    ConnectionFailedError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    UnavailableError,
)
from cashback_client.ratelimit import RateLimit, RateLimitWindow

__all__ = [
    "DEFAULT_BASE_URL",
    "AsyncCashbackClient",
    "BadResponseError",
    "CashbackClient",
    "CashbackError",
    "ConflictError",
    "ConnectionFailedError",
    "ForbiddenError",
    "InvalidRequestError",
    "NotFoundError",
    "RateLimit",
    "RateLimitWindow",
    "RateLimitedError",
    "Retry",
    "RetryPolicy",
    "SearchOptions",
    "ServerError",
    "UnauthorizedError",
    "UnavailableError",
    "__version__",
    "models",
]
