"""The backfill brings what the previous release wrote to the figures a fresh write gives, and a
second run changes nothing: money is never counted twice.

Two worlds run the same history. In the fresh one every write is this version's. In the old one
the first part of the history is left as the previous release wrote it (an agent registered
without its counted event, money summed across currencies into `revenue` on the agent's totals
and all-time aggregate, no network totals, an admin key without its listing, catalog items
without `kind`); then this version is "deployed" and the rest of the history happens; then the
backfill runs twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from cashback import admin_keys, agents, analytics, backfill, clock, rollup, shopping
from cashback.auth import Caller
from cashback.catalog import admin as catalog_admin
from cashback.models import AgentProfile, RegisterAgentRequest, SearchRequest
from cashback.settings import get_settings
from cashback.store import agents as agent_store
from cashback.store import dynamo
from scripts import backfill as backfill_script
from tests.conftest import template_tables_in_moto
from tests.money.conftest import AGENT, NETWORKS, OTHER_NETWORK, OTHER_SECRET, delivery, post
from tests.small_catalog import MERCHANTS, PRODUCTS

EUR = {"secret": OTHER_SECRET, "key_id": OTHER_NETWORK}
KEY_ID, KEY_HASH = "adm_BACKFILLback", "0" * 64


NOW = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())


@pytest.fixture
def moment(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The time both worlds live at, moved by the history."""
    monkeypatch.setenv("WEBHOOK_NETWORKS", json.dumps(NETWORKS))
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    now = [NOW]
    monkeypatch.setattr(time, "time", lambda: float(now[0]))
    return now


def _client() -> Any:
    return dynamo.dynamodb()


def _update(table: str, pk: str, sk: str, expression: str, **extra: Any) -> None:
    _client().update_item(TableName=table, Key=dynamo.key(pk, sk), UpdateExpression=expression, **extra)


def _as_previous_release_wrote_it() -> None:
    """What the previous release would have left: money counters summed across currencies, no
    network totals, admin keys without listings, catalog items without `kind`."""
    settings = get_settings()
    for table, pk, sk in (
        (settings.activity_table, f"AGENT#{AGENT}", "CONVTOTALS"),
        (settings.analytics_table, "AGENTALL", AGENT),
    ):
        item = dynamo.get_item(table, pk, sk) or {}
        money = {c: [n for n in item if n.startswith(f"{c}:")] for c in ("revenue", "pending_revenue")}
        names = {f"#{c}": c for c in money if money[c]}
        names |= {f"#x{i}": n for i, n in enumerate(n for ns in money.values() for n in ns)}
        values = {f":{c}": sum((item[n] for n in ns), Decimal(0)) for c, ns in money.items() if ns}
        removes = ", ".join(f"#x{i}" for i in range(sum(len(ns) for ns in money.values())))
        sets = ", ".join(f"#{c} = :{c}" for c in money if money[c])
        _update(
            table, pk, sk, f"SET {sets} REMOVE {removes}",
            ExpressionAttributeNames=names, ExpressionAttributeValues=dynamo.dump(values),
        )  # fmt: skip
    _client().delete_item(TableName=settings.analytics_table, Key=dynamo.key("NETWORK", "TOTALS"))
    _client().delete_item(TableName=settings.agents_table, Key=dynamo.key("ADMINKEYS", f"KEY#{KEY_ID}"))
    for pk, sk in [(f"MERCHANT#{m.merchant_id}", "MERCHANT") for m in MERCHANTS] + [
        (f"PRODUCT#{p.product_id}", "PRODUCT") for p in PRODUCTS
    ]:
        _update(settings.catalog_table, pk, sk, "REMOVE kind, kind_id")


def _register_shopper(with_event: bool) -> None:
    """The shopper's registration; the previous release wrote no event for the rollup to count."""
    profile = AgentProfile(agent_id=AGENT, agent_name="shopper", plan="standard", public=False, created_at=_now())
    event = agents.counted_event(AGENT, 1) if with_event else None
    agent_store.create_agent(profile.model_dump(mode="json", exclude_none=True), "hash-shopper", event=event)


def _now() -> str:
    return clock.now_iso()


def _history(previous_release: bool, moment: list[int]) -> Iterator[None]:
    """The same history in both worlds; yields where the previous release is replaced by this one."""
    catalog_admin.upsert_merchants(MERCHANTS, Caller.operator())
    catalog_admin.upsert_products(PRODUCTS, Caller.operator())
    found = shopping.run_search(SearchRequest(keywords="sony wh-1000xm5"), Caller.of_agent(AGENT), "https://t", "r1")
    clicks = {r.merchant_id: r.affiliate_link.rsplit("/", 1)[1] for r in found.results}
    _register_shopper(with_event=not previous_release)
    agent_store.create_admin_key(KEY_ID, KEY_HASH, "ops", ["agents:read", "keys:read"])
    at = _now()
    usd = delivery(clicks["m_beta"], "confirmed", conversion_id="usd-1", commission="4.00", occurred_at=at)
    eur = delivery(
        clicks["m_euro"], "confirmed", conversion_id="eur-1", commission="9.00", currency="EUR", occurred_at=at
    )
    pending = delivery(
        clicks["m_euro"], "pending", conversion_id="eur-2", commission="1.50", currency="EUR", occurred_at=at
    )
    assert [r["statusCode"] for r in (post(usd), post(eur, **EUR), post(pending, **EUR))] == [200, 200, 200]
    rollup.run(now=NOW + 300)
    moment[0] = NOW + 400
    yield  # the deploy
    agents.register(RegisterAgentRequest(agent_name="newcomer"))
    shopping.run_search(SearchRequest(keywords="pegasus"), Caller.of_agent(AGENT), "https://t", "r2")
    confirmed = {**pending, "status": "confirmed"}  # a conversion of the old days moves on after the deploy
    refund = {**eur, "status": "refunded", "refunded_commission": "2.00"}
    assert [r["statusCode"] for r in (post(confirmed, **EUR), post(refund, **EUR))] == [200, 200]
    rollup.run(now=NOW + 800)


def _figures() -> dict[str, Any]:
    """What users and operators read, and the stored counters behind it (zeros read as absent)."""
    settings = get_settings()
    operator = Caller.operator()

    def counters(table: str, pk: str, sk: str) -> dict[str, Any]:
        item = dynamo.get_item(table, pk, sk) or {}
        return {n: v for n, v in item.items() if isinstance(v, Decimal) and v}

    stats = analytics.stats(AGENT, Caller.of_agent(AGENT))
    listing = dynamo.get_item(settings.agents_table, "ADMINKEYS", f"KEY#{KEY_ID}") or {}
    return {
        "stats": stats.model_dump(include={"revenue", "pending_revenue", "conversions", "total_searches"}),
        "network": analytics.trending(7).network.model_dump(),
        "conversion_totals": counters(settings.activity_table, f"AGENT#{AGENT}", "CONVTOTALS"),
        "all_time": counters(settings.analytics_table, "AGENTALL", AGENT),
        "network_item": counters(settings.analytics_table, "NETWORK", "TOTALS"),
        "admin_key_listing": {k: v for k, v in listing.items() if k != "created_at"},
        "listed_keys": [k.key_id for k in admin_keys.list_keys(operator, 100, None).keys],
        "merchants": catalog_admin.list_merchants(100, None, operator).model_dump(),
        "products": catalog_admin.list_products(100, None, operator).model_dump(),
    }


def _fresh(moment: list[int]) -> dict[str, Any]:
    with template_tables_in_moto():
        for _ in _history(previous_release=False, moment=moment):
            pass
        return _figures()


def test_the_backfill_gives_the_figures_of_a_fresh_write_and_a_second_run_changes_nothing(moment: list[int]) -> None:
    fresh = _fresh(moment)
    moment[0] = NOW
    with template_tables_in_moto():
        history = _history(previous_release=True, moment=moment)
        next(history)
        _as_previous_release_wrote_it()
        next(history, None)
        before = _figures()
        assert backfill_script.main(["--environment", "--dry-run"]) == 3  # the network waits for step 4
        assert _figures() == before  # a dry run writes nothing
        first = {r.step: r for r in backfill.run()}
        after_first = _figures()
        second = {r.step: r for r in backfill.run()}
        assert _figures() == after_first == fresh
    assert before != fresh  # the old shape really reads differently
    assert {s: (r.changed, r.left) for s, r in first.items()} == {
        "admin_key_listings": (1, []),
        "catalog_kinds": (len(MERCHANTS) + len(PRODUCTS), []),
        "conversion_totals": (1, []),
        "all_time_revenue": (1, []),
        "network_totals": (1, []),
    }
    assert all((r.changed, r.left) == (0, []) for r in second.values()), second
    assert fresh["stats"]["revenue"] == {"USD": Decimal("4.00"), "EUR": Decimal("8.50")}
    assert fresh["network"] == {
        "agents": 2,
        "searches": 2,
        "conversions": 2,
        "commission": {"EUR": Decimal("8.50"), "USD": Decimal("4.00")},
    }


def test_the_backfill_never_writes_figures_read_before_a_change_it_did_not_see(moment: list[int]) -> None:
    from cashback.store import activity as activity_store
    from cashback.store import analytics as analytics_store

    with template_tables_in_moto():
        history = _history(previous_release=True, moment=moment)
        next(history)
        _as_previous_release_wrote_it()
        state = analytics_store.get_state()
        totals = activity_store.get_item(f"AGENT#{AGENT}", "CONVTOTALS")
        assert state and totals
        next(history, None)  # conversions change and a rollup run counts them after the reads

        assert not activity_store.split_conversion_totals(totals, {"revenue:USD": Decimal("4.00")})
        assert not analytics_store.split_all_time_revenue(AGENT, {"USD": Decimal("4.00")}, state)
        assert not analytics_store.put_network_totals({"agents": 99}, state)
        assert analytics_store.network_totals().get("agents") != 99
        assert "revenue" in (activity_store.get_item(f"AGENT#{AGENT}", "CONVTOTALS") or {})
