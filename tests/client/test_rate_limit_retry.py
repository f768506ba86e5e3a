"""A 429 is retried after its Retry-After, a bounded number of times, never past the longest wait.

Against a second local API whose agents may make one request per 2-second window, so a call
right after another is refused with `Retry-After` of 1 or 2 seconds: real 429s, no mocks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from cashback_client import CashbackClient, RateLimitedError, Retry, RetryPolicy
from localrun.stack import LocalApi
from tests.conftest import ROOT
from tests.local_api import TEST_RATE_LIMITS

pytestmark = pytest.mark.xdist_group("client-rate-limit")
ONE_PER_TWO_SECONDS = {**TEST_RATE_LIMITS, "standard": [[2, 1]]}
Connect = Callable[..., CashbackClient]


@pytest.fixture(scope="module")
def tight_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    env = {"RATE_LIMITS": json.dumps(ONE_PER_TWO_SECONDS)}
    with LocalApi(ROOT / "template.yaml", tmp_path_factory.mktemp("tight-api"), quiet=True, env=env) as api:
        yield api


@pytest.fixture
def api_base_url(tight_api: LocalApi) -> str:
    return tight_api.base_url


@pytest.fixture
def agent(tight_api: LocalApi) -> dict[str, str]:
    registered = httpx.post(f"{tight_api.base_url}/agents", json={"agent_name": "tight"}, timeout=30)
    assert registered.status_code == 201, registered.text
    return registered.json()


def first_refusal(client: CashbackClient, statuses: list[int]) -> tuple[RateLimitedError, list[int]]:
    """Calls back to back until one raises; returns the error and the statuses that call saw."""
    for _ in range(5):
        before = len(statuses)
        try:
            client.get_agent()
        except RateLimitedError as error:
            return error, statuses[before:]
    pytest.fail("five calls in a row against 1 request per 2 s were never refused")


def test_a_429_is_retried_after_retry_after_and_the_call_succeeds(connect: Connect, agent: dict[str, str]) -> None:
    statuses: list[int] = []
    retries: list[Retry] = []
    client = connect(
        agent["token"],
        agent_id=agent["agent_id"],
        record=statuses,
        retry=RetryPolicy(max_retries=3, max_wait=5),
        on_retry=retries.append,
    )

    profiles = [client.get_agent() for _ in range(3)]

    assert [p.agent_id for p in profiles] == [agent["agent_id"]] * 3
    assert statuses.count(200) == 3 and 429 in statuses  # every call ended well; some waited first
    assert len(retries) == statuses.count(429)
    for retry in retries:
        assert retry.error.code == "RATE_LIMITED" and retry.error.request_id
        assert 1 <= retry.wait <= 2  # Retry-After: the rest of the 2-second window
    assert client.last_rate_limit is not None and client.last_rate_limit.limit == 1


def test_no_retry_beyond_max_retries(connect: Connect, agent: dict[str, str]) -> None:
    statuses: list[int] = []
    client = connect(agent["token"], agent_id=agent["agent_id"], record=statuses, retry=RetryPolicy(max_retries=0))

    error, seen = first_refusal(client, statuses)

    assert seen == [429]  # refused once, not sent again
    assert (error.status, error.code) == (429, "RATE_LIMITED")
    assert error.request_id
    assert error.retry_after is not None and 1 <= error.retry_after <= 2
    assert error.rate_limit is not None and error.rate_limit.remaining == 0


def test_a_retry_after_longer_than_max_wait_raises_at_once(connect: Connect, agent: dict[str, str]) -> None:
    statuses: list[int] = []
    retries: list[Retry] = []
    policy = RetryPolicy(max_retries=5, max_wait=0.5)
    client = connect(agent["token"], agent_id=agent["agent_id"], record=statuses, retry=policy, on_retry=retries.append)

    error, seen = first_refusal(client, statuses)

    assert seen == [429]
    assert retries == []
    assert error.retry_after is not None and error.retry_after > policy.max_wait
