"""Conversions: what affiliate networks deliver and what agents read back."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    Field,
    model_validator,
)

from cashback.models.common import ApiModel, Currency, Decimal
from cashback.money import cents


class ConversionStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUNDED = "refunded"


Money = Annotated[Decimal, Field(ge=0, le=10_000_000, decimal_places=2, examples=["12.50"]), AfterValidator(cents)]


class ConversionEvent(ApiModel):
    """One delivery from an affiliate network; product and merchant come from the click."""

    model_config = ConfigDict(extra="forbid")

    conversion_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,128}$", description="the network's id")]
    click_id: Annotated[str, Field(pattern=r"^clk_[A-Za-z0-9_-]{22}$")]
    status: ConversionStatus
    order_amount: Money
    currency: Currency
    commission_amount: Money
    refunded_commission: Money | None = Field(
        default=None,
        description="status refunded only: the commission taken back so far (cumulative; a partial refund is "
        "less than commission_amount). Absent: all of it.",
    )
    occurred_at: AwareDatetime

    @model_validator(mode="after")
    def _commission_within_order(self) -> ConversionEvent:
        if self.commission_amount > self.order_amount:
            raise ValueError("commission_amount must not exceed order_amount")
        if self.refunded_commission is not None:
            if self.status is not ConversionStatus.REFUNDED:
                raise ValueError("refunded_commission is only for status refunded")
            if self.refunded_commission > self.commission_amount:
                raise ValueError("refunded_commission must not exceed commission_amount")
        return self

    @property
    def taken_back(self) -> Decimal:
        """The commission refunded: refunded_commission, or all of it for a refund without one."""
        if self.status is not ConversionStatus.REFUNDED:
            return cents(0)
        return self.commission_amount if self.refunded_commission is None else self.refunded_commission


class Conversion(ApiModel):
    conversion_id: str
    network: str | None = Field(
        default=None, description="the key id of the network that reported it; null before per-network keys"
    )
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
    refunded_commission: Decimal | None = Field(default=None, description="refunded only: the commission taken back")
    occurred_at: str
    first_seen_at: str
    updated_at: str


class ConversionReceipt(ApiModel):
    conversion: Conversion
    applied: bool = Field(description="false when this delivery changed nothing (duplicate or late)")


class ConversionPage(ApiModel):
    conversions: list[Conversion]
    next_cursor: str | None
