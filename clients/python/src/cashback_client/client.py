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
    Retry,
    RetryPolicy,
    SearchOptions,
    Send,
    connection_failed,
)
from cashback_client.ratelimit import RateLimit

T = TypeVar("T", bound=BaseModel)


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
    ) -> models.Leaderboard:
        return self._run(self._core.leaderboard(metric, period))

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
    ) -> models.Leaderboard:
        return await self._run(self._core.leaderboard(metric, period))

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


__all__ = ["AsyncCashbackClient", "CashbackClient", "Retry", "RetryPolicy", "SearchOptions"]
