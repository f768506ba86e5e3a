"""Bad input of every kind gets a 4xx with a code that names the problem; never a 5xx."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import bearer, error_code, register


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"agent_name": ', "MALFORMED_JSON"),
        (b'{"agent_name": "\xff\xfe"}', "MALFORMED_JSON"),  # not UTF-8
        (b'{"agent_name": 42}', "INVALID_TYPE"),
        (b"{}", "MISSING_FIELD"),
        (b'{"agent_name": "a", "is_admin": true}', "UNKNOWN_FIELD"),
        (b'{"agent_name": ""}', "INVALID_VALUE"),
        (b'{"agent_name": "' + b"n" * 65 + b'"}', "INVALID_VALUE"),
        (b'{"agent_name": "bell\\u0007"}', "INVALID_VALUE"),
        (b'{"agent_name": "a", "wallet_address": "0x12"}', "INVALID_VALUE"),
        (b'{"agent_name": "a", "crypto_preference": "DOGE"}', "INVALID_VALUE"),
        (b"[]", "INVALID_TYPE"),
        (b"", "MISSING_FIELD"),
    ],
)
def test_registration_rejects_bad_bodies_with_a_specific_code(client: httpx.Client, body: bytes, code: str) -> None:
    response = client.post("/agents", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert error_code(response) == code


def test_oversized_body_is_413(client: httpx.Client) -> None:
    response = client.post("/agents", content=b'{"agent_name": "' + b"a" * 20_000 + b'"}')
    assert response.status_code == 413
    assert error_code(response) == "PAYLOAD_TOO_LARGE"


def test_bad_path_id_is_400_invalid_agent_id(client: httpx.Client) -> None:
    agent = register(client)
    response = client.get("/agents/agt_short", headers=bearer(agent["token"]))
    assert response.status_code == 400
    assert error_code(response) == "INVALID_AGENT_ID"


def test_unknown_route_is_404_route_not_found(client: httpx.Client) -> None:
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert error_code(response) == "ROUTE_NOT_FOUND"


def test_malformed_authorization_header_is_401(client: httpx.Client) -> None:
    agent = register(client)
    response = client.get(f"/agents/{agent['agent_id']}", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
