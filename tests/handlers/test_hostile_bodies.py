"""Hostile bodies and cursors through the functions (moto): 4xx with a code, never a 5xx.

Each body here is under the 16 KB limit; each once answered 500 (search), 502 (batch: the crash
happened in the rate limit's cost, outside the resolver) or slipped through as a different value.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from cashback import cursor
from tests.apigw import LambdaContext, agent_authorizer, api_event, body_of, header
from tests.conftest import load_function
from tests.reputation.conftest import list_directory

AGENT = "agt_SHOPPERshopperSHOPPER0"
HOST = {"Host": "api.example.test", "X-Forwarded-Proto": "https"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", **HOST}

search_fn = load_function("search")
batch_fn = load_function("batch_search")
register_fn = load_function("register_agent")
mcp_fn = load_function("mcp")

DEEP = "[" * 5000 + "]" * 5000  # 10 KB
HOSTILE_BODIES = {
    "deep array": '{"keywords": "shoes", "filters": ' + DEEP + "}",
    "deep object": '{"a":' * 2500 + "1" + "}" * 2500,
    "NaN": '{"keywords": "shoes", "limit": NaN}',
    "Infinity": '{"keywords": "shoes", "limit": Infinity}',
    "1e999": '{"keywords": "shoes", "limit": 1e999}',
    "10**400": '{"keywords": "shoes", "limit": 1' + "0" * 400 + "}",
    "5000 digits": '{"keywords": "shoes", "limit": ' + "9" * 5000 + "}",
    "duplicate key": '{"keywords": "shoes", "keywords": "boots"}',
    "lone surrogate": '{"keywords": "shoes \\ud800"}',
}


def _call(function: Any, path: str, body: str, headers: dict[str, str] = HOST) -> dict[str, Any]:
    event = api_event("POST", path, body=body, authorizer=agent_authorizer(AGENT), headers=headers)
    return function.lambda_handler(event, LambdaContext())


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
@pytest.mark.parametrize(
    ("function", "path"), [(search_fn, "/search"), (batch_fn, "/search/batch"), (mcp_fn, "/mcp")], ids=str
)
def test_a_body_outside_plain_json_is_400_malformed_json(small_catalog: object, function, path, body: str) -> None:
    response = _call(function, path, body, MCP_HEADERS)

    assert response["statusCode"] == 400, response["body"]
    error = body_of(response)["error"]
    if path == "/mcp":  # JSON-RPC's parse error, carrying the API's error body
        assert error["code"] == -32700
        error = error["data"]["error"]
    assert error["code"] == "MALFORMED_JSON"


def test_a_batch_nested_inside_searches_is_400_and_costs_one_request(small_catalog: object) -> None:
    response = _call(batch_fn, "/search/batch", '{"searches": [' + DEEP + "]}")

    assert response["statusCode"] == 400
    assert header(response, "X-RateLimit-Remaining") == "99"


def test_a_body_that_is_not_base64_when_it_says_so_is_400(aws: None) -> None:
    event = api_event("POST", "/agents", body="%%%not base64%%%")
    event["isBase64Encoded"] = True
    response = register_fn.lambda_handler(event, LambdaContext())

    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "MALFORMED_JSON"


def test_a_base64_body_is_read_like_any_other(aws: None) -> None:
    event = api_event("POST", "/agents", body=base64.b64encode(b'{"agent_name": "b64"}').decode())
    event["isBase64Encoded"] = True
    assert register_fn.lambda_handler(event, LambdaContext())["statusCode"] == 201


SEARCH_CURSORS = [
    '{"o": NaN, "q": "x"}',
    '{"o": Infinity, "q": "x"}',
    '{"o": 1e999, "q": "x"}',
    '{"o": -1e999, "q": "x"}',
    '{"o": "١٢٣", "q": "x"}',
    '{"o": true, "q": "x"}',
    '{"o": ' + "[" * 100 + "]" * 100 + ', "q": "x"}',
]


@pytest.mark.parametrize("text", SEARCH_CURSORS)
def test_a_search_cursor_of_the_wrong_shape_is_400_invalid_cursor(small_catalog: object, text: str) -> None:
    body = json.dumps({"keywords": "shoes", "cursor": cursor.encode(text)})
    response = _call(search_fn, "/search", body)

    assert response["statusCode"] == 400, response["body"]
    assert body_of(response)["error"]["code"] == "INVALID_CURSOR"


@pytest.mark.parametrize("rank", ["NaN", "Infinity", "١٢٣", "1e99999"])
def test_a_directory_cursor_with_a_non_finite_or_unicode_number_is_400(aws: None, rank: str) -> None:
    forged = {"pk": "AGENT#x", "sk": "SUMMARY", "directory": "public", "reputation_rank": rank}
    response = list_directory({"cursor": cursor.encode_json(forged)})

    assert response["statusCode"] == 400, response["body"]
    assert body_of(response)["error"]["code"] == "INVALID_CURSOR"
