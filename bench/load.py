"""Local load: C concurrent agents on a mixed workload against the local API, on both engines.

For each engine (DynamoDB Local, then moto's server, the fallback without Java) the local API
(`python -m localrun dev`, as `make dev` runs it) starts on a fresh data folder and seeds the
catalog (the first start, timed), registers C agents, and each agent loops for a fixed time over
search, compare, its stats, its analytics, a redirect of one of its links and the leaderboard.
Printed per engine: requests/s, p50/p95 per endpoint, a count of every status, and the answers
naming another agent than the caller (wrong principal: counted as errors, whatever their status).

`LOAD_AGENTS` (default 8) and `LOAD_SECONDS` (default 30, 10 with --quick) change the load.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT, UNLIMITED
from localrun.stack import LocalApi

ENGINES = ("dynamodb-local", "moto")
QUERIES = ["air fryer", "wireless headphones", "running shoes", "coffee maker", "laptop", "yoga mat", "smart watch"]
LIMITS = {name: UNLIMITED for name in ("standard", "registration", "public", "directory", "reputation", "feedback")}


@dataclass
class Tally:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)  # "<endpoint> <4xx or 5xx>"
    wrong_principal: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, endpoint: str, response: httpx.Response | None, seconds: float, agent_id: str) -> None:
        wrong = False
        if response is not None and response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
            wrong = isinstance(body, dict) and body.get("agent_id") not in (None, agent_id)
        with self.lock:
            self.timings[endpoint].append(seconds * 1000)
            status = str(response.status_code) if response is not None else "no answer"
            self.statuses[status] += 1
            if not status.startswith(("2", "3")):
                self.refusals[f"{endpoint} {status}"] += 1
            self.wrong_principal += wrong


def _agent(base_url: str, agent: dict[str, str], stop_at: float, tally: Tally, seed: int) -> None:
    chooser = random.Random(seed)
    headers = {"Authorization": f"Bearer {agent['token']}"}
    me = agent["agent_id"]
    links: list[str] = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=60, follow_redirects=False) as client:
        while time.monotonic() < stop_at:
            endpoint = chooser.choice(["search", "search", "compare", "stats", "analytics", "redirect", "leaderboard"])
            if endpoint == "redirect" and not links:
                endpoint = "search"
            query = chooser.choice(QUERIES)
            link = chooser.choice(links) if links else ""
            started = time.perf_counter()
            try:
                response = _call(client, endpoint, me, query, link)
            except httpx.HTTPError:
                response = None
            tally.add(endpoint, response, time.perf_counter() - started, me)
            if endpoint == "search" and response is not None and response.status_code == 200:
                links = [r["affiliate_link"] for r in response.json().get("results", [])][:5] or links


def _call(client: httpx.Client, endpoint: str, me: str, query: str, link: str) -> httpx.Response:
    if endpoint == "search":
        return client.post("/search", json={"keywords": query, "limit": 5})
    if endpoint == "compare":
        return client.get("/compare", params={"product_name": query, "max_merchants": 5})
    if endpoint in ("stats", "analytics"):
        return client.get(f"/agents/{me}/{endpoint}")
    if endpoint == "redirect":
        return client.get("/" + link.split("/", 3)[3])  # <api>/r/<click_id>, on this server
    return client.get("/analytics/leaderboard")


def run_engine(engine: str, agents: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-load-{engine}-") as data_dir:
        started = time.monotonic()
        api = LocalApi(
            ROOT / "template.yaml",
            Path(data_dir),
            engine=engine,
            env={"RATE_LIMITS": json.dumps(LIMITS), "POWERTOOLS_LOG_LEVEL": "ERROR"},
            on_start="scripts.seed_catalog:seed",
            startup_timeout=1800,
        )
        with api:
            first_start = time.monotonic() - started
            with httpx.Client(base_url=api.base_url, timeout=60) as client:
                registered = [client.post("/agents", json={"agent_name": f"load-{i}"}).json() for i in range(agents)]
            tally = Tally()
            stop_at = time.monotonic() + seconds
            threads = [
                threading.Thread(target=_agent, args=(api.base_url, agent, stop_at, tally, i))
                for i, agent in enumerate(registered)
            ]
            began = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - began
    total = sum(tally.statuses.values())
    return {"engine": engine, "first_start": first_start, "rps": total / elapsed, "tally": tally, "total": total}


def _row(name: str, timings: list[float]) -> str:
    if not timings:
        return f"  {name:<12} {0:>6}"
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
    return f"  {name:<12} {len(timings):>6} {statistics.median(timings):>9.0f} {p95:>9.0f}"


def main(quick: bool = False) -> None:
    agents = int(os.environ.get("LOAD_AGENTS", "8"))
    seconds = float(os.environ.get("LOAD_SECONDS", "10" if quick else "30"))
    print(f"\n## Local load: {agents} concurrent agents, {seconds:.0f} s mixed workload, over HTTP\n")
    results = []
    for engine in ENGINES:
        result = run_engine(engine, agents, seconds)
        results.append(result)
        tally: Tally = result["tally"]
        five_xx = sum(n for status, n in tally.statuses.items() if status.startswith("5") or status == "no answer")
        print(f"{engine}: first start with a fresh seed {result['first_start']:.0f} s")
        print(f"  {result['total']} requests, {result['rps']:.1f} requests/s, 5xx or no answer {five_xx}")
        print(f"  statuses: {', '.join(f'{s} x{n}' for s, n in sorted(tally.statuses.items()))}")
        print(f"  by endpoint: {', '.join(f'{s} x{n}' for s, n in sorted(tally.refusals.items())) or 'none'}")
        print(f"  wrong principal (errors): {tally.wrong_principal}")
        print(f"  {'endpoint':<12} {'count':>6} {'p50 ms':>9} {'p95 ms':>9}")
        for name in sorted(tally.timings):
            print(_row(name, tally.timings[name]))
        print(flush=True)
    if len(results) == 2 and results[1]["rps"]:
        print(f"DynamoDB Local / moto server throughput: {results[0]['rps'] / results[1]['rps']:.1f}x\n")
