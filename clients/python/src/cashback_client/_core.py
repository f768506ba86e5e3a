"""What the sync and async clients share: requests, the retry policy, parsing and error mapping.

Each operation is described once as a `Call`; `exchange` is the whole conversation for one call
as a generator that yields what to do next (send this request, or sleep this long) and receives
the responses. The two clients differ only in how they carry those steps out (`httpx.Client` and
`time.sleep`, or `httpx.AsyncClient` and `asyncio.sleep`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypedDict, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, RootModel, ValidationError

from cashback_client import errors, models
from cashback_client.ratelimit import RateLimit, retry_after

__version__ = "0.1.0"
DEFAULT_BASE_URL = "http://127.0.0.1:3000"
DEFAULT_TIMEOUT = 30.0

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class RetryPolicy:
    """How a 429 is retried: after its `Retry-After`, at most `max_retries` times per call.

    A `Retry-After` longer than `max_wait` seconds (e.g. an exhausted hourly window) raises
    `RateLimitedError` at once instead of blocking. `RetryPolicy(max_retries=0)` never retries.
    """

    max_retries: int = 2
    max_wait: float = 60.0

    def delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before sending again, or None to stop and report this response."""
        if response.status_code != 429 or attempt >= self.max_retries:
            return None
        wait = retry_after(response.headers)
        if wait is None or wait > self.max_wait:
            return None
        return wait


class SearchOptions(TypedDict, total=False):
    """Filters, sort and paging of POST /search (all optional)."""

    category: str
    brand: str
    merchant: str
    """merchant id or name"""
    min_price: Decimal | int | str
    max_price: Decimal | int | str
    min_cashback_rate: Decimal | int | str
    """percent, e.g. 3.5"""
    in_stock: bool
    sort: models.SortOrder | str
    """relevance (default), cashback_rate, cashback_amount, price_asc, price_desc, rating"""
    limit: int
    """1..50, default 10"""
    cursor: str
    """the previous page's next_cursor"""


_FILTERS = ("category", "brand", "merchant", "min_price", "max_price", "min_cashback_rate", "in_stock")

BatchItem = str | models.SearchRequest | Mapping[str, Any]
"""One search of a batch: keywords alone, a SearchRequest, or its JSON fields."""


def search_body(keywords: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The POST /search body: the filters nested as the API takes them; unset options left out."""
    unknown = set(options) - set(SearchOptions.__annotations__)
    if unknown:
        raise TypeError(f"unknown search option(s): {', '.join(sorted(unknown))}")
    filters = {k: options[k] for k in _FILTERS if options.get(k) is not None}
    body: dict[str, Any] = {"keywords": keywords}
    if filters:
        body["filters"] = filters
    body.update({k: options[k] for k in ("sort", "limit", "cursor") if options.get(k) is not None})
    return body


def batch_item(item: BatchItem) -> dict[str, Any]:
    if isinstance(item, str):
        return {"keywords": item}
    if isinstance(item, BaseModel):
        return item.model_dump(mode="json", exclude_none=True)
    return dict(item)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)  # money travels as a decimal string, never through float
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class JsonObject(RootModel[dict[str, Any]]):
    """A JSON object the API documents as such (the ERC-8004 feedback file)."""


class Redirect(BaseModel):
    """GET /r/{click_id}: where the API sends the shopper (its `Location`), not followed."""

    status: int
    location: str

    @classmethod
    def from_response(cls, response: httpx.Response) -> Redirect:
        return cls(status=response.status_code, location=response.headers.get("Location", ""))


class PayoutCsv(BaseModel):
    """GET /admin/payouts/{period}?format=csv: one page of CSV text and the next page's cursor."""

    text: str
    next_cursor: str | None = None

    @classmethod
    def from_response(cls, response: httpx.Response) -> PayoutCsv:
        return cls(text=response.text, next_cursor=response.headers.get("X-Next-Cursor"))


def signature(secret: str, key_id: str, body: bytes, timestamp: int | None = None) -> str:
    """`X-Cashback-Signature` of a webhook body, signed with a network's key:
    `t=<unix>,k=<key id>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},k={key_id},v1={digest}"


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API operation: how to ask, and which documented model the answer is."""

    method: str
    path: str
    model: type[T]
    params: Mapping[str, Any] | None = None
    body: Any = None
    authenticated: bool = True
    after: Callable[[T], None] | None = None
    sign_with: tuple[str, str] | None = None  # (network key id, secret)
    """a webhook secret: the body is signed (X-Cashback-Signature) instead of a bearer token sent"""
    from_response: Callable[[httpx.Response], T] | None = None
    """reads a success without a JSON body (a redirect)"""


@dataclass
class Retry:
    """Handed to `on_retry` before each wait: the 429 that caused it and how long the client waits."""

    error: errors.RateLimitedError
    wait: float
    attempt: int


@dataclass(frozen=True)
class Send:
    request: httpx.Request


@dataclass(frozen=True)
class Sleep:
    seconds: float


Step = Send | Sleep
Exchange = Generator[Step, httpx.Response | None, T]


@dataclass
class Core:
    """The state and policy both clients share."""

    base_url: str
    token: str | None
    agent_id: str | None
    retry: RetryPolicy
    on_retry: Callable[[Retry], None] | None = None
    last_rate_limit: RateLimit | None = None
    last_request_id: str | None = None
    headers: dict[str, str] = field(default_factory=lambda: {"User-Agent": f"cashback-client/{__version__}"})

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")

    # ------------------------------------------------------------ the operations

    def agent(self, agent_id: str | None) -> str:
        """The agent id as a path segment (quoted: an id never changes which route is called)."""
        chosen = agent_id or self.agent_id
        if not chosen:
            raise ValueError("no agent id: pass agent_id, or give the client one (agent_id=...)")
        return quote(chosen, safe="")

    def health(self) -> Call[models.HealthStatus]:
        return Call("GET", "/health", models.HealthStatus, authenticated=False)

    def register(
        self, agent_name: str, wallet_address: str | None, crypto_preference: models.CryptoPreference | str | None
    ) -> Call[models.RegisteredAgent]:
        body = {"agent_name": agent_name, "wallet_address": wallet_address, "crypto_preference": crypto_preference}
        return Call(
            "POST",
            "/agents",
            models.RegisteredAgent,
            body={k: v for k, v in body.items() if v is not None},
            authenticated=False,
        )

    def get_agent(self, agent_id: str | None) -> Call[models.AgentProfile]:
        return Call("GET", f"/agents/{self.agent(agent_id)}", models.AgentProfile)

    def rotate_token(self, agent_id: str | None) -> Call[models.RotatedToken]:
        def adopt(rotated: models.RotatedToken) -> None:
            # Only the agent itself may rotate, so the token just used is the one that stopped working.
            self.token = rotated.token
            self.agent_id = self.agent_id or rotated.agent_id

        return Call("POST", f"/agents/{self.agent(agent_id)}/token", models.RotatedToken, after=adopt)

    def search(self, keywords: str, options: Mapping[str, Any]) -> Call[models.SearchResponse]:
        return Call("POST", "/search", models.SearchResponse, body=search_body(keywords, options))

    def batch_search(self, searches: Sequence[BatchItem]) -> Call[models.BatchSearchResponse]:
        body = {"searches": [batch_item(item) for item in searches]}
        return Call("POST", "/search/batch", models.BatchSearchResponse, body=body)

    def compare(self, product_name: str, max_merchants: int | None) -> Call[models.CompareResponse]:
        params = {"product_name": product_name, "max_merchants": max_merchants}
        return Call("GET", "/compare", models.CompareResponse, params=_present(params))

    def stats(self, agent_id: str | None) -> Call[models.AgentStats]:
        return Call("GET", f"/agents/{self.agent(agent_id)}/stats", models.AgentStats)

    def analytics(self, agent_id: str | None) -> Call[models.AgentAnalytics]:
        return Call("GET", f"/agents/{self.agent(agent_id)}/analytics", models.AgentAnalytics)

    def conversions(self, agent_id: str | None, limit: int | None, cursor: str | None) -> Call[models.ConversionPage]:
        params = _present({"limit": limit, "cursor": cursor})
        return Call("GET", f"/agents/{self.agent(agent_id)}/conversions", models.ConversionPage, params=params)

    def leaderboard(
        self,
        metric: models.LeaderboardMetric | str | None,
        period: models.LeaderboardPeriod | str | None,
        currency: str | None = None,
    ) -> Call[models.Leaderboard]:
        params = _present({"metric": metric, "period": period, "currency": currency})
        return Call("GET", "/analytics/leaderboard", models.Leaderboard, params=params, authenticated=False)

    def trending(self, days: int | None) -> Call[models.Trending]:
        params = _present({"days": days})
        return Call("GET", "/analytics/trending", models.Trending, params=params, authenticated=False)

    def update_profile(self, changes: Mapping[str, Any], agent_id: str | None) -> Call[models.AgentProfile]:
        return Call("PATCH", f"/agents/{self.agent(agent_id)}", models.AgentProfile, body=dict(changes))

    def directory(
        self,
        query: str | None,
        min_reputation: Decimal | int | str | None,
        sort: models.DirectorySort | str | None,
        limit: int | None,
        cursor: str | None,
    ) -> Call[models.DirectoryPage]:
        params = _present(
            {
                "query": query,
                "min_reputation": None if min_reputation is None else str(min_reputation),
                "sort": sort,
                "limit": limit,
                "cursor": cursor,
            }
        )
        return Call("GET", "/agents", models.DirectoryPage, params=params, authenticated=False)

    def give_feedback(self, agent_id: str, body: Mapping[str, Any]) -> Call[models.Feedback]:
        return Call("POST", f"/agents/{quote(agent_id, safe='')}/feedback", models.Feedback, body=_present(body))

    def revoke_feedback(self, agent_id: str) -> Call[models.FeedbackRevoked]:
        return Call("DELETE", f"/agents/{quote(agent_id, safe='')}/feedback", models.FeedbackRevoked)

    def reputation(self, agent_id: str | None, limit: int | None, cursor: str | None) -> Call[models.Reputation]:
        params = _present({"limit": limit, "cursor": cursor})
        path = f"/agents/{self.agent(agent_id)}/reputation"
        return Call("GET", path, models.Reputation, params=params, authenticated=False)

    def get_feedback_file(self, agent_id: str, author_id: str) -> Call[JsonObject]:
        path = f"/agents/{quote(agent_id, safe='')}/feedback/{quote(author_id, safe='')}"
        return Call("GET", path, JsonObject, authenticated=False)

    def reply_to_feedback(self, author_id: str, body: Mapping[str, Any], agent_id: str | None) -> Call[models.Feedback]:
        path = f"/agents/{self.agent(agent_id)}/feedback/{quote(author_id, safe='')}/response"
        return Call("POST", path, models.Feedback, body=_present(body))

    def erc8004_export(self, agent_id: str | None, limit: int | None, cursor: str | None) -> Call[models.Erc8004Export]:
        params = _present({"limit": limit, "cursor": cursor})
        path = f"/agents/{self.agent(agent_id)}/reputation/erc8004"
        return Call("GET", path, models.Erc8004Export, params=params, authenticated=False)

    def follow(self, click_id: str) -> Call[Redirect]:
        path = f"/r/{quote(click_id, safe='')}"
        return Call("GET", path, Redirect, authenticated=False, from_response=Redirect.from_response)

    def record_conversion(self, event: Mapping[str, Any], secret: str, key_id: str) -> Call[models.ConversionReceipt]:
        return Call("POST", "/conversions", models.ConversionReceipt, body=dict(event), sign_with=(key_id, secret))

    # admin (the client's token is an admin key with the catalog scopes)

    def list_merchants(self, limit: int | None, cursor: str | None) -> Call[models.MerchantPage]:
        params = _present({"limit": limit, "cursor": cursor})
        return Call("GET", "/catalog/merchants", models.MerchantPage, params=params)

    def list_products(self, limit: int | None, cursor: str | None) -> Call[models.ProductPage]:
        params = _present({"limit": limit, "cursor": cursor})
        return Call("GET", "/catalog/products", models.ProductPage, params=params)

    def put_merchants(self, merchants: Sequence[Mapping[str, Any] | BaseModel]) -> Call[models.UpsertResult]:
        body = {"merchants": [_fields(m) for m in merchants]}
        return Call("PUT", "/catalog/merchants", models.UpsertResult, body=body)

    def put_products(self, products: Sequence[Mapping[str, Any] | BaseModel]) -> Call[models.UpsertResult]:
        body = {"products": [_fields(p) for p in products]}
        return Call("PUT", "/catalog/products", models.UpsertResult, body=body)

    def get_product(self, product_id: str) -> Call[models.ProductOutput]:
        return Call("GET", f"/catalog/products/{quote(product_id, safe='')}", models.ProductOutput)

    def delete_product(self, product_id: str) -> Call[models.Deleted]:
        return Call("DELETE", f"/catalog/products/{quote(product_id, safe='')}", models.Deleted)

    def wallet_history(self, agent_id: str | None, limit: int | None, cursor: str | None) -> Call[models.WalletHistory]:
        params = _present({"limit": limit, "cursor": cursor})
        return Call("GET", f"/agents/{self.agent(agent_id)}/wallet-history", models.WalletHistory, params=params)

    # operators (admin keys with agents:write, keys:read, keys:write)

    def change_plan(self, agent_id: str, plan: models.Plan | str) -> Call[models.AgentProfile]:
        path = f"/agents/{quote(agent_id, safe='')}/plan"
        return Call("PUT", path, models.AgentProfile, body={"plan": str(getattr(plan, "value", plan))})

    def suspend_agent(self, agent_id: str) -> Call[models.AgentProfile]:
        return Call("POST", f"/agents/{quote(agent_id, safe='')}/suspend", models.AgentProfile)

    def reinstate_agent(self, agent_id: str) -> Call[models.AgentProfile]:
        return Call("POST", f"/agents/{quote(agent_id, safe='')}/reinstate", models.AgentProfile)

    def delete_agent(self, agent_id: str) -> Call[models.AgentDeleted]:
        return Call("DELETE", f"/agents/{quote(agent_id, safe='')}", models.AgentDeleted)

    def admin_keys(self, limit: int | None, cursor: str | None) -> Call[models.AdminKeyPage]:
        return Call("GET", "/admin/keys", models.AdminKeyPage, params=_present({"limit": limit, "cursor": cursor}))

    def revoke_admin_key(self, key_id: str) -> Call[models.AdminKey]:
        return Call("DELETE", f"/admin/keys/{quote(key_id, safe='')}", models.AdminKey)

    def payout_report(self, period: str, limit: int | None, cursor: str | None) -> Call[models.PayoutReport]:
        path = f"/admin/payouts/{quote(period, safe='')}"
        return Call("GET", path, models.PayoutReport, params=_present({"limit": limit, "cursor": cursor}))

    def payout_report_csv(self, period: str, limit: int | None, cursor: str | None) -> Call[PayoutCsv]:
        params = _present({"format": "csv", "limit": limit, "cursor": cursor})
        path = f"/admin/payouts/{quote(period, safe='')}"
        return Call("GET", path, PayoutCsv, params=params, from_response=PayoutCsv.from_response)

    def mark_payouts_paid(self, period: str) -> Call[models.PaidRecord]:
        return Call("PUT", f"/admin/payouts/{quote(period, safe='')}/paid", models.PaidRecord)

    def set_webhook(self, url: str, agent_id: str | None) -> Call[models.Webhook]:
        return Call("PUT", f"/agents/{self.agent(agent_id)}/webhook", models.Webhook, body={"url": url})

    def get_webhook(self, agent_id: str | None) -> Call[models.Webhook]:
        return Call("GET", f"/agents/{self.agent(agent_id)}/webhook", models.Webhook)

    def delete_webhook(self, agent_id: str | None) -> Call[models.Deleted]:
        return Call("DELETE", f"/agents/{self.agent(agent_id)}/webhook", models.Deleted)

    def rotate_webhook_secret(self, agent_id: str | None) -> Call[models.Webhook]:
        return Call("POST", f"/agents/{self.agent(agent_id)}/webhook/secret", models.Webhook)

    def failed_deliveries(
        self, agent_id: str | None, limit: int | None, cursor: str | None
    ) -> Call[models.FailedDeliveryPage]:
        params = _present({"limit": limit, "cursor": cursor})
        path = f"/agents/{self.agent(agent_id)}/webhook/failures"
        return Call("GET", path, models.FailedDeliveryPage, params=params)

    def replay_failed_deliveries(self, agent_id: str | None) -> Call[models.ReplayResult]:
        return Call("POST", f"/agents/{self.agent(agent_id)}/webhook/failures/replay", models.ReplayResult)

    # ------------------------------------------------------------ one call, start to finish

    def build(self, http: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
        headers = dict(self.headers)
        if call.authenticated and self.token and call.sign_with is None:
            headers["Authorization"] = f"Bearer {self.token}"
        content = None
        if call.body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(call.body, default=_json_default, separators=(",", ":")).encode()
        if call.sign_with is not None:
            headers["X-Cashback-Signature"] = signature(call.sign_with[1], call.sign_with[0], content or b"")
        return http.build_request(
            call.method, self.base_url + call.path, params=call.params, headers=headers, content=content
        )

    def exchange(self, http: httpx.Client | httpx.AsyncClient, call: Call[T]) -> Exchange[T]:
        """Send; on a 429 wait `Retry-After` and send again while the policy allows; parse or raise."""
        request = self.build(http, call)
        attempt = 0
        while True:
            response = yield Send(request)
            assert response is not None  # the drivers always answer a Send with its response
            wait = self.retry.delay(response, attempt)
            if wait is None:
                return self.parse(call, response)
            attempt += 1
            rate_limit = RateLimit.from_headers(response.headers)
            self.last_rate_limit = rate_limit or self.last_rate_limit
            if self.on_retry:
                error = errors.from_response(response, rate_limit)
                assert isinstance(error, errors.RateLimitedError)
                self.on_retry(Retry(error=error, wait=wait, attempt=attempt))
            yield Sleep(wait)

    def parse(self, call: Call[T], response: httpx.Response) -> T:
        rate_limit = RateLimit.from_headers(response.headers)
        self.last_rate_limit = rate_limit or self.last_rate_limit
        self.last_request_id = response.headers.get("X-Request-Id")
        if response.status_code >= 400:
            raise errors.from_response(response, rate_limit)
        if call.from_response is not None:
            return call.from_response(response)
        try:
            result = call.model.model_validate_json(response.content)
        except ValidationError as exc:
            raise errors.BadResponseError(
                response.status_code,
                "BAD_RESPONSE",
                f"{call.method} {call.path} answered a body that is not a {call.model.__name__}: "
                f"{exc.error_count()} error(s), first: {exc.errors()[0]['msg']}",
                request_id=self.last_request_id,
                rate_limit=rate_limit,
            ) from exc
        if call.after:
            call.after(result)
        return result


def connection_failed(exc: httpx.TransportError, request: httpx.Request) -> errors.ConnectionFailedError:
    kind = "TIMEOUT" if isinstance(exc, httpx.TimeoutException) else "CONNECTION_FAILED"
    target = f"{request.url.scheme}://{request.url.netloc.decode()}"
    return errors.ConnectionFailedError(
        None, kind, f"{request.method} {target}{request.url.path}: {exc or type(exc).__name__}"
    )


def _fields(value: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
    return value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else dict(value)


def _present(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}
