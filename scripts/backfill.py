"""Bring what earlier versions wrote to the shape this version reads: admin key listings, catalog
listing kinds, per-currency money on agents, and the network totals (`cashback.backfill` says how).

Idempotent and resumable: run it after deploying, again until it reports nothing left; a second
run changes nothing. It Scans tables a page at a time, which only this offline operator script
does (never a request path), with your own credentials.

Locally (make dev running):   make backfill [DRY_RUN=1]
Against a deployed stack:     make backfill STACK=cashback-api-prod [DRY_RUN=1]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "common"))

from cashback import backfill

TABLES = {
    "AGENTS_TABLE": "AgentsTable",
    "CATALOG_TABLE": "CatalogTable",
    "ACTIVITY_TABLE": "ActivityTable",
    "ANALYTICS_TABLE": "AnalyticsTable",
}


def _stack_tables(stack: str) -> dict[str, str]:
    """The physical names of the stack's tables, by setting."""
    resources = boto3.client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    names = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    missing = sorted(logical for logical in TABLES.values() if logical not in names)
    if missing:
        raise SystemExit(f"stack {stack} has no {', '.join(missing)}")
    return {setting: names[logical] for setting, logical in TABLES.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="count what would change; write nothing")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--stack", help="deployed stack name: its tables in AWS")
    target.add_argument("--dynamodb-port", type=int, default=8000, help="local DynamoDB port (make dev)")
    target.add_argument("--environment", action="store_true", help="the tables named by the environment (tests)")
    args = parser.parse_args(argv)
    if args.stack:
        os.environ.update(_stack_tables(args.stack))
    elif not args.environment:
        os.environ.update({k: os.environ.get(k, v) for k, v in TABLES.items()})
        os.environ.setdefault("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{args.dynamodb_port}")
        for name, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}.items():
            os.environ.setdefault(name, value)
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("RATE_LIMIT_TABLE", "unused")
    reports = backfill.run(dry_run=args.dry_run)
    for report in reports:
        print(report.line(args.dry_run))
    left = sum(len(r.left) for r in reports)
    print("nothing left" if not left else f"{left} left: run again (after the next rollup run)")
    return 0 if not left else 3


if __name__ == "__main__":
    raise SystemExit(main())
