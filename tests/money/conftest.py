"""Helpers for conversion tests: signed deliveries and a served click to convert."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from cashback import shopping
from cashback.api.webhooks import sign
from cashback.auth import Caller
from cashback.models import SearchRequest
from tests.apigw import LambdaContext, api_event
from tests.conftest import load_function

SECRET = "test-webhook-secret-current"
PREVIOUS_SECRET = "test-webhook-secret-previous"
# The network the tests deliver as (it reports for Beta Mart, where the click is), and another one.
NETWORK = "acme"
OTHER_NETWORK = "globex"
OTHER_SECRET = "test-webhook-secret-of-globex"
NETWORKS = {
    NETWORK: {"current": SECRET, "previous": PREVIOUS_SECRET, "merchants": ["m_alpha", "m_beta"]},
    OTHER_NETWORK: {"current": OTHER_SECRET, "merchants": ["m_beta", "m_euro"]},
}
AGENT = "agt_SHOPPERshopperSHOPPER0"

conversions_fn = load_function("conversions")


@pytest.fixture
def webhook_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_NETWORKS", json.dumps(NETWORKS))
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("WEBHOOK_SECRET_PREVIOUS", raising=False)


@pytest.fixture
def click_id(small_catalog: object, webhook_secrets: None) -> str:
    """A click the agent was served for the Nike Pegasus at Beta Mart."""
    response = shopping.run_search(
        SearchRequest(keywords="pegasus"), Caller.of_agent(AGENT), "https://api.test", "req-1"
    )
    return response.results[0].affiliate_link.rsplit("/", 1)[1]


@pytest.fixture
def clicks(small_catalog: object, webhook_secrets: None) -> dict[str, str]:
    """Clicks the agent was served for the Sony WH-1000XM5, by merchant (m_euro sells it in EUR)."""
    response = shopping.run_search(
        SearchRequest(keywords="sony wh-1000xm5"), Caller.of_agent(AGENT), "https://api.test", "req-2"
    )
    return {r.merchant_id: r.affiliate_link.rsplit("/", 1)[1] for r in response.results}


def delivery(
    click: str,
    status: str = "pending",
    conversion_id: str = "net-1",
    commission: str = "4.55",
    order: str = "139.99",
    currency: str = "USD",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "conversion_id": conversion_id,
        "click_id": click,
        "status": status,
        "order_amount": order,
        "currency": currency,
        "commission_amount": commission,
        "occurred_at": "2026-11-20T10:00:00Z",
        **extra,
    }


def post(
    body: dict[str, Any] | bytes,
    secret: str | None = SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
    key_id: str | None = NETWORK,
) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {}
    if signature is not None:
        headers["X-Cashback-Signature"] = signature
    elif secret is not None:
        headers["X-Cashback-Signature"] = sign(secret, timestamp or int(time.time()), raw, key_id)
    event = api_event("POST", "/conversions", body=raw.decode(), headers=headers, source_ip="198.51.100.9")
    return conversions_fn.lambda_handler(event, LambdaContext())
