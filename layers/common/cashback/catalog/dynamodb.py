"""The built-in catalog: CatalogTable's keyword index, one bounded Query per token, run concurrently."""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from functools import lru_cache

from cashback.catalog.interface import CANDIDATES_PER_TOKEN, OFFERS_PER_PRODUCT, Candidates, Listing, listing_for
from cashback.models import Merchant, Product
from cashback.store import catalog as catalog_store
from cashback.text import tokens


def _rank(listing: Listing) -> str:
    """Sort key prefix: in-stock first, then higher rating, as a string that sorts ascending."""
    rating = int((listing.rating or Decimal(0)) * 10)
    return f"{0 if listing.in_stock else 1}{50 - rating:02d}"


def index_entries(product: Product, merchant: Merchant) -> list[catalog_store.IndexEntry]:
    listing = listing_for(product, merchant.name, merchant.subid_param)
    projection = listing.to_item()
    words = tokens(f"{product.title} {product.brand} {product.model or ''} {product.category}")
    sort_key = f"{_rank(listing)}#{product.product_id}"
    entries = [catalog_store.keyword_entry(word, sort_key, projection) for word in words]
    entries.append(catalog_store.match_entry(listing.match_key, product.product_id, projection))
    return entries


class DynamoDBCatalog:
    """The built-in catalog: one bounded Query per token, run concurrently."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool

    def candidates(self, query_tokens: list[str]) -> Candidates:
        # Each query runs in a copy of the caller's context, as code on the request thread would.
        context = contextvars.copy_context()
        futures = [
            self._pool.submit(context.copy().run, catalog_store.keyword_postings, t, CANDIDATES_PER_TOKEN)
            for t in query_tokens
        ]
        pages = [future.result() for future in futures]
        seen: dict[str, Listing] = {}
        for items, _ in pages:
            for item in items:
                seen.setdefault(item["product_id"], Listing.from_item(item))
        return Candidates(listings=list(seen.values()), truncated=any(more for _, more in pages))

    def offers(self, match_key: str) -> list[Listing]:
        return [Listing.from_item(i) for i in catalog_store.offers_of(match_key, OFFERS_PER_PRODUCT)]


@lru_cache(maxsize=1)
def pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="catalog")
