"""What a product source is: the listings it answers with and the two questions it answers
(which listings are candidates for these tokens; which are offers of one product, same match key,
across merchants). Ranking, filtering and paging happen in `search`, the same for every source.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from cashback.errors import ApiError
from cashback.models import Product
from cashback.text import tokens

# Candidates read per query token: the cost of a search is bounded by this, whatever the
# catalog size. Postings are sorted best first (in stock, then rating), so the bound keeps the
# best candidates; the total then becomes a labelled lower bound.
CANDIDATES_PER_TOKEN = 300
OFFERS_PER_PRODUCT = 100


class ProductNotFound(ApiError):
    status = 404
    code = "PRODUCT_NOT_FOUND"
    default_message = "No product in the catalog matches."


@dataclass(frozen=True)
class Listing:
    """What search and compare need of an offer; stored as the index projection."""

    product_id: str
    title: str
    brand: str
    category: str
    merchant_id: str
    merchant_name: str
    subid_param: str
    price: Decimal
    currency: str
    cashback_rate: Decimal
    rating: Decimal | None
    in_stock: bool
    url: str
    match_key: str

    @property
    def searchable_tokens(self) -> set[str]:
        return set(tokens(f"{self.title} {self.brand} {self.category}"))

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Listing:
        return cls(**{name: item.get(name) for name in cls.__dataclass_fields__})  # type: ignore[arg-type]

    def to_item(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Candidates:
    listings: list[Listing]
    truncated: bool


class ProductSource(Protocol):
    def candidates(self, query_tokens: list[str]) -> Candidates: ...

    def offers(self, match_key: str) -> list[Listing]: ...


def listing_for(product: Product, merchant_name: str, subid_param: str) -> Listing:
    return Listing(
        product_id=product.product_id,
        title=product.title,
        brand=product.brand,
        category=product.category,
        merchant_id=product.merchant_id,
        merchant_name=merchant_name,
        subid_param=subid_param,
        price=product.price,
        currency=product.currency,
        cashback_rate=product.cashback_rate,
        rating=product.rating,
        in_stock=product.in_stock,
        url=product.url,
        match_key=product.match_key,
    )
