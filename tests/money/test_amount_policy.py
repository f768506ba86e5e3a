"""Amounts on status changes: confirmation may correct them, refunds may be partial, and totals move
by exactly the difference, once, however often or concurrently a delivery arrives."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cashback import analytics, conversions
from cashback.auth import Caller
from cashback.models import ConversionEvent
from tests.apigw import body_of
from tests.money.conftest import AGENT, NETWORK, delivery, post


def money() -> dict[str, object]:
    s = analytics.stats(AGENT, Caller.of_agent(AGENT))
    day = next(d for d in analytics.analytics(AGENT, Caller.of_agent(AGENT), today=date(2026, 11, 20)).timeline[-1:])
    return {
        "counts": (s.conversions.pending, s.conversions.confirmed, s.conversions.refunded),
        "revenue": s.revenue.get("USD", Decimal("0.00")),
        "pending_revenue": s.pending_revenue.get("USD", Decimal("0.00")),
        "day_revenue": day.revenue.get("USD", Decimal("0.00")),
    }


def error(response: dict) -> tuple[int, str | None]:
    return response["statusCode"], body_of(response).get("error", {}).get("code")


def test_confirmation_may_correct_the_amount_and_totals_move_by_the_difference_once(click_id: str) -> None:
    post(delivery(click_id, "pending", commission="4.55"))
    for _ in range(3):
        post(delivery(click_id, "confirmed", commission="3.90", order="120.00"))
    assert money() == {
        "counts": (0, 1, 0),
        "revenue": Decimal("3.90"),
        "pending_revenue": Decimal("0.00"),
        "day_revenue": Decimal("3.90"),
    }


def test_a_partial_refund_takes_back_only_the_refunded_commission(click_id: str) -> None:
    post(delivery(click_id, "confirmed", commission="10.00"))
    response = post(delivery(click_id, "refunded", commission="10.00", refunded_commission="4.00"))
    assert body_of(response)["conversion"]["refunded_commission"] == "4.00"
    assert money() == {
        "counts": (0, 0, 1),
        "revenue": Decimal("6.00"),
        "pending_revenue": Decimal("0.00"),
        "day_revenue": Decimal("6.00"),
    }


def test_a_larger_refund_later_takes_back_the_rest_and_a_late_smaller_one_changes_nothing(click_id: str) -> None:
    post(delivery(click_id, "confirmed", commission="10.00"))
    post(delivery(click_id, "refunded", commission="10.00", refunded_commission="4.00"))
    post(delivery(click_id, "refunded", commission="10.00", refunded_commission="4.00"))  # repeated
    more = post(delivery(click_id, "refunded", commission="10.00", refunded_commission="9.50"))
    late = post(delivery(click_id, "refunded", commission="10.00", refunded_commission="4.00"))
    assert body_of(more)["applied"] is True and body_of(late)["applied"] is False
    assert money()["revenue"] == Decimal("0.50") and money()["day_revenue"] == Decimal("0.50")
    full = post(delivery(click_id, "refunded", commission="10.00"))  # no refunded_commission: all of it
    assert body_of(full)["applied"] is True and money()["revenue"] == Decimal("0.00")


def test_a_partial_refund_of_a_pending_conversion_keeps_the_rest_as_revenue(click_id: str) -> None:
    post(delivery(click_id, "pending", commission="8.00"))
    post(delivery(click_id, "refunded", commission="8.00", refunded_commission="3.00"))
    assert money() == {
        "counts": (0, 0, 1),
        "revenue": Decimal("5.00"),
        "pending_revenue": Decimal("0.00"),
        "day_revenue": Decimal("5.00"),
    }


def test_a_refund_with_other_amounts_than_the_conversion_is_409(click_id: str) -> None:
    post(delivery(click_id, "confirmed", commission="10.00"))
    assert error(post(delivery(click_id, "refunded", commission="12.00"))) == (409, "CONVERSION_MISMATCH")
    assert money()["revenue"] == Decimal("10.00")


@pytest.mark.parametrize("status", ["pending", "confirmed"])
def test_the_same_status_with_another_amount_is_409(click_id: str, status: str) -> None:
    post(delivery(click_id, status, commission="2.00"))
    assert error(post(delivery(click_id, status, commission="2.50"))) == (409, "CONVERSION_MISMATCH")
    assert error(post(delivery(click_id, status, commission="2.00", order="150.00"))) == (409, "CONVERSION_MISMATCH")


@pytest.mark.parametrize(
    "change",
    [
        {"status": "confirmed", "refunded_commission": "1.00"},
        {"status": "refunded", "refunded_commission": "4.56"},  # more than the commission (4.55)
        {"status": "refunded", "refunded_commission": "-1.00"},
    ],
)
def test_a_refunded_commission_outside_a_refund_or_above_the_commission_is_400(click_id: str, change: dict) -> None:
    assert post(delivery(click_id) | change)["statusCode"] == 400


def test_a_partial_refund_that_loses_a_race_to_itself_is_counted_once(
    click_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two deliveries of the same refund read 'confirmed'; the second to write loses, re-reads and stops."""
    post(delivery(click_id, "confirmed", commission="10.00"))
    refund = delivery(click_id, "refunded", commission="10.00", refunded_commission="2.50")
    reporter = conversions.Reporter(network=NETWORK)
    stale = conversions._load(reporter, ConversionEvent.model_validate(refund))
    post(refund)
    real_load, calls = conversions._load, {"n": 0}

    def stale_first_read(reporter, incoming):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return stale if calls["n"] == 1 else real_load(reporter, incoming)

    monkeypatch.setattr(conversions, "_load", stale_first_read)
    assert body_of(post(refund))["applied"] is False and calls["n"] == 2
    assert money()["revenue"] == Decimal("7.50") and money()["day_revenue"] == Decimal("7.50")
