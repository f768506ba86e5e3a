"""The upstream product API as a product source (httpx), built to fail fast.

Contract expected of the upstream (documented in the README):
  GET {UPSTREAM_BASE_URL}/v1/products/search?q=<words>&limit=<n>   → {"products": [UpstreamProduct, ...]}
  GET {UPSTREAM_BASE_URL}/v1/products/offers?match_key=<key>        → {"products": [UpstreamProduct, ...]}
with the key in `X-Api-Key`. Timeouts on every call; up to two retries with exponential backoff
and full jitter, on 5xx, timeouts and connection errors only; a circuit breaker that stops
calling after consecutive failures and lets one trial call through after a cool-down. When the
upstream is down, callers get 503 UPSTREAM_UNAVAILABLE within REQUEST_BUDGET_SECONDS: every
attempt's timeout and every backoff is cut to what is left of it, so retries never add up past it
(and once the breaker is open, at once).
"""

from __future__ import annotations

import random
import threading
import time
from functools import lru_cache
from typing import Annotated, Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cashback.catalog.interface import CANDIDATES_PER_TOKEN, OFFERS_PER_PRODUCT, Candidates, Listing, listing_for
from cashback.errors import ApiError
from cashback.models import Product
from cashback.observability import MetricUnit, logger, metrics, trace_httpx
from cashback.settings import get_settings

MAX_RETRIES = 2
BACKOFF_BASE_SECONDS = 0.1
BACKOFF_CAP_SECONDS = 1.0
FAILURES_TO_OPEN = 5
OPEN_SECONDS = 30.0
# The most one read of the upstream may take, attempts and backoff included (a search makes one).
REQUEST_BUDGET_SECONDS = 0.8


class UpstreamUnavailable(ApiError):
    status = 503
    code = "UPSTREAM_UNAVAILABLE"
    default_message = "The product source is unavailable; retry later."


class UpstreamBadResponse(ApiError):
    status = 502
    code = "UPSTREAM_BAD_RESPONSE"
    default_message = "The product source answered with something this API cannot read."


class UpstreamProduct(Product):
    model_config = ConfigDict(extra="ignore")

    merchant_name: Annotated[str, Field(min_length=1, max_length=120)]
    subid_param: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,32}$")] = "subid"


class UpstreamPage(BaseModel):
    products: list[UpstreamProduct]


class _Retryable(Exception):
    pass


class CircuitBreaker:
    """Closed → open after N consecutive failures → half-open (one trial) after a cool-down."""

    def __init__(self, failures_to_open: int = FAILURES_TO_OPEN, open_seconds: float = OPEN_SECONDS) -> None:
        self.failures_to_open = failures_to_open
        self.open_seconds = open_seconds
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half-open" if time.monotonic() - self._opened_at >= self.open_seconds else "open"

    def allow(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return True
            if time.monotonic() - self._opened_at < self.open_seconds or self._trial_running:
                return False
            self._trial_running = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._trial_running = 0, None, False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_running = False
            if self._opened_at is not None or self._failures >= self.failures_to_open:
                self._opened_at = time.monotonic()


class UpstreamCatalog:
    def __init__(self, base_url: str, api_key: str | None, timeout_seconds: float, breaker: CircuitBreaker) -> None:
        self.breaker = breaker
        trace_httpx()
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_seconds, connect=min(1.0, timeout_seconds)),
            headers={"X-Api-Key": api_key} if api_key else {},
        )

    def candidates(self, query_tokens: list[str]) -> Candidates:
        page = self._get("/v1/products/search", {"q": " ".join(query_tokens), "limit": CANDIDATES_PER_TOKEN})
        return Candidates([_listing(p) for p in page.products], truncated=len(page.products) >= CANDIDATES_PER_TOKEN)

    def offers(self, match_key: str) -> list[Listing]:
        page = self._get("/v1/products/offers", {"match_key": match_key, "limit": OFFERS_PER_PRODUCT})
        return [_listing(p) for p in page.products]

    def _get(self, path: str, params: dict[str, Any]) -> UpstreamPage:
        if not self.breaker.allow():
            metrics.add_metric(name="UpstreamCircuitOpen", unit=MetricUnit.Count, value=1)
            raise UpstreamUnavailable(details={"reason": "circuit_open"})
        try:
            response = self._get_with_retries(path, params)
            page = UpstreamPage.model_validate_json(response.content)
        except _Retryable as exc:
            self.breaker.record_failure()
            logger.warning("upstream unavailable", extra={"path": path, "reason": str(exc)})
            metrics.add_metric(name="UpstreamFailure", unit=MetricUnit.Count, value=1)
            raise UpstreamUnavailable(details={"reason": str(exc)}) from exc
        except (ValidationError, ValueError) as exc:
            self.breaker.record_failure()
            logger.warning("upstream answered malformed data", extra={"path": path})
            raise UpstreamBadResponse() from exc
        self.breaker.record_success()
        return page

    def _get_with_retries(self, path: str, params: dict[str, Any]) -> httpx.Response:
        deadline = time.monotonic() + REQUEST_BUDGET_SECONDS
        reason = "no time left in the request budget"
        for attempt in range(MAX_RETRIES + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            timeout = self._client.timeout
            try:
                response = self._client.get(
                    path,
                    params=params,
                    timeout=httpx.Timeout(min(timeout.read or left, left), connect=min(timeout.connect or left, left)),
                )
            except httpx.TimeoutException as exc:
                reason = f"timeout ({type(exc).__name__})"
            except httpx.TransportError as exc:
                reason = f"connection failed ({type(exc).__name__})"
            else:
                if response.status_code < 500:
                    if response.status_code >= 400:
                        raise ValueError(f"upstream refused the request: HTTP {response.status_code}")
                    return response
                reason = f"HTTP {response.status_code}"
            if attempt < MAX_RETRIES:
                backoff = random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))  # noqa: S311
                time.sleep(max(0.0, min(backoff, deadline - time.monotonic())))
        raise _Retryable(reason)


def _listing(product: UpstreamProduct) -> Listing:
    return listing_for(product, product.merchant_name, product.subid_param)


def _api_key() -> str | None:
    settings = get_settings()
    if settings.upstream_api_key_parameter:
        # Deferred: only a deployment keeping the key in SSM pays for the parameters utility.
        from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415

        return str(parameters.get_parameter(settings.upstream_api_key_parameter, decrypt=True, max_age=300))
    return settings.upstream_api_key


@lru_cache(maxsize=1)
def upstream_catalog() -> UpstreamCatalog:
    """One client and one breaker per warm container."""
    settings = get_settings()
    if not settings.upstream_base_url:
        raise UpstreamUnavailable("CATALOG_SOURCE is upstream but UPSTREAM_BASE_URL is not set.")
    return UpstreamCatalog(settings.upstream_base_url, _api_key(), settings.upstream_timeout_seconds, CircuitBreaker())
