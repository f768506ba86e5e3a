"""Write the API's one OpenAPI document, merged from every function's resolver.

    python -m scripts.openapi [--check]        (make openapi)

Powertools' OpenAPIMerge finds each `functions/*/handler.py` resolver (`app = ...`) and merges
their schemas. Two corrections follow, both because of how this API answers: validation
failures are 400s with the error body (`http.configure`), so Powertools' generic 422
HTTPValidationError response and its schemas are dropped (a route that really answers 422
declares it, with the error body); a response without a body (the 302 redirect) has no content; and a
schema no documented route uses (the compatibility API's request, README) is dropped.
The document ships in the layer (`cashback/openapi.json`), which is what GET /openapi.json serves.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers" / "common")]

from cashback import __version__  # noqa: E402
from cashback.api import http  # noqa: E402

DOCUMENT = ROOT / "layers" / "common" / "cashback" / "openapi.json"
DESCRIPTION = (
    "Cashback for AI shopping agents: register, search products with cashback, compare merchants, "
    "hand out affiliate links, and read what conversions earned. Every error answers "
    '`{"error": {"code", "message", "details", "request_id"}}`; every response carries `X-Request-Id` and '
    "the rate-limit headers `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`, "
    "`RateLimit-Policy` and `RateLimit`."
)
# Powertools' generic validation bodies; no route of this API answers them.
GENERIC_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def merged() -> dict[str, Any]:
    merge = OpenAPIMerge(
        title=http.API_TITLE,
        version=__version__,
        description=DESCRIPTION,
        security_schemes=http.SECURITY_SCHEMES,
        on_conflict="error",
    )
    merge.discover(ROOT / "functions", pattern="handler.py", recursive=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a handler that fails to load must fail the build
        document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    return document


def corrected(document: dict[str, Any]) -> dict[str, Any]:
    generic = {"$ref": "#/components/schemas/HTTPValidationError"}
    for operations in document["paths"].values():
        for operation in operations.values():
            responses = operation["responses"]
            if responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema") == generic:
                del responses["422"]
            for response in responses.values():
                if response.get("content", {}).get("application/json", {}).get("schema", {}).get("type") == "null":
                    del response["content"]
    schemas = document["components"]["schemas"]
    for name in GENERIC_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    for name in set(schemas) - _referenced(document):  # models of routes kept out (the compatibility API's)
        del schemas[name]
    document["paths"] = dict(sorted(document["paths"].items()))
    return document


def _referenced(document: dict[str, Any]) -> set[str]:
    """The schemas the paths use, directly or through other schemas."""
    schemas = document["components"]["schemas"]

    def refs(node: Any) -> set[str]:
        return set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(node)))

    found: set[str] = set()
    pending = refs(document["paths"])
    while pending:
        name = pending.pop()
        if name not in found and name in schemas:
            found.add(name)
            pending |= refs(schemas[name])
    return found


def render() -> str:
    return json.dumps(corrected(merged()), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed document differs")
    args = parser.parse_args()
    text = render()
    if args.check:
        if DOCUMENT.read_text() != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is out of date: run make openapi", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text)
    print(f"wrote {DOCUMENT.relative_to(ROOT)} ({len(text):,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
