"""Agents and tokens over real HTTP, as a client meets them."""

from __future__ import annotations

import httpx

from tests.integration.conftest import bearer, error_code, register


def test_health_answers_ok_with_version(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    tables = ("agents_table", "rate_limit_table", "catalog_table", "activity_table", "reputation_table")
    # Every table answers under the health function's own role, as IAM enforces it.
    assert {name: response.json()["checks"][name] for name in (*tables, "analytics_table")} == dict.fromkeys(
        (*tables, "analytics_table"), "ok"
    )
    assert response.json()["timestamp"].endswith("Z")
    assert '"minute";q=300' in response.headers["RateLimit-Policy"]  # its own limit, not the public one
    assert response.headers["X-Request-Id"]


def test_registered_token_reads_its_own_profile(client: httpx.Client) -> None:
    agent = register(client, "profile-reader")
    response = client.get(f"/agents/{agent['agent_id']}", headers=bearer(agent["token"]))
    assert response.status_code == 200
    assert response.json()["agent_name"] == "profile-reader"
    assert "token" not in response.json() and "token_hash" not in response.json()


def test_rotation_retires_the_old_token_at_once(client: httpx.Client) -> None:
    agent = register(client, "rotator")
    profile_url = f"/agents/{agent['agent_id']}"
    assert client.get(profile_url, headers=bearer(agent["token"])).status_code == 200  # decision now cached

    rotated = client.post(f"{profile_url}/token", headers=bearer(agent["token"]))
    assert rotated.status_code == 200, rotated.text
    new_token = rotated.json()["token"]

    old = client.get(profile_url, headers=bearer(agent["token"]))
    assert old.status_code == 401
    assert error_code(old) == "UNAUTHORIZED"
    assert client.get(profile_url, headers=bearer(new_token)).status_code == 200


def test_missing_token_is_401_with_the_error_body(client: httpx.Client) -> None:
    agent = register(client)
    response = client.get(f"/agents/{agent['agent_id']}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert response.json()["error"]["request_id"] == response.headers["X-Request-Id"]


def test_unknown_token_is_401(client: httpx.Client) -> None:
    agent = register(client)
    response = client.get(f"/agents/{agent['agent_id']}", headers=bearer("cbk_agent_" + "x" * 43))
    assert response.status_code == 401


def test_another_agents_token_is_403_and_sees_nothing(client: httpx.Client) -> None:
    owner, intruder = register(client, "owner"), register(client, "intruder")
    response = client.get(f"/agents/{owner['agent_id']}", headers=bearer(intruder["token"]))
    assert response.status_code == 403
    assert error_code(response) == "FORBIDDEN"
    assert "owner" not in response.text


def test_another_agent_cannot_rotate_my_token(client: httpx.Client) -> None:
    owner, intruder = register(client, "owner"), register(client, "intruder")
    response = client.post(f"/agents/{owner['agent_id']}/token", headers=bearer(intruder["token"]))
    assert response.status_code == 403
    assert client.get(f"/agents/{owner['agent_id']}", headers=bearer(owner["token"])).status_code == 200


def test_every_function_response_carries_rate_limit_headers(client: httpx.Client) -> None:
    agent = register(client)
    responses = [
        client.get("/health"),
        client.post("/agents", content=b"{not json"),
        client.get(f"/agents/{agent['agent_id']}", headers=bearer(agent["token"])),
        client.get("/agents/not-an-id", headers=bearer(agent["token"])),
    ]
    for response in responses:
        for name in (
            "X-Request-Id",
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
            "RateLimit-Policy",
            "RateLimit",
        ):
            assert response.headers.get(name), (response.request.url, name)
