"""The client's models are generated from the API's OpenAPI document, and stay so."""

from __future__ import annotations

from decimal import Decimal

from cashback import models as api
from cashback_client import models
from cashback_client.ratelimit import RateLimit, retry_after
from scripts import client_models


def test_the_committed_models_are_what_the_document_generates() -> None:
    assert client_models.MODULE.read_text() == client_models.render(), "run make client and commit the result"


def test_money_and_rates_parse_as_decimals() -> None:
    row = api.CompareRow(
        rank=1,
        product_id="p1",
        title="Kettle",
        merchant="Alpha",
        price=Decimal("19.99"),
        currency="USD",
        cashback_rate=Decimal("3.25"),
        cashback_amount=Decimal("0.65"),
        savings_vs_1st=Decimal("0.00"),
        effective_price=Decimal("19.34"),
        in_stock=True,
        affiliate_link="http://127.0.0.1:3000/r/clk_x",
    )

    parsed = models.CompareRow.model_validate_json(row.model_dump_json())

    assert (parsed.price, parsed.cashback_rate, parsed.effective_price) == (
        Decimal("19.99"),
        Decimal("3.25"),
        Decimal("19.34"),
    )


def test_the_enums_have_the_apis_members() -> None:
    for name in ("SortOrder", "CryptoPreference", "Plan", "ConversionStatus", "LeaderboardMetric", "LeaderboardPeriod"):
        ours, theirs = getattr(models, name), getattr(api, name)
        assert {m.name: m.value for m in ours} == {m.name: m.value for m in theirs}, name


def test_rate_limit_headers_parse_with_every_window() -> None:
    headers = {
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1795604460",
        "RateLimit-Policy": '"minute";q=100;w=60, "hour";q=1000;w=3600',
        "RateLimit": '"minute";r=0;t=18, "hour";r=958;t=1800',
        "Retry-After": "18",
    }

    limit = RateLimit.from_headers(headers)

    assert limit is not None
    assert (limit.limit, limit.remaining, limit.reset, limit.retry_after) == (100, 0, 1795604460, 18.0)
    assert limit.reset_at.isoformat() == "2026-11-25T11:01:00+00:00"
    assert [(w.name, w.limit, w.window_seconds, w.remaining, w.reset_in) for w in limit.windows] == [
        ("minute", 100, 60, 0, 18),
        ("hour", 1000, 3600, 958, 1800),
    ]
    assert RateLimit.from_headers({"X-Request-Id": "r"}) is None


def test_retry_after_may_be_an_http_date() -> None:
    when = "Wed, 25 Nov 2026 11:01:00 GMT"
    assert retry_after({"Retry-After": when}, now=1795604460 - 30) == 30.0
    assert retry_after({"Retry-After": "soon"}) is None
