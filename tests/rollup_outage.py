"""A rollup outage, shared by its test (tests/money/test_rollup_outage.py) and its benchmark
(`make bench ONLY=rollup-outage`): a backlog of activity events with a flood of unique keywords,
written to DynamoDB Local as the write path shapes them, the rollup run as its schedule runs it
until it has caught up, and a brute-force recomputation of what it must have counted.
"""

from __future__ import annotations

import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from localrun import dynamodb, template
from localrun.dynamodb_local import DynamoDBLocal
from tests.conftest import ROOT, clear_cached_clients

AGENTS = [f"agt_OUTAGEoutage{n:010d}" for n in range(500)]
CURRENCIES = ("USD", "USD", "EUR")  # revenue is counted per currency, never summed across them
PRODUCTS = 400
MERCHANTS = 12
COMMON_KEYWORDS = [f"common{n}" for n in range(200)]  # the rest of the keywords are each searched once


@contextmanager
def dynamodb_local(data_dir: Path) -> Iterator[str]:
    """DynamoDB Local with the template's tables, which the code in this process then uses."""
    with DynamoDBLocal(data_dir, port=0, sweep_every=86_400) as database:
        dynamodb.ensure_tables(database.endpoint, template.load(ROOT / "template.yaml").tables.values())
        before = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = database.endpoint
        clear_cached_clients()
        try:
            yield database.endpoint
        finally:
            if before is None:
                os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
            else:
                os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = before
            clear_cached_clients()


def backlog(count: int, unique_keywords: int, first: int, last: int, seed: int = 15) -> list[dict[str, Any]]:
    """`count` events between epochs `first` and `last` in the shape `shopping` and `conversions`
    write them: 70% searches (one to three keywords, `unique_keywords` distinct in all), 25% clicks,
    5% conversion changes (one in ten a refund of a confirmed one)."""
    from cashback import clock
    from cashback.store import events

    rng = random.Random(seed)
    rare = iter(range(unique_keywords - len(COMMON_KEYWORDS)))
    searches = int(count * 0.70)
    weights = [1 / (rank + 1) for rank in range(len(COMMON_KEYWORDS))]
    items = []
    for serial in range(count):
        epoch = rng.randint(first, last - 1)
        agent = rng.choice(AGENTS)
        product = rng.randrange(PRODUCTS)
        shown = {"match_key": f"key:outage product {product}", "title": f"Outage product {product}"}
        if serial < searches:
            words = set(rng.choices(COMMON_KEYWORDS, weights, k=rng.randint(1, 3)))
            if serial < unique_keywords - len(COMMON_KEYWORDS):
                words.add(f"rare{next(rare):06d}")
            counters = {"searches": 1, **{f"kw:{w}": 1 for w in sorted(words)}}
            fields: dict[str, Any] = {"agent_id": agent, "counters": counters, "products": [shown]}
            items.append(events.event_item("search", f"req{serial}", epoch, fields))
            continue
        fields = {"agent_id": agent, "product_id": f"p{product}", "merchant_id": f"m{product % MERCHANTS}", **shown}
        if serial < int(count * 0.95):
            items.append(events.event_item("click", f"clk{serial}:1", epoch, fields))
            continue
        refund = rng.random() < 0.1
        amount = Decimal(rng.randint(1, 9999)) / 100
        day = clock.iso(epoch - rng.choice([0, 0, 3600]))[:10]
        fields |= {"click_id": f"clk{serial}", "occurred_day": day, "currency": rng.choice(CURRENCIES)}
        fields |= {"d_confirmed_count": -1 if refund else 1, "d_revenue": -amount if refund else amount}
        items.append(
            events.event_item("conversion", f"conv{serial}:{'refunded' if refund else 'confirmed'}", epoch, fields)
        )
    return items


def write(items: list[dict[str, Any]], threads: int = 4) -> None:
    """Batch writes (25 items a request), a few requests at a time."""
    from cashback.store import activity

    slices = [items[i : i + 2_500] for i in range(0, len(items), 2_500)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(activity.put_items, slices))


def expected_counters(items: list[dict[str, Any]]) -> dict[tuple[str, str], Counter[str]]:
    """What the rollup must have ADDed, recomputed from the raw events by (pk, sk)."""
    found: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for event in items:
        agent = event["agent_id"]
        if event["kind"] == "search":
            day = event["day"]
            for pk in (f"AGENTDAY#{day}", "AGENTALL"):
                found[(pk, agent)]["searches"] += 1
            for name in event["counters"]:
                if name.startswith("kw:"):
                    found[(f"KEYWORDDAY#{day}", name[3:])]["searches"] += 1
            for product in event["products"]:
                found[(f"PRODUCTDAY#{day}", product["match_key"])]["searches"] += 1
        elif event["kind"] == "click":
            day = event["day"]
            for key in ((f"AGENTDAY#{day}", agent), ("AGENTALL", agent)):
                found[key]["clicks"] += 1
            found[(f"MERCHANTDAY#{day}", event["merchant_id"])]["clicks"] += 1
            found[(f"PRODUCTDAY#{day}", event["match_key"])]["clicks"] += 1
        else:
            day = event["occurred_day"]
            for key in (
                (f"AGENTDAY#{day}", agent),
                ("AGENTALL", agent),
                (f"MERCHANTDAY#{day}", event["merchant_id"]),
                (f"PRODUCTDAY#{day}", event["match_key"]),
            ):
                found[key]["conversions"] += event["d_confirmed_count"]
                found[key][f"revenue:{event['currency']}"] += event["d_revenue"]
    return found


def stored_counters(pks: set[str]) -> dict[tuple[str, str], Counter[str]]:
    """The counters the rollup stored in these partitions."""
    from cashback.store import analytics

    found, _ = analytics.read_partitions(sorted(pks))
    names = ("searches", "clicks", "conversions")
    return {
        (pk, sk): Counter({n: v for n, v in item.items() if n in names or n.startswith("revenue:")})
        for pk, items in found.items()
        for sk, item in items.items()
    }


def expected_top_keywords(items: list[dict[str, Any]], day: str, size: int) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for event in items:
        if event["kind"] == "search" and event["day"] == day:
            counts.update(name[3:] for name in event["counters"] if name.startswith("kw:"))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size]


@dataclass
class CatchUp:
    reports: list[dict[str, Any]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    peak_bytes: list[int] = field(default_factory=list)  # traced Python allocations, when measured


def outage_window(days: int, now: datetime | None = None) -> tuple[int, int]:
    """Epochs from `days` days ago to two minutes ago (the rollup leaves the last minute alone)."""
    end = (now or datetime.now(UTC)) - timedelta(minutes=2)
    return int((end - timedelta(days=days)).timestamp()), int(end.timestamp())


def publish_agents() -> None:
    """Every backlog agent as a public profile: public boards rank public agents only."""
    from tests.helpers import publish_agent

    for agent in AGENTS:
        publish_agent(agent, agent[-6:])
