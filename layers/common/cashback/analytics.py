"""Per-agent reads: stats and analytics, each a fixed number of DynamoDB requests.

Stats: one BatchGetItem (the search/click totals and the conversion totals items, and the 14 day
items of each kind the trends sum: 30 keys).
Analytics: three Queries, each bounded by 30 items (last 30 searches, 30 day items of
search/click counters, 30 day items of conversion counters), whatever the history's size.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cashback import clock
from cashback.auth import Caller, Scope
from cashback.models import (
    AgentAnalytics,
    AgentStats,
    ConversionCounts,
    CountTrend,
    DailyActivity,
    Leaderboard,
    LeaderboardMetric,
    LeaderboardPeriod,
    LeaderboardRow,
    NetworkTotals,
    RankedCount,
    RevenueTrend,
    SearchLogEntry,
    StatsTrends,
    Trending,
    TrendingKeyword,
    TrendingMerchant,
    TrendingProduct,
)
from cashback.money import by_currency, cents
from cashback.store import activity as activity_store
from cashback.store import analytics as analytics_store
from cashback.store import reputation as reputation_store

TIMELINE_DAYS = 30
TREND_DAYS = 14  # this 7 days against the previous 7
RECENT_SEARCHES = 30
TOP = 5
RATE_PLACES = Decimal("0.0001")


def ratio(numerator: Decimal | int, denominator: Decimal | int, places: Decimal = RATE_PLACES) -> Decimal:
    """numerator / denominator rounded half up; 0 when the denominator is 0."""
    if not denominator:
        return Decimal(0).quantize(places)
    return (Decimal(numerator) / Decimal(denominator)).quantize(places, rounding=ROUND_HALF_UP)


def growth(current: Decimal | int, previous: Decimal | int) -> Decimal | None:
    """(current - previous) / previous, 4 places; None when previous is 0 (undefined)."""
    if not previous:
        return None
    return ratio(Decimal(current) - Decimal(previous), previous)


def stats(agent_id: str, caller: Caller, today: date | None = None) -> AgentStats:
    """The agent's live totals, for the agent itself or an admin key with analytics:read."""
    caller.require_agent_or_scope(agent_id, Scope.ANALYTICS_READ)
    days = _days(today or clock.today())[-TREND_DAYS:]
    totals = activity_store.totals(agent_id, days)
    revenue = {code: cents(amount) for code, amount in totals.revenue.items()}
    last = max((v for v in (totals.last_activity, totals.last_conversion_at) if v), default=None)
    return AgentStats(
        agent_id=agent_id,
        total_searches=totals.searches,
        total_clicks=totals.clicks,
        conversions=ConversionCounts(pending=totals.pending, confirmed=totals.confirmed, refunded=totals.refunded),
        revenue=revenue,
        pending_revenue={code: cents(amount) for code, amount in totals.pending_revenue.items()},
        average_revenue_per_search={
            code: ratio(amount, totals.searches, Decimal("0.01")) for code, amount in revenue.items() if totals.searches
        },
        conversion_rate=ratio(totals.confirmed, totals.clicks),
        last_activity=last,
        trends=_trends(days, totals.activity_days, totals.conversion_days),
        as_of=clock.now_iso(),
    )


def _count_trend(days: list[str], items: dict[str, dict[str, Any]], counter: str) -> CountTrend:
    counts = [int(items.get(day, {}).get(counter, 0)) for day in days]
    last, previous = sum(counts[-7:]), sum(counts[:-7])
    return CountTrend(last_7_days=last, previous_7_days=previous, growth_rate=growth(last, previous))


def _revenue_trend(timeline: list[DailyActivity]) -> dict[str, RevenueTrend]:
    """By currency: the last 7 days of `timeline` against the 7 before."""
    last_7, previous_7 = _sum_by_currency(timeline[-7:]), _sum_by_currency(timeline[-14:-7])
    return {
        code: RevenueTrend(
            last_7_days=last_7.get(code, Decimal("0.00")),
            previous_7_days=previous_7.get(code, Decimal("0.00")),
            growth_rate=growth(last_7.get(code, 0), previous_7.get(code, 0)),
        )
        for code in sorted(last_7.keys() | previous_7.keys())
    }


def _trends(days: list[str], activity: dict[str, dict[str, Any]], money: dict[str, dict[str, Any]]) -> StatsTrends:
    """The 14 `days` (oldest first): the last 7 against the 7 before."""
    return StatsTrends(
        searches=_count_trend(days, activity, "searches"),
        conversions=_count_trend(days, money, "conversions"),
        revenue=_revenue_trend([_day(day, activity, money) for day in days]),
    )


def _day(day: str, activity: dict[str, dict[str, Any]], money: dict[str, dict[str, Any]]) -> DailyActivity:
    clicks, conversions = int(activity.get(day, {}).get("clicks", 0)), int(money.get(day, {}).get("conversions", 0))
    return DailyActivity(
        date=day,
        searches=int(activity.get(day, {}).get("searches", 0)),
        clicks=clicks,
        conversions=conversions,
        revenue=by_currency(money.get(day, {}), "revenue"),
        conversion_rate=ratio(conversions, clicks),
    )


def _days(today: date) -> list[str]:
    return [(today - timedelta(days=offset)).isoformat() for offset in range(TIMELINE_DAYS - 1, -1, -1)]


def _top(counter: Counter[str]) -> list[RankedCount]:
    ranked = sorted(((n, c) for n, c in counter.items() if c > 0), key=lambda nc: (-nc[1], nc[0]))
    return [RankedCount(name=name, count=count) for name, count in ranked[:TOP]]


def _prefixed(items: list[dict[str, Any]], prefix: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for item in items:
        for name, value in item.items():
            if name.startswith(prefix):
                counts[name[len(prefix) :]] += int(value)
    return counts


def _sum_by_currency(days: list[DailyActivity]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for day in days:
        for code, amount in day.revenue.items():
            sums[code] = sums.get(code, Decimal("0.00")) + amount
    return sums


def own_stats(caller: Caller) -> AgentStats:
    """The calling agent's own totals (admin keys and anonymous callers: 403)."""
    return stats(caller.require_any_agent(), caller)


def analytics(agent_id: str, caller: Caller, today: date | None = None) -> AgentAnalytics:
    """Recent searches, the 30-day timeline and top lists, for the agent itself or analytics:read."""
    caller.require_agent_or_scope(agent_id, Scope.ANALYTICS_READ)
    days = _days(today or clock.today())
    searches = activity_store.recent_searches(agent_id, RECENT_SEARCHES)
    activity = activity_store.activity_days(agent_id, days[0], days[-1])
    money = activity_store.conversion_days(agent_id, days[0], days[-1])
    timeline = [_day(day, activity, money) for day in days]
    return AgentAnalytics(
        agent_id=agent_id,
        recent_searches=[
            SearchLogEntry(
                keywords=s.keywords, filters=s.filters, results_count=s.results_count, timestamp=s.created_at
            )
            for s in searches
        ],
        timeline=timeline,
        top_brands=_top(_prefixed(list(activity.values()), "brand:")),
        top_merchants=_top(_prefixed(list(money.values()), "merchant:")),
        revenue_trend=_revenue_trend(timeline),
        as_of=clock.now_iso(),
    )


# ---------------------------------------------------------------- network-wide reads (rollup output)

TRENDING_SIZE = 10


def leaderboard(metric: LeaderboardMetric, period: LeaderboardPeriod, currency: str = "USD") -> Leaderboard:
    """One GetItem (the rollup keeps every (period, metric) board ready, ranking public agents
    only, and a revenue board per currency: revenue is ranked within one currency, never summed
    across them) and one BatchGetItem of the listed agents' directory entries: an agent that opted
    out since the last rollup is left out at once, and the others move up; names are the published ones."""
    board = f"{period.value}#{metric.value}" + (f"#{currency}" if metric is LeaderboardMetric.REVENUE else "")
    item = analytics_store.get_leaderboard(board) or {}
    rows = list(item.get("rows", []))
    listed = reputation_store.listed_agents([row["agent_id"] for row in rows]) if rows else {}
    public = [row for row in rows if row["agent_id"] in listed]
    return Leaderboard(
        metric=metric,
        period=period,
        currency=currency,
        agents=[
            LeaderboardRow.model_validate({**row, "rank": rank, "agent_name": listed[row["agent_id"]]["agent_name"]})
            for rank, row in enumerate(public, start=1)
        ],
        as_of=item.get("as_of"),
    )


def _merge(
    day_lists: list[list[dict[str, Any]]], fields: tuple[str, ...], money: tuple[str, ...] = ("revenue",)
) -> dict[str, dict[str, Any]]:
    """Each entry's counters summed over the days; its `money` counters summed per currency; its
    latest label (`title`, `name`)."""
    merged: dict[str, dict[str, Any]] = {}
    for entries in day_lists:
        for entry in entries:
            total = merged.setdefault(entry["sk"], {**{f: Decimal(0) for f in fields}, **{m: {} for m in money}})
            for f in fields:
                total[f] += Decimal(entry.get(f, 0))
            for m in money:
                for code, amount in by_currency(entry, m).items():
                    total[m][code] = total[m].get(code, Decimal(0)) + amount
            for label in ("title", "name"):
                if entry.get(label):
                    total[label] = entry[label]
    for total in merged.values():
        for m in money:
            total[m] = {code: cents(amount) for code, amount in sorted(total[m].items()) if amount}
    return merged


def _ranked(merged: dict[str, dict[str, Any]], *order: str) -> list[tuple[str, dict[str, Any]]]:
    return sorted(merged.items(), key=lambda kv: (*(-kv[1][f] for f in order), kv[0]))[:TRENDING_SIZE]


def trending(days: int, today: date | None = None) -> Trending:
    """One BatchGetItem: the last `days` days' top lists, the network totals and the rollup state,
    merged here."""
    dates = _days(today or clock.today())[-days:]
    items, state, network = analytics_store.get_trend_days(dates)
    products = _merge([i.get("products", []) for i in items], ("searches", "clicks", "conversions"))
    keywords = _merge([i.get("keywords", []) for i in items], ("searches",))
    merchants = _merge(
        [i.get("merchants", []) for i in items], ("clicks", "conversions", "orders"), ("revenue", "order_amount")
    )
    return Trending(
        days=days,
        products=[
            TrendingProduct(
                title=v.get("title", k),
                searches=int(v["searches"]),
                clicks=int(v["clicks"]),
                conversions=int(v["conversions"]),
                conversion_rate=ratio(v["conversions"], v["searches"]),
                revenue=v["revenue"],
            )
            for k, v in _ranked(products, "searches", "conversions")
            if v["searches"] or v["conversions"]
        ],
        keywords=[TrendingKeyword(keyword=k, searches=int(v["searches"])) for k, v in _ranked(keywords, "searches")],
        merchants=[
            TrendingMerchant(
                merchant_id=k,
                name=v.get("name", k),
                clicks=int(v["clicks"]),
                conversions=int(v["conversions"]),
                revenue=v["revenue"],
                orders=int(v["orders"]),
                order_amount=v["order_amount"],
            )
            for k, v in _ranked(merchants, "conversions", "clicks")
        ],
        approximate=any(bool(i.get("truncated")) for i in items),
        network=NetworkTotals(
            agents=int(network.get("agents", 0)),
            searches=int(network.get("searches", 0)),
            conversions=int(network.get("conversions", 0)),
            commission={code: cents(amount) for code, amount in by_currency(network, "revenue").items()},
        ),
        as_of=(state or {}).get("as_of"),
    )
