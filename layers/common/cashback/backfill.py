"""The one backfill: what earlier versions wrote, brought to the shape this version reads.

Run by operators, offline (`python -m scripts.backfill`, `make backfill`), never by a function:
it is the only code that Scans (`dynamo.scan_pages`), a page at a time, and no function's role
allows a Scan. Every step is idempotent and resumable: it writes only what is missing or still in
the old shape, each write conditioned on what it read, so a second run (or one after a crash)
changes nothing more, and a write that raced a live change is skipped and left for the next run.

Steps, in order (a later step builds on the earlier ones):
1. `admin_key_listings`: admin keys created before `GET /admin/keys` existed had a credential and
   no listing item; the listing is written from the credential, only if missing.
2. `catalog_kinds`: merchants and offers written before the `CatalogByKind` index carry no
   `kind`; it is added (with `kind_id`) only where missing, nothing else of the item changes.
3. `conversion_totals`: an agent's conversion totals kept one currency-less `revenue` and
   `pending_revenue`; they become `revenue:<code>` / `pending_revenue:<code>`, each recomputed
   from the agent's conversions with the rule the conversion transaction applies
   (`conversions.Contribution`), so the result is what fresh deliveries would have written.
4. `all_time_revenue`: the rollup's all-time aggregate of an agent (`AGENTALL`) kept one `revenue`;
   it becomes `revenue:<code>`, the sum of the same contributions, for conversions whose last
   change the rollup has counted (behind its watermark).
5. `network_totals`: the network's totals (agents, searches, conversions, revenue by currency),
   which the rollup keeps only from the events written since this version, are set to what the
   rollup would hold had it always kept them: the sums of the all-time aggregates, and the agents
   registered and not deleted before the watermark.

Money is never counted twice: a recomputed figure must agree with what is stored (the old total
equals the sum of the new ones, and the counts are equal), else the agent is skipped and reported;
steps 4 and 5 write in a transaction that holds only while the rollup state is the one read, so no
rollup run counts anything between the read and the write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cashback import clock, rollup
from cashback.conversions import Contribution
from cashback.models import Conversion
from cashback.store import activity as activity_store
from cashback.store import agents as agent_store
from cashback.store import analytics as analytics_store
from cashback.store import catalog as catalog_store

NETWORK_COUNTERS = ("searches", "conversions")
COUNTS = ("pending_count", "confirmed_count", "refunded_count")


@dataclass
class StepReport:
    """What one step read and changed (in a dry run: would change), and what it left for a later run."""

    step: str
    examined: int = 0
    changed: int = 0
    left: list[str] = field(default_factory=list)  # why each item left for the next run was left

    def line(self, dry_run: bool) -> str:
        verb = "would change" if dry_run else "changed"
        text = f"{self.step}: examined {self.examined}, {verb} {self.changed}"
        return text + (f", left for the next run {len(self.left)}: " + "; ".join(self.left) if self.left else "")


def _items(pages: Iterator[list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    for page in pages:
        yield from page


def admin_key_listings(dry_run: bool = False) -> StepReport:
    report = StepReport("admin_key_listings")
    for credential in _items(agent_store.admin_credentials()):
        report.examined += 1
        if agent_store.get_admin_key(str(credential["principal_id"])) is not None:
            continue
        if dry_run or agent_store.add_admin_key_listing(credential):
            report.changed += 1
    return report


def catalog_kinds(dry_run: bool = False) -> StepReport:
    report = StepReport("catalog_kinds")
    for item in _items(catalog_store.unlisted()):
        report.examined += 1
        if dry_run or catalog_store.add_kind(item):
            report.changed += 1
    return report


def _contributions(agent_id: str, counted_before: int | None = None) -> tuple[dict[str, Contribution], bool]:
    """The agent's conversions' contributions summed per currency, as the conversion transaction
    counts them; with `counted_before` (epoch seconds), whether every conversion last changed
    safely before it (its last event behind the rollup's watermark)."""
    sums: dict[str, Contribution] = defaultdict(Contribution)
    settled = True
    for item in activity_store.agent_conversions(agent_id):
        conversion = Conversion.model_validate(item)
        if counted_before is not None and clock.epoch_of(conversion.updated_at) >= counted_before:
            settled = False
        one, total = Contribution.of(conversion), sums[conversion.currency]
        sums[conversion.currency] = Contribution(
            *(getattr(total, name) + getattr(one, name) for name in Contribution.__dataclass_fields__)
        )
    return dict(sums), settled


def _money(item: dict[str, Any], counter: str) -> Decimal:
    """An item's money counter summed over its currency-less and per-currency attributes (what an
    earlier version kept as one figure, plus what this version added beside it since)."""
    return sum(
        (Decimal(v) for n, v in item.items() if n == counter or n.startswith(f"{counter}:")),
        Decimal("0"),
    )


def conversion_totals(dry_run: bool = False) -> StepReport:
    report = StepReport("conversion_totals")
    for totals in _items(activity_store.legacy_conversion_totals()):
        report.examined += 1
        agent_id = str(totals["pk"]).removeprefix("AGENT#")
        sums, _ = _contributions(agent_id)
        counts = {n: sum(getattr(c, n) for c in sums.values()) for n in COUNTS}
        money = {
            f"{counter}:{code}": getattr(c, counter)
            for code, c in sorted(sums.items())
            for counter in activity_store.MONEY_COUNTERS
        }
        agrees = all(int(totals.get(n, 0)) == v for n, v in counts.items()) and all(
            _money(totals, counter) == sum((getattr(c, counter) for c in sums.values()), Decimal("0"))
            for counter in activity_store.MONEY_COUNTERS
        )
        if not agrees:
            report.left.append(f"{agent_id}: its conversions do not add up to its totals (one may be changing)")
            continue
        if dry_run or activity_store.split_conversion_totals(totals, money):
            report.changed += 1
        else:
            report.left.append(f"{agent_id}: a conversion changed while it was read")
    return report


def _rollup_state() -> tuple[dict[str, Any], int] | None:
    """The rollup state, and the moment before which every event is counted with margin (a
    conversion's or an agent's event is written at most CLOSE_GRACE_SECONDS after its time)."""
    state = analytics_store.get_state()
    if state is None or state.get("upper"):
        return None
    return state, clock.epoch_of(str(state["watermark"])[:20]) - rollup.CLOSE_GRACE_SECONDS


def all_time_revenue(dry_run: bool = False) -> StepReport:
    report = StepReport("all_time_revenue")
    at = _rollup_state()  # read before the aggregates: every write holds only while it is unchanged
    legacy = {a: item for a, item in analytics_store.all_time_totals().items() if "revenue" in item}
    report.examined = len(legacy)
    if not legacy:
        return report
    if at is None:
        report.left = ["the rollup has not run yet or is mid-page; run it first"]
        return report
    state, counted_before = at
    for agent_id, item in sorted(legacy.items()):
        sums, settled = _contributions(agent_id, counted_before)
        revenue = {code: c.revenue for code, c in sorted(sums.items()) if c.revenue or f"revenue:{code}" in item}
        if not settled:
            report.left.append(f"{agent_id}: a conversion the rollup has not counted yet")
        elif _money(item, "revenue") != sum(revenue.values(), Decimal("0")):
            report.left.append(f"{agent_id}: its conversions do not add up to its all-time revenue")
        elif dry_run or analytics_store.split_all_time_revenue(agent_id, revenue, state):
            report.changed += 1
        else:
            report.left.append(f"{agent_id}: the rollup ran meanwhile")
    return report


def _registered_agents(counted_before: int, watermark: str) -> int | None:
    """Agents registered and not deleted before the watermark, as the rollup counts them from
    registration and deletion events; None if one registered or was deleted too close to the
    watermark to tell whether its event is counted yet."""
    agents = 0
    for profile in _items(agent_store.agent_profiles()):
        deleted_at = profile.get("deleted_at")
        moment = clock.epoch_of(str(deleted_at or profile["created_at"]))
        if moment >= counted_before and clock.iso(moment) < watermark[:20]:
            return None  # its event may or may not be behind the watermark
        if deleted_at:  # registered and deleted (a tombstone does not say when it registered)
            if moment >= counted_before:
                return None
            continue
        if moment < counted_before:
            agents += 1
    return agents


def network_totals(dry_run: bool = False, attempts: int = 3) -> StepReport:
    report = StepReport("network_totals", examined=1)
    for _ in range(attempts):
        at = _rollup_state()
        if at is None:
            report.left = ["the rollup has not run yet or is mid-page; run it first"]
            return report
        state, counted_before = at
        all_time = analytics_store.all_time_totals()
        if any("revenue" in item for item in all_time.values()):
            report.left = ["agents' all-time revenue is not by currency yet (all_time_revenue)"]
            return report
        agents = _registered_agents(counted_before, str(state["watermark"]))
        if agents is None:
            report.left = ["an agent registered or was deleted just before the watermark; run again after the rollup"]
            return report
        totals: dict[str, Any] = defaultdict(Decimal)
        for item in all_time.values():
            for name, value in item.items():
                if name in NETWORK_COUNTERS or name.startswith("revenue:"):
                    totals[name] += Decimal(value)
        wanted = {"agents": agents, **{n: int(totals[n]) for n in NETWORK_COUNTERS}}
        wanted |= {n: v for n, v in sorted(totals.items()) if n.startswith("revenue:") and v}
        current = analytics_store.network_totals()
        if {n: Decimal(v) for n, v in current.items() if n not in ("pk", "sk") and v} == {
            n: Decimal(v) for n, v in wanted.items() if v
        }:
            return report
        if dry_run or analytics_store.put_network_totals(wanted, state):
            report.changed = 1
            return report
    report.left = [f"the rollup ran during each of {attempts} attempts; run again"]
    return report


STEPS: tuple[Callable[[bool], StepReport], ...] = (
    admin_key_listings,
    catalog_kinds,
    conversion_totals,
    all_time_revenue,
    network_totals,
)


def run(dry_run: bool = False) -> list[StepReport]:
    """Every step, in order; what each changed (or would change) and left."""
    return [step(dry_run) for step in STEPS]
