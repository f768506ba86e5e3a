"""Create an admin API key with scopes; prints the key once (only its SHA-256 hash is stored).

Locally (make dev running):  make admin-key SCOPES=catalog:write,agents:read NAME=ops
Against a deployed stack:    make admin-key SCOPES=agents:read STACK=cashback-api-dev
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "common"))

from cashback.auth import hash_secret, new_admin_key, parse_scopes
from cashback.store import agents as agent_store


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
    if args.stack:
        os.environ["AGENTS_TABLE"] = _stack_output(args.stack, "AgentsTableName")
    else:
        os.environ.setdefault("AGENTS_TABLE", "AgentsTable")
        os.environ.setdefault("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{args.dynamodb_port}")
        for name, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}.items():
            os.environ.setdefault(name, value)
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("RATE_LIMIT_TABLE", "unused")
    key, key_id = new_admin_key()
    agent_store.create_admin_key(key_id, hash_secret(key), args.name, [s.value for s in scopes])
    print(f"admin key id: {key_id}  scopes: {','.join(scopes)}", file=sys.stderr)
    print("The key is shown once; store it now:", file=sys.stderr)
    print(key)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
