"""Money is Decimal with two places, rounded half up; never float arithmetic.

Amounts in different currencies are never added together: a stored money counter is named
`<counter>:<ISO 4217 code>` (`revenue:EUR`), and the API shows money as an object by currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def cents(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def cashback_amount(price: Decimal, rate_percent: Decimal) -> Decimal:
    """price x rate%, to the cent: 348.00 at 3.25% → 11.31."""
    return cents(price * rate_percent / 100)


def percent_label(rate_percent: Decimal) -> str:
    return f"{cents(rate_percent)}%"


def by_currency(item: Mapping[str, Any], counter: str) -> dict[str, Decimal]:
    """A money counter of a stored item by currency code (its `<counter>:<code>` attributes), zeros left out."""
    prefix = f"{counter}:"
    found = {name[len(prefix) :]: Decimal(value) for name, value in item.items() if name.startswith(prefix)}
    return {code: amount for code, amount in sorted(found.items()) if amount}
