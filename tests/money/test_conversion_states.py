"""Every status path, counted exactly once, in decimal; stats and listings agree."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cashback import analytics, conversions
from cashback.auth import Caller
from tests.apigw import LambdaContext, agent_authorizer, api_event, body_of
from tests.conftest import load_function
from tests.money.conftest import AGENT, delivery, post

list_fn = load_function("list_conversions")


def stats() -> dict:
    s = analytics.stats(AGENT, Caller.of_agent(AGENT))
    return {
        "pending": s.conversions.pending,
        "confirmed": s.conversions.confirmed,
        "refunded": s.conversions.refunded,
        "revenue": s.revenue.get("USD", Decimal("0.00")),
        "pending_revenue": s.pending_revenue.get("USD", Decimal("0.00")),
    }


def status_code_and_error(response: dict) -> tuple[int, str | None]:
    body = body_of(response)
    return response["statusCode"], body.get("error", {}).get("code")


def test_pending_then_confirmed_moves_money_from_pending_to_revenue(click_id: str) -> None:
    post(delivery(click_id, "pending", commission="4.55"))
    assert stats() == {
        "pending": 1,
        "confirmed": 0,
        "refunded": 0,
        "revenue": Decimal("0.00"),
        "pending_revenue": Decimal("4.55"),
    }
    post(delivery(click_id, "confirmed", commission="4.60"))  # the network adjusted the commission
    assert stats() == {
        "pending": 0,
        "confirmed": 1,
        "refunded": 0,
        "revenue": Decimal("4.60"),
        "pending_revenue": Decimal("0.00"),
    }


def test_a_refund_takes_back_exactly_what_was_counted(click_id: str) -> None:
    post(delivery(click_id, "confirmed", commission="10.01"))
    post(delivery(click_id, "refunded", commission="10.01"))
    assert stats() == {
        "pending": 0,
        "confirmed": 0,
        "refunded": 1,
        "revenue": Decimal("0.00"),
        "pending_revenue": Decimal("0.00"),
    }


def test_pending_then_refunded_clears_pending_revenue(click_id: str) -> None:
    post(delivery(click_id, "pending", commission="3.33"))
    post(delivery(click_id, "refunded", commission="3.33"))
    assert stats()["pending_revenue"] == Decimal("0.00") and stats()["refunded"] == 1


def test_confirmed_before_pending_works_and_the_late_pending_is_ignored(click_id: str) -> None:
    first = post(delivery(click_id, "confirmed", commission="7.77"))
    late = post(delivery(click_id, "pending", commission="7.77"))
    assert body_of(first)["applied"] is True
    assert late["statusCode"] == 200 and body_of(late)["applied"] is False
    assert body_of(late)["conversion"]["status"] == "confirmed"
    assert stats()["revenue"] == Decimal("7.77") and stats()["pending"] == 0


def test_the_same_delivery_repeated_changes_nothing(click_id: str) -> None:
    for _ in range(3):
        response = post(delivery(click_id, "confirmed", commission="5.00"))
        assert response["statusCode"] == 200
    assert stats()["confirmed"] == 1 and stats()["revenue"] == Decimal("5.00")


def test_confirmed_after_refunded_is_409(click_id: str) -> None:
    post(delivery(click_id, "confirmed"))
    post(delivery(click_id, "refunded"))
    assert status_code_and_error(post(delivery(click_id, "confirmed"))) == (409, "ILLEGAL_TRANSITION")
    assert stats()["revenue"] == Decimal("0.00")


def test_the_same_id_with_different_amounts_is_409(click_id: str) -> None:
    post(delivery(click_id, "pending", commission="1.00"))
    assert status_code_and_error(post(delivery(click_id, "pending", commission="2.00"))) == (409, "CONVERSION_MISMATCH")


def test_an_unknown_click_is_422(click_id: str) -> None:
    response = post(delivery("clk_" + "Z" * 22))
    assert status_code_and_error(response) == (422, "UNKNOWN_CLICK")


@pytest.mark.parametrize(
    "change",
    [
        {"status": "shipped"},
        {"order_amount": "-1"},
        {"commission_amount": "200", "order_amount": "100"},
        {"occurred_at": "2026-11-20T10:00:00"},
        {"currency": "dollars"},
        {"extra": 1},
    ],
)
def test_invalid_deliveries_are_400(click_id: str, change: dict) -> None:
    assert post(delivery(click_id) | change)["statusCode"] == 400


def test_money_adds_up_exactly_over_many_conversions(click_id: str) -> None:
    commissions = [Decimal("0.10"), Decimal("0.20"), Decimal("0.30"), Decimal("19.99"), Decimal("0.01")]
    for index, commission in enumerate(commissions):
        post(delivery(click_id, "confirmed", conversion_id=f"net-{index}", commission=str(commission)))
    assert stats()["revenue"] == sum(commissions) == Decimal("20.60")


def test_a_race_lost_to_an_identical_delivery_is_answered_from_the_stored_state(
    click_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two deliveries read 'absent'; the one that writes second loses the condition and re-reads."""
    post(delivery(click_id, "pending"))
    real_load = conversions._load
    calls = {"n": 0}

    def stale_first_read(reporter, incoming):
        calls["n"] += 1
        return (None, 0) if calls["n"] == 1 else real_load(reporter, incoming)

    monkeypatch.setattr(conversions, "_load", stale_first_read)
    response = post(delivery(click_id, "pending"))
    assert body_of(response)["applied"] is False
    assert stats()["pending"] == 1 and stats()["pending_revenue"] == Decimal("4.55")


def test_conversions_are_listed_newest_first_page_by_page(click_id: str) -> None:
    for index in range(5):
        post(delivery(click_id, "pending", conversion_id=f"net-{index}"))
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        event = api_event(
            "GET",
            f"/agents/{AGENT}/conversions",
            resource="/agents/{agent_id}/conversions",
            path_parameters={"agent_id": AGENT},
            query=query,
            authorizer=agent_authorizer(AGENT),
        )
        page = body_of(list_fn.lambda_handler(event, LambdaContext()))
        seen += [c["conversion_id"] for c in page["conversions"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == [f"net-{i}" for i in range(5)] and len(seen) == 5
    assert all("product_match_key" not in c for c in page["conversions"])
