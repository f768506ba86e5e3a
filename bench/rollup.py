"""Rollup cost and read-endpoint requests as activity grows.

For each size, a day of activity events (searches, clicks, conversions of 1,000 agents over the
seed catalog's products, in the shape the write path records them) is written to the activity
table in moto, then:
- one rollup run counts the whole day (time, DynamoDB requests by operation);
- a little new activity (50 events) lands and the next run counts it on top of that history;
- each read endpoint is invoked through its function, counting its DynamoDB requests.
moto stands in for DynamoDB, so the times are a proxy; the request counts are exact.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.common import counted_requests, describe, invoke, load_function, read_event, reset_clients

SIZES = (10_000, 100_000)
QUICK_SIZES = (2_000, 10_000)
AGENTS = 1_000
EXAMPLE_AGENT_ID = "agt_EXAMPLEexampleEXAMPLE0"  # the agent the event files read as
LITTLE_NEW_ACTIVITY = 50
READS = [
    ("agent_stats", "events/agent_stats/own-stats.json"),
    ("agent_analytics", "events/agent_analytics/own-analytics.json"),
    ("list_conversions", "events/list_conversions/list.json"),
    ("leaderboard", "events/leaderboard/revenue-30d.json"),
    ("trending", "events/trending/last-7-days.json"),
]


class ActivityGenerator:
    """Events in the shape `shopping` and `conversions` write them, from a fixed random seed."""

    def __init__(self, seed: int = 7) -> None:
        from scripts.seed_catalog import read_products

        self.rng = random.Random(seed)
        self.products = list(read_products())
        self.agents = [EXAMPLE_AGENT_ID, *(f"agt_BENCH{n:017d}" for n in range(AGENTS - 1))]
        self.serial = 0

    def events(self, count: int, first: int, last: int) -> list[dict[str, Any]]:
        from cashback import clock
        from cashback.store import events
        from cashback.text import query_tokens

        items = []
        for _ in range(count):
            self.serial += 1
            epoch = self.rng.randint(first, last - 1)
            agent = self.rng.choice(self.agents)
            product = self.rng.choice(self.products)
            shown = {"match_key": product.match_key, "title": product.title}
            roll = self.rng.random()
            if roll < 0.70:
                words = " ".join(product.title.split()[:2])
                counters = {f"kw:{t}": 1 for t in query_tokens(words)} | {f"brand:{product.brand.lower()}": 1}
                fields = {"agent_id": agent, "counters": counters, "products": [shown]}
                items.append(events.event_item("search", f"req{self.serial}", epoch, fields))
                continue
            fields = {"agent_id": agent, "product_id": product.product_id, "merchant_id": product.merchant_id, **shown}
            if roll < 0.95:
                items.append(events.event_item("click", f"clk{self.serial}:1", epoch, fields))
                continue
            commission = (product.price * Decimal("0.04")).quantize(Decimal("0.01"))
            day = clock.iso(epoch)[:10]
            conversion = {**fields, "click_id": f"clk{self.serial}", "occurred_day": day}
            conversion |= {"d_confirmed_count": 1, "d_revenue": commission, "currency": product.currency}
            items.append(events.event_item("conversion", f"conv{self.serial}:confirmed", epoch, conversion))
        return items


def timed_run(now: int) -> tuple[Any, float, Counter[str]]:
    from cashback import rollup

    with counted_requests() as calls:
        start = time.perf_counter()
        report = rollup.run(now=now)
        seconds = time.perf_counter() - start
    return report, seconds, calls.requests


def read_requests() -> dict[str, Counter[str]]:
    found = {}
    for folder, event_path in READS:
        function = load_function(folder)
        event = read_event(event_path)
        invoke(function, event)
        with counted_requests() as calls:
            response = invoke(function, event)
        assert response["statusCode"] == 200, (folder, response)
        found[folder] = calls.requests
    return found


def measure(size: int, generator: ActivityGenerator) -> dict[str, Any]:
    from cashback import rollup
    from cashback.store import activity as activity_store
    from tests.conftest import template_tables_in_moto

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day_start = int((today - timedelta(days=1)).timestamp())
    day_end = int(today.timestamp())
    grace = rollup.CLOSE_GRACE_SECONDS + 1
    with template_tables_in_moto():
        reset_clients()
        rollup.run(now=day_start + rollup.CLOSE_GRACE_SECONDS)  # the watermark now stands at day_start
        activity_store.put_items(generator.events(size, day_start, day_end))
        full = timed_run(day_end + grace)
        activity_store.put_items(generator.events(LITTLE_NEW_ACTIVITY, day_end, day_end + 300))
        little = timed_run(day_end + 300 + grace)
        reads = read_requests()
    reset_clients()
    return {"size": size, "full": full, "little": little, "reads": reads}


def main(quick: bool = False) -> None:
    print("\n== rollup: cost by activity, and read-endpoint requests by data size (moto, in-process) ==")
    generator = ActivityGenerator()
    rows = [measure(size, generator) for size in (QUICK_SIZES if quick else SIZES)]
    offers = len(generator.products)
    print(f"  {AGENTS:,} agents, {offers:,} offers; one day of events, then {LITTLE_NEW_ACTIVITY} more")
    print(f"  {'run':<34}{'events':>8}{'pages':>8}{'chunks':>7}{'seconds':>9}  DynamoDB requests")
    for row in rows:
        for label, (report, seconds, calls) in (
            (f"{row['size']:,} events since last run", row["full"]),
            (f"{LITTLE_NEW_ACTIVITY} new on {row['size']:,} history", row["little"]),
        ):
            print(
                f"  {label:<34}{report.events:>8}{report.pages:>8}{report.chunks:>7}{seconds:>9.2f}"
                f"  {calls.total()} ({describe(calls)})"
            )
    print(f"\n  {'read endpoint':<18}" + "".join(f"{row['size']:>10,} ev" for row in rows) + "  operations")
    for folder, _ in READS:
        counts = [row["reads"][folder] for row in rows]
        print(f"  {folder:<18}" + "".join(f"{c.total():>13}" for c in counts) + f"  {describe(counts[-1])}")


if __name__ == "__main__":
    main()
