"""Each affiliate network signs with its own key, owns its conversion ids and reports only for its merchants."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cashback import analytics
from cashback.api import webhooks
from cashback.auth import Caller
from tests.apigw import body_of
from tests.money.conftest import (
    AGENT,
    NETWORK,
    NETWORKS,
    OTHER_NETWORK,
    OTHER_SECRET,
    PREVIOUS_SECRET,
    SECRET,
    delivery,
    post,
)


def error(response: dict) -> tuple[int, str | None]:
    return response["statusCode"], body_of(response).get("error", {}).get("code")


def pending() -> tuple[int, dict[str, Decimal]]:
    stats = analytics.stats(AGENT, Caller.of_agent(AGENT))
    return stats.conversions.pending, stats.pending_revenue


def test_two_networks_with_the_same_conversion_id_are_two_conversions(click_id: str) -> None:
    first = post(delivery(click_id, conversion_id="order-77", commission="4.55"))
    second = post(
        delivery(click_id, conversion_id="order-77", commission="6.00"), secret=OTHER_SECRET, key_id=OTHER_NETWORK
    )
    assert body_of(first)["applied"] is True and body_of(second)["applied"] is True, second["body"]
    assert (body_of(first)["conversion"]["network"], body_of(second)["conversion"]["network"]) == (NETWORK, "globex")
    assert pending() == (2, {"USD": Decimal("10.55")})


def test_a_network_may_not_report_for_a_merchant_it_does_not_serve(
    click_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_euro = {**NETWORKS, "initech": {"current": "initech-secret", "merchants": ["m_euro"]}}
    monkeypatch.setenv("WEBHOOK_NETWORKS", json.dumps(only_euro))
    response = post(delivery(click_id), secret="initech-secret", key_id="initech")  # the click is at m_beta
    assert error(response) == (403, "MERCHANT_NOT_ALLOWED")
    assert pending() == (0, {})


def test_a_network_that_loses_a_merchant_can_no_longer_move_its_conversions(
    click_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    post(delivery(click_id, "pending"))
    monkeypatch.setenv("WEBHOOK_NETWORKS", json.dumps({NETWORK: {**NETWORKS[NETWORK], "merchants": ["m_alpha"]}}))
    assert error(post(delivery(click_id, "refunded"))) == (403, "MERCHANT_NOT_ALLOWED")
    assert pending() == (1, {"USD": Decimal("4.55")})


def test_one_networks_secret_does_not_sign_for_another(click_id: str) -> None:
    assert error(post(delivery(click_id), secret=OTHER_SECRET, key_id=NETWORK)) == (401, "SIGNATURE_INVALID")


def test_an_unknown_key_id_is_401(click_id: str) -> None:
    assert error(post(delivery(click_id), key_id="nobody")) == (401, "SIGNATURE_UNKNOWN_KEY")


def test_a_rotated_out_secret_is_refused(click_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert post(delivery(click_id), secret=PREVIOUS_SECRET)["statusCode"] == 200
    rotated = {**NETWORKS, NETWORK: {"current": "the-new-one", "previous": SECRET, "merchants": ["m_beta"]}}
    monkeypatch.setenv("WEBHOOK_NETWORKS", json.dumps(rotated))
    assert post(delivery(click_id, "confirmed"), secret=SECRET)["statusCode"] == 200
    assert error(post(delivery(click_id, "refunded"), secret=PREVIOUS_SECRET)) == (401, "SIGNATURE_INVALID")


def test_without_a_shared_secret_a_header_without_key_id_is_refused(click_id: str) -> None:
    assert error(post(delivery(click_id), key_id=None)) == (401, "SIGNATURE_UNKNOWN_KEY")


def test_the_shared_secret_of_earlier_versions_still_works_and_its_conversions_are_continued_not_counted_twice(
    click_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration: a network first delivers with the shared secret (no key id), then with its own key."""
    monkeypatch.setenv("WEBHOOK_SECRET", "the-old-shared-secret")
    legacy = post(delivery(click_id, "pending", conversion_id="old-1"), secret="the-old-shared-secret", key_id=None)
    assert body_of(legacy)["applied"] is True and body_of(legacy)["conversion"]["network"] is None
    confirmed = post(delivery(click_id, "confirmed", conversion_id="old-1"))
    assert body_of(confirmed)["applied"] is True, confirmed["body"]
    stats = analytics.stats(AGENT, Caller.of_agent(AGENT))
    assert (stats.conversions.pending, stats.conversions.confirmed) == (0, 1)
    assert stats.revenue == {"USD": Decimal("4.55")} and stats.pending_revenue == {}


def test_secrets_never_reach_the_logs_or_a_repr(click_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    post(delivery(click_id))
    post(delivery(click_id), secret="wrong")
    keys = webhooks.active_keys()
    printed = capsys.readouterr()
    everything = printed.out + printed.err + repr(keys)
    assert SECRET not in everything and PREVIOUS_SECRET not in everything and OTHER_SECRET not in everything


def test_a_malformed_network_entry_is_skipped_by_name_without_its_secret(capsys: pytest.CaptureFixture[str]) -> None:
    keys = webhooks.keys_of({"networks": {"ok": {"current": "s1", "merchants": "*"}, "bad": {"current": "s-bad-2"}}})
    assert list(keys) == ["ok"] and keys["ok"].merchants is None
    assert "s-bad-2" not in capsys.readouterr().out
