"""Operators over real HTTP: plans, suspension, deletion, admin keys and the wallet's audit trail.

Each change is visible on the very next request, although API Gateway (and the local gateway)
caches the authorizer's decision per token: every test first makes a request that caches it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import httpx
import pytest

from cashback.api.webhooks import sign
from localrun.stack import DEFAULT_WEBHOOK_KEY_ID, DEFAULT_WEBHOOK_SECRET, LocalApi
from tests.helpers import make_admin_key, run_rollup
from tests.integration.conftest import bearer, error_code, put_small_catalog, register

EVM_WALLET = "0x" + "ab" * 20
SOLANA_WALLET = "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"


@pytest.fixture(scope="module")
def operator(local_api: LocalApi) -> dict[str, str]:
    return bearer(make_admin_key(local_api, "agents:write,agents:read,analytics:read,catalog:write"))


def profile(client: httpx.Client, agent: dict[str, Any]) -> httpx.Response:
    return client.get(f"/agents/{agent['agent_id']}", headers=bearer(agent["token"]))


def minute_limit(response: httpx.Response) -> int:
    policy = dict(part.split(";")[0:2] for part in response.headers["RateLimit-Policy"].split(", "))
    return int(policy['"minute"'].removeprefix("q="))


# ---------------------------------------------------------------- plans


def test_a_plan_change_applies_to_the_agents_next_request(client: httpx.Client, operator: dict[str, str]) -> None:
    agent = register(client, "upgraded")
    before = profile(client, agent)  # the authorizer's decision (plan standard) is now cached
    assert minute_limit(before) == 100

    changed = client.put(f"/agents/{agent['agent_id']}/plan", json={"plan": "premium"}, headers=operator)
    assert changed.status_code == 200, changed.text
    assert changed.json()["plan"] == "premium"

    after = profile(client, agent)
    assert after.status_code == 200
    assert after.json()["plan"] == "premium"
    assert minute_limit(after) == 1_000


def test_a_plan_change_needs_agents_write(client: httpx.Client, local_api: LocalApi) -> None:
    agent = register(client, "self-upgrader")
    reader = bearer(make_admin_key(local_api, "agents:read"))
    for headers in (reader, bearer(agent["token"])):
        response = client.put(f"/agents/{agent['agent_id']}/plan", json={"plan": "premium"}, headers=headers)
        assert response.status_code == 403
        assert error_code(response) == "FORBIDDEN"
    assert profile(client, agent).json()["plan"] == "standard"


def test_an_unknown_plan_is_400(client: httpx.Client, operator: dict[str, str]) -> None:
    agent = register(client, "gold-plated")
    response = client.put(f"/agents/{agent['agent_id']}/plan", json={"plan": "gold"}, headers=operator)
    assert response.status_code == 400
    assert error_code(response) == "INVALID_VALUE"


# ---------------------------------------------------------------- suspension


@pytest.fixture(scope="module")
def catalog(local_api: LocalApi) -> None:
    admin = bearer(make_admin_key(local_api, "catalog:write"))
    with httpx.Client(base_url=local_api.base_url, timeout=30) as client:
        put_small_catalog(client, admin)


def affiliate_path(client: httpx.Client, agent: dict[str, Any]) -> str:
    search = client.post("/search", json={"keywords": "pegasus"}, headers=bearer(agent["token"]))
    assert search.status_code == 200, search.text
    link: str = search.json()["results"][0]["affiliate_link"]
    return link.removeprefix(str(client.base_url).rstrip("/"))


def deliver_confirmed(client: httpx.Client, click_id: str, conversion_id: str) -> httpx.Response:
    body = {
        "conversion_id": conversion_id,
        "click_id": click_id,
        "status": "confirmed",
        "order_amount": "139.99",
        "currency": "USD",
        "commission_amount": "4.55",
        "occurred_at": "2026-11-24T10:00:00Z",
    }
    raw = json.dumps(body).encode()
    signature = sign(DEFAULT_WEBHOOK_SECRET, int(time.time()), raw, DEFAULT_WEBHOOK_KEY_ID)
    headers = {"X-Cashback-Signature": signature, "Content-Type": "application/json"}
    return client.post("/conversions", content=raw, headers=headers)


def test_a_suspended_agents_token_is_refused_at_once_with_agent_suspended(
    client: httpx.Client, operator: dict[str, str]
) -> None:
    agent = register(client, "suspended")
    assert profile(client, agent).status_code == 200  # decision cached

    suspended = client.post(f"/agents/{agent['agent_id']}/suspend", headers=operator)
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["standing"] == "suspended"

    refused = profile(client, agent)
    assert refused.status_code == 403
    assert error_code(refused) == "AGENT_SUSPENDED"
    assert refused.json()["error"]["request_id"] == refused.headers["X-Request-Id"]
    search = client.post("/search", json={"keywords": "shoes"}, headers=bearer(agent["token"]))
    assert error_code(search) == "AGENT_SUSPENDED"


def test_a_suspended_agents_links_redirect_and_its_conversions_count(
    client: httpx.Client, operator: dict[str, str], catalog: None
) -> None:
    agent = register(client, "suspended-earner")
    path = affiliate_path(client, agent)
    assert client.post(f"/agents/{agent['agent_id']}/suspend", headers=operator).status_code == 200

    redirect = client.get(path)
    assert redirect.status_code == 302
    delivered = deliver_confirmed(client, path.rsplit("/", 1)[1], f"net-suspended-{agent['agent_id']}")
    assert delivered.status_code == 200, delivered.text

    stats = client.get(f"/agents/{agent['agent_id']}/stats", headers=operator)
    assert stats.status_code == 200, stats.text
    assert stats.json()["conversions"]["confirmed"] == 1
    assert stats.json()["revenue"] == {"USD": "4.55"}


def test_a_reinstated_agent_is_served_again_at_once(client: httpx.Client, operator: dict[str, str]) -> None:
    agent = register(client, "reinstated")
    assert client.post(f"/agents/{agent['agent_id']}/suspend", headers=operator).status_code == 200
    assert profile(client, agent).status_code == 403  # the suspended decision is cached now

    reinstated = client.post(f"/agents/{agent['agent_id']}/reinstate", headers=operator)
    assert reinstated.status_code == 200
    assert reinstated.json()["standing"] == "active"
    assert profile(client, agent).status_code == 200


# ---------------------------------------------------------------- deletion


def test_deleting_an_agent_erases_its_profile_token_directory_entry_and_wallet_history(
    client: httpx.Client, operator: dict[str, str]
) -> None:
    response = client.post("/agents", json={"agent_name": "forget-me", "public": True, "wallet_address": EVM_WALLET})
    agent = response.json()
    changed = client.patch(
        f"/agents/{agent['agent_id']}", json={"wallet_address": SOLANA_WALLET}, headers=bearer(agent["token"])
    )
    assert changed.status_code == 200, changed.text
    assert profile(client, agent).status_code == 200  # decision cached

    deleted = client.delete(f"/agents/{agent['agent_id']}", headers=operator)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["agent_id"] == agent["agent_id"]
    assert deleted.json()["standing"] == "deleted"

    old_token = profile(client, agent)
    assert old_token.status_code == 401
    assert error_code(old_token) == "UNAUTHORIZED"
    for path in (f"/agents/{agent['agent_id']}", f"/agents/{agent['agent_id']}/wallet-history"):
        read = client.get(path, headers=operator)
        assert read.status_code == 404, path
        assert error_code(read) == "AGENT_NOT_FOUND"
    directory = client.get("/agents", params={"q": "forget-me"})
    assert directory.status_code == 200
    assert "forget-me" not in directory.text and EVM_WALLET not in directory.text


def test_a_deleted_agents_money_records_stay_under_its_tombstone_id(
    client: httpx.Client, operator: dict[str, str], catalog: None
) -> None:
    agent = register(client, "earned-then-left")
    path = affiliate_path(client, agent)
    assert deliver_confirmed(client, path.rsplit("/", 1)[1], f"net-deleted-{agent['agent_id']}").status_code == 200

    assert client.delete(f"/agents/{agent['agent_id']}", headers=operator).status_code == 200
    again = client.delete(f"/agents/{agent['agent_id']}", headers=operator)
    assert again.status_code == 200  # idempotent: the same tombstone

    stats = client.get(f"/agents/{agent['agent_id']}/stats", headers=operator)
    assert stats.status_code == 200
    assert stats.json()["conversions"]["confirmed"] == 1
    assert client.get(path).status_code == 302  # links already handed to shoppers still redirect


def test_deleting_an_unknown_agent_is_404(client: httpx.Client, operator: dict[str, str]) -> None:
    response = client.delete("/agents/agt_NOSUCHagentNOSUCHagent", headers=operator)
    assert response.status_code == 404
    assert error_code(response) == "AGENT_NOT_FOUND"


# ---------------------------------------------------------------- admin keys


def test_admin_keys_are_listed_without_their_secret(client: httpx.Client, local_api: LocalApi) -> None:
    listed_key = make_admin_key(local_api, "catalog:read")
    assert client.get("/catalog/products/no-such-product", headers=bearer(listed_key)).status_code == 404  # a use
    auditor = make_admin_key(local_api, "keys:read")

    page = client.get("/admin/keys", params={"limit": 100}, headers=bearer(auditor))
    assert page.status_code == 200, page.text
    assert listed_key not in page.text and auditor not in page.text and "key_hash" not in page.text
    by_scopes = {tuple(k["scopes"]): k for k in page.json()["keys"]}
    listed = by_scopes[("catalog:read",)]
    assert listed["name"] == "test" and listed["created_at"] and listed["last_used_at"]
    assert listed["revoked_at"] is None


def test_a_revoked_admin_key_is_refused_at_once(client: httpx.Client, local_api: LocalApi) -> None:
    doomed = make_admin_key(local_api, "agents:read,keys:read")
    keeper = bearer(make_admin_key(local_api, "keys:write"))
    assert client.get("/admin/keys", headers=bearer(doomed)).status_code == 200  # decision cached
    key_id = next(k["key_id"] for k in _all_keys(client, keeper) if k["scopes"] == ["agents:read", "keys:read"])

    revoked = client.delete(f"/admin/keys/{key_id}", headers=keeper)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"]

    refused = client.get("/admin/keys", headers=bearer(doomed))
    assert refused.status_code == 401
    assert error_code(refused) == "UNAUTHORIZED"
    assert client.delete(f"/admin/keys/{key_id}", headers=keeper).json() == revoked.json()  # idempotent


def test_revoking_keys_needs_keys_write_and_an_existing_key(client: httpx.Client, local_api: LocalApi) -> None:
    reader = bearer(make_admin_key(local_api, "keys:read"))
    forbidden = client.delete("/admin/keys/adm_NOSUCHkey000", headers=reader)
    assert forbidden.status_code == 403
    writer = bearer(make_admin_key(local_api, "keys:write"))
    missing = client.delete("/admin/keys/adm_NOSUCHkey000", headers=writer)
    assert missing.status_code == 404
    assert error_code(missing) == "ADMIN_KEY_NOT_FOUND"


def _all_keys(client: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = client.get(
            "/admin/keys", params={"limit": 100, **({"cursor": cursor} if cursor else {})}, headers=headers
        )
        assert page.status_code == 200, page.text
        keys += page.json()["keys"]
        cursor = page.json()["cursor"]
        if cursor is None:
            return keys


# ---------------------------------------------------------------- the wallet


def test_a_wallet_change_is_validated_as_at_registration_and_kept_in_the_history(client: httpx.Client) -> None:
    agent = register(client, "wallet-mover")
    url, headers = f"/agents/{agent['agent_id']}", bearer(agent["token"])

    first = client.patch(url, json={"wallet_address": EVM_WALLET, "crypto_preference": "ETH"}, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["wallet_address"] == EVM_WALLET
    second = client.patch(url, json={"wallet_address": SOLANA_WALLET, "crypto_preference": "USDC"}, headers=headers)
    assert second.status_code == 200, second.text

    history = client.get(f"{url}/wallet-history", headers=headers)
    assert history.status_code == 200, history.text
    changes = history.json()["changes"]
    assert [c["wallet_address"] for c in changes] == [SOLANA_WALLET, EVM_WALLET]
    assert changes[0]["previous_wallet_address"] == EVM_WALLET
    assert changes[0]["previous_crypto_preference"] == "ETH"
    assert changes[1].get("previous_wallet_address") is None


def test_a_wallet_that_does_not_fit_the_currency_is_400_and_changes_nothing(client: httpx.Client) -> None:
    agent = register(client, "wallet-typo")
    url, headers = f"/agents/{agent['agent_id']}", bearer(agent["token"])
    assert client.patch(url, json={"wallet_address": SOLANA_WALLET, "crypto_preference": "SOL"}, headers=headers)

    not_an_address = client.patch(url, json={"wallet_address": "0x1234"}, headers=headers)
    assert not_an_address.status_code == 400
    assert error_code(not_an_address) == "INVALID_VALUE"
    wrong_chain = client.patch(url, json={"wallet_address": EVM_WALLET}, headers=headers)  # SOL kept: needs Solana
    assert wrong_chain.status_code == 400
    assert error_code(wrong_chain) == "INVALID_VALUE"

    history = client.get(f"{url}/wallet-history", headers=headers).json()["changes"]
    assert [c["wallet_address"] for c in history] == [SOLANA_WALLET]


def test_another_agent_cannot_read_the_wallet_history(client: httpx.Client) -> None:
    owner, other = register(client, "wallet-owner"), register(client, "wallet-snoop")
    response = client.get(f"/agents/{owner['agent_id']}/wallet-history", headers=bearer(other["token"]))
    assert response.status_code == 403
    assert error_code(response) == "FORBIDDEN"


# ---------------------------------------------------------------- the network's agent count


def live_agents_in_the_table(local_api: LocalApi) -> int:
    """Brute force: the agent profiles stored, less the deleted agents' tombstones."""
    dynamodb = boto3.client("dynamodb", endpoint_url=local_api.dynamodb_endpoint, region_name="us-east-1")
    pages = dynamodb.get_paginator("scan").paginate(
        TableName="AgentsTable",
        FilterExpression="sk = :profile AND (attribute_not_exists(standing) OR standing <> :deleted)",
        ExpressionAttributeValues={":profile": {"S": "PROFILE"}, ":deleted": {"S": "deleted"}},
        Select="COUNT",
    )
    return sum(page["Count"] for page in pages)


def test_the_networks_agent_count_follows_registrations_and_deletions(
    client: httpx.Client, operator: dict[str, str], local_api: LocalApi
) -> None:
    run_rollup(local_api)
    before = client.get("/analytics/trending").json()["network"]["agents"]
    live_before = live_agents_in_the_table(local_api)
    kept, gone = register(client, "counted-kept"), register(client, "counted-gone")
    assert client.delete(f"/agents/{gone['agent_id']}", headers=operator).status_code == 200

    run_rollup(local_api)

    after = client.get("/analytics/trending").json()["network"]["agents"]
    # Two registrations and one deletion: one more agent, as a scan of the table also finds.
    assert after - before == live_agents_in_the_table(local_api) - live_before == 1
    assert kept["agent_id"] != gone["agent_id"]
