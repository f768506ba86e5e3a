"""Money is Decimal to the cent, rounded half up; rates are labelled as percentages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cashback.money import cashback_amount, cents, percent_label


@pytest.mark.parametrize(
    ("price", "rate", "amount"),
    [
        ("348.00", "3.25", "11.31"),  # the documented example: 11.310
        ("329.99", "3.25", "10.72"),  # 10.724675 rounds down
        ("139.99", "4.50", "6.30"),  # 6.29955 rounds up
        ("10.00", "0.05", "0.01"),  # exactly half a cent rounds up, not to even
        ("30.00", "0.05", "0.02"),  # 0.015: half up gives 0.02 (banker's rounding would too)
        ("50.00", "0.05", "0.03"),  # 0.025: half up gives 0.03 where banker's rounding gives 0.02
        ("9.99", "0.00", "0.00"),
        ("1000000.00", "100.00", "1000000.00"),
    ],
)
def test_cashback_is_price_times_rate_to_the_cent_rounded_half_up(price: str, rate: str, amount: str) -> None:
    result = cashback_amount(Decimal(price), Decimal(rate))
    assert result == Decimal(amount)
    assert str(result) == amount  # always two places


def test_cashback_is_exact_where_float_arithmetic_is_not() -> None:
    assert round(1.005 * 100) / 100 == 1.0  # float: 1.005 is stored as 1.00499999...
    assert cashback_amount(Decimal("100.50"), Decimal("1.00")) == Decimal("1.01")  # 1.005 → 1.01


@pytest.mark.parametrize(
    ("value", "result"),
    [("2.675", "2.68"), ("2.665", "2.67"), ("-2.675", "-2.68"), ("3", "3.00"), (7, "7.00"), ("0.004", "0.00")],
)
def test_cents_rounds_half_away_from_zero_to_two_places(value: str | int, result: str) -> None:
    assert str(cents(value)) == result


@pytest.mark.parametrize(
    ("rate", "label"),
    [("3.25", "3.25%"), ("3", "3.00%"), ("4.5", "4.50%"), ("0", "0.00%"), ("100", "100.00%"), ("3.255", "3.26%")],
)
def test_percent_label_shows_the_rate_with_two_places(rate: str, label: str) -> None:
    assert percent_label(Decimal(rate)) == label
