"""The client against the local API: a loaded catalog, a shopper with real activity, and clients.

`connect` makes clients of both kinds: every test that uses it runs once with `CashbackClient`
and once with `AsyncCashbackClient` (driven on one event loop), against the same server.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cashback.api.webhooks import sign
from cashback_client import AsyncCashbackClient, CashbackClient
from localrun.stack import DEFAULT_WEBHOOK_KEY_ID, DEFAULT_WEBHOOK_SECRET, LocalApi
from tests.conftest import ROOT
from tests.helpers import make_admin_key
from tests.integration.conftest import bearer, put_small_catalog, register

RUNNING_SHOES = ["Nike Pegasus 41 Running Shoes", "Brooks Ghost 16 Running Shoe"]
COMMISSION = "120.00"


@dataclass(frozen=True)
class Shopper:
    """An agent that searched, clicked and earned a confirmed commission, rolled up since."""

    agent_id: str
    token: str
    agent_name: str


@pytest.fixture(scope="session")
def catalog(local_api: LocalApi) -> None:
    """The small hand-made catalog, loaded through the admin API (upserts: safe to repeat)."""
    admin = bearer(make_admin_key(local_api, "catalog:write"))
    with httpx.Client(base_url=local_api.base_url, timeout=30) as http:
        put_small_catalog(http, admin)


@pytest.fixture(scope="session")
def shopper(local_api: LocalApi, catalog: None) -> Shopper:
    with httpx.Client(base_url=local_api.base_url, timeout=30) as http:
        agent = register(http, "client-shopper", public=True)  # shown on the public leaderboard
        found = http.post(
            "/search",
            json={"keywords": "pegasus running shoes", "filters": {"max_price": 150}},
            headers=bearer(agent["token"]),
        )
        assert found.status_code == 200, found.text
        link = found.json()["results"][0]["affiliate_link"]
        assert http.get(link.removeprefix(local_api.base_url)).status_code == 302  # the click
        body = {
            "conversion_id": f"net-client-{agent['agent_id']}",
            "click_id": link.rsplit("/", 1)[1],
            "status": "confirmed",
            "order_amount": "139.99",
            "currency": "USD",
            "commission_amount": COMMISSION,
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        raw = json.dumps(body).encode()
        headers = {"X-Cashback-Signature": sign(DEFAULT_WEBHOOK_SECRET, int(time.time()), raw, DEFAULT_WEBHOOK_KEY_ID)}
        delivered = http.post("/conversions", content=raw, headers={**headers, "Content-Type": "application/json"})
        assert delivered.status_code == 200, delivered.text
    run_rollup(local_api)
    return Shopper(agent_id=agent["agent_id"], token=agent["token"], agent_name="client-shopper")


def run_rollup(local_api: LocalApi) -> None:
    """The scheduled rollup, run now against the server's DynamoDB, as its next run would see it.

    The rollup reads only events at least a minute old (writes in flight may land late), so it
    runs with the clock two minutes ahead: the activity just made is then in its window.
    """
    script = "import time; from cashback import rollup; print(rollup.run(now=int(time.time()) + 120))"
    env = {**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": local_api.dynamodb_endpoint}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "PYTHONPATH": f"{ROOT / 'layers' / 'common'}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


class Blocking:
    """An AsyncCashbackClient whose coroutines run to completion on one event loop.

    It lets one test body drive the async client exactly as it drives the sync one; the
    requests, retries and parsing are the async client's own.
    """

    def __init__(self, client: AsyncCashbackClient, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._client, name)
        if inspect.iscoroutinefunction(value):
            return lambda *args, **kwargs: self._loop.run_until_complete(value(*args, **kwargs))
        return value


@pytest.fixture
def api_base_url(local_api: LocalApi) -> str:
    return local_api.base_url


# Each function's first call, and each call that needs one more execution environment, starts a
# process: on a busy 2-core machine that can pass httpx's 5 s default.
COLD_CALL_TIMEOUT = 60


@pytest.fixture(params=["sync", "async"])
def connect(request: pytest.FixtureRequest, api_base_url: str) -> Iterator[Callable[..., CashbackClient]]:
    """connect(token=None, *, record=None, base_url=None, **options) → a client; `record` collects statuses."""
    loop = asyncio.new_event_loop() if request.param == "async" else None
    sync_http: list[httpx.Client] = []
    async_http: list[httpx.AsyncClient] = []

    def make(
        token: str | None = None, *, record: list[int] | None = None, base_url: str | None = None, **options: Any
    ) -> Any:
        url = base_url or api_base_url
        if loop is None:
            hooks = {"response": [lambda r: record.append(r.status_code)]} if record is not None else {}
            sync_http.append(httpx.Client(event_hooks=hooks, timeout=COLD_CALL_TIMEOUT))
            return CashbackClient(url, token, http_client=sync_http[-1], **options)

        async def note(response: httpx.Response) -> None:
            assert record is not None
            record.append(response.status_code)

        hooks = {"response": [note]} if record is not None else {}
        async_http.append(httpx.AsyncClient(event_hooks=hooks, timeout=COLD_CALL_TIMEOUT))
        return Blocking(AsyncCashbackClient(url, token, http_client=async_http[-1], **options), loop)

    yield make
    for http in sync_http:
        http.close()
    if loop is not None:
        for async_client in async_http:
            loop.run_until_complete(async_client.aclose())
        loop.close()
