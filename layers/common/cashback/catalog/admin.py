"""The catalog's write rules (admin keys): merchants, products and their keyword index entries.

A product must name a known merchant and link to the merchant's own domain (the redirect only ever
sends shoppers to URLs stored this way). Each product and its index entries change in one transaction.
"""

from __future__ import annotations

from typing import Any

from cashback.auth import Caller, Scope
from cashback.catalog.dynamodb import index_entries
from cashback.catalog.interface import ProductNotFound
from cashback.errors import ApiError, InvalidRequest
from cashback.models import Merchant, Product
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
    return Product.model_validate({k: v for k, v in item.items() if k in Product.model_fields})


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


def _merchant_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in Merchant.model_fields}
