"""The scheduled rollup: activity events → daily aggregates → leaderboard and trending read models.

Incremental: the rollup reads only the events written after its watermark (see `events`), so its
cost grows with the activity since its last run. Each window's deltas are ADDed to aggregate
items in transactions that also move the watermark,
conditioned on the watermark read, so a crash, a retry or a concurrent run never counts an
event twice (the loser of a race stops; the next run continues where the winner left off).

What is aggregated: per day, each agent's, product's, keyword's and merchant's searches, clicks,
conversions and revenue, and each agent's all-time totals; read models built from them: the
leaderboards (top 10 agents per period and metric, with growth rates) and each day's trending lists.
The item layout is in `store.analytics`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from cashback import clock, directory, reputation
from cashback.analytics import growth
from cashback.observability import MetricUnit, logger, metrics
from cashback.store import analytics as analytics_store

CHUNK_ITEMS = 98  # + the state update = 99 < 100 items per transaction
# Events are read only once they are this old: every writer takes its timestamp less than a
# function timeout before its write lands, so nothing can appear behind the watermark later.
CLOSE_GRACE_SECONDS = 60
WINDOW_SECONDS = 6 * 3600
MAX_EVENTS_PER_RUN = 200_000  # a larger backlog is finished by the next runs
FIRST_RUN_LOOKBACK_SECONDS = 3_600
LEADERBOARD_SIZE = 10
TREND_DAY_SIZE = 50
PERIODS: dict[str, int | None] = {"7d": 7, "30d": 30, "all": None}
METRICS = ("conversions", "searches")  # summed over days, with revenue per currency; reputation is ranked apart
ALL_TIME_GROWTH_DAYS = 30  # period=all reports growth over the last 30 days vs the 30 before

Key = tuple[str, str]


@dataclass
class Deltas:
    """Counter increments by aggregate item, plus last-seen labels (titles, names)."""

    counters: dict[Key, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))
    labels: dict[Key, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    days: set[str] = field(default_factory=set)
    reputation_agents: set[str] = field(default_factory=set)  # whose feedback or conversions changed

    def add(self, item: Key, **amounts: Any) -> None:
        for name, amount in amounts.items():
            if amount:
                counters = self.counters[item]
                counters[name] = counters.get(name, 0) + amount

    def label(self, item: Key, **labels: str | None) -> None:
        self.labels[item].update({k: v for k, v in labels.items() if v})


def deltas_of(batch: list[dict[str, Any]]) -> Deltas:
    deltas = Deltas()
    for event in batch:
        kind, agent = event["kind"], event["agent_id"]
        if kind == "feedback":
            deltas.reputation_agents.add(agent)
            continue
        if kind == "search":
            day = event["day"]
            deltas.add((analytics_store.agent_day(day), agent), searches=1)
            deltas.add((analytics_store.AGENT_ALL, agent), searches=1)
            for name, count in event.get("counters", {}).items():
                if name.startswith("kw:"):
                    deltas.add((analytics_store.keyword_day(day), name[3:]), searches=int(count))
            for product in event.get("products", []):
                deltas.add((analytics_store.product_day(day), product["match_key"]), searches=1)
                deltas.label((analytics_store.product_day(day), product["match_key"]), title=product.get("title"))
        elif kind == "click":
            day = event["day"]
            deltas.add((analytics_store.agent_day(day), agent), clicks=1)
            deltas.add((analytics_store.AGENT_ALL, agent), clicks=1)
            deltas.add((analytics_store.merchant_day(day), event["merchant_id"]), clicks=1)
            if event.get("match_key"):
                deltas.add((analytics_store.product_day(day), event["match_key"]), clicks=1)
                deltas.label((analytics_store.product_day(day), event["match_key"]), title=event.get("title"))
        elif kind == "conversion":
            day = event["occurred_day"]
            deltas.reputation_agents.add(agent)
            # Revenue per currency (`revenue:<code>`); events written before currencies were kept were USD-only.
            revenue = f"revenue:{event.get('currency', 'USD')}"
            money = {"conversions": int(event.get("d_confirmed_count", 0)), revenue: event.get("d_revenue", 0)}
            deltas.add((analytics_store.agent_day(day), agent), **money)
            deltas.add((analytics_store.AGENT_ALL, agent), **money)
            deltas.add((analytics_store.merchant_day(day), event["merchant_id"]), **money)
            if event.get("match_key"):
                deltas.add((analytics_store.product_day(day), event["match_key"]), **money)
                deltas.label((analytics_store.product_day(day), event["match_key"]), title=event.get("title"))
        deltas.days.add(day)
    return deltas


@dataclass(frozen=True)
class RunReport:
    windows: int
    events: int
    chunks: int
    reads: int
    watermark: str
    rebuilt: bool
    stopped_by_concurrent_run: bool = False


def run(now: int | None = None) -> RunReport:
    """Roll up every event written since the watermark (up to a little before now), in windows
    of at most WINDOW_SECONDS, then rebuild the read models if anything changed."""
    now = now or int(time.time())
    target = clock.iso(now - CLOSE_GRACE_SECONDS)
    state = analytics_store.get_state()
    if state is None:
        state_now: dict[str, Any] | None = None
        watermark, upper, chunk_done = clock.iso(now - FIRST_RUN_LOOKBACK_SECONDS), "", 0
    else:
        state_now = {k: state[k] for k in ("watermark", "upper", "chunk")}
        watermark, upper, chunk_done = str(state["watermark"]), str(state["upper"]), int(state["chunk"])
    windows = events_read = chunks = reads = 0
    reputations_changed = False
    # Days an earlier run counted but did not rebuild (it crashed or lost a race) come first.
    touched_days: set[str] = set((state or {}).get(analytics_store.PENDING_DAYS, set()))
    while (upper or watermark < target) and events_read < MAX_EVENTS_PER_RUN:
        high = upper or min(target, clock.iso(clock.epoch_of(watermark) + WINDOW_SECONDS))
        batch, window_reads = analytics_store.read_events(watermark, high)
        reads += window_reads
        deltas = deltas_of(batch)
        touched_days |= deltas.days
        # Scores derive from live totals, not from these deltas: computing them before the watermark
        # moves means a crash can only make the next run compute them again.
        if deltas.reputation_agents:
            reputation.refresh(deltas.reputation_agents)
            reputations_changed = True
        items = sorted(deltas.counters)
        groups = [items[i : i + CHUNK_ITEMS] for i in range(0, len(items), CHUNK_ITEMS)] or [[]]
        for index, group in enumerate(groups):
            if index < chunk_done:
                continue  # applied by an earlier run that stopped part-way through this window
            done = index == len(groups) - 1
            new_state = {
                "watermark": high if done else watermark,
                "upper": "" if done else high,
                "chunk": 0 if done else index + 1,
            }
            applied = analytics_store.apply_chunk(
                {k: deltas.counters[k] for k in group},
                {k: deltas.labels.get(k, {}) for k in group},
                expected=state_now,
                new_state={**new_state, "as_of": new_state["watermark"]},
                days=deltas.days,
            )
            if not applied:
                logger.warning("another rollup moved the watermark; stopping", extra={"window": [watermark, high]})
                return RunReport(windows, events_read, chunks, reads, watermark, False, stopped_by_concurrent_run=True)
            state_now = new_state
            chunks += 1
        watermark, upper, chunk_done = high, "", 0
        events_read += len(batch)
        windows += 1
    rebuilt = bool(touched_days) or reputations_changed or analytics_store.read_models_stale(_today(now).isoformat())
    if rebuilt:
        reads += rebuild_read_models(now, touched_days)
        if touched_days:
            analytics_store.clear_pending_days(touched_days)
    metrics.add_metric(name="RollupEvents", unit=MetricUnit.Count, value=events_read)
    lag = max(0, now - clock.epoch_of(watermark))
    # Alarmed (RollupLagAlarm): a watermark that trails now by more than a few runs is a stalled rollup.
    metrics.add_metric(name="RollupWatermarkLagSeconds", unit=MetricUnit.Seconds, value=lag)
    return RunReport(windows, events_read, chunks, reads, watermark, rebuilt)


def _today(now: int) -> date:
    return datetime.fromtimestamp(now, UTC).date()


# ---------------------------------------------------------------- read models


def _ranked_metrics(item: dict[str, Any]) -> dict[str, Decimal]:
    """What boards rank: conversions, searches and revenue per currency (`revenue:<code>`, never summed)."""
    return {m: Decimal(v) for m, v in item.items() if m in METRICS or m.startswith("revenue:")}


def _period_sums(days: dict[str, dict[str, dict[str, Any]]], first: date, last: date) -> dict[str, dict[str, Decimal]]:
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    day = first
    while day <= last:
        for agent, item in days.get(day.isoformat(), {}).items():
            for metric, value in _ranked_metrics(item).items():
                sums[agent][metric] += value
        day += timedelta(days=1)
    return sums


def leaderboards(
    agent_days: dict[str, dict[str, dict[str, Any]]],
    all_time: dict[str, dict[str, Any]],
    today: date,
    reputations: dict[str, Decimal] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Top agents per `<period>#<metric>`, with growth = (this period - previous) / previous.
    `reputation` boards rank scored agents by score (the same in every period: it is not summed
    over days), showing the period's figures beside it; they have no growth."""
    reputations = reputations or {}
    boards: dict[str, list[dict[str, Any]]] = {}
    # A revenue board per currency ever earned (all-time totals hold each one), so none goes stale.
    currencies = sorted(
        {m for item in all_time.values() for m in item if m.startswith("revenue:")}
        | {m for day in agent_days.values() for item in day.values() for m in item if m.startswith("revenue:")}
    )
    for period, length in PERIODS.items():
        span = length or ALL_TIME_GROWTH_DAYS
        current = _period_sums(agent_days, today - timedelta(days=span - 1), today)
        previous = _period_sums(agent_days, today - timedelta(days=2 * span - 1), today - timedelta(days=span))
        totals: dict[str, dict[str, Decimal]]
        if length is None:
            totals = {a: defaultdict(Decimal, _ranked_metrics(item)) for a, item in all_time.items()}
        else:
            totals = dict(current)
        for metric in ("conversions", "searches", *currencies):
            ranked = sorted(
                ((agent, values) for agent, values in totals.items() if values[metric] > 0),
                key=partial(_rank_key, metric),
            )[:LEADERBOARD_SIZE]
            boards[f"{period}#{metric.replace(':', '#')}"] = [
                _row(
                    rank, agent, values, reputations.get(agent), growth(current[agent][metric], previous[agent][metric])
                )
                for rank, (agent, values) in enumerate(ranked, start=1)
            ]
        best = sorted(reputations.items(), key=lambda entry: (-entry[1], entry[0]))[:LEADERBOARD_SIZE]
        empty: dict[str, Decimal] = defaultdict(Decimal)
        boards[f"{period}#reputation"] = [
            _row(rank, agent, totals.get(agent, empty), score, None)
            for rank, (agent, score) in enumerate(best, start=1)
        ]
    return boards


def _row(
    rank: int, agent: str, values: dict[str, Decimal], reputation_score: Decimal | None, growth_rate: Decimal | None
) -> dict[str, Any]:
    """One leaderboard row: the agent's figures for the period, its score and the growth rate."""
    return {
        "rank": rank,
        "agent_id": agent,
        "conversions": int(values["conversions"]),
        "revenue": {m.split(":", 1)[1]: v for m, v in sorted(values.items()) if m.startswith("revenue:") and v},
        "searches": int(values["searches"]),
        "reputation": reputation_score,
        "growth_rate": growth_rate,
    }


def trend_day(
    products: list[dict[str, Any]], keywords: list[dict[str, Any]], merchants: list[dict[str, Any]]
) -> dict[str, Any]:
    """One day's top lists (at most TREND_DAY_SIZE each) and whether any list was cut."""

    def top(items: list[dict[str, Any]], *order: str) -> list[dict[str, Any]]:
        ranked = sorted(items, key=lambda i: (*tuple(-Decimal(i.get(f, 0)) for f in order), i["sk"]))
        return [{k: v for k, v in i.items() if k != "pk"} for i in ranked[:TREND_DAY_SIZE]]

    return {
        "products": top(products, "searches", "conversions"),
        "keywords": top(keywords, "searches"),
        "merchants": top(merchants, "conversions", "clicks"),
        "truncated": any(len(x) > TREND_DAY_SIZE for x in (products, keywords, merchants)),
    }


def rebuild_read_models(now: int, touched_days: set[str]) -> int:
    """Rebuild the leaderboards (from the last 60 days of per-agent aggregates and the all-time
    totals) and the trending lists of the days this run touched; returns the reads it made."""
    today = _today(now)
    window = [(today - timedelta(days=offset)).isoformat() for offset in range(2 * max(30, ALL_TIME_GROWTH_DAYS))]
    agent_days, reads = analytics_store.read_agent_days(window)
    all_time, reputations, all_reads = analytics_store.read_all_time()
    reads += all_reads
    scores = {agent: Decimal(item["score"]) for agent, item in reputations.items() if item.get("score") is not None}
    # Public boards rank public agents only (the directory's opt-in); the read re-checks each row.
    public = directory.public_agent_ids()
    agent_days = {day: {a: v for a, v in agents.items() if a in public} for day, agents in agent_days.items()}
    all_time = {a: v for a, v in all_time.items() if a in public}
    boards = leaderboards(agent_days, all_time, today, {a: s for a, s in scores.items() if a in public})
    names = analytics_store.agent_names({row["agent_id"] for rows in boards.values() for row in rows})
    for rows in boards.values():
        for row in rows:
            row["agent_name"] = names.get(row["agent_id"], "")
    for day in sorted(touched_days):
        parts, day_reads = analytics_store.read_trend_parts(day)
        reads += day_reads
        analytics_store.put_trend_day(day, trend_day(*parts))
    analytics_store.put_leaderboards(boards, clock.iso(now), today.isoformat())
    return reads + 1


def _rank_key(metric: str, entry: tuple[str, dict[str, Decimal]]) -> tuple[Decimal, str]:
    """Highest first; ties go to the lower agent id, so every run ranks alike."""
    agent, values = entry
    return -values[metric], agent
