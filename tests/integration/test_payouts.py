"""Payouts over real HTTP: the month's report (JSON and CSV) matches each agent's stats to the cent,
and a closed month is marked paid once."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cashback.api.webhooks import sign
from localrun.stack import DEFAULT_WEBHOOK_KEY_ID, DEFAULT_WEBHOOK_SECRET, LocalApi
from tests.helpers import make_admin_key
from tests.integration.conftest import bearer, error_code, put_small_catalog, register

WALLETS = ("0x" + "c3" * 20, "0x" + "d4" * 20)


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def last_month() -> str:
    today = datetime.now(UTC)
    return f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"


@pytest.fixture(scope="module")
def admin(local_api: LocalApi) -> dict[str, str]:
    return bearer(make_admin_key(local_api, "catalog:write,analytics:read,payouts:write"))


@pytest.fixture(scope="module")
def payees(local_api: LocalApi, admin: dict[str, str]) -> list[dict[str, Any]]:
    """Two agents with wallets and conversions: pending, confirmed, partial and full refunds, USD and EUR."""
    run = uuid.uuid4().hex[:8]
    with httpx.Client(base_url=local_api.base_url, timeout=30) as client:
        put_small_catalog(client, admin)
        found = []
        for name, wallet in zip(("payee-a", "payee-b"), WALLETS, strict=True):
            agent = register(client, name)
            changed = client.patch(
                f"/agents/{agent['agent_id']}",
                json={"wallet_address": wallet, "crypto_preference": "USDC"},
                headers=bearer(agent["token"]),
            )
            assert changed.status_code == 200, changed.text
            search = client.post("/search", json={"keywords": "sony wh-1000xm5"}, headers=bearer(agent["token"]))
            assert search.status_code == 200, search.text
            links = {r["merchant_id"]: r["affiliate_link"].rsplit("/", 1)[1] for r in search.json()["results"]}
            found.append({**agent, "clicks": links})
        a, b = found[0]["clicks"], found[1]["clicks"]
        for click, conversion_id, status, commission, extra in [
            (a["m_beta"], "usd-1", "pending", "4.00", {}),
            (a["m_beta"], "usd-1", "confirmed", "4.00", {}),
            (a["m_euro"], "eur-1", "confirmed", "9.00", {}),
            (a["m_euro"], "eur-1", "refunded", "9.00", {"refunded_commission": "3.00"}),
            (b["m_beta"], "usd-2", "confirmed", "10.00", {}),
            (b["m_beta"], "usd-3", "confirmed", "2.50", {}),
            (b["m_beta"], "usd-3", "refunded", "2.50", {}),
            (b["m_euro"], "eur-4", "pending", "1.50", {}),
        ]:
            body = {
                "conversion_id": f"{run}-{conversion_id}",
                "click_id": click,
                "status": status,
                "order_amount": "200.00",
                "currency": "EUR" if conversion_id.startswith("eur") else "USD",
                "commission_amount": commission,
                "occurred_at": "2026-11-24T10:00:00Z",
                **extra,
            }
            raw = json.dumps(body).encode()
            signature = sign(DEFAULT_WEBHOOK_SECRET, int(time.time()), raw, DEFAULT_WEBHOOK_KEY_ID)
            headers = {"X-Cashback-Signature": signature, "Content-Type": "application/json"}
            delivered = client.post("/conversions", content=raw, headers=headers)
            assert delivered.status_code == 200, delivered.text
    return found


def report_pages(client: httpx.Client, admin: dict[str, str], period: str) -> list[dict[str, Any]]:
    pages, params = [], {"limit": "2"}
    while True:
        response = client.get(f"/admin/payouts/{period}", params=params, headers=admin)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        if not pages[-1]["next_cursor"]:
            return pages
        params["cursor"] = pages[-1]["next_cursor"]


def test_the_months_report_matches_each_agents_stats_to_the_cent(
    client: httpx.Client, admin: dict[str, str], payees: list[dict[str, Any]]
) -> None:
    rows = {a["agent_id"]: a for page in report_pages(client, admin, this_month()) for a in page["agents"]}

    for payee in payees:
        stats = client.get(f"/agents/{payee['agent_id']}/stats", headers=bearer(payee["token"])).json()
        assert rows[payee["agent_id"]]["commission"] == stats["revenue"]
        assert (rows[payee["agent_id"]]["wallet_address"], rows[payee["agent_id"]]["crypto_preference"]) == (
            WALLETS[payees.index(payee)],
            "USDC",
        )
    assert rows[payees[0]["agent_id"]]["commission"] == {"EUR": "6.00", "USD": "4.00"}
    assert rows[payees[1]["agent_id"]]["commission"] == {"USD": "10.00"}  # usd-3 refunded, eur-4 pending
    lines = sorted((c["conversion_id"][9:], c["amount"]) for c in rows[payees[1]["agent_id"]]["conversions"])
    assert lines == [("usd-2", "10.00"), ("usd-3", "0.00")]


def test_the_csv_report_has_a_row_per_agent_and_currency(
    client: httpx.Client, admin: dict[str, str], payees: list[dict[str, Any]]
) -> None:
    response = client.get(
        f"/admin/payouts/{this_month()}", params={"limit": "100"}, headers={**admin, "Accept": "text/csv"}
    )

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = [r for r in csv.DictReader(io.StringIO(response.text)) if r["agent_id"] in {p["agent_id"] for p in payees}]
    assert sorted((r["wallet_address"], r["currency"], r["commission"]) for r in rows) == [
        (WALLETS[0], "EUR", "6.00"),
        (WALLETS[0], "USD", "4.00"),
        (WALLETS[1], "USD", "10.00"),
    ]


def test_a_closed_month_is_marked_paid_once_and_the_open_month_is_refused(
    client: httpx.Client, admin: dict[str, str], payees: list[dict[str, Any]]
) -> None:
    first = client.put(f"/admin/payouts/{last_month()}/paid", headers=admin)
    again = client.put(f"/admin/payouts/{last_month()}/paid", headers=admin)
    open_month = client.put(f"/admin/payouts/{this_month()}/paid", headers=admin)

    assert (first.status_code, again.status_code) == (200, 200), first.text
    assert again.json() == first.json()
    assert client.get(f"/admin/payouts/{last_month()}", headers=admin).json()["paid"] == first.json()
    assert (open_month.status_code, error_code(open_month)) == (409, "PERIOD_OPEN")


def test_payouts_need_an_admin_key_with_the_scope(
    local_api: LocalApi, client: httpx.Client, payees: list[dict[str, Any]]
) -> None:
    agent = bearer(payees[0]["token"])
    reader = bearer(make_admin_key(local_api, "analytics:read"))

    assert client.get(f"/admin/payouts/{this_month()}", headers=agent).status_code == 403
    assert client.put(f"/admin/payouts/{last_month()}/paid", headers=reader).status_code == 403
    assert client.get(f"/admin/payouts/{this_month()}?format=csv", headers=reader).status_code == 200
    bad = client.get("/admin/payouts/2026-13", headers=reader)
    assert (bad.status_code, error_code(bad)) == (400, "INVALID_PERIOD")
