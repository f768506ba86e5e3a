"""`CashbackClient` (sync) and `AsyncCashbackClient` (async): the same operations, one implementation.

Every method returns the documented pydantic model (money as `Decimal`) or raises a
`CashbackError` subclass. After each call, `last_rate_limit` holds the parsed rate-limit headers
and `last_request_id` the request id.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Self, TypeVar, Unpack

import httpx
from pydantic import BaseModel

from cashback_client import models
from cashback_client._core import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    BatchItem,
    Call,
    Core,
    PayoutCsv,
    Redirect,
    Retry,
    RetryPolicy,
    SearchOptions,
    Send,
    connection_failed,
)
from cashback_client.ratelimit import RateLimit

T = TypeVar("T", bound=BaseModel)

# Every operation of the OpenAPI document is a method of both clients, named after the API's handler
# (the operationId's first part, e.g. `list_products` in `list_products_catalog_products_get`), or
# as below where the client had a shorter name first. tests/client/test_coverage.py enforces it.
METHOD_NAMES = {
    "list_agents": "directory",
    "register_agent": "register",
    "update_agent": "update_profile",
    "agent_analytics": "analytics",
    "agent_stats": "stats",
    "list_conversions": "conversions",
    "get_reputation": "reputation",
    "get_erc8004_export": "erc8004_export",
    "get_feedback_file": "feedback_file",
    "get_leaderboard": "leaderboard",
    "get_trending": "trending",
    "list_admin_keys": "admin_keys",
    "delete": "delete_agent",
    "reinstate": "reinstate_agent",
    "suspend": "suspend_agent",
    "put_webhook": "set_webhook",
    "list_failures": "failed_deliveries",
    "replay": "replay_failed_deliveries",
    "rotate_secret": "rotate_webhook_secret",
}


class _Base:
    """Construction and the state both clients expose."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        *,
        agent_id: str | None = None,
        retry: RetryPolicy | None = None,
        on_retry: Callable[[Retry], None] | None = None,
    ) -> None:
        self._core = Core(base_url, token, agent_id, retry or RetryPolicy(), on_retry)

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def token(self) -> str | None:
        """The bearer token sent to agent routes; replaced by `rotate_token()`."""
        return self._core.token

    @property
    def agent_id(self) -> str | None:
        """The agent that `get_agent`, `stats`, `analytics`, ... read when not given one."""
        return self._core.agent_id

    @property
    def last_rate_limit(self) -> RateLimit | None:
        """The rate-limit headers of the last response that carried them."""
        return self._core.last_rate_limit

    @property
    def last_request_id(self) -> str | None:
        """`X-Request-Id` of the last response."""
        return self._core.last_request_id


class CashbackClient(_Base):
    """Synchronous client: `with CashbackClient(url, token) as api: api.search("running shoes")`."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        *,
        agent_id: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        on_retry: Callable[[Retry], None] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(base_url, token, agent_id=agent_id, retry=retry, on_retry=on_retry)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)

    def _run(self, call: Call[T]) -> T:
        exchange = self._core.exchange(self._http, call)
        step = next(exchange)
        try:
            while True:
                if isinstance(step, Send):
                    try:
                        response = self._http.send(step.request)
                    except httpx.TransportError as exc:
                        raise connection_failed(exc, step.request) from exc
                    step = exchange.send(response)
                else:
                    time.sleep(step.seconds)
                    step = exchange.send(None)
        except StopIteration as done:
            result: T = done.value
            return result

    def health(self) -> models.HealthStatus:
        return self._run(self._core.health())

    def register(
        self,
        agent_name: str,
        *,
        wallet_address: str | None = None,
        crypto_preference: models.CryptoPreference | str | None = None,
    ) -> models.RegisteredAgent:
        """POST /agents. The answer holds the token, shown once."""
        return self._run(self._core.register(agent_name, wallet_address, crypto_preference))

    def get_agent(self, agent_id: str | None = None) -> models.AgentProfile:
        return self._run(self._core.get_agent(agent_id))

    def rotate_token(self, agent_id: str | None = None) -> models.RotatedToken:
        """New token for the agent; the client switches to it (the old one stops working)."""
        return self._run(self._core.rotate_token(agent_id))

    def search(self, keywords: str, **options: Unpack[SearchOptions]) -> models.SearchResponse:
        """POST /search, e.g. `search("running shoes", max_price=150, sort="cashback_amount")`."""
        return self._run(self._core.search(keywords, options))

    def batch_search(self, searches: Sequence[BatchItem]) -> models.BatchSearchResponse:
        """POST /search/batch: up to 10 searches (keywords, SearchRequest or dict); each answers ok or error."""
        return self._run(self._core.batch_search(searches))

    def compare(self, product_name: str, *, max_merchants: int | None = None) -> models.CompareResponse:
        return self._run(self._core.compare(product_name, max_merchants))

    def stats(self, agent_id: str | None = None) -> models.AgentStats:
        return self._run(self._core.stats(agent_id))

    def analytics(self, agent_id: str | None = None) -> models.AgentAnalytics:
        return self._run(self._core.analytics(agent_id))

    def conversions(
        self, agent_id: str | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> models.ConversionPage:
        return self._run(self._core.conversions(agent_id, limit, cursor))

    def leaderboard(
        self,
        *,
        metric: models.LeaderboardMetric | str | None = None,
        period: models.LeaderboardPeriod | str | None = None,
        currency: str | None = None,
    ) -> models.Leaderboard:
        return self._run(self._core.leaderboard(metric, period, currency))

    def trending(self, *, days: int | None = None) -> models.Trending:
        return self._run(self._core.trending(days))

    def update_profile(self, changes: Mapping[str, Any], agent_id: str | None = None) -> models.AgentProfile:
        """PATCH /agents/{agent_id}: the fields in `changes` change, None clears one; `public` opts in or out."""
        return self._run(self._core.update_profile(changes, agent_id))

    def directory(
        self,
        *,
        query: str | None = None,
        min_reputation: Decimal | int | str | None = None,
        sort: models.DirectorySort | str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> models.DirectoryPage:
        """GET /agents: the public directory (anonymous)."""
        return self._run(self._core.directory(query, min_reputation, sort, limit, cursor))

    def give_feedback(
        self,
        agent_id: str,
        score: int,
        *,
        tags: Sequence[str] = (),
        comment: str | None = None,
        feedback_uri: str | None = None,
        endpoint: str | None = None,
    ) -> models.Feedback:
        """POST /agents/{agent_id}/feedback: give, or replace, your one feedback about another agent."""
        body = {
            "score": score,
            "tags": list(tags),
            "comment": comment,
            "feedback_uri": feedback_uri,
            "endpoint": endpoint,
        }
        return self._run(self._core.give_feedback(agent_id, body))

    def revoke_feedback(self, agent_id: str) -> models.FeedbackRevoked:
        return self._run(self._core.revoke_feedback(agent_id))

    def reputation(
        self, agent_id: str | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> models.Reputation:
        """GET /agents/{agent_id}/reputation (anonymous; public agents only)."""
        return self._run(self._core.reputation(agent_id, limit, cursor))

    def feedback_file(self, agent_id: str, author_id: str) -> dict[str, Any]:
        """GET /agents/{agent_id}/feedback/{author_id}: the ERC-8004 feedback file (anonymous)."""
        return self._run(self._core.get_feedback_file(agent_id, author_id)).root

    def reply_to_feedback(
        self, author_id: str, text: str, *, response_uri: str | None = None, agent_id: str | None = None
    ) -> models.Feedback:
        """POST /agents/{agent_id}/feedback/{author_id}/response: the subject answers a feedback about it."""
        body = {"text": text, "response_uri": response_uri}
        return self._run(self._core.reply_to_feedback(author_id, body, agent_id))

    def erc8004_export(
        self, agent_id: str | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> models.Erc8004Export:
        """GET /agents/{agent_id}/reputation/erc8004 (anonymous; public agents only)."""
        return self._run(self._core.erc8004_export(agent_id, limit, cursor))

    def follow(self, click_id: str) -> Redirect:
        """GET /r/{click_id}: the merchant URL the shopper is sent to (the redirect is not followed)."""
        return self._run(self._core.follow(click_id))

    def record_conversion(self, event: Mapping[str, Any], secret: str, key_id: str) -> models.ConversionReceipt:
        """POST /conversions as an affiliate network: the event signed with the webhook secret."""
        return self._run(self._core.record_conversion(event, secret, key_id))

    def list_merchants(self, *, limit: int | None = None, cursor: str | None = None) -> models.MerchantPage:
        """GET /catalog/merchants (admin key, catalog:read): merchants by id, a page at a time."""
        return self._run(self._core.list_merchants(limit, cursor))

    def list_products(self, *, limit: int | None = None, cursor: str | None = None) -> models.ProductPage:
        """GET /catalog/products (admin key, catalog:read): offers by product id, a page at a time."""
        return self._run(self._core.list_products(limit, cursor))

    def put_merchants(self, merchants: Sequence[Mapping[str, Any] | BaseModel]) -> models.UpsertResult:
        """PUT /catalog/merchants (admin key, catalog:write): up to 25."""
        return self._run(self._core.put_merchants(merchants))

    def put_products(self, products: Sequence[Mapping[str, Any] | BaseModel]) -> models.UpsertResult:
        """PUT /catalog/products (admin key, catalog:write): up to 25."""
        return self._run(self._core.put_products(products))

    def get_product(self, product_id: str) -> models.ProductOutput:
        """GET /catalog/products/{product_id} (admin key, catalog:read)."""
        return self._run(self._core.get_product(product_id))

    def delete_product(self, product_id: str) -> models.Deleted:
        """DELETE /catalog/products/{product_id} (admin key, catalog:write)."""
        return self._run(self._core.delete_product(product_id))

    def wallet_history(
        self, agent_id: str | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> models.WalletHistory:
        """GET /agents/{agent_id}/wallet-history: every wallet change, newest first."""
        return self._run(self._core.wallet_history(agent_id, limit, cursor))

    def change_plan(self, agent_id: str, plan: models.Plan | str) -> models.AgentProfile:
        """PUT /agents/{agent_id}/plan (admin key with agents:write); applies from the agent's next request."""
        return self._run(self._core.change_plan(agent_id, plan))

    def suspend_agent(self, agent_id: str) -> models.AgentProfile:
        """POST /agents/{agent_id}/suspend (agents:write): its token gets 403 AGENT_SUSPENDED at once."""
        return self._run(self._core.suspend_agent(agent_id))

    def reinstate_agent(self, agent_id: str) -> models.AgentProfile:
        """POST /agents/{agent_id}/reinstate (agents:write)."""
        return self._run(self._core.reinstate_agent(agent_id))

    def delete_agent(self, agent_id: str) -> models.AgentDeleted:
        """DELETE /agents/{agent_id} (agents:write): erases its personal data; money records stay."""
        return self._run(self._core.delete_agent(agent_id))

    def admin_keys(self, *, limit: int | None = None, cursor: str | None = None) -> models.AdminKeyPage:
        """GET /admin/keys (keys:read or keys:write): never the keys themselves."""
        return self._run(self._core.admin_keys(limit, cursor))

    def revoke_admin_key(self, key_id: str) -> models.AdminKey:
        """DELETE /admin/keys/{key_id} (keys:write): refused from the next request on."""
        return self._run(self._core.revoke_admin_key(key_id))

    def payout_report(self, period: str, *, limit: int | None = None, cursor: str | None = None) -> models.PayoutReport:
        """GET /admin/payouts/{period} (analytics:read): a page of agents with what they earned in the month."""
        return self._run(self._core.payout_report(period, limit, cursor))

    def payout_report_csv(self, period: str, *, limit: int | None = None, cursor: str | None = None) -> PayoutCsv:
        """GET /admin/payouts/{period}?format=csv: one row per agent and currency; `next_cursor` pages on."""
        return self._run(self._core.payout_report_csv(period, limit, cursor))

    def mark_payouts_paid(self, period: str) -> models.PaidRecord:
        """PUT /admin/payouts/{period}/paid (payouts:write): once; again returns the same record."""
        return self._run(self._core.mark_payouts_paid(period))

    def set_webhook(self, url: str, agent_id: str | None = None) -> models.Webhook:
        """PUT /agents/{agent_id}/webhook: the first registration's answer holds the signing secret, shown once."""
        return self._run(self._core.set_webhook(url, agent_id))

    def get_webhook(self, agent_id: str | None = None) -> models.Webhook:
        return self._run(self._core.get_webhook(agent_id))

    def delete_webhook(self, agent_id: str | None = None) -> models.Deleted:
        return self._run(self._core.delete_webhook(agent_id))

    def rotate_webhook_secret(self, agent_id: str | None = None) -> models.Webhook:
        """A new signing secret, shown once; the old one also signs deliveries for a day."""
        return self._run(self._core.rotate_webhook_secret(agent_id))

    def failed_deliveries(
        self, agent_id: str | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> models.FailedDeliveryPage:
        """GET /agents/{agent_id}/webhook/failures: deliveries that failed every retry (the dead letters)."""
        return self._run(self._core.failed_deliveries(agent_id, limit, cursor))

    def replay_failed_deliveries(self, agent_id: str | None = None) -> models.ReplayResult:
        """Queue up to 100 dead letters for delivery again, within a minute."""
        return self._run(self._core.replay_failed_deliveries(agent_id))

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncCashbackClient(_Base):
    """Asynchronous client: `async with AsyncCashbackClient(url, token) as api: await api.search(...)`."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        *,
        agent_id: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        on_retry: Callable[[Retry], None] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(base_url, token, agent_id=agent_id, retry=retry, on_retry=on_retry)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout)

    async def _run(self, call: Call[T]) -> T:
        exchange = self._core.exchange(self._http, call)
        step = next(exchange)
        try:
            while True:
                if isinstance(step, Send):
                    try:
                        response = await self._http.send(step.request)
                    except httpx.TransportError as exc:
                        raise connection_failed(exc, step.request) from exc
                    step = exchange.send(response)
                else:
                    await asyncio.sleep(step.seconds)
                    step = exchange.send(None)
        except StopIteration as done:
            result: T = done.value
            return result

    async def health(self) -> models.HealthStatus:
        return await self._run(self._core.health())

    async def register(
        self,
        agent_name: str,
        *,
        wallet_address: str | None = None,
        crypto_preference: models.CryptoPreference | str | None = None,
    ) -> models.RegisteredAgent:
        """POST /agents. The answer holds the token, shown once."""
        return await self._run(self._core.register(agent_name, wallet_address, crypto_preference))

    async def get_agent(self, agent_id: str | None = None) -> models.AgentProfile:
        return await self._run(self._core.get_agent(agent_id))

    async def rotate_token(self, agent_id: str | None = None) -> models.RotatedToken:
        """New token for the agent; the client switches to it (the old one stops working)."""
        return await self._run(self._core.rotate_token(agent_id))

    async def search(self, keywords: str, **options: Unpack[SearchOptions]) -> models.SearchResponse:
        """POST /search, e.g. `await search("running shoes", max_price=150, sort="cashback_amount")`."""
        return await self._run(self._core.search(keywords, options))

    async def batch_search(self, searches: Sequence[BatchItem]) -> models.BatchSearchResponse:
        """POST /search/batch: up to 10 searches (keywords, SearchRequest or dict); each answers ok or error."""
        return await self._run(self._core.batch_search(searches))

    async def compare(self, product_name: str, *, max_merchants: int | None = None) -> models.CompareResponse:
        return await self._run(self._core.compare(product_name, max_merchants))

    async def stats(self, agent_id: str | None = None) -> models.AgentStats:
        return await self._run(self._core.stats(agent_id))

    async def analytics(self, agent_id: str | None = None) -> models.AgentAnalytics:
        return await self._run(self._core.analytics(agent_id))

    async def conversions(
        self, agent_id: str | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> models.ConversionPage:
        return await self._run(self._core.conversions(agent_id, limit, cursor))

    async def leaderboard(
        self,
        *,
        metric: models.LeaderboardMetric | str | None = None,
        period: models.LeaderboardPeriod | str | None = None,
        currency: str | None = None,
    ) -> models.Leaderboard:
        return await self._run(self._core.leaderboard(metric, period, currency))

    async def trending(self, *, days: int | None = None) -> models.Trending:
        return await self._run(self._core.trending(days))

    async def update_profile(self, changes: Mapping[str, Any], agent_id: str | None = None) -> models.AgentProfile:
        """PATCH /agents/{agent_id}: the fields in `changes` change, None clears one; `public` opts in or out."""
        return await self._run(self._core.update_profile(changes, agent_id))

    async def directory(
        self,
        *,
        query: str | None = None,
        min_reputation: Decimal | int | str | None = None,
        sort: models.DirectorySort | str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> models.DirectoryPage:
        """GET /agents: the public directory (anonymous)."""
        return await self._run(self._core.directory(query, min_reputation, sort, limit, cursor))

    async def give_feedback(
        self,
        agent_id: str,
        score: int,
        *,
        tags: Sequence[str] = (),
        comment: str | None = None,
        feedback_uri: str | None = None,
        endpoint: str | None = None,
    ) -> models.Feedback:
        """POST /agents/{agent_id}/feedback: give, or replace, your one feedback about another agent."""
        body = {
            "score": score,
            "tags": list(tags),
            "comment": comment,
            "feedback_uri": feedback_uri,
            "endpoint": endpoint,
        }
        return await self._run(self._core.give_feedback(agent_id, body))

    async def revoke_feedback(self, agent_id: str) -> models.FeedbackRevoked:
        return await self._run(self._core.revoke_feedback(agent_id))

    async def reputation(
        self, agent_id: str | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> models.Reputation:
        """GET /agents/{agent_id}/reputation (anonymous; public agents only)."""
        return await self._run(self._core.reputation(agent_id, limit, cursor))

    async def feedback_file(self, agent_id: str, author_id: str) -> dict[str, Any]:
        """GET /agents/{agent_id}/feedback/{author_id}: the ERC-8004 feedback file (anonymous)."""
        return (await self._run(self._core.get_feedback_file(agent_id, author_id))).root

    async def reply_to_feedback(
        self, author_id: str, text: str, *, response_uri: str | None = None, agent_id: str | None = None
    ) -> models.Feedback:
        """POST /agents/{agent_id}/feedback/{author_id}/response: the subject answers a feedback about it."""
        body = {"text": text, "response_uri": response_uri}
        return await self._run(self._core.reply_to_feedback(author_id, body, agent_id))

    async def erc8004_export(
        self, agent_id: str | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> models.Erc8004Export:
        """GET /agents/{agent_id}/reputation/erc8004 (anonymous; public agents only)."""
        return await self._run(self._core.erc8004_export(agent_id, limit, cursor))

    async def follow(self, click_id: str) -> Redirect:
        """GET /r/{click_id}: the merchant URL the shopper is sent to (the redirect is not followed)."""
        return await self._run(self._core.follow(click_id))

    async def record_conversion(self, event: Mapping[str, Any], secret: str, key_id: str) -> models.ConversionReceipt:
        """POST /conversions as an affiliate network: the event signed with the webhook secret."""
        return await self._run(self._core.record_conversion(event, secret, key_id))

    async def list_merchants(self, *, limit: int | None = None, cursor: str | None = None) -> models.MerchantPage:
        """GET /catalog/merchants (admin key, catalog:read): merchants by id, a page at a time."""
        return await self._run(self._core.list_merchants(limit, cursor))

    async def list_products(self, *, limit: int | None = None, cursor: str | None = None) -> models.ProductPage:
        """GET /catalog/products (admin key, catalog:read): offers by product id, a page at a time."""
        return await self._run(self._core.list_products(limit, cursor))

    async def put_merchants(self, merchants: Sequence[Mapping[str, Any] | BaseModel]) -> models.UpsertResult:
        """PUT /catalog/merchants (admin key, catalog:write): up to 25."""
        return await self._run(self._core.put_merchants(merchants))

    async def put_products(self, products: Sequence[Mapping[str, Any] | BaseModel]) -> models.UpsertResult:
        """PUT /catalog/products (admin key, catalog:write): up to 25."""
        return await self._run(self._core.put_products(products))

    async def get_product(self, product_id: str) -> models.ProductOutput:
        """GET /catalog/products/{product_id} (admin key, catalog:read)."""
        return await self._run(self._core.get_product(product_id))

    async def delete_product(self, product_id: str) -> models.Deleted:
        """DELETE /catalog/products/{product_id} (admin key, catalog:write)."""
        return await self._run(self._core.delete_product(product_id))

    async def wallet_history(
        self, agent_id: str | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> models.WalletHistory:
        """GET /agents/{agent_id}/wallet-history: every wallet change, newest first."""
        return await self._run(self._core.wallet_history(agent_id, limit, cursor))

    async def change_plan(self, agent_id: str, plan: models.Plan | str) -> models.AgentProfile:
        """PUT /agents/{agent_id}/plan (admin key with agents:write); applies from the agent's next request."""
        return await self._run(self._core.change_plan(agent_id, plan))

    async def suspend_agent(self, agent_id: str) -> models.AgentProfile:
        """POST /agents/{agent_id}/suspend (agents:write): its token gets 403 AGENT_SUSPENDED at once."""
        return await self._run(self._core.suspend_agent(agent_id))

    async def reinstate_agent(self, agent_id: str) -> models.AgentProfile:
        """POST /agents/{agent_id}/reinstate (agents:write)."""
        return await self._run(self._core.reinstate_agent(agent_id))

    async def delete_agent(self, agent_id: str) -> models.AgentDeleted:
        """DELETE /agents/{agent_id} (agents:write): erases its personal data; money records stay."""
        return await self._run(self._core.delete_agent(agent_id))

    async def admin_keys(self, *, limit: int | None = None, cursor: str | None = None) -> models.AdminKeyPage:
        """GET /admin/keys (keys:read or keys:write): never the keys themselves."""
        return await self._run(self._core.admin_keys(limit, cursor))

    async def revoke_admin_key(self, key_id: str) -> models.AdminKey:
        """DELETE /admin/keys/{key_id} (keys:write): refused from the next request on."""
        return await self._run(self._core.revoke_admin_key(key_id))

    async def payout_report(
        self, period: str, *, limit: int | None = None, cursor: str | None = None
    ) -> models.PayoutReport:
        """GET /admin/payouts/{period} (analytics:read): a page of agents with what they earned in the month."""
        return await self._run(self._core.payout_report(period, limit, cursor))

    async def payout_report_csv(self, period: str, *, limit: int | None = None, cursor: str | None = None) -> PayoutCsv:
        """GET /admin/payouts/{period}?format=csv: one row per agent and currency; `next_cursor` pages on."""
        return await self._run(self._core.payout_report_csv(period, limit, cursor))

    async def mark_payouts_paid(self, period: str) -> models.PaidRecord:
        """PUT /admin/payouts/{period}/paid (payouts:write): once; again returns the same record."""
        return await self._run(self._core.mark_payouts_paid(period))

    async def set_webhook(self, url: str, agent_id: str | None = None) -> models.Webhook:
        """PUT /agents/{agent_id}/webhook: the first registration's answer holds the signing secret, shown once."""
        return await self._run(self._core.set_webhook(url, agent_id))

    async def get_webhook(self, agent_id: str | None = None) -> models.Webhook:
        return await self._run(self._core.get_webhook(agent_id))

    async def delete_webhook(self, agent_id: str | None = None) -> models.Deleted:
        return await self._run(self._core.delete_webhook(agent_id))

    async def rotate_webhook_secret(self, agent_id: str | None = None) -> models.Webhook:
        """A new signing secret, shown once; the old one also signs deliveries for a day."""
        return await self._run(self._core.rotate_webhook_secret(agent_id))

    async def failed_deliveries(
        self, agent_id: str | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> models.FailedDeliveryPage:
        """GET /agents/{agent_id}/webhook/failures: deliveries that failed every retry (the dead letters)."""
        return await self._run(self._core.failed_deliveries(agent_id, limit, cursor))

    async def replay_failed_deliveries(self, agent_id: str | None = None) -> models.ReplayResult:
        """Queue up to 100 dead letters for delivery again, within a minute."""
        return await self._run(self._core.replay_failed_deliveries(agent_id))

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


__all__ = [
    "METHOD_NAMES",
    "AsyncCashbackClient",
    "CashbackClient",
    "PayoutCsv",
    "Redirect",
    "Retry",
    "RetryPolicy",
    "SearchOptions",
]
