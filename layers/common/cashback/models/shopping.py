"""Search, batch search and compare."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    model_validator,
)

from cashback.models.common import (
    ApiModel,
    Decimal,
    ErrorDetail,
)


class SortOrder(StrEnum):
    RELEVANCE = "relevance"
    CASHBACK_RATE = "cashback_rate"
    CASHBACK_AMOUNT = "cashback_amount"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    RATING = "rating"


class SearchFilters(ApiModel):
    model_config = ConfigDict(extra="forbid")

    category: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    brand: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    merchant: Annotated[str, Field(min_length=1, max_length=120, description="merchant id or name")] | None = None
    min_price: Annotated[Decimal, Field(ge=0, le=1_000_000)] | None = None
    max_price: Annotated[Decimal, Field(ge=0, le=1_000_000)] | None = None
    min_cashback_rate: Annotated[Decimal, Field(ge=0, le=100)] | None = None
    in_stock: StrictBool | None = None

    @model_validator(mode="after")
    def _price_range(self) -> SearchFilters:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("min_price must not exceed max_price")
        return self


class SearchRequest(ApiModel):
    model_config = ConfigDict(extra="forbid")

    keywords: Annotated[str, Field(min_length=1, max_length=200, examples=["wireless headphones"])]
    filters: SearchFilters = Field(default_factory=SearchFilters)
    sort: SortOrder = SortOrder.RELEVANCE
    limit: Annotated[int, Field(ge=1, le=50)] = 10
    cursor: Annotated[str, Field(max_length=512)] | None = None


class SearchResult(ApiModel):
    product_id: str
    title: str
    brand: str
    category: str
    merchant: str
    merchant_id: str
    merchant_domain: str = Field(description="the host of the page the affiliate link leads to, without www.")
    price: Decimal
    currency: str
    cashback_rate: Decimal = Field(description="percent")
    cashback_amount: Decimal
    rating: Decimal | None
    in_stock: bool
    affiliate_link: str


class SearchResponse(ApiModel):
    keywords: str
    results: list[SearchResult]
    total: int = Field(description="products matched; a lower bound when total_is_estimate")
    total_is_estimate: bool
    next_cursor: str | None


class BatchSearchRequest(ApiModel):
    model_config = ConfigDict(extra="forbid")

    searches: Annotated[list[SearchRequest], Field(min_length=1, max_length=10)]


class BatchSearchItem(ApiModel):
    ok: bool
    result: SearchResponse | None = None
    error: ErrorDetail | None = None


class BatchSearchResponse(ApiModel):
    results: list[BatchSearchItem]


class CompareRequest(ApiModel):
    """GET /compare's query parameters as one object (the MCP tool compare_cashback's arguments)."""

    model_config = ConfigDict(extra="forbid")

    product_name: Annotated[str, Field(min_length=1, max_length=200, examples=["Kitchenwright KI-74 Air Fryer"])]
    max_merchants: Annotated[int, Field(ge=1, le=20)] = 5


class CompareRow(ApiModel):
    rank: int
    product_id: str
    title: str
    merchant: str
    price: Decimal
    currency: str
    cashback_rate: Decimal
    cashback_amount: Decimal
    savings_vs_1st: Decimal = Field(description="this row's cashback_amount minus the first row's (≤ 0)")
    effective_price: Decimal = Field(description="price - cashback_amount")
    in_stock: bool
    affiliate_link: str


class PriceRange(ApiModel):
    min: Decimal
    max: Decimal


class CompareSummary(ApiModel):
    best_merchant: str
    best_cashback_rate: str = Field(examples=["3.25%"])
    best_effective_price: Decimal
    price_range: PriceRange
    merchant_count: int


class CompareResponse(ApiModel):
    success: Literal[True] = True
    product_query: str
    agent_id: str
    results: list[CompareRow]
    summary: CompareSummary
