"""Payouts: per calendar month (UTC), what each agent earned, to pay it; and marking a month paid.

The rules (the README's "Payouts" section says the same):
- A month holds the revenue changes APPLIED in it: a confirmation adds the commission, a refund
  takes back what it refunds, each in the month the API recorded it (`updated_at`), not the month
  the network says it happened, so a late delivery never changes a month already over.
  Pending conversions add nothing (they are not revenue yet).
- Summed over all months, an agent's commission per currency is its stats' `revenue`, exactly: both
  are written in the conversion's one transaction from the same delta.
- A refund of a conversion paid in an earlier month is a negative line of the month of the refund; an
  agent whose refunds exceed its earnings in a month has a negative total, owed back.
- The current month is open: it may be reported, not marked paid (409 PERIOD_OPEN); a later month
  too. A closed month is marked paid once: who and when, recorded by a conditional write; marking it
  again returns the same record.
- Reading needs an admin key with analytics:read, marking one with payouts:write.

Cost (an operator's export, paged): a page of `limit` agents is one Query, one BatchGetItem of
their profiles, one GetItem of the paid record and, with the conversions, one Query per agent (more
past 1,000 lines). CSV rows carry no conversions, so a CSV page is the first three only. Never a Scan.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from cashback import clock
from cashback import cursor as cursors
from cashback.auth import Caller, Scope, is_agent_id
from cashback.errors import ApiError
from cashback.models import PaidRecord, PayoutAgent, PayoutLine, PayoutReport, PeriodStatus
from cashback.money import by_currency, cents
from cashback.observability import logger
from cashback.store import agents as agents_store
from cashback.store import payouts as payouts_store

CSV_COLUMNS = ("period", "agent_id", "wallet_address", "crypto_preference", "currency", "commission")


class PeriodOpen(ApiError):
    status = 409
    code = "PERIOD_OPEN"
    default_message = "This month is not over yet; only a closed month can be marked paid."


def _is_open(period: str) -> bool:
    """The current month (or a later one): still changing."""
    return period >= payouts_store.period_of(clock.now_iso())


def _status(period: str, paid: PaidRecord | None) -> PeriodStatus:
    if paid is not None:
        return PeriodStatus.PAID
    return PeriodStatus.OPEN if _is_open(period) else PeriodStatus.CLOSED


def _paid(period: str) -> PaidRecord | None:
    record = payouts_store.paid_record(period)
    return PaidRecord.model_validate(record) if record else None


def report(period: str, caller: Caller, limit: int, cursor: str | None, with_conversions: bool = True) -> PayoutReport:
    """One page of the month's payout report: each agent that earned in it, with its wallet, crypto
    preference, commission by currency and (`with_conversions`) the conversion lines making it up."""
    caller.require_scope(Scope.ANALYTICS_READ)
    after = cursors.decode(cursor) if cursor else None
    if after is not None and not is_agent_id(after):
        raise cursors.invalid()
    rows, last = payouts_store.agents_page(period, limit, after)
    profiles = agents_store.profiles([r["agent_id"] for r in rows]) if rows else {}
    paid = _paid(period)
    return PayoutReport(
        period=period,
        status=_status(period, paid),
        paid=paid,
        agents=[_agent(period, row, profiles.get(row["agent_id"], {}), with_conversions) for row in rows],
        next_cursor=cursors.encode(last) if last else None,
    )


def _agent(period: str, row: dict[str, Any], profile: dict[str, Any], with_conversions: bool) -> PayoutAgent:
    lines = payouts_store.agent_lines(period, row["agent_id"]) if with_conversions else []
    return PayoutAgent(
        agent_id=row["agent_id"],
        wallet_address=profile.get("wallet_address"),
        crypto_preference=profile.get("crypto_preference"),
        standing=profile.get("standing", "active" if profile else None),
        commission={code: cents(amount) for code, amount in by_currency(row, "revenue").items()},
        conversions=[PayoutLine.model_validate({**line, "amount": cents(Decimal(line["amount"]))}) for line in lines],
    )


def as_csv(report: PayoutReport) -> str:
    """The page as CSV: a header, then one row per agent and currency, amounts as plain decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for agent in report.agents:
        for currency, amount in agent.commission.items():
            preference = agent.crypto_preference.value if agent.crypto_preference else ""
            writer.writerow((report.period, agent.agent_id, agent.wallet_address or "", preference, currency, amount))
    return out.getvalue()


def mark_paid(period: str, caller: Caller) -> PaidRecord:
    """Record that a closed month was paid, by whom and when; idempotent (the first record stands)."""
    caller.require_scope(Scope.PAYOUTS_WRITE)
    if _is_open(period):
        raise PeriodOpen(details={"period": period})
    record, written = payouts_store.mark_paid(period, {"paid_at": clock.now_iso(), "paid_by": caller.principal_id})
    if written:
        logger.info("payout month marked paid", extra={"period": period, "paid_by": caller.principal_id})
    return PaidRecord.model_validate(record)
