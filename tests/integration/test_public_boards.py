"""Over HTTP: the public leaderboard names agents that opted in, and only while they are in."""

from __future__ import annotations

import httpx

from localrun.stack import LocalApi
from tests.helpers import run_rollup
from tests.integration.conftest import bearer, register


def board_ids(client: httpx.Client, metric: str) -> list[str]:
    response = client.get("/analytics/leaderboard", params={"metric": metric, "period": "all"})
    assert response.status_code == 200, response.text
    return [row["agent_id"] for row in response.json()["agents"]]


def test_the_reputation_board_names_public_agents_only_and_forgets_one_that_opts_out(
    client: httpx.Client, local_api: LocalApi
) -> None:
    public, private = register(client, "board public", public=True), register(client, "board private")
    for n in range(3):
        author = bearer(register(client, f"board author {n}")["token"])
        for subject in (public, private):
            given = client.post(f"/agents/{subject['agent_id']}/feedback", json={"score": 100}, headers=author)
            assert given.status_code == 201, given.text
    run_rollup(local_api)

    shown = board_ids(client, "reputation")
    assert public["agent_id"] in shown
    assert private["agent_id"] not in shown
    assert client.get(f"/agents/{private['agent_id']}/reputation").status_code == 404

    opted_out = client.patch(f"/agents/{public['agent_id']}", json={"public": False}, headers=bearer(public["token"]))
    assert opted_out.status_code == 200, opted_out.text
    assert public["agent_id"] not in board_ids(client, "reputation")  # before any rollup
