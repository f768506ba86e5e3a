"""Hostile input over real HTTP, generated from the committed OpenAPI document: never a 5xx.

For every operation of layers/common/cashback/openapi.json: a wrong value in every field of its body
(nested objects and array items included), every query parameter and every path parameter; raw
bodies that are not plain JSON (deep nesting, non-finite and huge numbers, duplicate keys, bad UTF-8,
lone surrogates); wrong content types; and forged cursors wherever a cursor is accepted. Each
answer must be below 500; `no_unexpected_errors` (tests/local_api.py) also fails the test when a
function logs an unhandled exception. The counts tried are printed (`-s`) and kept as properties.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from cashback import cursor
from cashback.api.webhooks import sign
from localrun.stack import DEFAULT_WEBHOOK_SECRET, LocalApi
from scripts import openapi
from tests.conftest import ROOT
from tests.helpers import make_admin_key

DOCUMENT = json.loads(openapi.DOCUMENT.read_text(encoding="utf-8"))
SCHEMAS = DOCUMENT["components"]["schemas"]
OPERATIONS = [
    (method.upper(), path, operation)
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
]
# The limiter is not what this suite tests (tests/integration/test_rate_limit_exact.py is).
RATE_LIMITS = {
    name: [[60, 1_000_000], [3600, 10_000_000]]
    for name in ("standard", "admin", "public", "registration", "directory", "reputation", "feedback")
}

# A wrong value of every kind, for any field (json.dumps writes NaN and Infinity as those tokens).
WRONG_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    float("nan"),
    float("inf"),
    10**400,
    2**64,
    "",
    "١٢٣",  # Arabic-Indic digits
    "\uff11\uff12",  # fullwidth digits
    "NaN",
    "1e999",
    "x" * 10_000,
    "\u0000\u202e\ud83d\ude00",
    [],
    [None],
    {},
    {"nested": {"deeper": [1, {"a": None}]}},
]
# Wrong values for query and path parameters, sent as text.
WRONG_TEXT = ["", "-1", "0", "1.5", "١٢٣", "NaN", "Infinity", "1e999", "9" * 400, "x" * 3000, "\u0000", "%FF", "é"]
# Raw bodies that are not plain JSON, all under the 16 KB limit.
RAW_BODIES: dict[str, bytes] = {
    "deep array": b"[" * 7000 + b"]" * 7000,
    "deep object": b'{"a":' * 3000 + b"1" + b"}" * 3000,
    "NaN": b'{"x": NaN}',
    "Infinity": b'{"x": -Infinity}',
    "1e999": b'{"x": 1e999}',
    "10**400": b'{"x": 1' + b"0" * 400 + b"}",
    "5000 digits": b"9" * 5000,
    "bad utf-8": b'{"x": "\xff\xfe\xc0\x80"}',
    "lone surrogate": b'{"x": "\\udc00"}',
    "truncated": b'{"x": ',
    "null": b"null",
    "array": b"[]",
    "string": b'"text"',
    "number": b"12",
    "bom": b'\xef\xbb\xbf{"x": 1}',
}
CONTENT_TYPES = [
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "application/json; charset=utf-16",
    "application/vnd.api+json",
    "APPLICATION/JSON",
    "",
]
# Cursors nobody issued: not base64, and base64 of JSON of every wrong shape.
FORGED_CURSORS = ["!!", "=", "a" * 600, cursor.encode("not json")] + [
    cursor.encode(text)
    for text in (
        '{"o": NaN, "q": "x"}',
        '{"o": Infinity, "q": "x"}',
        '{"o": 1e999, "q": "x"}',
        '{"o": "١٢٣", "q": "x"}',
        '{"o": 1' + "0" * 400 + ', "q": "x"}',
        '{"o": 1, "o": 2, "q": "x"}',
        "[" * 200 + "]" * 200,
        '{"pk": "AGENT#x", "sk": "SUMMARY", "directory": "public", "reputation_rank": "NaN"}',
        '{"pk": "AGENT#x", "sk": "SUMMARY", "directory": "public", "reputation_rank": "١٢٣"}',
        '{"pk": 1, "sk": [], "recent_pk": {}, "recent_sk": null}',
        "null",
        "[]",
    )
]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def non_null(schema: dict[str, Any]) -> dict[str, Any]:
    schema = resolve(schema)
    for option in schema.get("anyOf", []):
        if resolve(option).get("type") != "null":
            return non_null(option)
    return schema


# Values that match the patterns the document uses, so the base body reaches past validation.
PATTERN_CANDIDATES = [
    "successRate",
    "USD",
    "clk_AAAAAAAAAAAAAAAAAAAAAA",
    "agt_AAAAAAAAAAAAAAAAAAAAAA",
    "https://example.com/x",
    "0x" + "ab" * 20,
    "sku-1",
    "conv_1",
]


def valid(schema: dict[str, Any]) -> Any:  # noqa: PLR0911 (one return per JSON Schema type)
    """A small value the schema accepts: required fields only, examples where the document has them."""
    schema = non_null(schema)
    if "examples" in schema:
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: valid(properties[name]) for name in schema.get("required", [])}
    if kind == "array":
        return [valid(schema["items"])] * max(schema.get("minItems", 0), 1)
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if "pattern" in schema:
        return next((c for c in PATTERN_CANDIDATES if re.search(schema["pattern"], c)), "x")
    return "x" * max(schema.get("minLength", 1), 1)


def field_paths(schema: dict[str, Any], prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every field of a body, nested ones and the first item of arrays included."""
    schema = non_null(schema)
    if schema.get("type") == "object":
        for name, sub in schema.get("properties", {}).items():
            yield (*prefix, name)
            yield from field_paths(sub, (*prefix, name))
    elif schema.get("type") == "array" and prefix:
        yield from field_paths(schema["items"], (*prefix, 0))


def with_value(body: Any, schema: dict[str, Any], path: tuple[Any, ...], value: Any) -> Any:
    """`body` with the field at `path` set to `value` (parents built from the schema as needed)."""
    schema = non_null(schema)
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(body) if isinstance(body, list) and body else [valid(schema["items"])]
        items[0] = with_value(items[0], schema["items"], rest, value)
        return items
    copy = dict(body) if isinstance(body, dict) else {}
    sub = schema["properties"][head]
    copy[head] = with_value(copy.get(head, valid(sub)), sub, rest, value)
    return copy


@pytest.fixture(scope="module")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    """This module's own local API, with limits no test here reaches (`no_unexpected_errors` reads it)."""
    env = {"RATE_LIMITS": json.dumps(RATE_LIMITS)}
    with LocalApi(ROOT / "template.yaml", tmp_path_factory.mktemp("hostile-dynamodb"), env=env) as api:
        yield api


@pytest.fixture(scope="module")
def world(local_api: LocalApi) -> dict[str, Any]:
    with httpx.Client(base_url=local_api.base_url, timeout=30) as client:
        agent = client.post("/agents", json={"agent_name": "hostile"}).json()
    admin = make_admin_key(
        local_api, "catalog:read,catalog:write,agents:read,analytics:read,feedback:write,payouts:write"
    )
    return {"agent": agent, "admin": admin}


class Prober:
    """Sends requests for one operation and keeps every 5xx."""

    def __init__(self, client: httpx.Client, method: str, path: str, operation: dict[str, Any], world: dict) -> None:
        self.client, self.method, self.operation, self.world = client, method, operation, world
        agent_id = world["agent"]["agent_id"]
        self.path_values = {"agent_id": agent_id, "author_id": agent_id, "click_id": "clk_" + "A" * 22}
        self.path_values["product_id"] = "sku-1"
        self.path_values["key_id"] = "adm_" + "A" * 22
        self.path_values["period"] = "2026-11"
        self.template = path
        self.tried = 0
        self.failures: list[str] = []

    def headers(self, content: bytes | None, content_type: str | None = "application/json") -> dict[str, str]:
        schemes = {name for requirement in self.operation.get("security", []) for name in requirement}
        headers = {}
        if "agentToken" in schemes:
            headers["Authorization"] = f"Bearer {self.world['agent']['token']}"
        elif "adminKey" in schemes:
            headers["Authorization"] = f"Bearer {self.world['admin']}"
        if "webhookSignature" in schemes and content is not None:
            headers["X-Cashback-Signature"] = sign(DEFAULT_WEBHOOK_SECRET, int(time.time()), content)
        if content is not None and content_type is not None:
            headers["Content-Type"] = content_type
        return headers

    def send(
        self,
        what: str,
        content: bytes | None = None,
        query: dict[str, str] | None = None,
        path_values: dict[str, str] | None = None,
        content_type: str | None = "application/json",
    ) -> None:
        values = {**self.path_values, **(path_values or {})}
        url = re.sub(r"\{(\w+)\}", lambda match: _quote(values[match.group(1)]), self.template)
        response = self.client.request(
            self.method, url, content=content, params=query, headers=self.headers(content, content_type)
        )
        self.tried += 1
        if response.status_code >= 500:
            self.failures.append(f"{self.method} {self.template} {what}: {response.status_code} {response.text[:200]}")


def _quote(value: str) -> str:
    """A path segment: percent-encoded, except a value that is already an escape (e.g. %FF, bad UTF-8)."""
    return value if value.startswith("%") else quote(value, safe="")


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_no_hostile_request_gets_a_5xx(  # noqa: PLR0912 (one branch per kind of input)
    local_api: LocalApi, world: dict[str, Any], method: str, path: str, operation: dict[str, Any], record_property
) -> None:
    with httpx.Client(base_url=local_api.base_url, timeout=60) as client:
        probe = Prober(client, method, path, operation, world)
        body_schema = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
        if body_schema:
            base = valid(body_schema)
            probe.send("valid body", _dumps(base))
            for field in field_paths(body_schema):
                for value in WRONG_VALUES:
                    probe.send(f"body {field}={value!r:.40}", _dumps(with_value(base, body_schema, field, value)))
                if len(field) == 1:
                    twice = _dumps({field[0]: None})[1:-1]
                    probe.send(f"body {field} twice", b"{" + twice + b", " + twice + b"}")
            for name, raw in RAW_BODIES.items():
                probe.send(f"raw body {name}", raw)
            for content_type in CONTENT_TYPES:
                probe.send(f"content type {content_type!r}", _dumps(base), content_type=content_type)
            if "cursor" in resolve(body_schema).get("properties", {}):
                for forged in FORGED_CURSORS:
                    probe.send(f"body cursor {forged[:30]}", _dumps({**base, "cursor": forged}))
        else:
            probe.send("unexpected body", b'{"x": ' + b"[" * 5000 + b"]" * 5000 + b"}")
        for parameter in operation.get("parameters", []):
            name, where = parameter["name"], parameter["in"]
            values = WRONG_TEXT + (FORGED_CURSORS if name == "cursor" else [])
            for value in values:
                if where == "query":
                    probe.send(f"query {name}={value:.30}", query={name: value})
                elif where == "path":
                    probe.send(f"path {name}={value:.30}", path_values={name: value})
    record_property("requests", probe.tried)
    print(f"\n{method} {path}: {probe.tried} hostile requests, {len(probe.failures)} 5xx")
    assert not probe.failures, "\n".join(probe.failures[:30])
