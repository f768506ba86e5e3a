"""The rollup's promises beyond the figures: empty and new cases, freshness, crash and race safety."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest

from cashback import analytics, directory, rollup, shopping
from cashback.auth import Caller
from cashback.models import AgentProfile, LeaderboardMetric, LeaderboardPeriod, SearchRequest
from cashback.store import agents as agent_store
from cashback.store import analytics as analytics_store
from cashback.store import reputation as reputation_store

NOW = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())
AGENT = "agt_ROLLUProllupROLLUProll"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    moment = [NOW]
    monkeypatch.setattr(time, "time", lambda: float(moment[0]))
    return moment


@pytest.fixture
def agent(small_catalog: object, clock: list[int]) -> str:
    profile = AgentProfile(
        agent_id=AGENT, agent_name="roller", plan="standard", public=True, created_at="2026-11-01T00:00:00Z"
    )
    listing = reputation_store.summary_put(directory.entry_of(profile))  # public boards name public agents only
    agent_store.create_agent(profile.model_dump(mode="json", exclude_none=True), "hash-roller", listing)
    rollup.run(now=clock[0])  # starts the watermark
    return AGENT


def search(agent: str, clock: list[int], keywords: str = "pegasus") -> None:
    clock[0] += 10
    shopping.run_search(SearchRequest(keywords=keywords), Caller.of_agent(agent), "https://api.test", f"req-{clock[0]}")


def searches_on_the_board() -> int:
    board = analytics.leaderboard(LeaderboardMetric.SEARCHES, LeaderboardPeriod.WEEK)
    return sum(row.searches for row in board.agents)


def test_before_any_rollup_the_reads_are_empty_and_say_so(aws: None) -> None:
    board = analytics.leaderboard(LeaderboardMetric.REVENUE, LeaderboardPeriod.MONTH)
    assert board.agents == [] and board.as_of is None
    trending = analytics.trending(7, today=date(2026, 11, 20))
    assert trending.products == [] and trending.keywords == [] and trending.merchants == []
    assert trending.as_of is None


def test_a_new_agent_has_zeros_everywhere(agent: str) -> None:
    stats = analytics.stats(agent, Caller.of_agent(agent))
    assert (stats.total_searches, stats.total_clicks, stats.revenue, stats.conversion_rate) == (0, 0, {}, 0)
    assert stats.last_activity is None
    insight = analytics.analytics(agent, Caller.of_agent(agent), today=date(2026, 11, 20))
    assert len(insight.timeline) == 30
    assert all(point.searches == 0 and point.revenue == {} for point in insight.timeline)
    assert insight.revenue_trend == {}
    assert insight.recent_searches == [] and insight.top_brands == [] and insight.top_merchants == []


def test_an_empty_run_changes_nothing_but_freshness(agent: str, clock: list[int]) -> None:
    clock[0] += 300
    report = rollup.run(now=clock[0])
    assert (report.events, report.stopped_by_concurrent_run) == (0, False)
    board = analytics.leaderboard(LeaderboardMetric.SEARCHES, LeaderboardPeriod.WEEK)
    assert board.agents == []
    assert board.as_of is not None


def test_activity_shows_after_the_next_run_past_the_grace_period(agent: str, clock: list[int]) -> None:
    search(agent, clock)
    assert rollup.run(now=clock[0] + 1).events == 0  # still inside the grace period: not closed yet
    assert searches_on_the_board() == 0

    report = rollup.run(now=clock[0] + rollup.CLOSE_GRACE_SECONDS + 1)
    assert report.events == 1
    assert searches_on_the_board() == 1
    assert analytics.stats(agent, Caller.of_agent(agent)).total_searches == 1  # stats are live, rollup or not


def test_a_crash_after_counting_is_rebuilt_by_the_next_run(
    agent: str, clock: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    search(agent, clock, "wireless headphones")

    def crash(now: int, days: set[str]) -> int:
        raise RuntimeError("Lambda timed out")

    with monkeypatch.context() as patched:
        patched.setattr(rollup, "rebuild_read_models", crash)
        with pytest.raises(RuntimeError):
            rollup.run(now=clock[0] + 120)
    assert searches_on_the_board() == 0

    report = rollup.run(now=clock[0] + 420)
    assert report.events == 0 and report.rebuilt
    assert searches_on_the_board() == 1
    keywords = analytics.trending(1, today=date(2026, 11, 20)).keywords
    assert {k.keyword for k in keywords} == {"wireless", "headphone"}
    assert analytics_store.get_state().get(analytics_store.PENDING_DAYS) is None


def test_a_run_that_loses_a_race_counts_nothing(agent: str, clock: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    search(agent, clock)
    state_seen_by_the_slow_run = analytics_store.get_state()
    assert rollup.run(now=clock[0] + 120).events == 1

    monkeypatch.setattr(analytics_store, "get_state", lambda: state_seen_by_the_slow_run)
    report = rollup.run(now=clock[0] + 120)
    assert report.stopped_by_concurrent_run
    monkeypatch.undo()
    rollup.run(now=clock[0] + 420)
    assert searches_on_the_board() == 1
