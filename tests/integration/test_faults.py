"""DynamoDB throttling and errors on a fraction of calls (localrun/faults.py, botocore hooks in the
functions' processes), over real HTTP: every endpoint answers as usual or 503 with Retry-After,
never a 500; no conversion is lost or counted twice when webhooks are retried as a network
retries them; the rate limit never admits more than its limit.

Faults here: 20% of DynamoDB attempts throttled, 5% failing with a 500 (the SDK retries both, up
to 3 attempts), and 3% of calls that succeed in DynamoDB but whose reply is lost. The counts seen
are printed (`-s`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest

from cashback.api.webhooks import sign
from localrun.stack import DEFAULT_WEBHOOK_KEY_ID, DEFAULT_WEBHOOK_SECRET, LocalApi
from tests.conftest import ROOT
from tests.helpers import make_admin_key
from tests.small_catalog import MERCHANTS, PRODUCTS

pytestmark = pytest.mark.xdist_group("faults")  # one server with faults, tests in file order

FAULTS = {"throttle": 0.2, "error": 0.05, "lost_reply": 0.03, "seed": 15}
LIMIT = 60  # per agent and hour: the limit the over-admission test pushes against
RATE_LIMITS = {
    "standard": [[3600, LIMIT]],
    **{name: [[60, 100_000]] for name in ("admin", "public", "registration", "directory", "reputation", "feedback")},
}
ATTEMPTS = 30  # a network retrying a webhook, or a setup step, until it is not a 503


def injected(local_api: LocalApi, mark: tuple[int, int]) -> dict[str, int]:
    """The faults injected since `mark`, by kind (localrun.faults logs each on stderr)."""
    kinds = Counter[str]()
    for line in local_api.output_since(mark).splitlines():
        if line.startswith("localrun.faults "):
            kinds[line.split()[1]] += 1
    return dict(kinds)


@pytest.fixture(scope="module")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    # Fail closed, as prod does (RateLimitFailMode): dev's fail-open admits what it could not count,
    # by design, which is not the counters over-admitting (seen here: 61 of 60 with `open`).
    env = {
        "RATE_LIMITS": json.dumps(RATE_LIMITS),
        "LOCALRUN_FAULTS": json.dumps(FAULTS),
        "RATE_LIMIT_FAIL_MODE": "closed",
    }
    with LocalApi(ROOT / "template.yaml", tmp_path_factory.mktemp("faults-dynamodb"), env=env) as api:
        yield api


@pytest.fixture(scope="module")
def client(local_api: LocalApi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_api.base_url, timeout=60) as http_client:
        yield http_client


RETRIED = Counter[str]()


def until_answered(send: Callable[[], httpx.Response]) -> httpx.Response:
    """Retry a 503 as its Retry-After says (shortened: the faults are random, not an outage)."""
    for _ in range(ATTEMPTS):
        response = send()
        if response.status_code != 503:
            return response
        RETRIED["503"] += 1
        assert response.headers.get("Retry-After"), response.text
        time.sleep(0.05)
    raise AssertionError(f"still 503 after {ATTEMPTS} attempts: {response.text}")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_agent(client: httpx.Client, name: str) -> dict[str, Any]:
    response = until_answered(lambda: client.post("/agents", json={"agent_name": name}))
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def world(local_api: LocalApi, client: httpx.Client) -> dict[str, Any]:
    admin = bearer(make_admin_key(local_api, "catalog:read,catalog:write,agents:read,analytics:read"))
    merchants = {"merchants": [m.model_dump(mode="json") for m in MERCHANTS]}
    products = {"products": [p.model_dump(mode="json", exclude_none=True) for p in PRODUCTS]}
    assert until_answered(lambda: client.put("/catalog/merchants", json=merchants, headers=admin)).status_code == 200
    assert until_answered(lambda: client.put("/catalog/products", json=products, headers=admin)).status_code == 200
    return {"admin": admin, "product_id": PRODUCTS[0].product_id}


def deliver(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"X-Cashback-Signature": sign(DEFAULT_WEBHOOK_SECRET, int(time.time()), raw, DEFAULT_WEBHOOK_KEY_ID)}
    return client.post("/conversions", content=raw, headers={**headers, "Content-Type": "application/json"})


def test_every_endpoint_answers_as_usual_or_503_with_retry_after(
    local_api: LocalApi, client: httpx.Client, world: dict[str, Any]
) -> None:
    mark = local_api.output_mark()
    agent = new_agent(client, "faulty")
    agent_id, token = agent["agent_id"], bearer(agent["token"])
    search = until_answered(lambda: client.post("/search", json={"keywords": "pegasus"}, headers=token))
    click_id = search.json()["results"][0]["affiliate_link"].rsplit("/", 1)[1]
    requests: list[tuple[str, str, dict[str, Any], set[int]]] = [  # 48 requests of this agent's 60 an hour
        ("GET", "/health", {}, {200}),
        ("POST", "/agents", {"json": {"agent_name": "more"}}, {201}),
        ("GET", "/agents", {}, {200}),
        ("GET", f"/agents/{agent_id}", {"headers": token}, {200}),
        ("PATCH", f"/agents/{agent_id}", {"headers": token, "json": {"description": "d"}}, {200}),
        ("GET", f"/agents/{agent_id}/stats", {"headers": token}, {200}),
        ("GET", f"/agents/{agent_id}/analytics", {"headers": token}, {200}),
        ("GET", f"/agents/{agent_id}/conversions", {"headers": token}, {200}),
        ("GET", f"/agents/{agent_id}/reputation", {}, {404}),  # not public
        ("POST", "/search", {"headers": token, "json": {"keywords": "pegasus"}}, {200}),
        ("POST", "/search/batch", {"headers": token, "json": {"searches": [{"keywords": "sony"}]}}, {200}),
        ("GET", "/compare", {"headers": token, "params": {"product_name": "pegasus"}}, {200}),
        ("GET", f"/r/{click_id}", {}, {302}),
        ("GET", "/analytics/leaderboard", {}, {200}),
        ("GET", "/analytics/trending", {}, {200}),
        ("GET", f"/catalog/products/{world['product_id']}", {"headers": world["admin"]}, {200}),
    ]
    seen: Counter[str] = Counter()
    wrong: list[str] = []
    for method, path, options, expected in requests:
        for _ in range(4):
            response = client.request(method, path, follow_redirects=False, **options)
            seen[str(response.status_code)] += 1
            if response.status_code == 503 and response.headers.get("Retry-After"):
                continue
            if response.status_code not in expected:
                wrong.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
    print(f"\nfaults, every endpoint: {sum(seen.values())} requests, answers {dict(sorted(seen.items()))}")
    print(f"faults injected: {injected(local_api, mark)}")
    assert not wrong, "\n".join(wrong)


def test_retried_webhooks_count_each_conversion_once(
    local_api: LocalApi, client: httpx.Client, world: dict[str, Any]
) -> None:
    mark = local_api.output_mark()
    agent = new_agent(client, "earner")
    token = bearer(agent["token"])
    clicks: list[str] = []
    while len(clicks) < 12:
        search = until_answered(lambda: client.post("/search", json={"keywords": "pegasus"}, headers=token))
        assert search.status_code == 200, search.text
        clicks += [r["affiliate_link"].rsplit("/", 1)[1] for r in search.json()["results"]]
    deliveries = Counter[str]()

    def lifecycle(n: int) -> None:
        for status in ("pending", "confirmed", "confirmed"):  # the last one: a network's duplicate
            body = {
                "conversion_id": f"fault-{n}",
                "click_id": clicks[n],
                "status": status,
                "order_amount": "100.00",
                "currency": "USD",
                "commission_amount": "2.50",
                "occurred_at": "2026-11-24T10:00:00Z",
            }
            answer = until_answered(lambda body=body: deliver(client, body))
            deliveries["sent"] += 1
            assert answer.status_code == 200, answer.text

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lifecycle, range(12)))
    totals = until_answered(lambda: client.get(f"/agents/{agent['agent_id']}/stats", headers=token)).json()

    answered, retried = deliveries["sent"], RETRIED["503"]
    print(f"\nfaults, webhooks: 12 conversions, {answered} deliveries answered 200, {retried} 503s retried so far")
    print(f"faults injected: {injected(local_api, mark)}")
    assert totals["conversions"]["confirmed"] == 12
    assert totals["conversions"]["pending"] == 0
    assert {code: Decimal(v) for code, v in totals["revenue"].items()} == {"USD": Decimal("30.00")}
    assert all(Decimal(v) == 0 for v in totals["pending_revenue"].values())


def test_the_rate_limit_never_admits_more_than_its_limit(local_api: LocalApi, client: httpx.Client) -> None:
    mark = local_api.output_mark()
    agent = new_agent(client, "hasty")
    path, token = f"/agents/{agent['agent_id']}", bearer(agent["token"])
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda _: client.get(path, headers=token), range(3 * LIMIT)))

    refused = [r for r in responses if r.status_code == 429 or "RATE_LIMITER_UNAVAILABLE" in r.text]
    # Admitted: counted by the limiter (it sent its headers) and not refused; a 503 after that is the
    # handler's. The reset time names the window, should the test straddle two.
    admitted = Counter(
        r.headers["X-RateLimit-Reset"] for r in responses if "X-RateLimit-Reset" in r.headers and r not in refused
    )
    print(f"\nfaults, rate limit {LIMIT}/h: {len(responses)} requests, admitted per window {dict(admitted)}")
    print(f"faults injected: {injected(local_api, mark)}")
    assert all(count <= LIMIT for count in admitted.values()), admitted
