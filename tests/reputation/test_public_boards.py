"""Public boards name public agents only: the leaderboard (every metric, reputation included) shows
agents that opted in (`public: true`, the directory's flag), and one that opts out leaves at once."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from cashback import analytics, rollup, shopping
from cashback.auth import Caller
from cashback.models import LeaderboardMetric, LeaderboardPeriod, SearchRequest
from tests.apigw import body_of
from tests.reputation.conftest import as_agent, get_reputation, give, new_agent, update_profile

NOW = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())


@pytest.fixture
def clock(small_catalog: object, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    moment = [NOW]
    monkeypatch.setattr(time, "time", lambda: float(moment[0]))
    rollup.run(now=moment[0])  # starts the watermark
    return moment


def search(agent: dict, clock: list[int], times: int = 1) -> None:
    for _ in range(times):
        clock[0] += 10
        caller = Caller.of_agent(agent["agent_id"])
        shopping.run_search(SearchRequest(keywords="pegasus"), caller, "https://api.test", f"req-{clock[0]}")


def roll_up(clock: list[int]) -> None:
    clock[0] += rollup.CLOSE_GRACE_SECONDS + 5
    rollup.run(now=clock[0])


def board(metric: LeaderboardMetric) -> list[tuple[int, str, str]]:
    rows = analytics.leaderboard(metric, LeaderboardPeriod.WEEK).agents
    return [(row.rank, row.agent_id, row.agent_name) for row in rows]


def test_the_leaderboard_ranks_public_agents_only(clock: list[int]) -> None:
    public, private = new_agent("shown", public=True), new_agent("never opted in")
    search(private, clock, times=3)  # the busier agent, but private
    search(public, clock)

    roll_up(clock)

    assert board(LeaderboardMetric.SEARCHES) == [(1, public["agent_id"], "shown")]


def test_the_reputation_board_ranks_public_agents_only_as_the_reputation_read_does(clock: list[int]) -> None:
    public, private = new_agent("rated in public", public=True), new_agent("rated in private")
    for n in range(3):
        author = as_agent(new_agent(f"author {n}"))
        give(public["agent_id"], {"score": 60}, author)
        give(private["agent_id"], {"score": 90}, author)

    roll_up(clock)

    assert board(LeaderboardMetric.REPUTATION) == [(1, public["agent_id"], "rated in public")]
    assert get_reputation(private["agent_id"])["statusCode"] == 404


def test_an_agent_that_opts_out_leaves_the_board_at_once_and_the_others_move_up(clock: list[int]) -> None:
    first, second = new_agent("first", public=True), new_agent("second", public=True)
    search(first, clock, times=2)
    search(second, clock)
    roll_up(clock)
    assert [row[1] for row in board(LeaderboardMetric.SEARCHES)] == [first["agent_id"], second["agent_id"]]

    assert update_profile(first["agent_id"], {"public": False}, as_agent(first))["statusCode"] == 200

    assert board(LeaderboardMetric.SEARCHES) == [(1, second["agent_id"], "second")]  # no rollup in between


def test_the_board_shows_the_name_the_agent_publishes_now(clock: list[int]) -> None:
    agent = new_agent("old name", public=True)
    search(agent, clock)
    roll_up(clock)

    renamed = update_profile(agent["agent_id"], {"agent_name": "new name"}, as_agent(agent))

    assert body_of(renamed)["agent_name"] == "new name"
    assert board(LeaderboardMetric.SEARCHES) == [(1, agent["agent_id"], "new name")]
