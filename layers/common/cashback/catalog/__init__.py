"""Product sources behind one interface, and the catalog's write rules.

A source answers two questions: which listings are candidates for these tokens, and which
listings are offers of one product (same match key) across merchants. Ranking, filtering and
paging happen in `search`, the same for every source.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from cashback.errors import ApiError, InvalidRequest
from cashback.models import Merchant, Product
from cashback.settings import get_settings
from cashback.store import catalog as catalog_store
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


class UnknownMerchant(ApiError):
    status = 422
    code = "UNKNOWN_MERCHANT"
    default_message = "A product names a merchant the catalog does not have."


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


# ---------------------------------------------------------------- the built-in DynamoDB catalog


def _rank(listing: Listing) -> str:
    """Sort key prefix: in-stock first, then higher rating, as a string that sorts ascending."""
    rating = int((listing.rating or Decimal(0)) * 10)
    return f"{0 if listing.in_stock else 1}{50 - rating:02d}"


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


def index_entries(product: Product, merchant: Merchant) -> list[catalog_store.IndexEntry]:
    listing = listing_for(product, merchant.name, merchant.subid_param)
    projection = listing.to_item()
    words = tokens(f"{product.title} {product.brand} {product.model or ''} {product.category}")
    sort_key = f"{_rank(listing)}#{product.product_id}"
    entries = [(f"KW#{word}", sort_key, projection) for word in words]
    entries.append((f"MATCH#{listing.match_key}", product.product_id, projection))
    return entries


def _check_url_host(product: Product, merchant: Merchant) -> None:
    host = product.url.split("/", 3)[2].split(":")[0].lower()
    if host != merchant.domain and not host.endswith("." + merchant.domain):
        raise InvalidRequest(
            "INVALID_VALUE",
            f"Product {product.product_id}: url must be on the merchant's domain {merchant.domain}.",
            {"product_id": product.product_id},
        )


def upsert_products(products: list[Product]) -> list[str]:
    """Write offers and keep the keyword index consistent (one transaction per offer)."""
    merchants = {
        m: Merchant.model_validate(_merchant_fields(v))
        for m, v in catalog_store.get_merchants(p.merchant_id for p in products).items()
    }
    missing = sorted({p.merchant_id for p in products} - set(merchants))
    if missing:
        raise UnknownMerchant(details={"merchant_ids": missing})
    for product in products:
        _check_url_host(product, merchants[product.merchant_id])
    for product in products:
        previous = catalog_store.get_product(product.product_id)
        catalog_store.write_product(
            product.model_dump(mode="python", exclude_none=True),
            index_entries(product, merchants[product.merchant_id]),
            previous,
        )
    return [p.product_id for p in products]


def get_product(product_id: str) -> Product:
    item = catalog_store.get_product(product_id)
    if item is None:
        raise ProductNotFound(f"No product has id {product_id}.")
    return Product.model_validate({k: v for k, v in item.items() if k in Product.model_fields})


def delete_product(product_id: str) -> None:
    item = catalog_store.get_product(product_id)
    if item is None:
        raise ProductNotFound(f"No product has id {product_id}.")
    catalog_store.delete_product(item)


def upsert_merchants(merchants: list[Merchant]) -> list[str]:
    catalog_store.put_merchants(m.model_dump(mode="python") for m in merchants)
    return [m.merchant_id for m in merchants]


def _merchant_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in Merchant.model_fields}


class DynamoDBCatalog:
    """The built-in catalog: one bounded Query per token, run concurrently."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool

    def candidates(self, query_tokens: list[str]) -> Candidates:
        pages = list(self._pool.map(lambda t: catalog_store.query_index(f"KW#{t}", CANDIDATES_PER_TOKEN), query_tokens))
        seen: dict[str, Listing] = {}
        for items, _ in pages:
            for item in items:
                seen.setdefault(item["product_id"], Listing.from_item(item))
        return Candidates(listings=list(seen.values()), truncated=any(more for _, more in pages))

    def offers(self, match_key: str) -> list[Listing]:
        items, _ = catalog_store.query_index(f"MATCH#{match_key}", OFFERS_PER_PRODUCT)
        return [Listing.from_item(i) for i in items]


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="catalog")


def source() -> ProductSource:
    """The product source the settings choose (CATALOG_SOURCE)."""
    if get_settings().catalog_source == "upstream":
        from cashback.catalog.upstream import upstream_catalog

        return upstream_catalog()
    return DynamoDBCatalog(_pool())
