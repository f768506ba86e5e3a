"""Create an admin API key with scopes; prints the key once (only its SHA-256 hash is stored).

Locally (make dev running):  make admin-key SCOPES=catalog:write,agents:read NAME=ops
Against a deployed stack:    make admin-key SCOPES=agents:read STACK=cashback-api-dev
With an expiry:              make admin-key SCOPES=agents:read EXPIRES=30d   (or 12h, or 2027-01-31T00:00:00Z)
List and revoke keys over the API with a key holding keys:read / keys:write (GET, DELETE /admin/keys).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "common"))

from cashback import admin_keys, clock
from cashback.auth import Caller, parse_scopes

_RELATIVE = re.compile(r"^(\d{1,5})([dh])$")


def expiry(text: str, now: datetime | None = None) -> str:
    """`30d`, `12h` or a UTC ISO 8601 time → the expiry as UTC ISO 8601 to the second (in the future)."""
    now = now or datetime.now(UTC)
    relative = _RELATIVE.match(text.strip())
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        moment = now + (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    else:
        try:
            moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"--expires: {text!r} is neither 30d, 12h nor an ISO 8601 time") from exc
        if moment.tzinfo is None:
            raise ValueError("--expires: give the time in UTC, e.g. 2027-01-31T00:00:00Z")
    if moment <= now:
        raise ValueError("--expires: the expiry must be in the future")
    return clock.iso(moment)


def _stack_output(stack: str, key: str) -> str:
    outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output["OutputKey"] == key:
            return str(output["OutputValue"])
    raise SystemExit(f"stack {stack} has no output {key}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scopes", required=True, help="comma-separated, e.g. catalog:write,agents:read")
    parser.add_argument("--name", default="admin", help="a label for the key (shown in logs instead of the key)")
    parser.add_argument("--expires", help="when the key stops working: 30d, 12h or a UTC ISO 8601 time")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--stack", help="deployed stack name: write to its AgentsTable in AWS")
    target.add_argument("--dynamodb-port", type=int, default=8000, help="local DynamoDB port (make dev)")
    args = parser.parse_args(argv)
    try:
        scopes = sorted(parse_scopes(args.scopes))
    except ValueError as exc:
        parser.error(f"unknown scope: {exc}")
    if not scopes:
        parser.error("give at least one scope")
    try:
        expires_at = expiry(args.expires) if args.expires else None
    except ValueError as exc:
        parser.error(str(exc))
    if args.stack:
        os.environ["AGENTS_TABLE"] = _stack_output(args.stack, "AgentsTableName")
    else:
        os.environ.setdefault("AGENTS_TABLE", "AgentsTable")
        os.environ.setdefault("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{args.dynamodb_port}")
        for name, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}.items():
            os.environ.setdefault(name, value)
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("RATE_LIMIT_TABLE", "unused")
    key, key_id = admin_keys.create(args.name, scopes, expires_at, Caller.operator())
    expires = f"  expires: {expires_at}" if expires_at else ""
    print(f"admin key id: {key_id}  scopes: {','.join(scopes)}{expires}", file=sys.stderr)
    print("The key is shown once; store it now:", file=sys.stderr)
    print(key)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
