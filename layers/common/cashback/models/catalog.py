"""The catalog: merchants and products (offers) as admins write them."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictBool,
)

from cashback.models.common import ApiModel, Currency, Decimal, HttpsUrl
from cashback.money import cents
from cashback.text import fold

Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2, examples=["3.25"]), AfterValidator(cents)]
Price = Annotated[Decimal, Field(gt=0, le=1_000_000, decimal_places=2, examples=["348.00"]), AfterValidator(cents)]
CatalogId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{3,64}$")]
Category = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$", examples=["audio"])]


class Merchant(ApiModel):
    model_config = ConfigDict(extra="forbid")

    merchant_id: CatalogId
    name: Annotated[str, Field(min_length=1, max_length=120)]
    domain: Annotated[str, Field(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$", max_length=253)]
    subid_param: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,32}$")] = "subid"
    currency: Currency = "USD"
    default_cashback_rate: Percent
    category_rates: dict[str, Percent] = Field(default_factory=dict)

    def rate_for(self, category: str) -> Decimal:
        return self.category_rates.get(category, self.default_cashback_rate)


class Product(ApiModel):
    """One offer: a product as one merchant sells it."""

    model_config = ConfigDict(extra="forbid")

    product_id: CatalogId
    product_key: Annotated[str, Field(min_length=1, max_length=200, description="normalised brand + model")]
    gtin: Annotated[str, Field(pattern=r"^\d{8}(\d{4,6})?$")] | None = None
    title: Annotated[str, Field(min_length=1, max_length=300)]
    brand: Annotated[str, Field(min_length=1, max_length=80)]
    model: Annotated[str, Field(max_length=120)] | None = None
    category: Category
    merchant_id: CatalogId
    price: Price
    currency: Currency
    rating: Annotated[Decimal, Field(ge=0, le=5, decimal_places=1)] | None = None
    review_count: Annotated[int, Field(ge=0)] = 0
    in_stock: StrictBool = True
    url: HttpsUrl
    cashback_rate: Percent

    @property
    def match_key(self) -> str:
        """How offers of the same product are matched across merchants: GTIN when known."""
        return f"gtin:{self.gtin}" if self.gtin else f"key:{fold(self.product_key)}"


class ProductBatch(ApiModel):
    model_config = ConfigDict(extra="forbid")

    products: Annotated[list[Product], Field(min_length=1, max_length=25)]


class MerchantBatch(ApiModel):
    model_config = ConfigDict(extra="forbid")

    merchants: Annotated[list[Merchant], Field(min_length=1, max_length=25)]


class UpsertResult(ApiModel):
    upserted: int
    ids: list[str]


class MerchantPage(ApiModel):
    """One page of the catalog's merchants, by merchant id."""

    merchants: list[Merchant]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")


class ProductPage(ApiModel):
    """One page of the catalog's offers, by product id."""

    products: list[Product]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")
