"""Payouts per month: each agent's confirmed commission by currency, the conversions making it up,
reconciled to the cent with the agents' stats; a closed month is marked paid once."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from cashback import agents, analytics, clock, payouts, shopping
from cashback.auth import Caller, PrincipalKind, Scope
from cashback.errors import ApiError, Forbidden
from cashback.models import PayoutReport, RegisterAgentRequest, SearchRequest
from tests.apigw import LambdaContext, admin_authorizer, api_event, header
from tests.conftest import load_function
from tests.money.conftest import OTHER_NETWORK, OTHER_SECRET, delivery, post

EUR = {"secret": OTHER_SECRET, "key_id": OTHER_NETWORK}  # globex reports for m_euro
READER = Caller(kind=PrincipalKind.ADMIN, principal_id="adm_PAYOUTSread", scopes=frozenset({Scope.ANALYTICS_READ}))
PAYER = Caller(kind=PrincipalKind.ADMIN, principal_id="adm_PAYOUTSpay0", scopes=frozenset({Scope.PAYOUTS_WRITE}))
WALLETS = ("0x" + "a1" * 20, "0x" + "b2" * 20)
payouts_fn = load_function("payouts")


def this_month() -> str:
    return clock.now_iso()[:7]


def last_month() -> str:
    today = datetime.now(UTC)
    return f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"


@pytest.fixture
def shoppers(small_catalog: object, webhook_secrets: None) -> list[dict[str, Any]]:
    """Two registered agents with wallets, each served links to the Sony WH-1000XM5 (USD and EUR merchants)."""
    found = []
    for name, wallet in zip(("payee-one", "payee-two"), WALLETS, strict=True):
        agent = agents.register(RegisterAgentRequest(agent_name=name, wallet_address=wallet, crypto_preference="USDC"))
        results = shopping.run_search(
            SearchRequest(keywords="sony wh-1000xm5"), Caller.of_agent(agent.agent_id), "https://api.test", name
        ).results
        clicks = {r.merchant_id: r.affiliate_link.rsplit("/", 1)[1] for r in results}
        found.append({"agent_id": agent.agent_id, "clicks": clicks})
    return found


def deliver(clicks: dict[str, str], conversion_id: str, status: str, commission: str, **extra: Any) -> None:
    """A signed delivery: EUR ones (ids starting "eur") come from globex for m_euro, the rest from acme."""
    if conversion_id.startswith("eur"):
        body = delivery(clicks["m_euro"], status, conversion_id, commission, currency="EUR", **extra)
        result = post(body, **EUR)
    else:
        result = post(delivery(clicks["m_beta"], status, conversion_id, commission, **extra))
    assert result["statusCode"] == 200, result["body"]


def in_month(monkeypatch: pytest.MonkeyPatch, period: str) -> None:
    """Conversions applied from now on are applied on the 15th of `period`."""
    monkeypatch.setattr(clock, "now_iso", lambda: f"{period}-15T10:00:00Z")


def drive_conversions(shoppers: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Pending, confirmed, partial and full refunds, two currencies, two agents, over two months."""
    one, two = shoppers[0]["clicks"], shoppers[1]["clicks"]
    with monkeypatch.context() as earlier:
        in_month(earlier, last_month())
        deliver(one, "usd-1", "pending", "4.00")
        deliver(one, "usd-1", "confirmed", "4.00")
        deliver(one, "eur-1", "confirmed", "9.00")
        deliver(two, "usd-2", "confirmed", "10.00")
        deliver(two, "eur-2", "pending", "1.50")
    deliver(one, "eur-1", "refunded", "9.00", refunded_commission="3.00")  # partial refund this month
    deliver(one, "eur-3", "pending", "2.25")  # pending: not revenue yet
    deliver(one, "usd-4", "confirmed", "1.10")
    deliver(two, "usd-2", "refunded", "10.00")  # all of it, this month
    deliver(two, "eur-2", "confirmed", "1.75")  # the network settled higher
    deliver(two, "usd-5", "confirmed", "6.40")
    deliver(two, "usd-5", "refunded", "6.40", refunded_commission="0.40")


def whole_report(period: str, limit: int = 1) -> list[PayoutReport]:
    pages, cursor = [], None
    while True:
        page = payouts.report(period, READER, limit, cursor)
        pages.append(page)
        if not (cursor := page.next_cursor):
            return pages


def commission_by_agent(periods: list[str]) -> dict[str, Counter[str]]:
    """Each agent's commission by currency summed over the months (from every page)."""
    summed: dict[str, Counter[str]] = {}
    for period in periods:
        for page in whole_report(period):
            for agent in page.agents:
                summed.setdefault(agent.agent_id, Counter()).update(agent.commission)
    return summed


def test_the_report_reconciles_exactly_with_each_agents_stats(
    shoppers: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    drive_conversions(shoppers, monkeypatch)

    summed = commission_by_agent([last_month(), this_month()])

    for shopper in shoppers:
        stats = analytics.stats(shopper["agent_id"], READER)
        assert {code: amount for code, amount in summed[shopper["agent_id"]].items() if amount} == stats.revenue
    assert dict(summed[shoppers[0]["agent_id"]]) == {"USD": Decimal("5.10"), "EUR": Decimal("6.00")}
    assert dict(summed[shoppers[1]["agent_id"]]) == {"USD": Decimal("6.00"), "EUR": Decimal("1.75")}


def test_each_agents_total_is_the_sum_of_its_conversion_lines(
    shoppers: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    drive_conversions(shoppers, monkeypatch)

    for period in (last_month(), this_month()):
        for agent in payouts.report(period, READER, 50, None).agents:
            lines: Counter[str] = Counter()
            for line in agent.conversions:
                lines[line.currency] += line.amount
            assert {c: a for c, a in lines.items() if a} == agent.commission


def test_a_month_is_what_was_applied_in_it_and_a_refund_is_a_negative_line_of_its_own_month(
    shoppers: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    drive_conversions(shoppers, monkeypatch)
    two = shoppers[1]["agent_id"]

    before = {a.agent_id: a for a in payouts.report(last_month(), READER, 50, None).agents}[two]
    now = {a.agent_id: a for a in payouts.report(this_month(), READER, 50, None).agents}[two]

    assert before.commission == {"USD": Decimal("10.00")}  # eur-2 was still pending
    assert [(c.conversion_id, c.amount) for c in before.conversions] == [("usd-2", Decimal("10.00"))]
    assert now.commission == {"USD": Decimal("-4.00"), "EUR": Decimal("1.75")}  # -10.00 + 6.40 - 0.40
    assert sorted((c.conversion_id, c.status, c.amount) for c in now.conversions) == [
        ("eur-2", "confirmed", Decimal("1.75")),
        ("usd-2", "refunded", Decimal("-10.00")),
        ("usd-5", "refunded", Decimal("6.00")),
    ]
    assert (now.wallet_address, now.crypto_preference) == (WALLETS[1], "USDC")


def test_a_paid_month_does_not_change_when_its_conversions_are_refunded_later(
    shoppers: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    one = shoppers[0]
    with monkeypatch.context() as earlier:
        in_month(earlier, last_month())
        deliver(one["clicks"], "usd-9", "confirmed", "8.00")
    paid = payouts.mark_paid(last_month(), PAYER)
    before = payouts.report(last_month(), READER, 50, None)

    deliver(one["clicks"], "usd-9", "refunded", "8.00")

    assert payouts.report(last_month(), READER, 50, None) == before
    assert before.status == "paid" and before.paid == paid
    assert payouts.report(this_month(), READER, 50, None).agents[0].commission == {"USD": Decimal("-8.00")}


def test_marking_a_month_paid_twice_keeps_the_first_record(shoppers: list[dict[str, Any]]) -> None:
    first = payouts.mark_paid(last_month(), PAYER)
    other_payer = Caller(kind=PAYER.kind, principal_id="adm_PAYOUTSpay1", scopes=PAYER.scopes)

    again = payouts.mark_paid(last_month(), other_payer)

    assert again == first
    assert (first.period, first.paid_by) == (last_month(), "adm_PAYOUTSpay0")


def test_the_current_month_is_open_and_cannot_be_marked_paid(shoppers: list[dict[str, Any]]) -> None:
    with pytest.raises(ApiError) as refused:
        payouts.mark_paid(this_month(), PAYER)

    assert (refused.value.status, refused.value.code) == (409, "PERIOD_OPEN")
    assert payouts.report(this_month(), READER, 50, None).status == "open"
    assert payouts.report(last_month(), READER, 50, None).status == "closed"


@pytest.mark.parametrize(
    ("caller", "action"),
    [
        (Caller.of_agent("agt_SHOPPERshopperSHOPPER0"), "report"),
        (PAYER, "report"),  # payouts:write alone does not read
        (READER, "mark_paid"),  # analytics:read alone does not pay
    ],
)
def test_only_admin_keys_with_the_scope_read_or_mark_payouts(caller: Caller, action: str) -> None:
    with pytest.raises(Forbidden):
        if action == "report":
            payouts.report(last_month(), caller, 50, None)
        else:
            payouts.mark_paid(last_month(), caller)


def test_the_csv_has_one_row_per_agent_and_currency_with_plain_decimals(
    shoppers: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    drive_conversions(shoppers, monkeypatch)
    page = payouts.report(this_month(), READER, 50, None, with_conversions=False)

    rows = list(csv.DictReader(io.StringIO(payouts.as_csv(page))))

    one, two = (s["agent_id"] for s in shoppers)
    assert sorted((r["agent_id"], r["currency"], r["commission"]) for r in rows) == sorted(
        [(one, "EUR", "-3.00"), (one, "USD", "1.10"), (two, "EUR", "1.75"), (two, "USD", "-4.00")]
    )
    assert {(r["period"], r["crypto_preference"]) for r in rows} == {(this_month(), "USDC")}
    assert {r["wallet_address"] for r in rows} == set(WALLETS)


def test_a_cursor_this_api_did_not_issue_is_refused() -> None:
    with pytest.raises(ApiError) as refused:
        payouts.report(this_month(), READER, 10, "bm90LWFuLWFnZW50")  # "not-an-agent"

    assert (refused.value.status, refused.value.code) == (400, "INVALID_CURSOR")


def get_csv_page(period: str, query: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
    event = api_event(
        "GET",
        f"/admin/payouts/{period}",
        resource="/admin/payouts/{period}",
        path_parameters={"period": period},
        query=query,
        headers=headers,
        authorizer=admin_authorizer("adm_PAYOUTSread", "analytics:read"),
    )
    return payouts_fn.lambda_handler(event, LambdaContext())


def test_the_csv_is_paged_by_agent_with_the_next_cursor_in_a_header(
    shoppers: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    drive_conversions(shoppers, monkeypatch)

    first = get_csv_page(this_month(), {"format": "csv", "limit": "1"}, {})
    cursor = header(first, "X-Next-Cursor")
    second = get_csv_page(this_month(), {"limit": "1", "cursor": cursor or ""}, {"Accept": "text/csv"})

    assert (first["statusCode"], second["statusCode"]) == (200, 200)
    assert (header(first, "Content-Type") or "").startswith("text/csv")
    assert "X-Next-Cursor" in (header(first, "Access-Control-Expose-Headers") or "")
    agents_seen = [{row["agent_id"] for row in csv.DictReader(io.StringIO(r["body"]))} for r in (first, second)]
    assert agents_seen[0] | agents_seen[1] == {s["agent_id"] for s in shoppers}
    assert len(agents_seen[0]) == len(agents_seen[1]) == 1
