"""The rollup's promises beyond the figures: empty and new cases, freshness, crash and race safety."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from cashback import analytics, rollup, shopping
from cashback.auth import Caller
from cashback.models import LeaderboardMetric, LeaderboardPeriod, SearchRequest
from cashback.settings import get_settings
from cashback.store import activity as activity_store
from cashback.store import analytics as analytics_store
from cashback.store import dynamo, events
from tests.helpers import publish_agent

NOW = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())
AGENT = "agt_ROLLUProllupROLLUProll"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    moment = [NOW]
    monkeypatch.setattr(time, "time", lambda: float(moment[0]))
    return moment


AGENTS = [f"agt_PERIODSperiods{n:08d}" for n in range(5)]


@pytest.fixture
def agent(small_catalog: object, clock: list[int]) -> str:
    publish_agent(AGENT, "roller")
    for index, other in enumerate(AGENTS):
        publish_agent(other, f"period-{index}")
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


def put_searches(epochs: list[int], keywords: list[str] | None = None) -> None:
    """Search events as `shopping` writes them, one per epoch (and keyword, cycling)."""
    words = keywords or ["pegasus"]
    activity_store.put_items(
        [
            events.event_item(
                "search",
                f"req-{n}",
                epoch,
                {"agent_id": AGENT, "counters": {"searches": 1, f"kw:{words[n % len(words)]}": 1}, "products": []},
            )
            for n, epoch in enumerate(epochs)
        ]
    )


def searches_counted(day: str = "2026-11-20") -> int:
    return int(analytics_store.read_agent_days([day])[0].get(day, {}).get(AGENT, {}).get("searches", 0))


def test_the_first_run_counts_every_event_still_kept_not_only_the_last_hour(aws: None) -> None:
    put_searches([NOW - 3 * 3600, NOW - 20 * 3600, NOW - 30 * 86400])
    report = rollup.run(now=NOW)
    assert report.events == 3
    assert analytics_store.read_agent_days(["2026-10-21"])[0]["2026-10-21"][AGENT]["searches"] == 1


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 8 events (2 a shard), runs of at most 24: a backlog of 100 takes several runs."""
    monkeypatch.setattr(rollup, "PAGE_EVENTS", 8)
    monkeypatch.setattr(rollup, "PER_SHARD", 2)
    monkeypatch.setattr(rollup, "MAX_EVENTS_PER_RUN", 24)


def test_a_backlog_inside_one_day_is_counted_in_bounded_runs(agent: str, small_pages: None) -> None:
    put_searches([NOW + 1 + n * 7 for n in range(100)])  # all after the watermark, within one day
    reports = [rollup.run(now=NOW + 1200)]
    while reports[-1].events:
        reports.append(rollup.run(now=NOW + 1200))
    assert sum(r.events for r in reports) == 100 and len(reports) <= 100 // (24 - 8) + 2
    assert all(r.events <= 24 and r.most_events_held <= 8 + events.SHARDS for r in reports)
    assert searches_counted() == 100


def crash_on_the_second_chunk() -> Callable[..., bool]:
    """analytics_store.apply_chunk as a run that times out while applying its second chunk."""
    applied = analytics_store.apply_chunk
    calls = []

    def apply_chunk(*args: object, **kwargs: object) -> bool:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("Lambda timed out")
        return applied(*args, **kwargs)  # type: ignore[arg-type]

    return apply_chunk


def test_a_run_that_stops_part_way_through_a_page_is_finished_without_counting_twice(
    agent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_searches([NOW + 1 + n for n in range(8)], keywords=[f"word{n}" for n in range(8)])
    monkeypatch.setattr(rollup, "CHUNK_ITEMS", 3)  # 8 keywords + 1 agent-day + 1 all-time item: 4 chunks
    with monkeypatch.context() as patched:
        patched.setattr(analytics_store, "apply_chunk", crash_on_the_second_chunk())
        with pytest.raises(RuntimeError):
            rollup.run(now=NOW + 1200)
    assert analytics_store.get_state()["chunk"] == 1

    def crash(*args: object) -> bool:
        raise RuntimeError("Lambda timed out")

    with monkeypatch.context() as patched:
        patched.setattr(analytics_store, "put_keyword_tops", crash)
        with pytest.raises(RuntimeError):
            rollup.run(now=NOW + 1260)  # counts the rest of the page, then stops before its keywords
    report = rollup.run(now=NOW + 1320)
    assert report.events == 8 and report.chunks == 1  # the page read again; only its keyword step left
    assert searches_counted() == 8
    keywords = analytics.trending(1, today=date(2026, 11, 20)).keywords
    assert [(k.keyword, k.searches) for k in keywords] == [(f"word{n}", 1) for n in range(8)]


def test_a_flood_of_unique_keywords_keeps_trending_exact_without_reading_the_flood(
    agent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    popular = [f"popular{n}" for n in range(12) for _ in range(12 - n)]
    put_searches([NOW + 1 + n for n in range(len(popular) + 300)], [*popular, *(f"x{n:03d}" for n in range(300))])
    queried: list[str] = []
    query = dynamo.query_partition
    monkeypatch.setattr(
        dynamo, "query_partition", lambda table, pk, *a, **k: queried.append(pk) or query(table, pk, *a, **k)
    )

    rollup.run(now=NOW + 1200)

    assert not [pk for pk in queried if pk.startswith("KEYWORDDAY#")]
    trend = analytics.trending(1, today=date(2026, 11, 20))
    expected = [(f"popular{n}", 12 - n) for n in range(10)]
    assert [(k.keyword, k.searches) for k in trend.keywords] == expected
    assert trend.approximate is True


def test_a_run_short_of_time_stops_after_a_page_and_the_next_goes_on(agent: str, small_pages: None) -> None:
    put_searches([NOW + 1 + n * 7 for n in range(20)])
    report = rollup.run(now=NOW + 1200, remaining_ms=lambda: rollup.RUN_TIME_MARGIN_MS - 1)
    assert report.pages == 1 and 0 < report.events <= 8
    while rollup.run(now=NOW + 1200).events:
        pass
    assert searches_counted() == 20


def test_a_backlog_left_for_later_runs_reports_its_lag_to_the_alarm(
    agent: str, small_pages: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_searches([NOW + 1 + n * 60 for n in range(100)])  # 100 minutes of searches, 24 counted a run
    reported: dict[str, float] = {}
    monkeypatch.setattr(rollup.metrics, "add_metric", lambda name, unit, value: reported.update({name: value}))

    rollup.run(now=NOW + 6060)

    lag_alarm_threshold = 1800  # RollupLagAlarm, template.yaml
    assert reported["RollupEvents"] <= 24
    assert reported["RollupWatermarkLagSeconds"] > lag_alarm_threshold


DAY = 86_400


def put_agent_searches(epoch: int) -> None:
    """Agent n searches n + 1 times at `epoch`."""
    found = [
        events.event_item(
            "search", f"req-{agent}-{n}-{epoch}", epoch, {"agent_id": agent, "counters": {}, "products": []}
        )
        for index, agent in enumerate(AGENTS)
        for n in range(index + 1)
    ]
    activity_store.put_items(found)


def board(period: LeaderboardPeriod) -> list[tuple[str, int]]:
    return [(row.agent_id, row.searches) for row in analytics.leaderboard(LeaderboardMetric.SEARCHES, period).agents]


def queried_partitions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    queried: list[str] = []
    query = dynamo.query_partition
    monkeypatch.setattr(
        dynamo, "query_partition", lambda table, pk, *a, **k: queried.append(pk) or query(table, pk, *a, **k)
    )
    return queried


EXPECTED_BOARD = [(agent, index + 1) for index, agent in reversed(list(enumerate(AGENTS)))]


def test_the_leaderboards_are_rebuilt_without_reading_daily_totals_and_move_on_by_five_days(
    agent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_agent_searches(NOW + 10)
    queried = queried_partitions(monkeypatch)
    rollup.run(now=NOW + 600)
    assert not [pk for pk in queried if pk.startswith("AGENTDAY#")]
    assert board(LeaderboardPeriod.WEEK) == EXPECTED_BOARD

    queried.clear()
    rollup.run(now=NOW + 7 * DAY)  # seven days on: out of this week, into the previous one
    assert len({pk for pk in queried if pk.startswith("AGENTDAY#")}) == 7 * 5
    assert board(LeaderboardPeriod.WEEK) == []
    assert board(LeaderboardPeriod.MONTH) == EXPECTED_BOARD
    growth = [
        row.growth_rate for row in analytics.leaderboard(LeaderboardMetric.SEARCHES, LeaderboardPeriod.MONTH).agents
    ]
    assert growth == [None] * 5  # nothing the 30 days before


def test_a_run_that_stops_part_way_through_moving_the_periods_on_is_finished_without_counting_twice(
    agent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_agent_searches(NOW + 10)
    rollup.run(now=NOW + 600)
    rollup.run(now=NOW + 6 * DAY)  # the next day moves the searches out of this week
    monkeypatch.setattr(rollup, "CHUNK_ITEMS", 2)  # 5 agents: 3 chunks a day
    with monkeypatch.context() as patched:
        patched.setattr(analytics_store, "apply_chunk", crash_on_the_second_chunk())
        with pytest.raises(RuntimeError):
            rollup.run(now=NOW + 7 * DAY)
    assert analytics_store.get_state()["upper"] == "SHIFT#2026-11-27"
    rollup.run(now=NOW + 8 * DAY)
    assert board(LeaderboardPeriod.WEEK) == []
    assert board(LeaderboardPeriod.MONTH) == EXPECTED_BOARD
    assert board(LeaderboardPeriod.ALL) == EXPECTED_BOARD


def test_period_totals_kept_before_this_version_are_built_once_from_the_daily_totals(agent: str) -> None:
    put_agent_searches(NOW + 10)
    rollup.run(now=NOW + 600)
    table = get_settings().analytics_table  # as an older rollup left it: daily totals, no period totals
    dynamo.dynamodb().update_item(
        TableName=table, Key=dynamo.key(*analytics_store.STATE_KEY), UpdateExpression="REMOVE periods_day"
    )
    for agent_id in AGENTS:
        dynamo.dynamodb().delete_item(TableName=table, Key=dynamo.key(analytics_store.AGENT_PERIODS, agent_id))

    rollup.run(now=NOW + 3 * DAY)

    assert board(LeaderboardPeriod.WEEK) == EXPECTED_BOARD
