"""The API as tools for AI agents (what POST /mcp serves), independent of any MCP library.

Each tool names the REST route it mirrors: its arguments are that route's request model, its
result that route's response model, and it runs the same use case as the calling agent.
Arguments that do not validate raise pydantic's ValidationError (`parse`); whatever the use case
refuses raises the same ApiError, with the same code, as the REST route would (`run`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from cashback import shopping
from cashback.auth import Caller
from cashback.models import (
    AgentStats,
    CompareRequest,
    CompareResponse,
    Deleted,
    FailedDeliveriesRequest,
    FailedDeliveryPage,
    OwnStatsRequest,
    OwnWebhookRequest,
    ReplayResult,
    SearchRequest,
    SearchResponse,
    Trending,
    TrendingRequest,
    Webhook,
    WebhookRequest,
)


@dataclass(frozen=True)
class Invocation:
    """Who calls a tool, and what the HTTP request it came in told us."""

    caller: Caller
    base_url: str  # where the affiliate links a tool hands out point
    request_id: str


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    run: Callable[[Any, Invocation], BaseModel]
    read_only: bool  # no side effects an agent would notice (searches and compares mint links and are logged)
    destructive: bool = False  # removes something the agent set up (its webhook)

    def input_schema(self) -> dict[str, Any]:
        return self.input_model.model_json_schema(mode="validation")

    def output_schema(self) -> dict[str, Any]:
        return self.output_model.model_json_schema(mode="serialization")

    def parse(self, arguments: dict[str, Any]) -> BaseModel:
        """The arguments as the input model; pydantic's ValidationError when they do not fit."""
        return self.input_model.model_validate(arguments)


def _search(request: SearchRequest, call: Invocation) -> SearchResponse:
    return shopping.run_search(request, call.caller, call.base_url, call.request_id)


def _compare(request: CompareRequest, call: Invocation) -> CompareResponse:
    return shopping.run_compare(request.product_name, request.max_merchants, call.caller, call.base_url)


# The stats and webhook tools load their use cases when first called: an MCP function's init, which
# search (the tool most calls use) does pay for, does not (README, "Cold starts").


def _own_stats(_: OwnStatsRequest, call: Invocation) -> AgentStats:
    from cashback import analytics  # noqa: PLC0415

    return analytics.own_stats(call.caller)


def _trending(request: TrendingRequest, _: Invocation) -> Trending:
    from cashback import analytics  # noqa: PLC0415

    return analytics.trending(request.days)


# The agent's webhook (as /agents/{agent_id}/webhook...): always the calling agent's own.


def _set_webhook(request: WebhookRequest, call: Invocation) -> Webhook:
    from cashback import notify  # noqa: PLC0415

    webhook, _ = notify.set_webhook(notify.calling_agent(call.caller), call.caller, request)
    return webhook


def _get_webhook(_: OwnWebhookRequest, call: Invocation) -> Webhook:
    from cashback import notify  # noqa: PLC0415

    return notify.get_webhook(notify.calling_agent(call.caller), call.caller)


def _delete_webhook(_: OwnWebhookRequest, call: Invocation) -> Deleted:
    from cashback import notify  # noqa: PLC0415

    agent_id = notify.calling_agent(call.caller)
    notify.delete_webhook(agent_id, call.caller)
    return Deleted(deleted=agent_id)


def _rotate_webhook_secret(_: OwnWebhookRequest, call: Invocation) -> Webhook:
    from cashback import notify  # noqa: PLC0415

    return notify.rotate_secret(notify.calling_agent(call.caller), call.caller)


def _failed_deliveries(request: FailedDeliveriesRequest, call: Invocation) -> FailedDeliveryPage:
    from cashback import notify  # noqa: PLC0415

    agent_id = notify.calling_agent(call.caller)
    return notify.failed_deliveries(agent_id, call.caller, request.limit, request.cursor)


def _replay_deliveries(_: OwnWebhookRequest, call: Invocation) -> ReplayResult:
    from cashback import notify  # noqa: PLC0415

    return notify.replay(notify.calling_agent(call.caller), call.caller)


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            name="search_products",
            title="Search products with cashback",
            description=(
                "Search the product catalog (as POST /search). Every keyword must match (case, accents and "
                "simple plurals are folded). Filter by category, brand, merchant, price range, minimum cashback "
                "rate (percent) and stock; sort by relevance, cashback_rate, cashback_amount, price_asc, "
                "price_desc or rating; page with limit (1-50) and the returned next_cursor. Money is a decimal "
                "string. Each result's affiliate_link is a fresh tracked link for your user; the search is "
                "logged in your stats."
            ),
            input_model=SearchRequest,
            output_model=SearchResponse,
            run=_search,
            read_only=False,
        ),
        Tool(
            name="compare_cashback",
            title="Compare one product's cashback across merchants",
            description=(
                "Find one product at every merchant that sells it (as GET /compare), best cashback first, "
                "with cashback amount, effective price (price - cashback), savings against the first row and a "
                "tracked affiliate link per merchant. Name the product as precisely as you can (brand and "
                "model). An unknown product is the error PRODUCT_NOT_FOUND."
            ),
            input_model=CompareRequest,
            output_model=CompareResponse,
            run=_compare,
            read_only=False,
        ),
        Tool(
            name="get_agent_stats",
            title="Your own totals",
            description=(
                "Your agent's live totals (as GET /agents/{your agent_id}/stats): searches, clicks, conversions "
                "by status, confirmed revenue, pending revenue and average revenue per search (each an object by "
                "currency code, never summed across currencies) and conversion rate. "
                "Takes no arguments: it always answers for the agent whose token made the call."
            ),
            input_model=OwnStatsRequest,
            output_model=AgentStats,
            run=_own_stats,
            read_only=True,
        ),
        Tool(
            name="get_trending",
            title="Trending products, keywords and merchants",
            description=(
                "What is trending across all agents over the last `days` days (1-30, default 7; as GET "
                "/analytics/trending): the most searched products with clicks, conversions, conversion rate "
                "and revenue (by currency code), the top keywords and the top merchants. Built by a rollup every "
                "5 minutes; `as_of` says when."
            ),
            input_model=TrendingRequest,
            output_model=Trending,
            run=_trending,
            read_only=True,
        ),
        Tool(
            name="set_webhook",
            title="Register or move your webhook",
            description=(
                "Where this API tells you about your conversions (pending, confirmed, refunded) and feedback "
                "about you, by a signed POST (as PUT /agents/{your agent_id}/webhook). The url must be https and "
                "resolve to public addresses only (else WEBHOOK_TARGET_FORBIDDEN). The first registration "
                "returns the signing secret, shown only then: store it; moving the url keeps the secret and "
                "does not show it."
            ),
            input_model=WebhookRequest,
            output_model=Webhook,
            run=_set_webhook,
            read_only=False,
        ),
        Tool(
            name="get_webhook",
            title="Your webhook",
            description=(
                "Your webhook's url, events and times (as GET /agents/{your agent_id}/webhook); never its "
                "secret. None registered: WEBHOOK_NOT_FOUND."
            ),
            input_model=OwnWebhookRequest,
            output_model=Webhook,
            run=_get_webhook,
            read_only=True,
        ),
        Tool(
            name="delete_webhook",
            title="Delete your webhook",
            description=(
                "Stop deliveries to your webhook at once and drop its queued retries (as DELETE "
                "/agents/{your agent_id}/webhook). None registered: WEBHOOK_NOT_FOUND."
            ),
            input_model=OwnWebhookRequest,
            output_model=Deleted,
            run=_delete_webhook,
            read_only=False,
            destructive=True,
        ),
        Tool(
            name="rotate_webhook_secret",
            title="Rotate your webhook's signing secret",
            description=(
                "A new signing secret, shown only in this result: store it (as POST "
                "/agents/{your agent_id}/webhook/secret). For a day, deliveries carry a second v1= signature "
                "made with the previous secret, so you can switch without losing a delivery."
            ),
            input_model=OwnWebhookRequest,
            output_model=Webhook,
            run=_rotate_webhook_secret,
            read_only=False,
        ),
        Tool(
            name="list_failed_webhook_deliveries",
            title="Deliveries that failed every retry",
            description=(
                "Your webhook's deliveries that failed every retry, oldest first, each with its exact body and "
                "last error (as GET /agents/{your agent_id}/webhook/failures); page with limit (1-100) and the "
                "returned next_cursor."
            ),
            input_model=FailedDeliveriesRequest,
            output_model=FailedDeliveryPage,
            run=_failed_deliveries,
            read_only=True,
        ),
        Tool(
            name="replay_failed_webhook_deliveries",
            title="Replay failed deliveries",
            description=(
                "Queue up to 100 failed deliveries (oldest first) for the next delivery run, within a minute, "
                "each with its original body and id and a fresh set of retries (as POST "
                "/agents/{your agent_id}/webhook/failures/replay); remaining=true: call again."
            ),
            input_model=OwnWebhookRequest,
            output_model=ReplayResult,
            run=_replay_deliveries,
            read_only=False,
        ),
    )
}
