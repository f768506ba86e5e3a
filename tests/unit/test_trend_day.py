"""A day's trending lists as the rollup builds them: merchants carry their catalog name."""

from __future__ import annotations

from decimal import Decimal

from cashback import rollup


def test_listed_merchants_are_named_from_the_catalog_and_unknown_ones_keep_their_id() -> None:
    asked: list[set[str]] = []

    def names(ids: set[str]) -> dict[str, str]:
        asked.append(ids)
        return {"m_alpha": "Alpha Audio"}

    merchants = [
        {"pk": "MERCHANTDAY#2026-12-01", "sk": "m_alpha", "clicks": Decimal(3), "conversions": Decimal(1)},
        {"pk": "MERCHANTDAY#2026-12-01", "sk": "m_gone", "clicks": Decimal(5)},
    ]

    day = rollup.trend_day([], [], merchants, merchant_names=names)

    assert [(m["sk"], m.get("name")) for m in day["merchants"]] == [("m_alpha", "Alpha Audio"), ("m_gone", None)]
    assert asked == [{"m_alpha", "m_gone"}]  # one lookup for the day's listed merchants


def test_a_day_without_merchants_looks_no_names_up() -> None:
    def names(ids: set[str]) -> dict[str, str]:
        raise AssertionError("no lookup for an empty list")

    assert rollup.trend_day([], [], [], merchant_names=names)["merchants"] == []
