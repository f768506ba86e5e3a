"""The directory, feedback and reputation over real HTTP, through the local API's authorizer and routes.

Three agents and an admin key give feedback about a public agent; the scheduled rollup scores it;
the ERC-8004 export's hashes are recomputed from the feedback files fetched at their URIs.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sha3  # safe-pysha3, independent of the layer's keccak

from localrun.stack import LocalApi
from tests.helpers import make_admin_key, run_rollup
from tests.integration.conftest import bearer, error_code, register

IDENTITY = {"chain_id": 84532, "identity_registry": "0x8004A818BFB912233c491871b3d84c89A494BD9e", "agent_token_id": 7}
FEEDBACK = [  # (author, body); the second author later replaces its feedback
    ("first", {"score": 90, "tags": ["successRate", "starred"], "comment": "Très bon — 5★"}),
    ("second", {"score": 40, "tags": ["responseTime"]}),
    ("third", {"score": 75, "endpoint": "https://subject.example/api", "feedback_uri": "ipfs://bafyfeedback1"}),
]


@pytest.fixture(scope="module")
def network(local_api: LocalApi) -> dict[str, Any]:
    with httpx.Client(base_url=local_api.base_url, timeout=60) as client:
        subject = client.post(
            "/agents",
            json={
                "agent_name": "Reputable Scout",
                "public": True,
                "description": "Outdoor gear with the best cashback",
                "mcp_endpoint_url": "https://subject.example/mcp",
                "erc8004": IDENTITY,
                "wallet_address": "0x52908400098527886E0F7030069857D2E4169EE7",
            },
        ).json()
        private = register(client, "Reputable Private")
        authors = {name: register(client, f"author {name}") for name, _ in FEEDBACK}
        for name, body in FEEDBACK:
            given = client.post(
                f"/agents/{subject['agent_id']}/feedback", json=body, headers=bearer(authors[name]["token"])
            )
            assert given.status_code == 201, given.text
        replaced = client.post(
            f"/agents/{subject['agent_id']}/feedback", json={"score": 60}, headers=bearer(authors["second"]["token"])
        )
        assert replaced.status_code == 200, replaced.text
        admin = make_admin_key(local_api, "feedback:write")
        by_admin = client.post(f"/agents/{subject['agent_id']}/feedback", json={"score": 100}, headers=bearer(admin))
        assert by_admin.status_code == 201, by_admin.text
        revoked = client.delete(f"/agents/{subject['agent_id']}/feedback", headers=bearer(admin))
        assert revoked.status_code == 200, revoked.text
    run_rollup(local_api)
    return {"subject": subject, "private": private, "authors": authors}


def test_the_score_is_the_mean_of_the_live_feedback_once_the_rollup_ran(client: httpx.Client, network: dict) -> None:
    response = client.get(f"/agents/{network['subject']['agent_id']}/reputation")

    assert response.status_code == 200, response.text
    body = response.json()
    assert Decimal(body["score"]) == Decimal("75.00")  # (90 + 60 + 75) / 3; no conversions yet
    assert body["inputs"]["feedback_count"] == 3 and body["computed_at"]
    assert [f["score"] for f in body["feedback"]] == [60, 75, 90]  # newest first: the replacement last given
    assert {t["tag"]: t["count"] for t in body["tags"]} == {"successRate": 1, "starred": 1}


def test_the_directory_lists_the_public_agent_with_its_score_and_never_the_private_one(
    client: httpx.Client, network: dict
) -> None:
    response = client.get("/agents", params={"query": "reputable", "min_reputation": "70"})

    assert response.status_code == 200, response.text
    assert [(e["agent_id"], e["reputation_score"]) for e in response.json()["agents"]] == [
        (network["subject"]["agent_id"], "75.00")
    ]
    everything = client.get("/agents", params={"query": "reputable", "sort": "newest", "limit": "50"}).text
    assert network["private"]["agent_id"] not in everything
    for secret in (
        network["subject"]["token"],
        network["private"]["token"],
        "0x52908400098527886E0F7030069857D2E4169EE7",
    ):
        assert secret not in everything


def test_the_private_agents_reputation_is_not_published(client: httpx.Client, network: dict) -> None:
    response = client.get(f"/agents/{network['private']['agent_id']}/reputation")

    assert response.status_code == 404 and error_code(response) == "AGENT_NOT_FOUND"


def test_the_reputation_leaderboard_ranks_the_scored_agent(client: httpx.Client, network: dict) -> None:
    response = client.get("/analytics/leaderboard", params={"metric": "reputation", "period": "all"})

    assert response.status_code == 200, response.text
    rows = {row["agent_id"]: row for row in response.json()["agents"]}
    assert rows[network["subject"]["agent_id"]]["reputation"] == "75.00"


def test_self_feedback_over_http_is_403(client: httpx.Client, network: dict) -> None:
    subject = network["subject"]

    response = client.post(
        f"/agents/{subject['agent_id']}/feedback", json={"score": 100}, headers=bearer(subject["token"])
    )

    assert response.status_code == 403 and error_code(response) == "SELF_FEEDBACK"


def test_each_exported_hash_is_keccak_256_of_the_file_served_at_its_uri(client: httpx.Client, network: dict) -> None:
    subject = network["subject"]
    export = client.get(f"/agents/{subject['agent_id']}/reputation/erc8004").json()

    assert export["agentRegistry"] == f"eip155:84532:{IDENTITY['identity_registry']}" and export["agentId"] == 7
    assert len(export["feedback"]) == 3
    for entry in export["feedback"]:
        served = client.get(entry["feedbackURI"])
        assert served.status_code == 200, (entry["feedbackURI"], served.text)
        assert served.headers["Content-Type"].startswith("application/json")
        assert entry["feedbackHash"] == "0x" + sha3.keccak_256(served.content).hexdigest()
        document = json.loads(served.content)
        independent = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert served.content == independent  # canonical: sorted keys, no spaces, raw UTF-8
        assert (document["value"], document["agentId"], document["tag1"]) == (entry["value"], 7, entry["tag1"])
        assert document["endpoint"] == entry["endpoint"]
    endpoints = {e["author_id"]: e["endpoint"] for e in export["feedback"]}
    assert endpoints[network["authors"]["third"]["agent_id"]] == "https://subject.example/api"
    assert endpoints[network["authors"]["first"]["agent_id"]] == "https://subject.example/mcp"


def test_the_subject_replies_over_http(client: httpx.Client, network: dict) -> None:
    subject, author = network["subject"], network["authors"]["second"]

    replied = client.post(
        f"/agents/{subject['agent_id']}/feedback/{author['agent_id']}/response",
        json={"text": "Latency fixed; thanks."},
        headers=bearer(subject["token"]),
    )

    assert replied.status_code == 201, replied.text
    assert [r["text"] for r in replied.json()["responses"]] == ["Latency fixed; thanks."]


def test_concurrent_changes_by_one_author_leave_totals_equal_to_the_live_feedback(
    local_api: LocalApi, client: httpx.Client
) -> None:
    subject = client.post("/agents", json={"agent_name": "Contended", "public": True}).json()
    author = register(client, "contender")
    url = f"/agents/{subject['agent_id']}/feedback"

    def change(n: int) -> int:
        with httpx.Client(base_url=local_api.base_url, timeout=60, headers=bearer(author["token"])) as one:
            if n % 3 == 2:
                return one.delete(url).status_code
            return one.post(url, json={"score": n, "tags": ["starred"] if n % 2 else []}).status_code

    # run_rollup's clock runs 5 s ahead, so an earlier run may have set the watermark up to 5 s
    # into the future; events written before it would be left to no run.
    time.sleep(6)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(change, range(24)))
    run_rollup(local_api)

    assert set(statuses) <= {200, 201, 404, 409}, statuses
    body = client.get(f"/agents/{subject['agent_id']}/reputation").json()
    live = body["feedback"]
    assert len(live) <= 1
    assert body["inputs"]["feedback_count"] == len(live)
    expected_average = f"{live[0]['score']}.00" if live else None
    assert body["inputs"]["feedback_average"] == expected_average
    starred = sum(1 for f in live if "starred" in f["tags"])
    assert {t["tag"]: t["count"] for t in body["tags"]} == ({"starred": 1} if starred else {})
