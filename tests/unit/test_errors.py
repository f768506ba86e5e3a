"""The one error body, and how every kind of bad request maps to a status and a code.

The mapping is exercised through a real function (register_agent, get_agent) with moto, because
it is the resolver's validation plus `cashback.api.http` that together decide what a client sees.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cashback import errors
from cashback.api import http
from cashback.errors import ApiError, InvalidRequest, error_body
from tests.apigw import LambdaContext, api_event, body_of, header
from tests.conftest import load_function

AGENT = "agt_SHOPPERshopperSHOPPER0"


# ---------------------------------------------------------------- the error body


def test_the_error_body_carries_code_message_details_and_request_id() -> None:
    error = InvalidRequest("MISSING_FIELD", "A required field is missing.", {"errors": [{"field": "body.x"}]})
    assert error_body(error, "req-1") == {
        "error": {
            "code": "MISSING_FIELD",
            "message": "A required field is missing.",
            "details": {"errors": [{"field": "body.x"}]},
            "request_id": "req-1",
        }
    }


def test_an_error_without_message_or_details_uses_its_default_message_and_empty_details() -> None:
    assert error_body(errors.Forbidden(), "req-1")["error"] == {
        "code": "FORBIDDEN",
        "message": "This token may not access this resource.",
        "details": {},
        "request_id": "req-1",
    }


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.MalformedJson(), 400, "MALFORMED_JSON"),
        (errors.Unauthorized(), 401, "UNAUTHORIZED"),
        (errors.Forbidden(), 403, "FORBIDDEN"),
        (errors.AgentNotFound(), 404, "AGENT_NOT_FOUND"),
        (errors.RouteNotFound(), 404, "ROUTE_NOT_FOUND"),
        (errors.Conflict(), 409, "CONFLICT"),
        (errors.PayloadTooLarge(), 413, "PAYLOAD_TOO_LARGE"),
        (errors.UnsupportedMediaType(), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (errors.RateLimited(), 429, "RATE_LIMITED"),
        (errors.InternalError(), 500, "INTERNAL_ERROR"),
        (errors.DependencyUnavailable(), 503, "DEPENDENCY_UNAVAILABLE"),
        (errors.RateLimiterUnavailable(), 503, "RATE_LIMITER_UNAVAILABLE"),
    ],
)
def test_each_domain_error_has_its_status_and_code(error: ApiError, status: int, code: str) -> None:
    assert (error.status, error.code) == (status, code)
    assert error.message == error.default_message


def test_an_invalid_request_sets_its_own_code_without_changing_the_class() -> None:
    first, second = InvalidRequest("INVALID_CURSOR", "bad cursor"), InvalidRequest("MISSING_FIELD", "missing")
    assert (first.code, second.code, InvalidRequest.code) == ("INVALID_CURSOR", "MISSING_FIELD", "BAD_REQUEST")


# ---------------------------------------------------------------- validation errors, precisely named


def test_validation_error_names_the_first_problem_and_lists_them_all() -> None:
    problems = [
        {"type": "missing", "loc": ("body", "agent_name"), "msg": "Field required"},
        {"type": "extra_forbidden", "loc": ("body", "plan"), "msg": "Extra inputs are not permitted"},
    ]
    error = http.validation_error(problems)
    assert (error.status, error.code) == (400, "MISSING_FIELD")
    assert error.details == {
        "errors": [
            {"field": "body.agent_name", "type": "missing", "message": "Field required"},
            {"field": "body.plan", "type": "extra_forbidden", "message": "Extra inputs are not permitted"},
        ]
    }


@pytest.mark.parametrize(
    ("kind", "location", "code"),
    [
        ("json_invalid", ("body", 15), "MALFORMED_JSON"),
        ("missing", ("body", "agent_name"), "MISSING_FIELD"),
        ("extra_forbidden", ("body", "plan"), "UNKNOWN_FIELD"),
        ("string_type", ("body", "agent_name"), "INVALID_TYPE"),
        ("decimal_parsing", ("body", "order_amount"), "INVALID_TYPE"),
        ("string_too_long", ("body", "agent_name"), "INVALID_VALUE"),
        ("value_error", ("body",), "INVALID_VALUE"),
        ("string_pattern_mismatch", ("path", "agent_id"), "INVALID_AGENT_ID"),
        ("int_parsing", ("path", "product_id"), "INVALID_PRODUCT_ID"),
        ("int_parsing", ("query", "limit"), "INVALID_TYPE"),
    ],
)
def test_each_kind_of_validation_problem_has_its_code(kind: str, location: tuple[Any, ...], code: str) -> None:
    assert http.validation_error([{"type": kind, "loc": location, "msg": ""}]).code == code


def test_a_malformed_json_error_gives_the_position() -> None:
    error = http.validation_error([{"type": "json_invalid", "loc": ("body", 15), "msg": ""}])
    assert isinstance(error, errors.MalformedJson)
    assert error.details == {"position": 15}


# ---------------------------------------------------------------- through a real function


@pytest.fixture
def register(aws: None) -> Callable[..., dict[str, Any]]:
    """POST /agents with a raw body (str) or JSON-able body, through the register_agent function."""
    function = load_function("register_agent")

    def post(body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
        return function.lambda_handler(api_event("POST", "/agents", body=body, headers=headers), LambdaContext())

    return post


def error_of(response: dict[str, Any]) -> dict[str, Any]:
    return body_of(response)["error"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('{"agent_name": ', "MALFORMED_JSON"),
        ("{'agent_name': 'a'}", "MALFORMED_JSON"),
        ("", "MISSING_FIELD"),
        ({}, "MISSING_FIELD"),
        ({"agent_name": 42}, "INVALID_TYPE"),
        ([], "INVALID_TYPE"),
        ({"agent_name": "a", "plan": "premium"}, "UNKNOWN_FIELD"),
        ({"agent_name": ""}, "INVALID_VALUE"),
        ({"agent_name": "a", "wallet_address": "0x12"}, "INVALID_VALUE"),
        ({"agent_name": "a", "crypto_preference": "DOGE"}, "INVALID_VALUE"),
    ],
    ids=[
        "truncated JSON",
        "single quotes",
        "no body",
        "empty object",
        "number for a string",
        "array for an object",
        "unknown field",
        "empty name",
        "bad wallet",
        "unknown currency",
    ],
)
def test_a_bad_registration_body_is_400_with_a_code_naming_the_problem(
    register: Callable[..., dict[str, Any]], body: Any, code: str
) -> None:
    response = register(body)
    assert response["statusCode"] == 400, response["body"]
    assert error_of(response)["code"] == code


def test_the_error_body_names_the_offending_field(register: Callable[..., dict[str, Any]]) -> None:
    details = error_of(register({"agent_name": "a", "is_admin": True}))["details"]
    assert details["errors"] == [
        {"field": "body.is_admin", "type": "extra_forbidden", "message": "Extra inputs are not permitted"}
    ]


def test_the_error_body_and_the_header_carry_the_same_request_id(aws: None) -> None:
    event = api_event("POST", "/agents", body="{")
    response = load_function("register_agent").lambda_handler(event, LambdaContext())
    request_id = event["requestContext"]["requestId"]
    assert error_of(response)["request_id"] == request_id
    assert header(response, "X-Request-Id") == request_id


def test_error_responses_are_json(register: Callable[..., dict[str, Any]]) -> None:
    response = register("{")
    assert header(response, "Content-Type") == "application/json"
    assert set(json.loads(response["body"])) == {"error"}


def test_a_body_that_is_not_json_is_415(register: Callable[..., dict[str, Any]]) -> None:
    response = register("agent_name: a", headers={"Content-Type": "text/plain"})
    assert response["statusCode"] == 415
    assert error_of(response)["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_json_with_a_charset_is_accepted(register: Callable[..., dict[str, Any]]) -> None:
    response = register({"agent_name": "a"}, headers={"Content-Type": "application/json; charset=utf-8"})
    assert response["statusCode"] == 201


def test_a_body_over_the_limit_is_413_with_the_limit_in_details(register: Callable[..., dict[str, Any]]) -> None:
    response = register({"agent_name": "a" * 16_384})
    assert response["statusCode"] == 413
    assert error_of(response)["code"] == "PAYLOAD_TOO_LARGE"
    assert error_of(response)["details"] == {"max_bytes": 16_384}


def test_the_body_limit_is_counted_in_bytes(register: Callable[..., dict[str, Any]]) -> None:
    name = "é" * 8_200  # 8,200 characters, 16,400 bytes in UTF-8
    assert register(json.dumps({"agent_name": name}, ensure_ascii=False))["statusCode"] == 413


def test_max_body_bytes_is_configurable(
    register: Callable[..., dict[str, Any]], settings_env: Callable[[str, str], None]
) -> None:
    settings_env("MAX_BODY_BYTES", "20")
    assert register({"agent_name": "twenty-one bytes"})["statusCode"] == 413


def test_a_bad_path_id_is_400_invalid_agent_id(aws: None) -> None:
    event = api_event(
        "GET",
        "/agents/agt_short",
        resource="/agents/{agent_id}",
        path_parameters={"agent_id": "agt_short"},
        authorizer={"principalId": AGENT, "kind": "agent", "plan": "standard", "scopes": ""},
    )
    response = load_function("get_agent").lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 400
    assert error_of(response)["code"] == "INVALID_AGENT_ID"


def test_an_unknown_route_is_404_route_not_found(aws: None) -> None:
    event = api_event("GET", "/agents")
    response = load_function("register_agent").lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 404
    assert error_of(response)["code"] == "ROUTE_NOT_FOUND"


def test_an_unexpected_exception_is_500_without_a_traceback(
    register: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cashback import agents

    def explode(_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(agents, "register", explode)
    response = register({"agent_name": "a"})
    assert response["statusCode"] == 500
    assert error_of(response)["code"] == "INTERNAL_ERROR"
    assert "secret internals" not in response["body"] and "Traceback" not in response["body"]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_a_form_body_is_unsupported_media_not_a_field_error(aws: None, content_type: str) -> None:
    event = api_event("POST", "/agents", body="agent_name=a", headers={"Content-Type": content_type})
    response = load_function("register_agent").lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 415
    assert body_of(response)["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
