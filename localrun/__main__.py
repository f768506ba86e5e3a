"""python -m localrun dev | invoke | wipe: the API on your machine, from template.yaml."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from localrun import dynamodb_local, rie
from localrun.dynamodb import SNAPSHOT_SUFFIX
from localrun.dynamodb_local import LocalRunError
from localrun.stack import (
    DEFAULT_WEBHOOK_KEY_ID,
    DEFAULT_WEBHOOK_NETWORKS,
    DEFAULT_WEBHOOK_SECRET,
    ENGINE_NAMES,
    ENGINES,
    READY_PREFIX,
    LocalStack,
    run_hook,
)

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localrun", description=__doc__)
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="serve the API and an embedded DynamoDB; run the schedules")
    dev.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    dev.add_argument("--dynamodb-port", type=int, default=int(os.environ.get("DYNAMODB_PORT", "8000")))
    dev.add_argument("--data-dir", type=Path, default=ROOT / ".local" / "dynamodb")
    dev.add_argument(
        "--dynamodb-endpoint",
        default=os.environ.get("DYNAMODB_ENDPOINT") or None,
        help="use this DynamoDB instead of the embedded one (env DYNAMODB_ENDPOINT)",
    )
    dev.add_argument(
        "--engine",
        choices=ENGINES,
        default=os.environ.get("DYNAMODB_ENGINE") or "auto",
        help="the embedded DynamoDB: DynamoDB Local, or moto's server (auto: DynamoDB Local when Java is here)",
    )
    dev.add_argument("--on-start", help="module:function to run once the tables exist (e.g. the seed loader)")
    dev.add_argument("--no-schedules", action="store_true", help="do not run scheduled functions on their timers")
    _runtime_arguments(dev)
    dev.add_argument("--machine-readable", action="store_true", help=f"print '{READY_PREFIX}<json>' when ready")

    invoke = commands.add_parser("invoke", help="run one function with an event file, like `sam local invoke`")
    invoke.add_argument("function", help="the function's logical id in template.yaml, e.g. HealthFunction")
    invoke.add_argument("event", type=Path, help="a JSON event file, e.g. events/health/get.json")
    invoke.add_argument("--dynamodb-port", type=int, default=int(os.environ.get("DYNAMODB_PORT", "8000")))
    invoke.add_argument("--dynamodb-endpoint", default=os.environ.get("DYNAMODB_ENDPOINT") or None)
    _runtime_arguments(invoke)

    wipe = commands.add_parser("wipe", help="delete the embedded DynamoDB's data (stop `make dev` first)")
    wipe.add_argument("--data-dir", type=Path, default=ROOT / ".local" / "dynamodb")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    if args.command == "dev":
        return _dev(args)
    if args.command == "invoke":
        return _invoke(args)
    return _wipe(args.data_dir)


def _runtime_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runtime",
        choices=["process", "rie"],
        default=os.environ.get("RUNTIME") or "process",
        help="process: the source folders, a forked process per environment (fast, the default); "
        "rie: `sam build`, then each built function under the Lambda runtime emulator (env RUNTIME)",
    )
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build", help="with --runtime rie")
    parser.add_argument("--no-build", action="store_true", help="with --runtime rie: serve --build-dir as it is")


def _build_dir(args: argparse.Namespace) -> Path | None:
    """Where the built functions are, for --runtime rie (built first unless --no-build)."""
    if args.runtime != "rie":
        return None
    missing = rie.missing_parts()
    if missing:
        raise LocalRunError("--runtime rie needs " + "; ".join(missing))
    if not args.no_build:
        rie.sam_build(args.template, args.build_dir)
    build_dir: Path = args.build_dir
    return build_dir


def _dev(args: argparse.Namespace) -> int:
    try:
        build_dir = _build_dir(args)
    except LocalRunError as exc:
        print(exc, file=sys.stderr)
        return 1
    stack = LocalStack(
        args.template,
        args.data_dir,
        port=args.port,
        dynamodb_port=args.dynamodb_port,
        dynamodb_endpoint=args.dynamodb_endpoint,
        run_schedules=not args.no_schedules,
        engine=args.engine,
        build_dir=build_dir,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    try:
        stack.start_dynamodb()
        stack.start_functions()
        if args.on_start:
            run_hook(args.on_start)()
        stack.start_api()
        _announce(stack, args)
        stopped.wait()
    except LocalRunError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        stack.stop()
    return 0


def _announce(stack: LocalStack, args: argparse.Namespace) -> None:
    if args.machine_readable:
        ready = {"api": stack.base_url, "dynamodb": stack.dynamodb_endpoint, "engine": stack.engine}
        print(READY_PREFIX + json.dumps(ready), flush=True)
        return
    schedules = ", ".join(f"{s.function} {s.expression}" for s in stack.template.schedules if s.enabled)
    print(
        f"\nAPI       {stack.base_url}   (try: curl {stack.base_url}/health)\n"
        f"DynamoDB  {stack.dynamodb_endpoint}   (aws dynamodb list-tables --endpoint-url {stack.dynamodb_endpoint})\n"
        f"Engine    {ENGINE_NAMES.get(stack.engine, stack.engine) if not args.dynamodb_endpoint else 'external'}\n"
        f"Data      {args.data_dir if not args.dynamodb_endpoint else 'in ' + args.dynamodb_endpoint}\n"
        f"Schedules {schedules if not args.no_schedules else 'off'}\n"
        f"Webhooks  {_webhook_keys()}\n"
        "Ctrl-C stops (data is kept; `make wipe` deletes it).\n",
        flush=True,
    )


def _webhook_keys() -> str:
    """The webhook key ids in use; the secret only when it is the documented local default."""
    if os.environ.get("WEBHOOK_NETWORKS") == DEFAULT_WEBHOOK_NETWORKS:
        return f"signed with key id {DEFAULT_WEBHOOK_KEY_ID}, secret {DEFAULT_WEBHOOK_SECRET} (WEBHOOK_NETWORKS)"
    try:
        key_ids = sorted(json.loads(os.environ.get("WEBHOOK_NETWORKS") or "{}"))
    except ValueError:
        key_ids = ["(WEBHOOK_NETWORKS is not JSON)"]
    legacy = ", and without a key id (WEBHOOK_SECRET)" if os.environ.get("WEBHOOK_SECRET") else ""
    return f"signed with key ids {', '.join(key_ids) or '(none)'} (WEBHOOK_NETWORKS){legacy}"


def _invoke(args: argparse.Namespace) -> int:
    endpoint = args.dynamodb_endpoint or f"http://127.0.0.1:{args.dynamodb_port}"
    try:
        build_dir = _build_dir(args)
    except LocalRunError as exc:
        print(exc, file=sys.stderr)
        return 1
    stack = LocalStack(args.template, Path(), dynamodb_endpoint=endpoint, run_schedules=False, build_dir=build_dir)
    event: Any = json.loads(args.event.read_text(encoding="utf-8"))
    try:
        stack.start_dynamodb()
        stack.start_functions()
        result = stack.invoke(args.function, event)
    finally:
        stack.stop()
    print(json.dumps(result, indent=2, default=str))
    return 0


def _wipe(data_dir: Path) -> int:
    """DynamoDB Local's database and the fallback's table snapshots: both engines start empty."""
    files = (
        [*data_dir.glob(f"*{SNAPSHOT_SUFFIX}"), *dynamodb_local.database_files(data_dir)] if data_dir.is_dir() else []
    )
    for path in files:
        path.unlink()
    if data_dir.is_dir() and not any(data_dir.iterdir()):
        shutil.rmtree(data_dir)
    print(f"deleted {len(files)} files of local data from {data_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
