"""Payouts: what each agent earned in a calendar month, to pay it, and the month's paid record."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from cashback.models.common import AgentId, ApiModel, Currency, Decimal, MoneyByCurrency
from cashback.models.conversions import ConversionStatus
from cashback.models.wallets import CryptoPreference

PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
Period = Annotated[str, Field(pattern=PERIOD_PATTERN, examples=["2026-11"], description="a calendar month, UTC")]


class PeriodStatus(StrEnum):
    OPEN = "open"  # the current month (or a later one): still changing, cannot be marked paid
    CLOSED = "closed"  # over, not marked paid yet
    PAID = "paid"


class PayoutLine(ApiModel):
    """One conversion's part of an agent's month: its confirmation (+commission), its refund
    (-commission taken back), or both when both happened in the month."""

    conversion_id: str
    network: str | None = None
    currency: Currency
    amount: Decimal = Field(description="what this conversion adds to the month (negative: a refund), 2 places")
    status: ConversionStatus = Field(description="the conversion's status as last applied in this month")
    commission_amount: Decimal
    refunded_commission: Decimal | None = None
    merchant_id: str
    occurred_at: str
    updated_at: str = Field(description="when its last change in this month was applied (places it in the month)")


class PayoutAgent(ApiModel):
    agent_id: AgentId
    wallet_address: str | None = Field(default=None, description="where to pay, as the profile has it now")
    crypto_preference: CryptoPreference | None = None
    standing: str | None = Field(default=None, description="active, suspended or deleted (null: no profile)")
    commission: MoneyByCurrency = Field(
        description="confirmed commission placed in the month, net of refunds, by currency; negative: owed back"
    )
    conversions: list[PayoutLine] = Field(description="the lines that make up `commission`, one per conversion")


class PaidRecord(ApiModel):
    period: Period
    paid_at: str
    paid_by: str = Field(description="the admin key id that marked the month paid")


class PayoutReport(ApiModel):
    period: Period
    status: PeriodStatus
    paid: PaidRecord | None = None
    agents: list[PayoutAgent] = Field(description="agents that earned in the month, by agent id; one page")
    next_cursor: str | None = None
