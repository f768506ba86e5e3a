"""After an outage, the rollup catches up on its backlog in bounded runs and loses nothing.

Three days of events (6k, with 1k unique keywords) wait in DynamoDB Local behind the watermark;
the rollup function (its handler, under its template role) runs as its schedule would until it has
caught up. Each run counts at most MAX_EVENTS_PER_RUN events and holds at most a page of them
(both scaled down here with the backlog, so that it takes several runs of several pages); the
counters, the trending keywords and the leaderboards then agree with a brute-force recomputation
from the raw events. The full-size
outage (300k events, 50k keywords) is `make bench ONLY=rollup-outage`, which reports runs, peak
memory and time per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cashback import analytics, rollup
from cashback.models import LeaderboardMetric, LeaderboardPeriod
from cashback.store import events
from localrun import dynamodb_local
from tests import rollup_outage
from tests.apigw import LambdaContext
from tests.conftest import load_function

EVENTS, UNIQUE_KEYWORDS, DAYS = 6_000, 1_000, 3
PAGE_EVENTS, MAX_EVENTS_PER_RUN = 500, 2_000  # the function's own: 4,000 and 40,000

pytestmark = pytest.mark.skipif(
    dynamodb_local.unavailable_reason() is not None,
    reason=f"DynamoDB Local cannot run: {dynamodb_local.unavailable_reason()}",
)


@dataclass
class ScheduledContext(LambdaContext):
    """The rollup's context with its whole timeout ahead (its page count, not the clock, bounds a run here)."""

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


@dataclass
class Outage:
    items: list[dict[str, Any]]
    reports: list[dict[str, Any]]
    first: int
    last: int


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    first, last = rollup_outage.outage_window(DAYS)
    with rollup_outage.dynamodb_local(tmp_path_factory.mktemp("outage")):
        rollup_outage.publish_agents()
        rollup.run(now=first)  # the last run before the outage: the watermark stands at its start
        items = rollup_outage.backlog(EVENTS, UNIQUE_KEYWORDS, first, last)
        rollup_outage.write(items)
        function = load_function("rollup")
        reports: list[dict[str, Any]] = []
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(rollup, "MAX_EVENTS_PER_RUN", MAX_EVENTS_PER_RUN)
            patch.setattr(rollup, "PAGE_EVENTS", PAGE_EVENTS)
            patch.setattr(rollup, "PER_SHARD", PAGE_EVENTS // 4)
            while len(reports) < 20:
                reports.append(function.lambda_handler({}, ScheduledContext()))
                if reports[-1]["events"] == 0:
                    break
        yield Outage(items, reports, first, last)


def test_the_backlog_is_caught_up_in_bounded_runs(outage: Outage) -> None:
    counted = [r["events"] for r in outage.reports]
    assert sum(counted) == EVENTS and counted[-1] == 0
    assert all(r["stopped_by_concurrent_run"] is False for r in outage.reports)
    assert max(counted) <= MAX_EVENTS_PER_RUN
    # A run stops only when another page might not fit: each but the last counts more than this.
    assert all(n > MAX_EVENTS_PER_RUN - PAGE_EVENTS for n in counted[:-2])
    assert max(r["most_events_held"] for r in outage.reports) <= PAGE_EVENTS + events.SHARDS
    last_watermark = datetime.fromisoformat(outage.reports[-1]["watermark"][:19]).replace(tzinfo=UTC)
    assert last_watermark.timestamp() >= outage.last - 1


def test_every_counter_matches_a_recomputation(outage: Outage) -> None:
    def nonzero(counters: dict[tuple[str, str], Any]) -> dict[tuple[str, str], dict[str, Any]]:
        found = {key: {n: v for n, v in values.items() if v != 0} for key, values in counters.items()}
        return {key: values for key, values in found.items() if values}

    expected = nonzero(rollup_outage.expected_counters(outage.items))
    stored = nonzero(rollup_outage.stored_counters({pk for pk, _ in expected}))
    assert len(expected) > UNIQUE_KEYWORDS
    assert stored == expected


def test_trending_keywords_match_a_recomputation_without_reading_the_flood(outage: Outage) -> None:
    days = sorted({e["day"] for e in outage.items})
    cut_days = 0
    for day in days:
        # The window's first and last days are partial (it starts 3 days before the test runs), so a
        # day may have fewer keywords than the top list keeps: then the list is whole, not approximate.
        ranked = rollup_outage.expected_top_keywords(outage.items, day, len(outage.items))
        trend = analytics.trending(1, today=date.fromisoformat(day))
        assert [(k.keyword, k.searches) for k in trend.keywords] == ranked[: analytics.TRENDING_SIZE]
        assert trend.approximate is (len(ranked) > rollup.TREND_DAY_SIZE)
        cut_days += trend.approximate
    assert cut_days >= 2  # the whole days hold thousands of keywords, 50 kept


def test_leaderboards_match_a_recomputation(outage: Outage) -> None:
    expected = rollup_outage.expected_counters(outage.items)
    today = datetime.now(UTC).date()
    week = {(today - timedelta(days=n)).isoformat() for n in range(7)}
    figures = {"searches": "searches", "conversions": "conversions", "revenue": "revenue:USD"}
    totals: dict[str, dict[str, Decimal]] = {}
    for (pk, agent), counters in expected.items():
        if pk.startswith("AGENTDAY#") and pk[9:] in week:
            row = totals.setdefault(agent, dict.fromkeys(figures, Decimal(0)))
            for metric, counter in figures.items():
                row[metric] += counters.get(counter, 0)
    for metric in (LeaderboardMetric.SEARCHES, LeaderboardMetric.REVENUE, LeaderboardMetric.CONVERSIONS):
        board = analytics.leaderboard(metric, LeaderboardPeriod.WEEK, currency="USD")
        ranked = sorted((a for a in totals if totals[a][metric.value] > 0), key=lambda a: (-totals[a][metric.value], a))
        assert [row.agent_id for row in board.agents] == ranked[:10], metric
        shown = [row.revenue.get("USD") if metric is LeaderboardMetric.REVENUE else getattr(row, metric.value)
                 for row in board.agents]  # fmt: skip
        assert shown == [totals[a][metric.value] for a in ranked[:10]]
