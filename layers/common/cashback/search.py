"""Ranking, filtering, paging and comparing listings: the same rules for every product source.

Relevance: listings matching more of the query's tokens come first (a title with every keyword
beats a partial match), then shorter titles (more of the title is about the query), then in
stock, rating and product id (a total order, so pages never repeat or skip a result).
Other sorts rank only the listings that match every keyword, when any do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cashback import cursor as cursors
from cashback.catalog import Listing, ProductNotFound, ProductSource
from cashback.errors import InvalidRequest
from cashback.models import SearchFilters, SearchRequest, SortOrder
from cashback.money import cashback_amount
from cashback.text import fold, query_tokens

# Compare needs the best text match to cover at least this share of the query's tokens.
COMPARE_MIN_COVERAGE = 0.5


@dataclass(frozen=True)
class Page:
    listings: list[Listing]
    total: int
    total_is_estimate: bool
    next_cursor: str | None


@dataclass(frozen=True)
class _Scored:
    listing: Listing
    matched: int
    title_length: int


def _score(listing: Listing, wanted: set[str]) -> _Scored:
    have = listing.searchable_tokens
    return _Scored(listing, len(wanted & have), len(have))


def _passes(listing: Listing, filters: SearchFilters) -> bool:
    f = filters
    checks = [
        f.category is None or fold(listing.category) == fold(f.category),
        f.brand is None or fold(listing.brand) == fold(f.brand),
        f.merchant is None or fold(f.merchant) in (fold(listing.merchant_id), fold(listing.merchant_name)),
        f.min_price is None or listing.price >= f.min_price,
        f.max_price is None or listing.price <= f.max_price,
        f.min_cashback_rate is None or listing.cashback_rate >= f.min_cashback_rate,
        f.in_stock is None or listing.in_stock == f.in_stock,
    ]
    return all(checks)


_SORTS: dict[SortOrder, Callable[[_Scored], tuple[Any, ...]]] = {
    SortOrder.RELEVANCE: lambda s: (
        -s.matched,
        s.title_length,
        not s.listing.in_stock,
        -(s.listing.rating or 0),
        s.listing.product_id,
    ),
    SortOrder.CASHBACK_RATE: lambda s: (-s.listing.cashback_rate, s.listing.product_id),
    SortOrder.CASHBACK_AMOUNT: lambda s: (
        -cashback_amount(s.listing.price, s.listing.cashback_rate),
        s.listing.product_id,
    ),
    SortOrder.PRICE_ASC: lambda s: (s.listing.price, s.listing.product_id),
    SortOrder.PRICE_DESC: lambda s: (-s.listing.price, s.listing.product_id),
    SortOrder.RATING: lambda s: (-(s.listing.rating or 0), s.listing.product_id),
}


def _fingerprint(request: SearchRequest) -> str:
    material = request.model_dump_json(include={"keywords", "filters", "sort"})
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def encode_cursor(offset: int, request: SearchRequest) -> str:
    return cursors.encode_json({"o": offset, "q": _fingerprint(request)})


def decode_cursor(cursor: str | None, request: SearchRequest) -> int:
    if cursor is None:
        return 0
    data = cursors.decode_fields(cursor, {"o": int, "q": str})
    offset, fingerprint = data["o"], data["q"]
    if fingerprint != _fingerprint(request) or offset < 0:
        raise cursors.invalid("The cursor belongs to a different search; start without one.")
    return offset


def search(request: SearchRequest, source: ProductSource) -> Page:
    wanted = query_tokens(request.keywords)
    if not wanted:
        raise InvalidRequest("INVALID_VALUE", "keywords must contain at least one word.", {"field": "keywords"})
    offset = decode_cursor(request.cursor, request)
    found = source.candidates(wanted)
    scored = [_score(listing, set(wanted)) for listing in found.listings if _passes(listing, request.filters)]
    scored = [s for s in scored if s.matched]
    if request.sort is not SortOrder.RELEVANCE:
        complete = [s for s in scored if s.matched == len(wanted)]
        scored = complete or scored
    scored.sort(key=_SORTS[request.sort])
    page = scored[offset : offset + request.limit]
    next_offset = offset + len(page)
    return Page(
        listings=[s.listing for s in page],
        total=len(scored),
        total_is_estimate=found.truncated,
        next_cursor=encode_cursor(next_offset, request) if next_offset < len(scored) else None,
    )


def compare(product_name: str, max_merchants: int, source: ProductSource) -> list[Listing]:
    """The offers of the product best matching `product_name`, one per merchant, best cashback first.

    Offers are grouped by match key (GTIN, else normalised brand + model), not by title, and
    compared in the best match's currency.
    """
    wanted = query_tokens(product_name)
    if not wanted:
        raise InvalidRequest("INVALID_VALUE", "product_name must contain at least one word.")
    scored = sorted(
        (_score(listing, set(wanted)) for listing in source.candidates(wanted).listings),
        key=_SORTS[SortOrder.RELEVANCE],
    )
    if not scored or scored[0].matched < COMPARE_MIN_COVERAGE * len(wanted):
        raise ProductNotFound(f"No product matches {product_name!r}.", details={"product_name": product_name})
    best = scored[0].listing
    by_merchant: dict[str, Listing] = {}
    for offer in source.offers(best.match_key):
        if offer.currency != best.currency:
            continue
        kept = by_merchant.get(offer.merchant_id)
        if kept is None or _compare_key(offer) < _compare_key(kept):
            by_merchant[offer.merchant_id] = offer
    if not by_merchant:
        raise ProductNotFound(f"No offers for {product_name!r}.", details={"product_name": product_name})
    return sorted(by_merchant.values(), key=_compare_key)[:max_merchants]


def _compare_key(listing: Listing) -> tuple[Decimal, Decimal, str]:
    amount = cashback_amount(listing.price, listing.cashback_rate)
    return (-amount, listing.price - amount, listing.merchant_name)
