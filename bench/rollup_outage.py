"""The rollup catching up after a 3-day outage: 300k events with 50k unique keywords (QUICK: 30k
and 5k) wait in DynamoDB Local behind the watermark; the rollup function then runs as its schedule
runs it, each run a fresh process bootstrapped like the runner's (template environment, role,
layer, a context with the template's timeout), until a run finds nothing left.

Printed: the backlog's write time, then per run the events, pages and largest page held, seconds
and the process's peak RSS, against the function's MemorySize and Timeout from template.yaml;
then whether the counters and trending keywords agree with a brute-force recomputation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT

SIZES = (300_000, 50_000)
QUICK_SIZES = (30_000, 5_000)
DAYS = 3

RUN = """
import json, os, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from localrun import template, worker
from localrun.invokers import ProcessInvoker
path = Path("template.yaml").resolve()
loaded = template.load(path)
runtime = {"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_DYNAMODB": sys.argv[2]}
spec = ProcessInvoker(loaded, path, {**os.environ, **runtime}).spec(loaded.functions["RollupFunction"])
event = json.loads(Path("events/rollup/scheduled.json").read_text())
handler = worker.bootstrap(spec)
start = time.perf_counter()
report = handler(event, worker.LambdaContext("RollupFunction", spec.timeout))
report["seconds"] = time.perf_counter() - start
# VmHWM, not ru_maxrss: on Linux a spawned child's ru_maxrss starts at its parent's RSS (this
# bench holds the whole backlog for the recount), so it would report the bench, not the function.
status = Path("/proc/self/status")
lines = status.read_text().splitlines() if status.exists() else []
peak = [line.split()[1] for line in lines if line.startswith("VmHWM:")]
report["max_rss_mb"] = int(peak[0]) / 1024 if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(report, default=str))
"""


def function_limits() -> tuple[int, int]:
    """The rollup function's MemorySize (MB) and Timeout (s): its own, else the template's Globals."""
    import yaml

    from localrun.template import _CloudFormationLoader

    document = yaml.load((ROOT / "template.yaml").read_text(), Loader=_CloudFormationLoader)
    defaults = document["Globals"]["Function"]
    own = document["Resources"]["RollupFunction"]["Properties"]
    return int(own.get("MemorySize", defaults["MemorySize"])), int(own.get("Timeout", defaults["Timeout"]))


def scheduled_run(endpoint: str) -> dict[str, Any]:
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    result = subprocess.run(
        [sys.executable, "-c", RUN, str(ROOT / "layers" / "common"), endpoint],
        cwd=ROOT,
        env={**os.environ, **quiet},
        capture_output=True,
        text=True,
        timeout=1_800,
        check=True,
    )
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def main(quick: bool = False) -> None:
    from cashback import rollup
    from tests import rollup_outage

    count, unique = QUICK_SIZES if quick else SIZES
    memory, timeout = function_limits()
    print(f"\n== rollup-outage: {DAYS}-day backlog of {count:,} events, {unique:,} unique keywords (DynamoDB Local) ==")
    print(
        f"  RollupFunction: {memory} MB, {timeout} s; pages of {rollup.PAGE_EVENTS:,} events, "
        f"at most {rollup.MAX_EVENTS_PER_RUN:,} a run"
    )
    first, last = rollup_outage.outage_window(DAYS)
    with tempfile.TemporaryDirectory() as data, rollup_outage.dynamodb_local(Path(data)) as endpoint:
        rollup.run(now=first)  # the last run before the outage
        items = rollup_outage.backlog(count, unique, first, last)
        start = time.perf_counter()
        rollup_outage.write(items)
        print(f"  backlog written in {time.perf_counter() - start:.0f} s (BatchWriteItem, 4 threads)")
        print(f"  {'run':>4}{'events':>9}{'pages':>7}{'held':>7}{'seconds':>9}{'peak RSS MB':>13}")
        reports: list[dict[str, Any]] = []
        while len(reports) < 100:
            report = scheduled_run(endpoint)
            reports.append(report)
            print(
                f"  {len(reports):>4}{report['events']:>9,}{report['pages']:>7}{report['most_events_held']:>7}"
                f"{report['seconds']:>9.1f}{report['max_rss_mb']:>13.0f}"
            )
            if report["events"] == 0:
                break
        expected = rollup_outage.expected_counters(items)
        stored = rollup_outage.stored_counters({pk for pk, _ in expected})

        def nonzero(counters: dict[Any, Any]) -> dict[Any, Any]:
            found = {k: {n: v for n, v in c.items() if v != 0} for k, c in counters.items()}
            return {k: c for k, c in found.items() if c}

        agree = nonzero(stored) == nonzero(expected)
        days = sorted({e["day"] for e in items})
        tops = all(_top_agrees(items, day) for day in days)
    counted = sum(r["events"] for r in reports)
    print(
        f"  caught up in {len(reports)} runs ({len(reports) - 1} with events), {counted:,} of {count:,} events; "
        f"slowest run {max(r['seconds'] for r in reports):.0f} s of {timeout}; "
        f"peak RSS {max(r['max_rss_mb'] for r in reports):.0f} MB of {memory}"
    )
    print(
        f"  brute-force recomputation: counters {'agree' if agree else 'DISAGREE'}, "
        f"top keywords of {len(days)} days {'agree' if tops else 'DISAGREE'}"
    )


def _top_agrees(items: list[dict[str, Any]], day: str) -> bool:
    from cashback import rollup
    from cashback.store import analytics as analytics_store
    from tests import rollup_outage

    stored = analytics_store.keyword_top(day) or {}
    got = [(e["sk"], int(e["searches"])) for e in stored.get("keywords", [])]
    return got == rollup_outage.expected_top_keywords(items, day, rollup.TREND_DAY_SIZE)


if __name__ == "__main__":
    main()
