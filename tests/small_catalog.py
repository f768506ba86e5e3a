"""A small hand-made catalog in moto: enough to check ranking, filters, compare and links exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cashback.auth import Caller
from cashback.catalog import admin as catalog_admin
from cashback.models import Merchant, Product

MERCHANTS = [
    Merchant(
        merchant_id="m_alpha",
        name="Alpha Audio",
        domain="alpha.example",
        subid_param="subid",
        default_cashback_rate=Decimal("2.00"),
        category_rates={"audio": Decimal("4.50")},
    ),
    Merchant(
        merchant_id="m_beta",
        name="Beta Mart",
        domain="beta.example",
        subid_param="aff_sub",
        default_cashback_rate=Decimal("3.25"),
    ),
    Merchant(
        merchant_id="m_gamma",
        name="Gamma Store",
        domain="gamma.example",
        subid_param="u1",
        default_cashback_rate=Decimal("1.00"),
    ),
    Merchant(
        merchant_id="m_euro",
        name="Euro Shop",
        domain="euro.example",
        currency="EUR",
        default_cashback_rate=Decimal("9.00"),
    ),
]


def offer(product_id: str, merchant_id: str, title: str, price: str, rate: str, **extra: Any) -> Product:
    merchant = next(m for m in MERCHANTS if m.merchant_id == merchant_id)
    fields: dict[str, Any] = {
        "product_id": product_id,
        "product_key": extra.pop("product_key", title.lower()),
        "title": title,
        "brand": extra.pop("brand", "Sony"),
        "category": extra.pop("category", "audio"),
        "merchant_id": merchant_id,
        "price": price,
        "currency": extra.pop("currency", merchant.currency),
        "rating": extra.pop("rating", "4.5"),
        "in_stock": extra.pop("in_stock", True),
        "url": f"https://{merchant.domain}/p/{product_id}",
        "cashback_rate": rate,
        **extra,
    }
    return Product.model_validate(fields)


HEADPHONES = "Sony WH-1000XM5 Wireless Noise Cancelling Headphones"
PRODUCTS = [
    # One product (same GTIN) at four merchants, one of them in EUR.
    offer("p_xm5_alpha", "m_alpha", HEADPHONES, "348.00", "4.50", gtin="4548736132610", model="WH-1000XM5"),
    offer("p_xm5_beta", "m_beta", HEADPHONES + ", Black", "329.99", "3.25", gtin="4548736132610", model="WH-1000XM5"),
    offer("p_xm5_gamma", "m_gamma", "SONY WH1000XM5 headphone", "299.00", "1.00", gtin="4548736132610"),
    offer("p_xm5_euro", "m_euro", HEADPHONES, "379.00", "9.00", gtin="4548736132610", currency="EUR"),
    # Partial matches for "wireless headphones".
    offer("p_buds", "m_beta", "Sony Wireless Earbuds", "99.00", "3.25", product_key="sony wf-c700n"),
    offer(
        "p_wired",
        "m_gamma",
        "Sony Wired Headphones MDR-7506",
        "89.00",
        "1.00",
        product_key="sony mdr-7506",
        rating="4.8",
    ),
    # Other brands and categories, for filters and sorts.
    offer(
        "p_bose",
        "m_alpha",
        "Bose QuietComfort Wireless Headphones",
        "279.00",
        "4.50",
        brand="Bose",
        product_key="bose qc",
        rating="4.4",
        in_stock=False,
    ),
    offer(
        "p_shoe1",
        "m_beta",
        "Nike Pegasus 41 Running Shoes",
        "139.99",
        "3.25",
        brand="Nike",
        category="shoes",
        product_key="nike pegasus 41",
        rating="4.7",
    ),
    offer(
        "p_shoe2",
        "m_gamma",
        "Brooks Ghost 16 Running Shoe",
        "149.95",
        "1.00",
        brand="Brooks",
        category="shoes",
        product_key="brooks ghost 16",
        rating="4.6",
    ),
    offer(
        "p_cafe",
        "m_beta",
        "Crème Café Espresso Machine",
        "199.00",
        "3.25",
        brand="Café Crème",
        category="kitchen",
        product_key="creme espresso",
    ),
]


@pytest.fixture
def small_catalog(aws: None) -> list[Product]:
    catalog_admin.upsert_merchants(MERCHANTS, Caller.operator())
    catalog_admin.upsert_products(PRODUCTS, Caller.operator())
    return PRODUCTS
