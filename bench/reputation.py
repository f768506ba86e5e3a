"""Directory and reputation reads as the directory and the feedback grow.

For each size, that many public agents (scored, with confirmed conversions) are written to the
reputation table in moto, and one of them gets that many feedbacks / 10; then each read runs
through its function, counting DynamoDB requests and the index items they read: a directory page
(no filter, and with a `query` that matches one agent in a hundred), the reputation of the agent
with the feedback, its ERC-8004 export, and the rollup's refresh of 100 agents. moto stands in for
DynamoDB, so the times are a proxy; the request counts are exact.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from bench.common import counted_requests, describe, invoke, load_function, reset_clients, timed

SIZES = (1_000, 10_000)
QUICK_SIZES = (200, 2_000)
ITERATIONS = 30
SUBJECT = "agt_BENCHsubjectBENCHsubje"


def _summaries(count: int, rng: random.Random) -> list[dict[str, Any]]:
    from cashback.store import reputation as reputation_store

    items = []
    for n in range(count):
        agent_id = SUBJECT if n == 0 else f"agt_BENCH{n:017d}"
        name = f"needle agent {n}" if n % 100 == 0 else f"bench agent {n}"
        score = Decimal(rng.randint(0, 10_000)) / 100
        items.append(
            {
                "pk": f"AGENT#{agent_id}",
                "sk": "SUMMARY",
                "directory": reputation_store.DIRECTORY,
                "agent_id": agent_id,
                "agent_name": name,
                "created_at": f"2026-11-{1 + n % 28:02d}T00:00:00Z",
                "search_text": name,
                "reputation_rank": score,
                "confirmed_conversions": rng.randint(0, 500),
                "reputation": {"score": score, "feedback_count": 3, "score_sum": 240},
                "reputation_computed_at": "2026-12-01T00:00:00Z",
            }
        )
    return items


def _feedback(count: int) -> list[dict[str, Any]]:
    return [
        {
            "pk": f"FEEDBACK#{SUBJECT}",
            "sk": f"agt_BENCHauthor{n:011d}",
            "subject_id": SUBJECT,
            "author_id": f"agt_BENCHauthor{n:011d}",
            "author_kind": "agent",
            "score": n % 101,
            "tags": ["successRate"],
            "created_at": "2026-12-01T00:00:00Z",
            "updated_at": "2026-12-01T00:00:00Z",
            "revision": f"r{n}",
            "recent_pk": f"FEEDBACK#{SUBJECT}",
            "recent_sk": f"2026-12-01T00:00:00.{n:06d}#agt_BENCHauthor{n:011d}",
        }
        for n in range(count)
    ]


def _event(path: str, query: dict[str, str] | None = None, agent_id: str | None = None) -> dict[str, Any]:
    from tests.apigw import api_event

    resource = path.replace(SUBJECT, "{agent_id}") if agent_id else path
    return api_event(
        "GET", path, resource=resource, query=query, path_parameters={"agent_id": agent_id} if agent_id else None
    )


def measure(size: int) -> list[tuple[str, str, int, float, float]]:
    from cashback import reputation
    from cashback.settings import get_settings
    from cashback.store import dynamo
    from tests.conftest import template_tables_in_moto

    rows = []
    with template_tables_in_moto():
        table = get_settings().reputation_table
        dynamo.batch_put(table, _summaries(size, random.Random(size)))
        dynamo.batch_put(table, _feedback(size // 10))
        directory_fn, reputation_fn = load_function("directory"), load_function("reputation")
        reads = [
            ("directory page (20, by reputation)", directory_fn, _event("/agents", {"limit": "20"})),
            ("directory page (query, 1 in 100 match)", directory_fn, _event("/agents", {"query": "needle"})),
            (
                f"reputation (a page of 10 of {size // 10:,} feedbacks)",
                reputation_fn,
                _event(f"/agents/{SUBJECT}/reputation", None, SUBJECT),
            ),
            (
                "ERC-8004 export (a page of 10)",
                reputation_fn,
                _event(f"/agents/{SUBJECT}/reputation/erc8004", None, SUBJECT),
            ),
        ]
        for label, function, event in reads:
            with counted_requests() as calls:
                response = invoke(function, event)
            assert response["statusCode"] == 200, response["body"]
            p50, p95 = timed(lambda f=function, e=event: invoke(f, e), ITERATIONS)
            rows.append((label, describe(calls.requests), calls.items_read, p50, p95))
        agents = {f"agt_BENCH{n:017d}" for n in range(1, 101)}
        with counted_requests() as calls:
            reputation.refresh(agents)
        rows.append(("rollup refresh of 100 agents", describe(calls.requests), calls.items_read, 0.0, 0.0))
    reset_clients()
    return rows


def main(quick: bool = False) -> None:
    print("\n## Directory and reputation reads (moto; requests exact, times a proxy)\n")
    print(
        "| public agents | read | DynamoDB requests (incl. the rate-limit write) | index items read | p50 ms | p95 ms |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for size in QUICK_SIZES if quick else SIZES:
        for label, requests, items, p50, p95 in measure(size):
            print(f"| {size:,} | {label} | {requests} | {items} | {p50:.1f} | {p95:.1f} |")
