"""Agents told, not polling, over real HTTP: a network's conversion reaches the agent's webhook signed;
a receiver that is down ends in the dead letters and replays; a private target is refused.

The receiver is a real HTTP server on 127.0.0.1 (allowed with plain http by the test configuration,
tests/local_api.py); deliveries run as the scheduled function runs (tests/helpers.run_deliveries).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from cashback import signing
from cashback.api.webhooks import sign
from localrun.stack import DEFAULT_WEBHOOK_KEY_ID, DEFAULT_WEBHOOK_SECRET, LocalApi
from tests.helpers import free_port, make_admin_key, run_deliveries
from tests.integration.conftest import bearer, error_code, put_small_catalog, register


class Receiver:
    """An agent's webhook endpoint: records every POST (headers, raw body) and answers 204."""

    def __init__(self, port: int) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def deliveries(self, secret: str) -> list[dict[str, Any]]:
        """Each body received, after checking its signature as an agent would (fails the test if it is wrong)."""
        found = []
        for headers, body in self.received:
            assert signing.verify(headers.get("X-Cashback-Signature"), body, [secret], int(time.time()))
            found.append(json.loads(body))
        return found


@pytest.fixture(scope="module")
def catalog(local_api: LocalApi) -> None:
    admin = bearer(make_admin_key(local_api, "catalog:write"))
    with httpx.Client(base_url=local_api.base_url, timeout=30) as client:
        put_small_catalog(client, admin)


def shopper(client: httpx.Client, name: str) -> dict[str, Any]:
    """A new agent and the click id of one affiliate link it was served."""
    agent = register(client, name)
    search = client.post("/search", json={"keywords": "pegasus"}, headers=bearer(agent["token"]))
    assert search.status_code == 200, search.text
    link = search.json()["results"][0]["affiliate_link"]
    return {**agent, "click_id": link.rsplit("/", 1)[1]}


def network_delivers(client: httpx.Client, click_id: str, conversion_id: str, status: str) -> None:
    body = {
        "conversion_id": conversion_id,
        "click_id": click_id,
        "status": status,
        "order_amount": "139.99",
        "currency": "USD",
        "commission_amount": "4.55",
        "occurred_at": "2026-11-24T10:00:00Z",
    }
    raw = json.dumps(body).encode()
    headers = {"X-Cashback-Signature": sign(DEFAULT_WEBHOOK_SECRET, int(time.time()), raw, DEFAULT_WEBHOOK_KEY_ID)}
    response = client.post("/conversions", content=raw, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def register_webhook(client: httpx.Client, agent: dict[str, Any], url: str) -> str:
    response = client.put(f"/agents/{agent['agent_id']}/webhook", json={"url": url}, headers=bearer(agent["token"]))
    assert response.status_code == 201, response.text
    secret: str = response.json()["secret"]
    return secret


@pytest.fixture
def receiver_port() -> Iterator[int]:
    yield free_port()


def test_a_conversion_from_a_network_reaches_the_agents_webhook_signed(
    client: httpx.Client, local_api: LocalApi, catalog: None, receiver_port: int
) -> None:
    agent = shopper(client, "told-agent")
    with Receiver(receiver_port) as receiver:
        secret = register_webhook(client, agent, f"http://127.0.0.1:{receiver_port}/hooks/cashback")
        network_delivers(client, agent["click_id"], "net-told-1", "pending")
        assert receiver.received == []  # the network's request only wrote the event: delivery comes after

        report = run_deliveries(local_api)

        assert report["delivered"] >= 1, report
        (delivery,) = receiver.deliveries(secret)
    assert delivery["type"] == "conversion.pending"
    assert delivery["agent_id"] == agent["agent_id"]
    assert delivery["data"]["conversion_id"] == "net-told-1"
    assert delivery["data"]["commission_amount"] == "4.55"
    headers = receiver.received[0][0]
    assert headers["X-Cashback-Event"] == "conversion.pending"
    assert headers["X-Cashback-Delivery"] == delivery["id"]


def test_feedback_about_the_agent_reaches_its_webhook(
    client: httpx.Client, local_api: LocalApi, receiver_port: int
) -> None:
    subject, author = register(client, "feedback-subject"), register(client, "feedback-author")
    with Receiver(receiver_port) as receiver:
        secret = register_webhook(client, subject, f"http://127.0.0.1:{receiver_port}/hook")
        given = client.post(
            f"/agents/{subject['agent_id']}/feedback", json={"score": 90}, headers=bearer(author["token"])
        )
        assert given.status_code == 201, given.text

        run_deliveries(local_api)

        (delivery,) = receiver.deliveries(secret)
    assert delivery["type"] == "feedback.received"
    assert delivery["data"] == {"subject_id": subject["agent_id"], "author_id": author["agent_id"]}


def test_a_receiver_that_is_down_ends_in_the_dead_letters_and_replays(
    client: httpx.Client, local_api: LocalApi, catalog: None, receiver_port: int
) -> None:
    agent = shopper(client, "down-agent")
    auth = bearer(agent["token"])
    secret = register_webhook(client, agent, f"http://127.0.0.1:{receiver_port}/hook")  # nothing listens yet
    network_delivers(client, agent["click_id"], "net-down-1", "pending")

    assert run_deliveries(local_api)["retried_later"] >= 1  # the first attempt failed: queued for a retry
    assert run_deliveries(local_api)["dead_lettered"] >= 1  # the retry failed too: dead-lettered

    failures = client.get(f"/agents/{agent['agent_id']}/webhook/failures", headers=auth)
    assert failures.status_code == 200, failures.text
    (failed,) = failures.json()["failed"]
    assert (failed["event_type"], failed["attempts"]) == ("conversion.pending", 2)
    assert json.loads(failed["body"])["data"]["conversion_id"] == "net-down-1"

    with Receiver(receiver_port) as receiver:
        replay = client.post(f"/agents/{agent['agent_id']}/webhook/failures/replay", headers=auth)
        assert replay.status_code == 200, replay.text
        assert replay.json() == {"requeued": 1, "remaining": False}

        assert run_deliveries(local_api)["delivered"] >= 1
        (delivery,) = receiver.deliveries(secret)

    assert delivery["id"] == failed["delivery_id"]
    assert delivery["data"]["conversion_id"] == "net-down-1"
    after = client.get(f"/agents/{agent['agent_id']}/webhook/failures", headers=auth)
    assert after.json()["failed"] == []


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.7/hook",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local: the instance metadata service
        "https://localhost/hook",  # loopback by name (only the literal 127.0.0.1 is allowed in tests)
        "https://[::1]/hook",  # loopback, IPv6
        "https://[::ffff:192.168.1.1]/hook",  # private, as an IPv4-mapped IPv6 address
    ],
)
def test_a_private_target_is_refused(client: httpx.Client, url: str) -> None:
    agent = register(client, "ssrf-agent")

    response = client.put(f"/agents/{agent['agent_id']}/webhook", json={"url": url}, headers=bearer(agent["token"]))

    assert response.status_code == 422, response.text
    assert error_code(response) == "WEBHOOK_TARGET_FORBIDDEN"


def test_another_agents_token_cannot_read_or_move_a_webhook(client: httpx.Client) -> None:
    owner, other = register(client, "hook-owner"), register(client, "hook-other")
    path = f"/agents/{owner['agent_id']}/webhook"

    moved = client.put(path, json={"url": "http://127.0.0.1:9/x"}, headers=bearer(other["token"]))
    read = client.get(path, headers=bearer(other["token"]))

    assert (moved.status_code, error_code(moved)) == (403, "FORBIDDEN")
    assert (read.status_code, error_code(read)) == (403, "FORBIDDEN")
