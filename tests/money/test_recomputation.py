"""Brute force: a random history for many agents over many days, rolled up, checked figure by
figure against a straightforward recomputation from the raw events.

The history is simulated once for the module (the tests only read it). Its size is what it must
be to mean something, no more: moto copies a whole table for every transaction, so the
simulation's cost grows with the square of its length. Fifteen days give the 7-day leaderboard
a full previous week (growth rates) and days before it that must drop out of both windows.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest

from cashback import agents, analytics, clicks, conversions, directory, reputation, rollup, shopping
from cashback.analytics import growth, ratio
from cashback.auth import Caller, PrincipalKind
from cashback.catalog import admin as catalog_admin
from cashback.models import (
    AgentProfile,
    ConversionEvent,
    DirectorySort,
    FeedbackRequest,
    LeaderboardMetric,
    LeaderboardPeriod,
    SearchFilters,
    SearchRequest,
)
from cashback.store import agents as agent_store
from cashback.store import reputation as reputation_store
from cashback.text import fold, query_tokens
from tests.conftest import template_tables_in_moto
from tests.small_catalog import MERCHANTS, PRODUCTS

START = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())
DAYS = 15
AGENTS = [f"agt_RECOMPUTErecompute{n:04d}" for n in range(7)]
KEYWORDS = ["wireless headphones", "running shoes", "sony", "espresso machine", "headphones", "bose", "shoe"]
# Mixed currencies: this search is filtered to m_euro, which sells the Sony WH-1000XM5 in EUR.
EURO_SEARCH = "sony wh-1000xm5"
KEYWORDS += [EURO_SEARCH]
REPORTER = conversions.Reporter(network="recompute")
BRANDS = [None, None, None, "Sony", "Nike"]
TAGS = ["successRate", "responseTime", "starred"]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return float(self.now)


def day_of(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def simulate(clock: Clock, rng: random.Random) -> dict:
    """Drive the real layer; record what happened, as a client would see it."""
    truth: dict = {"searches": [], "clicks": [], "conversions": [], "feedback": {}, "weights": {}}
    for agent in AGENTS:
        profile = AgentProfile(
            agent_id=agent,
            agent_name=f"name-{agent[-2:]}",
            plan="standard",
            public=True,
            created_at="2026-10-01T00:00:00Z",
        )
        agent_store.create_agent(
            profile.model_dump(mode="json", exclude_none=True),
            f"hash-{agent}",
            reputation_store.summary_put(agents.directory_entry(profile)),
            agents.counted_event(agent, 1),  # as registration writes it
        )
    rollup.run(now=clock.now)  # the first run starts the watermark at the beginning
    for day in range(DAYS):
        clock.now = START + day * 86400 + 3600
        for agent in AGENTS:
            for _ in range(rng.randint(0, 4)):
                clock.now += rng.randint(1, 600)
                brand = rng.choice(BRANDS)
                keywords = rng.choice(KEYWORDS)
                merchant = "m_euro" if keywords == EURO_SEARCH else None
                request = SearchRequest(keywords=keywords, filters=SearchFilters(brand=brand, merchant=merchant))
                response = shopping.run_search(
                    request, Caller.of_agent(agent), "https://api.test", f"r{clock.now}{agent}"
                )
                truth["searches"].append(
                    {"agent": agent, "day": day_of(clock.now), "request": request, "results": response.results}
                )
                for result in response.results[:2]:
                    if rng.random() < 0.5:
                        continue
                    click_id = result.affiliate_link.rsplit("/", 1)[1]
                    clock.now += rng.randint(1, 60)
                    clicks.follow(click_id)
                    truth["clicks"].append({"agent": agent, "day": day_of(clock.now), "result": result})
                    if rng.random() < 0.6:
                        deliver_conversion(clock, rng, truth, agent, click_id, result)
        give_or_revoke_feedback(clock, rng, truth)
        clock.now = START + (day + 1) * 86400 - 60
        rollup.run(now=clock.now)
    clock.now += 3600  # past midnight: the last run rebuilds the boards for a day without activity yet
    rollup.run(now=clock.now)
    truth["rolled_up_at"] = clock.now
    return truth


def deliver_conversion(clock: Clock, rng: random.Random, truth: dict, agent: str, click_id: str, result) -> None:
    commission = Decimal(rng.randint(1, 5000)) / 100
    corrected = commission + Decimal(rng.randint(-50, 50)) / 100 if commission > 1 else commission
    part = (commission * Decimal(rng.randint(1, 99)) / 100).quantize(Decimal("0.01"))
    # (status, commission, refunded_commission): corrections on confirmation, partial and repeated refunds.
    path = rng.choice(
        [
            [("pending", commission, None), ("confirmed", commission, None)],
            [("pending", commission, None), ("confirmed", corrected, None), ("confirmed", corrected, None)],
            [("confirmed", commission, None)],
            [("pending", commission, None), ("refunded", commission, None)],
            [("confirmed", commission, None), ("refunded", commission, None)],
            [("confirmed", commission, None), ("refunded", commission, part), ("refunded", commission, part)],
            [("pending", commission, None), ("refunded", commission, part), ("refunded", commission, None)],
            [("pending", commission, None)],
            [("confirmed", commission, None), ("confirmed", commission, None), ("pending", commission, None)],
        ]
    )
    conversion_id = f"net-{click_id}"
    for status, amount, refunded in path:
        clock.now += rng.randint(1, 300)
        outcome = conversions.record(
            ConversionEvent(
                conversion_id=conversion_id,
                click_id=click_id,
                status=status,
                order_amount=Decimal("999.00"),
                currency=result.currency,
                commission_amount=amount,
                refunded_commission=refunded,
                occurred_at=datetime.fromtimestamp(clock.now, UTC),
            ),
            REPORTER,
        )
        if outcome.applied:
            truth["conversions"].append(
                {
                    "agent": agent,
                    "day": day_of(clock.now),
                    "status": status,
                    "commission": amount,
                    "refunded": amount if status == "refunded" and refunded is None else refunded,
                    "currency": result.currency,
                    "id": conversion_id,
                    "result": result,
                }
            )


def give_or_revoke_feedback(clock: Clock, rng: random.Random, truth: dict) -> None:
    """A few agents give, replace or revoke feedback about others; the truth keeps the live ones."""
    for _ in range(rng.randint(1, 4)):
        author, subject = rng.sample(AGENTS, 2)
        caller = Caller(kind=PrincipalKind.AGENT, principal_id=author, plan="standard")
        clock.now += rng.randint(1, 60)
        if truth["feedback"].get((author, subject)) and rng.random() < 0.25:
            reputation.revoke(subject, caller)
            truth["feedback"].pop((author, subject))
            truth["weights"].pop((author, subject))
        else:
            request = FeedbackRequest(score=rng.randint(0, 100), tags=rng.sample(TAGS, rng.randint(0, 2)))
            reputation.give(subject, caller, request)
            truth["feedback"][(author, subject)] = request
            truth["weights"][(author, subject)] = author_weight_now(truth, author, clock.now)


def author_weight_now(truth: dict, author: str, now: int) -> Decimal:
    """The documented author weight, from the author's confirmed conversions so far and its age
    (every agent was created at START): 0.01 + 0.99 x min(1, confirmed / 10) x (1 + min(1, days / 30)) / 2."""
    confirmed = sum(1 for s in final_states(truth).values() if s["agent"] == author and s["status"] == "confirmed")
    days = (now - START) // 86400
    with localcontext() as context:
        context.prec = 50
        evidence = Decimal(min(confirmed, 10)) / 10
        age = Decimal(min(days, 30)) / 30
        weight = Decimal("0.01") + Decimal("0.99") * evidence * (1 + age) / 2
        return weight.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def expected_reputation(history: dict, agent: str) -> Decimal | None:
    """The documented formula, recomputed from the raw history in 50-digit decimals."""
    live = [(f.score, history["weights"][key]) for key, f in history["feedback"].items() if key[1] == agent]
    statuses = Counter(s["status"] for s in final_states(history).values() if s["agent"] == agent)
    total, settled = sum(statuses.values()), statuses["confirmed"] + statuses["refunded"]
    with localcontext() as context:
        context.prec = 50
        parts = []
        weight = sum((w for _, w in live), Decimal(0))
        if len(live) >= 3 and weight > 0:
            confidence = min(Decimal(1), weight / 2)
            parts.append((Decimal("0.6") * confidence, sum(s * w for s, w in live) / weight))
        if total >= 5:
            refund_rate = Decimal(statuses["refunded"]) / settled if settled else Decimal(0)
            behaviour = 100 * (Decimal(statuses["confirmed"]) / total + 1 - refund_rate) / 2
            parts.append((Decimal("0.4"), behaviour))
        if not parts:
            return None
        shares = sum(share for share, _ in parts)
        value = parts[0][1] if len(parts) == 1 else sum(share * part for share, part in parts) / shares
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def final_states(truth: dict) -> dict[str, dict]:
    states: dict[str, dict] = {}
    for change in truth["conversions"]:
        states[change["id"]] = change
    return states


def earned(change: dict | None) -> tuple[int, Decimal]:
    """What a conversion's state counts as confirmed: (conversions, revenue in its currency)."""
    if change is None or change["status"] == "pending":
        return 0, Decimal(0)
    if change["status"] == "confirmed":
        return 1, change["commission"]
    return 0, change["commission"] - change["refunded"]


def day_ledger(truth: dict) -> dict[tuple[str, str], dict]:
    """Confirmed count and revenue (by currency) changes by (agent, day): each change adds the
    difference between what the new state and the one before it count."""
    ledger: dict[tuple[str, str], dict] = defaultdict(lambda: {"conversions": Decimal(0), "revenue": Counter()})
    previous: dict[str, dict] = {}
    for change in truth["conversions"]:
        (count_before, revenue_before), (count_now, revenue_now) = earned(previous.get(change["id"])), earned(change)
        entry = ledger[(change["agent"], change["day"])]
        entry["conversions"] += count_now - count_before
        entry["revenue"][change["currency"]] += revenue_now - revenue_before
        previous[change["id"]] = change
    return ledger


def nonzero(amounts: Counter | dict) -> dict[str, Decimal]:
    return {code: Decimal(amount) for code, amount in amounts.items() if amount}


@pytest.fixture(scope="module")
def history() -> Iterator[dict]:
    with template_tables_in_moto():
        catalog_admin.upsert_merchants(MERCHANTS, Caller.operator())
        catalog_admin.upsert_products(PRODUCTS, Caller.operator())
        clock = Clock()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(time, "time", clock)
            truth = simulate(clock, random.Random(20261125))
        yield truth


def test_history_is_big_enough_to_mean_something(history: dict) -> None:
    assert len(history["searches"]) > 150 and len(history["clicks"]) > 60 and len(history["conversions"]) > 40
    final = final_states(history).values()
    confirmed_in = Counter(s["currency"] for s in final if s["status"] == "confirmed")
    assert len(confirmed_in) >= 2, confirmed_in  # mixed currencies, each earning
    assert any(s["status"] == "refunded" and s["refunded"] < s["commission"] for s in final)  # partial refunds


def test_stats_match_a_recomputation(history: dict) -> None:
    states = final_states(history)
    for agent in AGENTS:
        mine = [s for s in states.values() if s["agent"] == agent]
        stats = analytics.stats(agent, Caller.of_agent(agent))
        assert stats.total_searches == sum(1 for s in history["searches"] if s["agent"] == agent)
        assert stats.total_clicks == sum(1 for c in history["clicks"] if c["agent"] == agent)
        by_status = Counter(s["status"] for s in mine)
        assert (stats.conversions.pending, stats.conversions.confirmed, stats.conversions.refunded) == (
            by_status["pending"],
            by_status["confirmed"],
            by_status["refunded"],
        )
        revenue: Counter = Counter()
        pending: Counter = Counter()
        for state in mine:
            revenue[state["currency"]] += earned(state)[1]
            if state["status"] == "pending":
                pending[state["currency"]] += state["commission"]
        assert stats.revenue == nonzero(revenue) and stats.pending_revenue == nonzero(pending)
        assert stats.conversion_rate == ratio(by_status["confirmed"], stats.total_clicks)


def test_analytics_timelines_and_top_brands_match_a_recomputation(history: dict) -> None:
    today = date.fromisoformat(day_of(START + (DAYS - 1) * 86400))
    ledger = day_ledger(history)
    for agent in AGENTS:
        result = analytics.analytics(agent, Caller.of_agent(agent), today=today)
        assert len(result.timeline) == 30
        for point in result.timeline:
            assert point.searches == sum(
                1 for s in history["searches"] if (s["agent"], s["day"]) == (agent, point.date)
            )
            assert point.clicks == sum(1 for c in history["clicks"] if (c["agent"], c["day"]) == (agent, point.date))
            expected = ledger.get((agent, point.date), {"conversions": 0, "revenue": Counter()})
            assert point.conversions == expected["conversions"]
            assert point.revenue == nonzero(expected["revenue"])
            assert point.conversion_rate == ratio(expected["conversions"], point.clicks)
        brands: Counter[str] = Counter()
        for search in history["searches"]:
            if search["agent"] == agent:
                named = (
                    [search["request"].filters.brand]
                    if search["request"].filters.brand
                    else [r.brand for r in search["results"]]
                )
                brands.update(list(dict.fromkeys(fold(b) for b in named))[:3])
        expected_top = sorted(brands.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        assert [(b.name, b.count) for b in result.top_brands] == expected_top
        recent = [s for s in history["searches"] if s["agent"] == agent][-30:]
        assert [e.keywords for e in result.recent_searches] == [s["request"].keywords for s in reversed(recent)]


def test_stats_trends_match_a_recomputation(history: dict) -> None:
    today = date.fromisoformat(day_of(START + (DAYS - 1) * 86400))
    last = {(today - timedelta(days=age)).isoformat() for age in range(7)}
    before = {(today - timedelta(days=age)).isoformat() for age in range(7, 14)}
    ledger = day_ledger(history)
    for agent in AGENTS:
        trends = analytics.stats(agent, Caller.of_agent(agent), today=today).trends
        searches = [
            sum(1 for s in history["searches"] if s["agent"] == agent and s["day"] in w) for w in (last, before)
        ]
        assert (trends.searches.last_7_days, trends.searches.previous_7_days) == tuple(searches)
        assert trends.searches.growth_rate == growth(*searches)
        mine = [(d, e) for (a, d), e in ledger.items() if a == agent]
        confirmed = [sum(e["conversions"] for d, e in mine if d in w) for w in (last, before)]
        assert (trends.conversions.last_7_days, trends.conversions.previous_7_days) == tuple(confirmed)
        assert trends.conversions.growth_rate == growth(*confirmed)
        revenue = [sum((e["revenue"] for d, e in mine if d in w), Counter()) for w in (last, before)]
        for code in set(revenue[0]) | set(revenue[1]):
            assert (trends.revenue[code].last_7_days, trends.revenue[code].previous_7_days) == (
                revenue[0][code],
                revenue[1][code],
            )
            assert trends.revenue[code].growth_rate == growth(revenue[0][code], revenue[1][code])
    assert any(
        t.searches.growth_rate is not None
        for t in [analytics.stats(a, Caller.of_agent(a), today).trends for a in AGENTS]
    )


def test_stats_with_trends_and_trending_with_network_totals_are_one_dynamodb_request_each(history: dict) -> None:
    from cashback.store import dynamo

    calls: list[str] = []

    def count(model, **_: object) -> None:
        calls.append(model.name)

    events = dynamo.dynamodb().meta.events
    events.register("before-call.dynamodb.*", count)
    try:
        analytics.stats(AGENTS[0], Caller.of_agent(AGENTS[0]), today=date.fromisoformat(day_of(START)))
        stats_calls, calls[:] = list(calls), []
        analytics.trending(30, today=date.fromisoformat(day_of(history["rolled_up_at"])))
    finally:
        events.unregister("before-call.dynamodb.*", count)
    assert stats_calls == ["BatchGetItem"]
    assert calls == ["BatchGetItem"]


def test_network_totals_match_a_recomputation(history: dict) -> None:
    network = analytics.trending(7, today=date.fromisoformat(day_of(history["rolled_up_at"]))).network
    final = final_states(history).values()
    assert network.agents == len(AGENTS)
    assert network.searches == len(history["searches"])
    assert network.conversions == sum(earned(s)[0] for s in final)
    commission: Counter = Counter()
    for state in final:
        commission[state["currency"]] += earned(state)[1]
    assert network.commission == nonzero(commission)


def test_leaderboards_match_a_recomputation(history: dict) -> None:
    # A board covers the UTC days up to the one its rollup run was in, not the last day with activity.
    today = date.fromisoformat(day_of(history["rolled_up_at"]))
    ledger = day_ledger(history)

    currencies = sorted({c["currency"] for c in history["conversions"]})
    assert len(currencies) >= 2

    def sums(first: date, last: date) -> dict[str, dict]:
        """Per agent: conversions, searches and `revenue:<code>` for each currency, never summed across them."""
        totals: dict[str, dict] = {a: defaultdict(Decimal) for a in AGENTS}
        for search in history["searches"]:
            if first.isoformat() <= search["day"] <= last.isoformat():
                totals[search["agent"]]["searches"] += 1
        for (agent, day), entry in ledger.items():
            if first.isoformat() <= day <= last.isoformat():
                totals[agent]["conversions"] += entry["conversions"]
                for code, amount in entry["revenue"].items():
                    totals[agent][f"revenue:{code}"] += amount
        return totals

    boards = [(m, m.value, "USD") for m in LeaderboardMetric if m not in (LeaderboardMetric.REPUTATION,)]
    boards = [b for b in boards if b[0] is not LeaderboardMetric.REVENUE]
    boards += [(LeaderboardMetric.REVENUE, f"revenue:{code}", code) for code in currencies]
    for period in LeaderboardPeriod:
        span = {"7d": 7, "30d": 30, "all": 30}[period.value]
        current = sums(today - timedelta(days=span - 1), today)
        previous = sums(today - timedelta(days=2 * span - 1), today - timedelta(days=span))
        totals = sums(date(2000, 1, 1), today) if period is LeaderboardPeriod.ALL else current
        for metric, ranked_by, currency in boards:
            board = analytics.leaderboard(metric, period, currency)
            expected = sorted(
                ((a, v) for a, v in totals.items() if v[ranked_by] > 0), key=lambda av: (-av[1][ranked_by], av[0])
            )[:10]
            assert [row.agent_id for row in board.agents] == [a for a, _ in expected], (period, ranked_by)
            for row, (agent, values) in zip(board.agents, expected, strict=True):
                revenue = {code: values[f"revenue:{code}"] for code in currencies if values[f"revenue:{code}"]}
                assert (row.conversions, row.revenue, row.searches) == (
                    values["conversions"],
                    revenue,
                    values["searches"],
                )
                assert row.growth_rate == growth(current[agent][ranked_by], previous[agent][ranked_by])
                assert row.agent_name == f"name-{agent[-2:]}"
            assert board.as_of is not None and board.currency == currency


@pytest.mark.parametrize("days", [1, 7, 30])
def test_trending_matches_a_recomputation(history: dict, days: int) -> None:
    today = date.fromisoformat(day_of(START + DAYS * 86400 - 60))
    first = (today - timedelta(days=days - 1)).isoformat()
    within = lambda day: first <= day <= today.isoformat()  # noqa: E731
    keywords: Counter[str] = Counter()
    products: dict[str, Counter] = defaultdict(Counter)
    titles: dict[str, str] = {}
    for search in history["searches"]:
        if within(search["day"]):
            keywords.update(query_tokens(search["request"].keywords))
            shown = {}
            for result in search["results"][:3]:
                shown.setdefault(match_key_of(result), result.title)
            for key, title in shown.items():
                products[key]["searches"] += 1
                titles[key] = title
    ledger_by_product: dict[str, Counter] = defaultdict(Counter)
    revenue_by_product: dict[str, Counter] = defaultdict(Counter)
    previous: dict[str, dict] = {}
    for change in history["conversions"]:
        before = previous.get(change["id"])
        previous[change["id"]] = change
        if not within(change["day"]):
            continue
        key = match_key_of(change["result"])
        (count_before, revenue_before), (count_now, revenue_now) = earned(before), earned(change)
        ledger_by_product[key]["conversions"] += count_now - count_before
        revenue_by_product[key][change["currency"]] += revenue_now - revenue_before
    result = analytics.trending(days, today=today)
    expected_keywords = sorted(keywords.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert [(k.keyword, k.searches) for k in result.keywords] == expected_keywords
    for product in result.products:
        key = next(k for k, t in titles.items() if t == product.title)
        assert product.searches == products[key]["searches"]
        assert product.conversions == ledger_by_product[key]["conversions"]
        assert product.revenue == nonzero(revenue_by_product[key])
        assert product.conversion_rate == ratio(product.conversions, product.searches)
    assert [p.searches for p in result.products] == sorted((p.searches for p in result.products), reverse=True)
    assert result.approximate is False and result.as_of is not None
    # Merchants: named from the catalog, with their orders (each conversion once, on the day first
    # reported) and those orders' amounts by currency.
    names = {m.merchant_id: m.name for m in MERCHANTS}
    orders: Counter[str] = Counter()
    amounts: dict[str, Counter] = defaultdict(Counter)
    seen: set[str] = set()
    for change in history["conversions"]:
        if change["id"] in seen:
            continue
        seen.add(change["id"])
        if within(change["day"]):
            orders[change["result"].merchant_id] += 1
            amounts[change["result"].merchant_id][change["currency"]] += Decimal("999.00")
    assert result.merchants and all(m.name == names[m.merchant_id] for m in result.merchants)
    for merchant in result.merchants:
        assert merchant.orders == orders[merchant.merchant_id]
        assert merchant.order_amount == nonzero(amounts[merchant.merchant_id])


def match_key_of(result) -> str:
    from cashback.store import catalog as catalog_store

    item = catalog_store.get_product(result.product_id)
    return f"gtin:{item['gtin']}" if item.get("gtin") else f"key:{fold(item['product_key'])}"


def test_running_the_rollup_again_changes_nothing(history: dict) -> None:
    def boards() -> list[dict]:
        return [analytics.leaderboard(m, p).model_dump() for p in LeaderboardPeriod for m in LeaderboardMetric]

    before = boards()
    report = rollup.run(now=history["rolled_up_at"])
    assert report.events == 0
    assert boards() == before


def test_history_scores_some_agents_on_feedback_alone_and_some_on_both(history: dict) -> None:
    scored = [a for a in AGENTS if expected_reputation(history, a) is not None]
    with_conversions = [a for a in AGENTS if sum(1 for s in final_states(history).values() if s["agent"] == a) >= 5]
    assert len(history["feedback"]) >= 15 and len(scored) >= 4 and with_conversions


def test_reputation_scores_match_a_recomputation(history: dict) -> None:
    for agent in AGENTS:
        result = reputation.reputation(agent, 50, None)
        assert result.score == expected_reputation(history, agent), agent
        live = [(author, f) for (author, subject), f in history["feedback"].items() if subject == agent]
        assert result.inputs.feedback_count == len(live)
        assert sorted(f.author_id for f in result.feedback) == sorted(author for author, _ in live)
        tags = Counter(tag for _, f in live for tag in f.tags)
        assert {(t.tag, t.count) for t in result.tags} == set(tags.items())


def test_reputation_leaderboard_and_directory_rank_by_the_recomputed_score(history: dict) -> None:
    scores = {a: expected_reputation(history, a) for a in AGENTS}
    ranked = sorted(((a, s) for a, s in scores.items() if s is not None), key=lambda entry: (-entry[1], entry[0]))
    for period in LeaderboardPeriod:
        board = analytics.leaderboard(LeaderboardMetric.REPUTATION, period)
        assert [(row.agent_id, row.reputation) for row in board.agents] == ranked
        assert all(row.growth_rate is None for row in board.agents)
    listed = directory.listing(None, None, DirectorySort.REPUTATION, 50, None).agents
    assert [e.reputation_score for e in listed] == sorted(
        (s for s in scores.values()), key=lambda s: -1 if s is None else s, reverse=True
    )
