"""Conversions from affiliate networks: a forward-only state machine, counted exactly once.

Status moves only forward: pending → confirmed → refunded, or pending → refunded. A repeated
delivery changes nothing; a late `pending` after `confirmed`/`refunded` is ignored; `confirmed`
after `refunded` is refused (409). Out-of-order arrival works: `confirmed` first is simply the
first state. Each applied change writes the conversion, its agent's listing entry, totals and
day counters, and a rollup event in ONE transaction, conditioned on the state it was computed
from, so concurrent or repeated deliveries can never count twice or lose a cent.

Who reports: a delivery is signed by one network (`Reporter`); its conversion ids are that
network's own (stored under the network's namespace, so two networks never collide), and it may
report only for the merchants it is configured for (403 MERCHANT_NOT_ALLOWED otherwise).

Amounts on status changes (the policy the README states):
- the same status again with the same amounts is a duplicate; with other amounts, 409 CONVERSION_MISMATCH;
- `confirmed` may correct the amounts of a `pending` (networks settle on the final order value);
- `refunded` carries the conversion's amounts as last delivered (other amounts: 409) and
  `refunded_commission`, the commission taken back so far (absent: all of it). A partial refund
  keeps the rest as revenue; a later `refunded` with a larger `refunded_commission` takes back
  more, a smaller or equal one is late or repeated and changes nothing. A refund is final.

What a conversion contributes to its agent's counters depends only on its current state:
pending → pending_count 1 and pending_revenue = commission; confirmed → confirmed_count 1 and
revenue = commission; refunded → refunded_count 1 and revenue = commission - refunded_commission.
A change adds the difference, so totals move by exactly the delta, and a refund takes back exactly
what was counted. Money counters are kept per currency (a conversion's currency never changes).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cashback import clock
from cashback import cursor as cursors
from cashback.auth import Caller, Scope
from cashback.errors import ApiError
from cashback.models import Conversion, ConversionEvent, ConversionPage, ConversionReceipt, ConversionStatus
from cashback.observability import MetricUnit, logger, metrics
from cashback.retry import LostRace, retry_on_race
from cashback.store import activity as activity_store
from cashback.store import events

_ORDER = {ConversionStatus.PENDING: 0, ConversionStatus.CONFIRMED: 1, ConversionStatus.REFUNDED: 2}
# What a conversion keeps from its first delivery (and its click) through every status change.
_CARRIED = ("network", "agent_id", "product_id", "product_title", "product_match_key", "merchant_id", "first_seen_at")


class UnknownClick(ApiError):
    status = 422
    code = "UNKNOWN_CLICK"
    default_message = "No click has this id; conversions must come from a link this API served."


class IllegalTransition(ApiError):
    status = 409
    code = "ILLEGAL_TRANSITION"
    default_message = "A conversion's status cannot move backwards."


class ConversionMismatch(ApiError):
    status = 409
    code = "CONVERSION_MISMATCH"
    default_message = "This conversion id was already delivered with different data."


class MerchantNotAllowed(ApiError):
    status = 403
    code = "MERCHANT_NOT_ALLOWED"
    default_message = "The network that signed this delivery does not report for the click's merchant."


@dataclass(frozen=True)
class Reporter:
    """The network that signed a delivery: its key id ("" for the shared secret of earlier
    versions, whose ids have no namespace) and the merchants it may report for (None: any)."""

    network: str
    merchants: frozenset[str] | None = None

    def require_merchant(self, merchant_id: str) -> None:
        if self.merchants is not None and merchant_id not in self.merchants:
            raise MerchantNotAllowed(details={"network": self.network, "merchant_id": merchant_id})


@dataclass(frozen=True)
class Contribution:
    pending_count: int = 0
    confirmed_count: int = 0
    refunded_count: int = 0
    pending_revenue: Decimal = Decimal("0.00")
    revenue: Decimal = Decimal("0.00")

    @classmethod
    def of(cls, conversion: Conversion | None) -> Contribution:
        if conversion is None:
            return cls()
        if conversion.status is ConversionStatus.PENDING:
            return cls(pending_count=1, pending_revenue=conversion.commission_amount)
        if conversion.status is ConversionStatus.CONFIRMED:
            return cls(confirmed_count=1, revenue=conversion.commission_amount)
        return cls(refunded_count=1, revenue=conversion.commission_amount - _refunded(conversion))

    def minus(self, other: Contribution) -> dict[str, Any]:
        """The non-zero differences, by counter name."""
        diff = {name: getattr(self, name) - getattr(other, name) for name in self.__dataclass_fields__}
        return {name: value for name, value in diff.items() if value != 0}


def decide(current: Conversion | None, incoming: ConversionEvent) -> str:
    """'apply', 'ignore' (duplicate or late pending) or raise for an illegal or mismatching delivery."""
    if current is None:
        return "apply"
    if current.click_id != incoming.click_id or current.currency != incoming.currency:
        raise ConversionMismatch(details={"conversion_id": incoming.conversion_id})
    same_amounts = (current.order_amount, current.commission_amount) == (
        incoming.order_amount,
        incoming.commission_amount,
    )
    if incoming.status is ConversionStatus.PENDING and current.status is not ConversionStatus.PENDING:
        return "ignore"  # late
    if _ORDER[incoming.status] < _ORDER[current.status]:
        raise IllegalTransition(details={"from": current.status.value, "to": incoming.status.value})
    corrects = current.status is ConversionStatus.PENDING and incoming.status is ConversionStatus.CONFIRMED
    if not same_amounts and not corrects:
        raise ConversionMismatch(details={"conversion_id": incoming.conversion_id, "status": current.status})
    if incoming.status is ConversionStatus.REFUNDED and current.status is ConversionStatus.REFUNDED:
        return "apply" if incoming.taken_back > _refunded(current) else "ignore"  # more taken back, or late
    return "ignore" if incoming.status is current.status else "apply"


def _refunded(conversion: Conversion) -> Decimal:
    """The commission a refunded conversion gave back (all of it for refunds stored before partial refunds)."""
    if conversion.status is not ConversionStatus.REFUNDED:
        return Decimal("0.00")
    if conversion.refunded_commission is None:
        return conversion.commission_amount
    return conversion.refunded_commission


def _load(reporter: Reporter, incoming: ConversionEvent) -> tuple[Conversion | None, int]:
    """The conversion in the reporter's namespace; for a network with its own key, a conversion it
    reported with the shared secret of earlier versions (same id, same click) is continued, not
    counted a second time."""
    item = activity_store.get_conversion(reporter.network, incoming.conversion_id)
    if item is None and reporter.network:
        legacy = activity_store.get_conversion("", incoming.conversion_id)
        if legacy is not None and legacy.get("click_id") == incoming.click_id:
            item = legacy
    if item is None:
        return None, 0
    return Conversion.model_validate(item), int(item["version"])


def record(incoming: ConversionEvent, reporter: Reporter) -> ConversionReceipt:
    """Apply one delivery signed by `reporter`; safe to repeat and to run concurrently with itself."""

    def attempt() -> ConversionReceipt:
        current, version = _load(reporter, incoming)
        if current is not None:
            reporter.require_merchant(current.merchant_id)
        if decide(current, incoming) == "ignore":
            metrics.add_metric(name="ConversionDuplicateOrLate", unit=MetricUnit.Count, value=1)
            assert current is not None
            return ConversionReceipt(conversion=current, applied=False)
        updated = _next_state(current, incoming, reporter)
        delta = Contribution.of(updated).minus(Contribution.of(current))
        stored = {**updated.model_dump(mode="python"), "product_match_key": updated.product_match_key}
        if activity_store.apply_conversion(stored, version, delta, _event(updated, delta, version + 1)):
            logger.info(
                "conversion recorded", extra={"conversion_id": updated.conversion_id, "status": updated.status.value}
            )
            metrics.add_metric(name=f"Conversion{updated.status.value.title()}", unit=MetricUnit.Count, value=1)
            return ConversionReceipt(conversion=updated, applied=True)
        raise LostRace

    return retry_on_race(attempt, "The conversion is changing concurrently; retry the delivery.")


def page(agent_id: str, caller: Caller, limit: int, cursor: str | None) -> ConversionPage:
    """One page of the agent's conversions, newest first; the cursor is opaque. For the agent
    itself or an admin key with analytics:read."""
    caller.require_agent_or_scope(agent_id, Scope.ANALYTICS_READ)
    after = cursors.decode(cursor) if cursor else None
    items, last = activity_store.conversions_page(agent_id, limit, after)
    return ConversionPage(
        conversions=[Conversion.model_validate(i) for i in items],
        next_cursor=cursors.encode(last) if last else None,
    )


def _next_state(current: Conversion | None, incoming: ConversionEvent, reporter: Reporter) -> Conversion:
    now = clock.now_iso()
    if current is None:
        click = activity_store.get_click(incoming.click_id)
        if click is None:
            raise UnknownClick(details={"click_id": incoming.click_id})
        reporter.require_merchant(click.merchant_id)
        base = {
            "network": reporter.network or None,
            "agent_id": click.agent_id,
            "product_id": click.product_id,
            "product_title": click.title,
            "product_match_key": click.match_key,
            "merchant_id": click.merchant_id,
            "first_seen_at": now,
        }
    else:
        # getattr, not model_dump: product_match_key is excluded from dumps (never shown to agents).
        base = {name: getattr(current, name) for name in _CARRIED}
    return Conversion(
        **base,
        conversion_id=incoming.conversion_id,
        click_id=incoming.click_id,
        status=incoming.status,
        order_amount=incoming.order_amount,
        currency=incoming.currency,
        commission_amount=incoming.commission_amount,
        refunded_commission=incoming.taken_back if incoming.status is ConversionStatus.REFUNDED else None,
        occurred_at=clock.iso(incoming.occurred_at),
        updated_at=now,
    )


def _event(updated: Conversion, delta: dict[str, Any], version: int) -> dict[str, Any]:
    return events.event_item(
        "conversion",
        f"{updated.network or ''}:{updated.conversion_id}:{version}",
        int(time.time()),
        {
            "agent_id": updated.agent_id,
            "product_id": updated.product_id,
            "match_key": updated.product_match_key,
            "title": updated.product_title,
            "merchant_id": updated.merchant_id,
            "click_id": updated.click_id,
            "currency": updated.currency,
            "status": updated.status.value,
            "occurred_day": updated.occurred_at[:10],
            # The conversion's first report is an order (the merchants' order volume, in trending).
            "new_order": version == 1,
            "order_amount": updated.order_amount,
            **{f"d_{k}": v for k, v in delta.items()},
        },
    )
