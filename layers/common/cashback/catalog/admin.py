"""The catalog's write rules (admin keys): merchants, products and their keyword index entries;
and the admin listings of both, in id order, a page at a time.

A product must name a known merchant and link to the merchant's own domain (the redirect only ever
sends shoppers to URLs stored this way). Each product and its index entries change in one transaction.
"""

from __future__ import annotations

from typing import Any

from cashback import cursor as cursors
from cashback.auth import Caller, Scope
from cashback.catalog.dynamodb import index_entries
from cashback.catalog.interface import ProductNotFound
from cashback.errors import ApiError, InvalidRequest
from cashback.models import Merchant, MerchantPage, Product, ProductPage
from cashback.store import catalog as catalog_store


class UnknownMerchant(ApiError):
    status = 422
    code = "UNKNOWN_MERCHANT"
    default_message = "A product names a merchant the catalog does not have."


def _check_url_host(product: Product, merchant: Merchant) -> None:
    host = product.url.split("/", 3)[2].split(":")[0].lower()
    if host != merchant.domain and not host.endswith("." + merchant.domain):
        raise InvalidRequest(
            "INVALID_VALUE",
            f"Product {product.product_id}: url must be on the merchant's domain {merchant.domain}.",
            {"product_id": product.product_id},
        )


def upsert_products(products: list[Product], caller: Caller) -> list[str]:
    """Write offers and keep the keyword index consistent (one transaction per offer); catalog:write."""
    caller.require_scope(Scope.CATALOG_WRITE)
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


def get_product(product_id: str, caller: Caller) -> Product:
    """One product as stored; catalog:read or catalog:write."""
    caller.require_scope(Scope.CATALOG_READ, Scope.CATALOG_WRITE)
    item = catalog_store.get_product(product_id)
    if item is None:
        raise ProductNotFound(f"No product has id {product_id}.")
    return Product.model_validate(_product_fields(item))


def delete_product(product_id: str, caller: Caller) -> None:
    """The product and its index entries; catalog:write."""
    caller.require_scope(Scope.CATALOG_WRITE)
    item = catalog_store.get_product(product_id)
    if item is None:
        raise ProductNotFound(f"No product has id {product_id}.")
    catalog_store.delete_product(item)


def upsert_merchants(merchants: list[Merchant], caller: Caller) -> list[str]:
    """Write merchants as given; catalog:write."""
    caller.require_scope(Scope.CATALOG_WRITE)
    catalog_store.put_merchants(m.model_dump(mode="python") for m in merchants)
    return [m.merchant_id for m in merchants]


def list_merchants(limit: int, cursor: str | None, caller: Caller) -> MerchantPage:
    """Merchants in id order, a page at a time; catalog:read or catalog:write."""
    caller.require_scope(Scope.CATALOG_READ, Scope.CATALOG_WRITE)
    items, last = catalog_store.list_merchants(limit, _after(cursor, "merchants"))
    return MerchantPage(
        merchants=[Merchant.model_validate(_merchant_fields(i)) for i in items],
        next_cursor=_next(last, "merchants"),
    )


def list_products(limit: int, cursor: str | None, caller: Caller) -> ProductPage:
    """Offers in product id order, a page at a time; catalog:read or catalog:write."""
    caller.require_scope(Scope.CATALOG_READ, Scope.CATALOG_WRITE)
    items, last = catalog_store.list_products(limit, _after(cursor, "products"))
    return ProductPage(
        products=[Product.model_validate(_product_fields(i)) for i in items],
        next_cursor=_next(last, "products"),
    )


def _next(last_id: str | None, listing: str) -> str | None:
    """The cursor after `last_id`: the listing it belongs to and the id, opaque to clients."""
    return cursors.encode_json({"l": listing, "a": last_id}) if last_id else None


def _after(cursor: str | None, listing: str) -> str | None:
    if cursor is None:
        return None
    data = cursors.decode_json(cursor)
    if not isinstance(data, dict) or data.get("l") != listing or not isinstance(data.get("a"), str):
        raise cursors.invalid(f"The cursor does not belong to the {listing} listing; start without one.")
    after: str = data["a"]
    return after


def _merchant_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in Merchant.model_fields}


def _product_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in Product.model_fields}
