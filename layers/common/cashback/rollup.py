"""The scheduled rollup: activity events → daily aggregates → leaderboard and trending read models.

Incremental: the rollup reads only the events written after its watermark (see `events`), so its
cost grows with the activity since its last run. Each window's deltas are ADDed to aggregate
items in transactions that also move the watermark,
conditioned on the watermark read, so a crash, a retry or a concurrent run never counts an
event twice (the loser of a race stops; the next run continues where the winner left off).

What is aggregated: per day, each agent's, product's, keyword's and merchant's searches, clicks,
conversions and revenue (and each merchant's orders: conversions counted once, when first
reported, with their order amounts), each agent's all-time and period totals, and the network's
totals (registered agents, searches, conversions, revenue); read models built from them: the
leaderboards (top 10 agents per period and metric, with growth rates) and each day's trending
lists, merchants named from the catalog as the lists are built. The item layout is in `store.analytics`.

Bounded whatever the backlog: events are read a page at a time (PAGE_EVENTS), a run counts at most
MAX_EVENTS_PER_RUN, each day's top keywords are merged page by page (never a keyword partition
read whole), and the period totals move on a day at a time (never 60 days of daily totals read).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from cashback import clock, directory, reputation
from cashback.analytics import growth
from cashback.observability import MetricUnit, logger, metrics
from cashback.store import analytics as analytics_store
from cashback.store import catalog as catalog_store
from cashback.store import events

CHUNK_ITEMS = 98  # + the state update = 99 < 100 items per transaction
# Events are read only once they are this old: every writer takes its timestamp less than a
# function timeout before its write lands, so nothing can appear behind the watermark later.
CLOSE_GRACE_SECONDS = 60
PAGE_EVENTS = 4_000  # events counted per page; a page read holds at most PAGE_EVENTS + SHARDS
PER_SHARD = PAGE_EVENTS // events.SHARDS
MAX_EVENTS_PER_RUN = 40_000  # whole pages; a larger backlog is finished by the next runs
RUN_TIME_MARGIN_MS = 90_000  # no page starts with less left before the timeout (a page, the rebuild)
FIRST_RUN_LOOKBACK_SECONDS = events.EVENT_RETENTION_SECONDS  # every event still kept
LEGACY_KEYWORDS = "legacy_keywords_through"
LEADERBOARD_SIZE = 10
TREND_DAY_SIZE = 50
PERIODS: dict[str, int | None] = {"7d": 7, "30d": 30, "all": None}
# Each agent's period totals (`AGENTPERIODS`), kept as the days go by: bucket -> the ages in days,
# relative to the totals' day, it sums [from, to). Counter names are `<bucket>#<counter>`, for every
# counter of the agent's daily totals, so a new counter (say, one per currency) is summed alike.
BUCKETS: dict[str, tuple[int, int]] = {"7d": (0, 7), "7d-previous": (7, 14), "30d": (0, 30), "30d-previous": (30, 60)}
# The buckets each board reads: its figures and its growth (this period against the previous one).
BOARD_BUCKETS = {"7d": ("7d", "7d-previous"), "30d": ("30d", "30d-previous"), "all": ("30d", "30d-previous")}
SHIFT = "SHIFT#"  # `upper` while the period totals move on to the day that follows
PERIODS_DAY = "periods_day"
METRICS = ("conversions", "searches")  # summed over days, with revenue per currency; reputation is ranked apart
# period=all reports growth over the last 30 days vs the 30 before (BOARD_BUCKETS["all"])

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
        if kind == "agent":  # registered (+1) or deleted (-1): only the network's count changes
            deltas.add(analytics_store.NETWORK, agents=int(event.get("d_agents", 0)))
            continue
        if kind == "search":
            day = event["day"]
            deltas.add((analytics_store.agent_day(day), agent), searches=1)
            deltas.add((analytics_store.AGENT_ALL, agent), searches=1)
            deltas.add(analytics_store.NETWORK, searches=1)
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
            deltas.add(analytics_store.NETWORK, **money)
            deltas.add((analytics_store.merchant_day(day), event["merchant_id"]), **money)
            if event.get("new_order"):  # the conversion's first report: one order, with its amount
                order = {"orders": 1, f"order_amount:{event.get('currency', 'USD')}": event.get("order_amount", 0)}
                deltas.add((analytics_store.merchant_day(day), event["merchant_id"]), **order)
            if event.get("match_key"):
                deltas.add((analytics_store.product_day(day), event["match_key"]), **money)
                deltas.label((analytics_store.product_day(day), event["match_key"]), title=event.get("title"))
        deltas.days.add(day)
    return deltas


@dataclass(frozen=True)
class RunReport:
    pages: int
    events: int
    chunks: int
    reads: int
    watermark: str
    rebuilt: bool
    stopped_by_concurrent_run: bool = False
    most_events_held: int = 0  # the most events one page read held in memory (<= PAGE_EVENTS + SHARDS)


@dataclass
class _Cursor:
    """Where the rollup stands: every event sorting before `watermark` is counted; `upper` is the
    end of the page in progress ("" between pages) and `chunk` how many of its steps are applied."""

    watermark: str
    upper: str = ""
    chunk: int = 0

    def state(self) -> dict[str, Any]:
        return {"watermark": self.watermark, "upper": self.upper, "chunk": self.chunk}


@dataclass
class _Run:
    """One run's progress: the cursor, the state as last written, and what the run did."""

    cursor: _Cursor
    saved: dict[str, Any] | None  # the state as stored (None: no state yet); every write expects it
    touched_days: set[str]
    # Days up to this one may hold keyword counts from before top lists were kept ("": none do).
    legacy_keywords_through: str = ""
    periods_day: str = ""  # the day the period totals are relative to ("": not kept yet)
    pages: int = 0
    events: int = 0
    chunks: int = 0
    reads: int = 0
    held: int = 0
    reputations_changed: bool = False

    def report(self, rebuilt: bool, stopped: bool = False) -> RunReport:
        return RunReport(
            self.pages, self.events, self.chunks, self.reads, self.cursor.watermark, rebuilt, stopped, self.held
        )

    def save(self, new: _Cursor, write: Callable[[dict[str, Any] | None, dict[str, Any]], bool]) -> bool:
        """Write `new` as the state (with whatever `write` adds), if the state is still as saved."""
        new_state = new.state()
        extra = {"as_of": new.watermark[:20], LEGACY_KEYWORDS: self.legacy_keywords_through}
        extra[PERIODS_DAY] = self.periods_day
        if not write(self.saved, {**new_state, **extra}):
            logger.warning("another rollup moved the watermark; stopping", extra={"at": self.cursor.state()})
            return False
        self.saved = new_state
        return True

    def count(self, page: analytics_store.EventPage) -> bool:
        """ADD one page's deltas in chunks, then merge its keywords into the day's top list, each
        step a transaction that also moves the state; False if another run moved it first."""
        self.reads += page.queries
        self.held = max(self.held, page.held)
        deltas = deltas_of(page.events)
        self.touched_days |= deltas.days
        # Scores derive from live totals, not from these deltas: computing them before the watermark
        # moves means a crash can only make the next run compute them again.
        if deltas.reputation_agents:
            reputation.refresh(deltas.reputation_agents)
            self.reputations_changed = True
        if self.periods_day:
            _add_to_periods(deltas, date.fromisoformat(self.periods_day))
        items = sorted(deltas.counters)
        groups = [items[i : i + CHUNK_ITEMS] for i in range(0, len(items), CHUNK_ITEMS)]
        keywords = _keywords_by_day(items)
        low, after = self.cursor.watermark, _Cursor(page.end)
        for index, group in enumerate(groups):
            if index < self.cursor.chunk:
                continue  # applied by an earlier run that stopped part-way through this page
            step = after if index == len(groups) - 1 and not keywords else _Cursor(low, page.end, index + 1)
            counters = {k: deltas.counters[k] for k in group}
            labels = {k: deltas.labels.get(k, {}) for k in group}
            if not self.save(step, partial(analytics_store.apply_chunk, counters, labels, days=deltas.days)):
                return False
            self.chunks += 1
        if keywords:  # every count of the page is applied: merge the counts as they are now
            tops = {}
            for day, touched in keywords.items():
                tops[day], reads = _merged_keyword_top(day, touched, day <= self.legacy_keywords_through)
                self.reads += reads
            if not self.save(after, partial(analytics_store.put_keyword_tops, tops)):
                return False
            self.chunks += 1
        self.cursor = after
        self.events += len(page.events)
        self.pages += 1
        return True

    def advance_periods(self, today: str) -> bool:
        """Move the period totals on to `today`, a day at a time: each day ADDs the days entering
        a bucket and takes out the days leaving it (5 daily partitions a day, whatever the history),
        in chunks that move the state like a page's; False if another run moved it first."""
        if self.cursor.upper and not self.cursor.upper.startswith(SHIFT):
            return True  # a page in progress is finished first, counted where it started
        if not self.periods_day:  # totals from before they were kept: built once from 60 days
            self.reads += _build_periods(date.fromisoformat(today))
            self.periods_day = today
            return self.save(self.cursor, partial(analytics_store.put_keyword_tops, {}))
        while self.periods_day < today:
            day = date.fromisoformat(self.periods_day) + timedelta(days=1)
            deltas, reads = _period_shift(day)
            self.reads += reads
            items = sorted(deltas)
            groups = [items[i : i + CHUNK_ITEMS] for i in range(0, len(items), CHUNK_ITEMS)] or [[]]
            marker = f"{SHIFT}{day.isoformat()}"
            for index, group in enumerate(groups):
                if self.cursor.upper == marker and index < self.cursor.chunk:
                    continue  # applied by an earlier run that stopped part-way through this day
                step = _Cursor(self.cursor.watermark, marker, index + 1)
                if index == len(groups) - 1:
                    step, self.periods_day = _Cursor(self.cursor.watermark), day.isoformat()
                counters = {k: deltas[k] for k in group}
                if not self.save(step, partial(analytics_store.apply_chunk, counters, {}, days=set())):
                    return False
                self.cursor = step
                self.chunks += 1
        return True


def run(now: int | None = None, remaining_ms: Callable[[], int] | None = None) -> RunReport:
    """Roll up the events written since the watermark (up to a little before now), page by page,
    then rebuild the read models if anything changed. A run counts at most MAX_EVENTS_PER_RUN
    events and holds at most PAGE_EVENTS + SHARDS at once; once it has counted some, it starts no
    page with less than RUN_TIME_MARGIN_MS left (`remaining_ms`, the Lambda context's); the next
    run goes on."""
    now = now or int(time.time())
    target = clock.iso(now - CLOSE_GRACE_SECONDS)
    state = analytics_store.get_state()
    # Days an earlier run counted but did not rebuild (it crashed or lost a race) come first.
    pending = set((state or {}).get(analytics_store.PENDING_DAYS, set()))
    today = _today(now).isoformat()
    if state is None:  # the first run counts every event still kept, not only the last hour's
        this = _Run(_Cursor(clock.iso(now - FIRST_RUN_LOOKBACK_SECONDS)), None, pending, "", today)
    else:
        cursor = _Cursor(str(state["watermark"]), str(state["upper"]), int(state["chunk"]))
        # A state from before top lists: the days up to its watermark's are seeded once from their counts.
        legacy = str(state.get(LEGACY_KEYWORDS, cursor.watermark[:10]))
        this = _Run(cursor, cursor.state(), pending, legacy, str(state.get(PERIODS_DAY, "")))
    if not this.advance_periods(today):
        return this.report(rebuilt=False, stopped=True)
    while this.cursor.upper or this.cursor.watermark < target:
        # Until a run has counted something it goes on (empty days cost 4 Queries each): a short
        # timeout or a small MAX_EVENTS_PER_RUN slows the rollup down, never stalls it.
        if this.events and this.events + PAGE_EVENTS > MAX_EVENTS_PER_RUN:
            break
        if this.events and remaining_ms is not None and remaining_ms() < RUN_TIME_MARGIN_MS:
            break
        low = this.cursor.watermark
        high = this.cursor.upper or min(target, _next_day(low))
        if not this.count(analytics_store.read_event_page(low, high, PER_SHARD)):
            return this.report(rebuilt=False, stopped=True)
        if not this.advance_periods(today):  # when a page in progress held it back
            return this.report(rebuilt=False, stopped=True)
    # Pages without events move the cursor only here: one write for all of them.
    if this.cursor.state() != this.saved and not this.save(this.cursor, partial(analytics_store.put_keyword_tops, {})):
        return this.report(rebuilt=False, stopped=True)
    touched_days = this.touched_days
    rebuilt = bool(touched_days) or this.reputations_changed
    if rebuilt or analytics_store.read_models_stale(_today(now).isoformat()):
        rebuilt = True
        this.reads += rebuild_read_models(now, touched_days)
        if touched_days:
            analytics_store.clear_pending_days(touched_days)
    metrics.add_metric(name="RollupEvents", unit=MetricUnit.Count, value=this.events)
    lag = max(0, now - clock.epoch_of(this.cursor.watermark[:20]))
    # Alarmed (RollupLagAlarm): a watermark that trails now by more than a few runs is a stalled rollup.
    metrics.add_metric(name="RollupWatermarkLagSeconds", unit=MetricUnit.Seconds, value=lag)
    return this.report(rebuilt)


def _next_day(moment: str) -> str:
    """The start of the UTC day after this ISO time or event sort key: a page never spans two days."""
    return clock.iso(datetime.fromisoformat(moment[:10]).replace(tzinfo=UTC) + timedelta(days=1))


def _keywords_by_day(items: list[Key]) -> dict[str, set[str]]:
    """The keywords a page counted, by day."""
    found: dict[str, set[str]] = defaultdict(set)
    for pk, sk in items:
        if pk.startswith(analytics_store.keyword_day("")):
            found[pk.removeprefix(analytics_store.keyword_day(""))].add(sk)
    return dict(found)


def _merged_keyword_top(day: str, touched: set[str], legacy: bool) -> tuple[dict[str, Any], int]:
    """The day's top keywords after a page: the previous top list merged with the current counts of
    the keywords the page touched. Exact, because a keyword's searches only grow: one that was not
    in the top list and was not touched is still behind every keyword of that list. A day counted
    before top lists existed (`legacy`) is seeded once from all its counts."""
    previous = analytics_store.keyword_top(day)
    if previous is None and legacy:
        counts, reads = analytics_store.keyword_searches(day, None)
        return top_keywords(counts, False), reads + 1
    previous = previous or {}
    counts = {str(e["sk"]): Decimal(e["searches"]) for e in previous.get("keywords", [])}
    fresh, reads = analytics_store.keyword_searches(day, touched)
    return top_keywords({**counts, **fresh}, bool(previous.get("truncated"))), reads + 1


def top_keywords(counts: dict[str, Decimal], truncated: bool) -> dict[str, Any]:
    """The TREND_DAY_SIZE keywords with the most searches (ties: the lower keyword), and whether
    there were more."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "keywords": [{"sk": k, "searches": v} for k, v in ranked[:TREND_DAY_SIZE]],
        "truncated": truncated or len(ranked) > TREND_DAY_SIZE,
    }


def _today(now: int) -> date:
    return datetime.fromtimestamp(now, UTC).date()


# ---------------------------------------------------------------- period totals


def _age(day: str, base: date) -> int:
    return (base - date.fromisoformat(day)).days


def _add_to_periods(deltas: Deltas, base: date) -> None:
    """Add a page's per-agent daily deltas to the period buckets their day falls in (relative to
    `base`); a day after `base` joins its buckets when the totals move on to it."""
    for (pk, agent), counters in list(deltas.counters.items()):
        if not pk.startswith(analytics_store.agent_day("")):
            continue
        age = _age(pk.removeprefix(analytics_store.agent_day("")), base)
        for bucket, (start, end) in BUCKETS.items():
            if start <= age < end:
                deltas.add((analytics_store.AGENT_PERIODS, agent), **{f"{bucket}#{n}": v for n, v in counters.items()})


def _period_shift(day: date) -> tuple[dict[Key, dict[str, Any]], int]:
    """What moving the period totals from the day before `day` on to `day` adds to each agent's
    buckets: the days entering a bucket in, the days leaving it out; and the Query count."""
    moves: dict[str, list[tuple[str, int]]] = {}
    for bucket, (start, end) in BUCKETS.items():
        moves.setdefault((day - timedelta(days=start)).isoformat(), []).append((bucket, 1))
        moves.setdefault((day - timedelta(days=end)).isoformat(), []).append((bucket, -1))
    agent_days, reads = analytics_store.read_agent_days(sorted(moves), consistent=True)
    deltas = Deltas()
    for moved, changes in moves.items():
        for agent, item in agent_days.get(moved, {}).items():
            counters = {n: v for n, v in item.items() if n not in ("pk", "sk") and isinstance(v, Decimal | int)}
            for bucket, sign in changes:
                deltas.add(
                    (analytics_store.AGENT_PERIODS, agent), **{f"{bucket}#{n}": sign * v for n, v in counters.items()}
                )
    return dict(deltas.counters), reads


def _build_periods(today: date) -> int:
    """Every agent's period totals written anew from the last 60 days (once, for totals from
    before they were kept: later days move them incrementally); the Query count."""
    days = [(today - timedelta(days=age)).isoformat() for age in range(max(end for _, end in BUCKETS.values()))]
    agent_days, reads = analytics_store.read_agent_days(days, consistent=True)
    totals = Deltas()
    for day, agents in agent_days.items():
        for agent, item in agents.items():
            counters = {n: v for n, v in item.items() if n not in ("pk", "sk") and isinstance(v, Decimal | int)}
            for bucket, (start, end) in BUCKETS.items():
                if start <= _age(day, today) < end:
                    totals.add(
                        (analytics_store.AGENT_PERIODS, agent), **{f"{bucket}#{n}": v for n, v in counters.items()}
                    )
    analytics_store.put_period_totals({agent: counters for (_, agent), counters in totals.counters.items()})
    return reads


# ---------------------------------------------------------------- read models


def _ranked_metrics(item: dict[str, Any], prefix: str = "") -> dict[str, Decimal]:
    """What boards rank, from the counters named `<prefix><metric>`: conversions, searches and
    revenue per currency (`revenue:<code>`, never summed across currencies)."""
    found = {name.removeprefix(prefix): value for name, value in item.items() if name.startswith(prefix)}
    return {m: Decimal(v) for m, v in found.items() if m in METRICS or m.startswith("revenue:")}


def leaderboards(
    periods: dict[str, dict[str, Any]],
    all_time: dict[str, dict[str, Any]],
    reputations: dict[str, Decimal] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Top agents per `<period>#<metric>`, ranked from each agent's period totals (`<bucket>#<metric>`
    counters, see BUCKETS), with growth = (this period - previous) / previous. `reputation` boards
    rank scored agents by score (the same in every period: it is not summed over days), showing the
    period's figures beside it; they have no growth."""
    reputations = reputations or {}
    agents = set(periods) | set(all_time)

    def figures(source: dict[str, dict[str, Any]], prefix: str) -> dict[str, dict[str, Decimal]]:
        return {a: defaultdict(Decimal, _ranked_metrics(source.get(a, {}), prefix)) for a in agents}

    boards: dict[str, list[dict[str, Any]]] = {}
    # A revenue board per currency ever earned (all-time totals hold each one), so none goes stale.
    currencies = sorted({m for item in all_time.values() for m in _ranked_metrics(item) if m.startswith("revenue:")})
    for period, (current_bucket, previous_bucket) in BOARD_BUCKETS.items():
        current = figures(periods, f"{current_bucket}#")
        previous = figures(periods, f"{previous_bucket}#")
        totals = figures(all_time, "") if PERIODS[period] is None else current
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
    products: list[dict[str, Any]],
    keywords: list[dict[str, Any]],
    merchants: list[dict[str, Any]],
    keywords_cut: bool = False,
    merchant_names: Callable[[set[str]], dict[str, str]] | None = None,
) -> dict[str, Any]:
    """One day's top lists (at most TREND_DAY_SIZE each) and whether any list was cut (the keywords
    come already cut to the day's top list: `keywords_cut` says whether the day had more). The
    listed merchants carry their catalog `name` (`merchant_names`: ids -> names), so the read never
    looks them up."""

    def top(items: list[dict[str, Any]], *order: str) -> list[dict[str, Any]]:
        ranked = sorted(items, key=lambda i: (*tuple(-Decimal(i.get(f, 0)) for f in order), i["sk"]))
        return [{k: v for k, v in i.items() if k != "pk"} for i in ranked[:TREND_DAY_SIZE]]

    top_merchants = top(merchants, "conversions", "clicks")
    names = merchant_names({str(m["sk"]) for m in top_merchants}) if merchant_names and top_merchants else {}
    for merchant in top_merchants:
        if names.get(str(merchant["sk"])):
            merchant["name"] = names[str(merchant["sk"])]
    return {
        "products": top(products, "searches", "conversions"),
        "keywords": top(keywords, "searches"),
        "merchants": top_merchants,
        "truncated": keywords_cut or any(len(x) > TREND_DAY_SIZE for x in (products, keywords, merchants)),
    }


def rebuild_read_models(now: int, touched_days: set[str]) -> int:
    """Rebuild the leaderboards (from each agent's period and all-time totals, one partition each,
    never the daily ones) and the trending lists of the days this run touched; returns the reads."""
    today = _today(now)
    periods, all_time, reputations, reads = analytics_store.read_all_time()
    scores = {agent: Decimal(item["score"]) for agent, item in reputations.items() if item.get("score") is not None}
    # Public boards rank public agents only (the directory's opt-in); the read re-checks each row.
    public = directory.public_agent_ids()
    boards = leaderboards(
        {a: v for a, v in periods.items() if a in public},
        {a: v for a, v in all_time.items() if a in public},
        {a: s for a, s in scores.items() if a in public},
    )
    names = analytics_store.agent_names({row["agent_id"] for rows in boards.values() for row in rows})
    for rows in boards.values():
        for row in rows:
            row["agent_name"] = names.get(row["agent_id"], "")
    for day in sorted(touched_days):
        parts, keywords_cut, day_reads = analytics_store.read_trend_parts(day)
        reads += day_reads
        products, keywords, merchants = parts
        lists = trend_day(products, keywords, merchants, keywords_cut, _merchant_names)
        reads += 1 if lists["merchants"] else 0
        analytics_store.put_trend_day(day, lists)
    analytics_store.put_leaderboards(boards, clock.iso(now), today.isoformat())
    return reads + 1


def _merchant_names(merchant_ids: set[str]) -> dict[str, str]:
    """The catalog's names of these merchants (ids without a record are left out)."""
    return {m: str(item.get("name", "")) for m, item in catalog_store.get_merchants(merchant_ids).items()}


def _rank_key(metric: str, entry: tuple[str, dict[str, Decimal]]) -> tuple[Decimal, str]:
    """Highest first; ties go to the lower agent id, so every run ranks alike."""
    agent, values = entry
    return -values[metric], agent
