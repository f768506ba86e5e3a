"""Money is Decimal with two places, rounded half up; never float arithmetic."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def cashback_amount(price: Decimal, rate_percent: Decimal) -> Decimal:
    """price x rate%, to the cent: 348.00 at 3.25% → 11.31."""
    return cents(price * rate_percent / 100)


def percent_label(rate_percent: Decimal) -> str:
    return f"{cents(rate_percent)}%"
