"""Plain aligned text tables and the number formats the CLI prints (stdlib only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], right: Iterable[int] = ()) -> str:
    """Columns two spaces apart, a dashed rule under the headers; columns in `right` right-aligned."""
    body = [list(row) for row in rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *body, strict=True)]
    align_right = set(right)

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if i in align_right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in body)])


def pairs(items: Iterable[tuple[str, object]]) -> str:
    """`key  value` lines with the values aligned."""
    listed = [(key, "-" if value is None else str(value)) for key, value in items]
    width = max((len(key) for key, _ in listed), default=0)
    return "\n".join(f"{key.ljust(width)}  {value}" for key, value in listed)


def clip(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def money(amount: Decimal, currency: str | None = None) -> str:
    text = f"{amount:,.2f}"
    return f"{text} {currency}" if currency else text


def amounts(by_currency: Mapping[str, Decimal]) -> str:
    """Money by currency, never added up: "12.50 USD, 3.00 EUR"; "0.00" when there is none."""
    return ", ".join(money(amount, code) for code, amount in sorted(by_currency.items())) or money(Decimal(0))


def percent(rate: Decimal | None) -> str:
    """A percentage the API already gives in percent (cashback rates: "3.25" → 3.25%)."""
    return "-" if rate is None else f"{rate:.2f}%"


def fraction(rate: Decimal | None, signed: bool = False) -> str:
    """A fraction the API gives as a ratio (conversion and growth rates: 0.125 → 12.5%)."""
    if rate is None:
        return "-"
    value = (rate * 100).quantize(Decimal("0.1"))
    return f"{value:+}%" if signed else f"{value}%"


def optional(value: object) -> str:
    return "-" if value is None else str(value)
