"""Stats, per-agent analytics, the leaderboard and trending."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
)
from pydantic_core import CoreSchema

from cashback.models.common import ApiModel, ConversionCounts, Currency, Decimal, MoneyByCurrency
from cashback.money import cents

# Money is never summed across currencies: every amount below is a MoneyByCurrency (models.common).


class CountTrend(ApiModel):
    """A count over the last 7 days (today included) against the 7 before."""

    last_7_days: int
    previous_7_days: int
    growth_rate: Decimal | None = Field(description="(last - previous) / previous, 4 places; null when previous is 0")


class RevenueTrend(ApiModel):
    """One currency's revenue over the last 7 days against the 7 before."""

    last_7_days: Decimal
    previous_7_days: Decimal
    growth_rate: Decimal | None = Field(description="(last - previous) / previous; null when previous is 0")


class StatsTrends(ApiModel):
    """The last 7 days (today included, UTC) against the 7 before, from the agent's day counters."""

    searches: CountTrend
    conversions: CountTrend = Field(description="confirmed conversions, net of refunds, by the day they occurred")
    revenue: dict[Currency, RevenueTrend] = Field(
        description="confirmed commission by currency: each currency with revenue in the last 14 days"
    )


class AgentStats(ApiModel):
    agent_id: str
    total_searches: int
    total_clicks: int
    conversions: ConversionCounts = Field(description="conversions currently in each status")
    revenue: MoneyByCurrency = Field(description="confirmed commission, net of refunds, by currency")
    pending_revenue: MoneyByCurrency = Field(description="commission of conversions still pending, by currency")
    average_revenue_per_search: MoneyByCurrency = Field(
        description="revenue / total_searches, by currency (empty without searches or revenue)"
    )
    conversion_rate: Decimal = Field(description="confirmed conversions / clicks, 4 places (0 without clicks)")
    last_activity: str | None
    trends: StatsTrends
    as_of: str = Field(description="these figures are live: written with each request")


class OwnStatsRequest(ApiModel):
    """No arguments: the MCP tool get_agent_stats answers for the calling agent only."""

    model_config = ConfigDict(extra="forbid")


class SearchLogEntry(ApiModel):
    keywords: str
    filters: dict[str, object]
    results_count: int
    timestamp: str


class DailyActivity(ApiModel):
    date: str
    searches: int
    clicks: int
    conversions: int
    revenue: MoneyByCurrency
    conversion_rate: Decimal = Field(
        description="the day's confirmed conversions / its clicks, 4 places (0 without clicks), as in stats"
    )


class RankedCount(ApiModel):
    name: str
    count: int


class AgentAnalytics(ApiModel):
    agent_id: str
    recent_searches: list[SearchLogEntry]
    timeline: list[DailyActivity] = Field(description="30 days, oldest first; days without activity are zeros")
    top_brands: list[RankedCount]
    top_merchants: list[RankedCount] = Field(description="by confirmed conversions")
    revenue_trend: dict[Currency, RevenueTrend] = Field(
        description="by currency: each currency with revenue in the last 14 days"
    )
    as_of: str


class LeaderboardMetric(StrEnum):
    CONVERSIONS = "conversions"
    REVENUE = "revenue"
    SEARCHES = "searches"
    REPUTATION = "reputation"


class LeaderboardPeriod(StrEnum):
    WEEK = "7d"
    MONTH = "30d"
    ALL = "all"

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        """Name the members in the document (`x-enum-varnames`): "7d" is no identifier for generated clients."""
        json_schema = handler(schema)
        handler.resolve_ref_schema(json_schema)["x-enum-varnames"] = [member.name for member in cls]
        return json_schema


class LeaderboardRow(ApiModel):
    rank: int
    agent_id: str
    agent_name: str
    conversions: int
    # Two places as stored by the rollup: DynamoDB drops trailing zeros from numbers ("75.00" reads back 75).
    revenue: MoneyByCurrency = Field(description="the period's confirmed commission by currency")
    searches: int
    reputation: Annotated[Decimal, AfterValidator(cents)] | None = Field(
        default=None, description="the agent's reputation score; null when unscored"
    )
    growth_rate: Decimal | None = Field(
        description="(metric this period - metric the period before) / the period before, 4 places; null when "
        "the period before is 0. For period=all: the last 30 days against the 30 before. Null for reputation."
    )


class Leaderboard(ApiModel):
    metric: LeaderboardMetric
    period: LeaderboardPeriod
    currency: Currency = Field(description="metric=revenue ranks by revenue in this currency only")
    agents: list[LeaderboardRow]
    as_of: str | None = Field(description="when the rollup that built this last ran; null before the first run")


class TrendingRequest(ApiModel):
    """GET /analytics/trending's query parameters as one object (the MCP tool get_trending's arguments)."""

    model_config = ConfigDict(extra="forbid")

    days: Annotated[int, Field(ge=1, le=30)] = 7


class TrendingProduct(ApiModel):
    title: str
    searches: int
    clicks: int
    conversions: int
    conversion_rate: Decimal = Field(description="conversions / searches, 4 places (0 without searches)")
    revenue: MoneyByCurrency


class TrendingKeyword(ApiModel):
    keyword: str
    searches: int


class TrendingMerchant(ApiModel):
    merchant_id: str
    name: str = Field(description="the merchant's name in the catalog (its id when it has no record)")
    clicks: int
    conversions: int = Field(description="confirmed conversions, net of refunds")
    revenue: MoneyByCurrency = Field(description="confirmed commission by currency")
    orders: int = Field(description="orders reported by networks (each conversion once, when first reported)")
    order_amount: MoneyByCurrency = Field(description="those orders' amounts by currency")


class NetworkTotals(ApiModel):
    """The whole network, all time, as of the last rollup (kept by it: one item read)."""

    agents: int = Field(description="agents registered, less those deleted")
    searches: int
    conversions: int = Field(description="confirmed conversions, net of refunds")
    commission: MoneyByCurrency = Field(description="confirmed commission, net of refunds, by currency")


class Trending(ApiModel):
    days: int
    products: list[TrendingProduct]
    keywords: list[TrendingKeyword]
    merchants: list[TrendingMerchant] = Field(description="by conversions, then clicks (revenue is per currency)")
    approximate: bool = Field(description="true when a day had more entries than its stored top list")
    network: NetworkTotals
    as_of: str | None
