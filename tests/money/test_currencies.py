"""Money in different currencies is never added up: every figure is kept and shown by currency."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

from cashback import analytics, rollup
from cashback.auth import Caller
from cashback.models import LeaderboardMetric, LeaderboardPeriod
from tests.apigw import body_of
from tests.helpers import publish_agent
from tests.money.conftest import AGENT, OTHER_NETWORK, OTHER_SECRET, delivery, post

EUR = {"secret": OTHER_SECRET, "key_id": OTHER_NETWORK}  # globex reports for m_euro


def earn_in_two_currencies(clicks: dict[str, str]) -> None:
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    usd = post(delivery(clicks["m_beta"], "confirmed", conversion_id="usd-1", commission="4.00", occurred_at=at))
    eur = delivery(
        clicks["m_euro"], "confirmed", conversion_id="eur-1", commission="9.00", currency="EUR", occurred_at=at
    )
    pending = delivery(
        clicks["m_euro"], "pending", conversion_id="eur-2", commission="1.50", currency="EUR", occurred_at=at
    )
    assert [r["statusCode"] for r in (usd, post(eur, **EUR), post(pending, **EUR))] == [200, 200, 200]


def test_stats_keep_each_currency_apart(clicks: dict[str, str]) -> None:
    earn_in_two_currencies(clicks)
    stats = analytics.stats(AGENT, Caller.of_agent(AGENT))
    assert stats.revenue == {"EUR": Decimal("9.00"), "USD": Decimal("4.00")}
    assert stats.pending_revenue == {"EUR": Decimal("1.50")}
    assert stats.average_revenue_per_search == {"EUR": Decimal("9.00"), "USD": Decimal("4.00")}  # one search
    assert stats.model_dump(mode="json")["revenue"] == {"EUR": "9.00", "USD": "4.00"}  # decimal strings


def test_the_timeline_and_the_revenue_trend_are_by_currency(clicks: dict[str, str]) -> None:
    earn_in_two_currencies(clicks)
    insight = analytics.analytics(AGENT, Caller.of_agent(AGENT), today=datetime.now(UTC).date())
    assert insight.timeline[-1].revenue == {"EUR": Decimal("9.00"), "USD": Decimal("4.00")}
    assert {code: t.last_7_days for code, t in insight.revenue_trend.items()} == {
        "EUR": Decimal("9.00"),
        "USD": Decimal("4.00"),
    }
    assert all(t.growth_rate is None for t in insight.revenue_trend.values())


def test_the_revenue_leaderboard_ranks_within_one_currency_and_trending_shows_each(clicks: dict[str, str]) -> None:
    publish_agent(AGENT, "shopper")
    earn_in_two_currencies(clicks)
    rollup.run(now=int(time.time()) + 120)
    by_currency = {
        code: analytics.leaderboard(LeaderboardMetric.REVENUE, LeaderboardPeriod.WEEK, code)
        for code in ("EUR", "USD", "GBP")
    }
    assert [(b.currency, len(b.agents)) for b in by_currency.values()] == [("EUR", 1), ("USD", 1), ("GBP", 0)]
    assert by_currency["EUR"].agents[0].revenue == {"EUR": Decimal("9.00"), "USD": Decimal("4.00")}
    conversions = analytics.leaderboard(LeaderboardMetric.CONVERSIONS, LeaderboardPeriod.WEEK)
    assert conversions.agents[0].conversions == 2
    trending = analytics.trending(7, today=datetime.now(UTC).date())
    merchants = {m.merchant_id: m.revenue for m in trending.merchants}
    assert merchants["m_euro"] == {"EUR": Decimal("9.00")} and merchants["m_beta"] == {"USD": Decimal("4.00")}


def test_a_known_conversion_id_in_another_currency_is_409(clicks: dict[str, str]) -> None:
    earn_in_two_currencies(clicks)
    again = delivery(clicks["m_euro"], "confirmed", conversion_id="eur-1", commission="9.00", currency="USD")
    response = post(again, **EUR)
    assert (response["statusCode"], body_of(response)["error"]["code"]) == (409, "CONVERSION_MISMATCH")
