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

from cashback import analytics, shopping
from cashback.auth import Caller
from cashback.models import (
    AgentStats,
    CompareRequest,
    CompareResponse,
    OwnStatsRequest,
    SearchRequest,
    SearchResponse,
    Trending,
    TrendingRequest,
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


def _own_stats(_: OwnStatsRequest, call: Invocation) -> AgentStats:
    return analytics.own_stats(call.caller)


def _trending(request: TrendingRequest, _: Invocation) -> Trending:
    return analytics.trending(request.days)


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
    )
}
