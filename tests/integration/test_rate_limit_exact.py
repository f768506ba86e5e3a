"""N concurrent requests against a limit L admit exactly min(N, L), over real HTTP."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from localrun.stack import LocalApi
from tests.integration.conftest import bearer, register

LIMIT_PER_MINUTE = 100  # the standard plan's default
CONCURRENT = 150


def _wait_for_room_in_the_minute(seconds_needed: int = 20) -> None:
    """Start well inside one minute window, so all requests land in the same window."""
    into_minute = time.time() % 60
    if into_minute > 60 - seconds_needed:
        time.sleep(60 - into_minute + 0.5)


def test_150_concurrent_requests_against_limit_100_admit_exactly_100(local_api: LocalApi) -> None:
    with httpx.Client(base_url=local_api.base_url, timeout=60) as client:
        agent = register(client, "burst")
    url = f"/agents/{agent['agent_id']}"
    _wait_for_room_in_the_minute()

    def call(_: int) -> httpx.Response:
        with httpx.Client(base_url=local_api.base_url, timeout=60) as one_client:
            return one_client.get(url, headers=bearer(agent["token"]))

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        responses = list(pool.map(call, range(CONCURRENT)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == LIMIT_PER_MINUTE
    assert statuses.count(429) == CONCURRENT - LIMIT_PER_MINUTE
    for response in responses:
        assert response.headers["X-RateLimit-Limit"] == str(LIMIT_PER_MINUTE)
        assert response.headers["X-RateLimit-Reset"].isdigit()
        assert "RateLimit-Policy" in response.headers and "RateLimit" in response.headers
    refused = [r for r in responses if r.status_code == 429]
    for response in refused:
        assert response.json()["error"]["code"] == "RATE_LIMITED"
        assert int(response.headers["Retry-After"]) >= 1
        assert response.headers["X-RateLimit-Remaining"] == "0"
    remaining = sorted(int(r.headers["X-RateLimit-Remaining"]) for r in responses if r.status_code == 200)
    assert remaining == list(range(LIMIT_PER_MINUTE))  # each admitted request saw its own count
