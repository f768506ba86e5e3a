"""Conversions: what affiliate networks deliver and what agents read back."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from cashback.models.catalog import Currency
from cashback.models.common import Decimal
from cashback.money import cents


class ConversionStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUNDED = "refunded"


Money = Annotated[Decimal, Field(ge=0, le=10_000_000, decimal_places=2, examples=["12.50"]), AfterValidator(cents)]


class ConversionEvent(BaseModel):
    """One delivery from an affiliate network; product and merchant come from the click."""

    model_config = ConfigDict(extra="forbid")

    conversion_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,128}$", description="the network's id")]
    click_id: Annotated[str, Field(pattern=r"^clk_[A-Za-z0-9_-]{22}$")]
    status: ConversionStatus
    order_amount: Money
    currency: Currency
    commission_amount: Money
    occurred_at: AwareDatetime

    @model_validator(mode="after")
    def _commission_within_order(self) -> ConversionEvent:
        if self.commission_amount > self.order_amount:
            raise ValueError("commission_amount must not exceed order_amount")
        return self


class Conversion(BaseModel):
    conversion_id: str
    click_id: str
    agent_id: str
    product_id: str
    product_title: str | None = None
    product_match_key: str | None = Field(default=None, exclude=True)
    merchant_id: str
    status: ConversionStatus
    order_amount: Decimal
    currency: str
    commission_amount: Decimal
    occurred_at: str
    first_seen_at: str
    updated_at: str


class ConversionReceipt(BaseModel):
    conversion: Conversion
    applied: bool = Field(description="false when this delivery changed nothing (duplicate or late)")


class ConversionPage(BaseModel):
    conversions: list[Conversion]
    next_cursor: str | None
