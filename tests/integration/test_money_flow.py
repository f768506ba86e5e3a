"""From catalog to commission over real HTTP: search, click, signed conversions, stats.

The same webhook delivered ten times at once is counted once; this is the path money takes.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from cashback.api.webhooks import sign
from localrun.stack import DEFAULT_WEBHOOK_KEY_ID, DEFAULT_WEBHOOK_SECRET, LocalApi
from tests.helpers import make_admin_key
from tests.integration.conftest import bearer, put_small_catalog, register


@pytest.fixture(scope="module")
def shopper(local_api: LocalApi) -> dict[str, Any]:
    """A catalog loaded through the admin API, an agent, and one affiliate link it was served."""
    admin = bearer(make_admin_key(local_api, "catalog:write"))
    with httpx.Client(base_url=local_api.base_url, timeout=30) as client:
        put_small_catalog(client, admin)
        agent = register(client, "money-flow")
        search = client.post("/search", json={"keywords": "pegasus"}, headers=bearer(agent["token"]))
        assert search.status_code == 200, search.text
        link = search.json()["results"][0]["affiliate_link"]
    return {**agent, "link": link, "click_id": link.rsplit("/", 1)[1]}


def deliver(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(body).encode()
    signature = sign(DEFAULT_WEBHOOK_SECRET, int(time.time()), raw, DEFAULT_WEBHOOK_KEY_ID)
    return client.post(
        "/conversions", content=raw, headers={"X-Cashback-Signature": signature, "Content-Type": "application/json"}
    )


def conversion(click_id: str, status: str) -> dict[str, Any]:
    return {
        "conversion_id": "net-flow-1",
        "click_id": click_id,
        "status": status,
        "order_amount": "139.99",
        "currency": "USD",
        "commission_amount": "4.55",
        "occurred_at": "2026-11-24T10:00:00Z",
    }


def stats(client: httpx.Client, shopper: dict[str, Any]) -> dict[str, Any]:
    response = client.get(f"/agents/{shopper['agent_id']}/stats", headers=bearer(shopper["token"]))
    assert response.status_code == 200, response.text
    return response.json()


def test_the_affiliate_link_redirects_to_the_merchant_with_our_sub_id(
    client: httpx.Client, shopper: dict[str, Any]
) -> None:
    response = client.get(shopper["link"].removeprefix(client.base_url.__str__().rstrip("/")))
    assert response.status_code == 302
    assert shopper["click_id"] in response.headers["Location"]
    assert response.headers["Location"].startswith("https://beta.example/")


def test_the_same_delivery_ten_times_at_once_is_counted_once(client: httpx.Client, shopper: dict[str, Any]) -> None:
    body = conversion(shopper["click_id"], "pending")
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda _: deliver(client, body), range(10)))

    assert [r.status_code for r in responses] == [200] * 10, [r.text for r in responses]
    assert {r.json()["conversion"]["status"] for r in responses} == {"pending"}
    assert sorted(r.json()["applied"] for r in responses) == [False] * 9 + [True]
    totals = stats(client, shopper)
    assert totals["conversions"]["pending"] == 1
    assert totals["pending_revenue"] == {"USD": "4.55"}
    assert totals["revenue"] == {}

    confirmed = conversion(shopper["click_id"], "confirmed")
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda _: deliver(client, confirmed), range(10)))
    assert [r.status_code for r in responses] == [200] * 10
    assert sorted(r.json()["applied"] for r in responses) == [False] * 9 + [True]
    totals = stats(client, shopper)
    assert totals["conversions"]["confirmed"] == 1
    assert totals["conversions"]["pending"] == 0
    assert totals["revenue"] == {"USD": "4.55"}
    assert totals["pending_revenue"] == {}

    listed = client.get(f"/agents/{shopper['agent_id']}/conversions", headers=bearer(shopper["token"]))
    assert listed.status_code == 200
    assert [c["conversion_id"] for c in listed.json()["conversions"]] == ["net-flow-1"]


def test_stats_trends_compare_this_weeks_searches_with_the_week_before(
    client: httpx.Client, shopper: dict[str, Any]
) -> None:
    trends = stats(client, shopper)["trends"]

    # One search today, none in the 7 days before: growth is undefined, so null, never a 5xx.
    assert trends["searches"] == {"last_7_days": 1, "previous_7_days": 0, "growth_rate": None}
    assert set(trends) == {"searches", "conversions", "revenue"}
    assert set(trends["conversions"]) == {"last_7_days", "previous_7_days", "growth_rate"}


def test_an_unsigned_delivery_is_refused(client: httpx.Client, shopper: dict[str, Any]) -> None:
    response = client.post("/conversions", json=conversion(shopper["click_id"], "pending"))
    assert response.status_code == 401
    assert response.json()["error"]["code"].startswith("SIGNATURE_")
