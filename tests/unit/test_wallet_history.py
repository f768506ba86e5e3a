"""The wallet history payouts follow lists changes in the order they were made, newest first,
even when several fall in the same second (`changed_at` is to the second)."""

from __future__ import annotations

import pytest

from cashback import agents, clock
from cashback.auth import Caller, PrincipalKind
from cashback.models import RegisterAgentRequest, UpdateAgentRequest

WALLETS = ["0x" + f"{n:02x}" * 20 for n in range(1, 8)]


def test_changes_within_one_second_keep_the_order_they_were_made(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now_iso", lambda: "2026-12-03T10:00:00Z")
    agent = agents.register(RegisterAgentRequest(agent_name="wallet-mover"))
    caller = Caller(kind=PrincipalKind.AGENT, principal_id=agent.agent_id)
    for wallet in WALLETS:
        agents.update_profile(agent.agent_id, caller, UpdateAgentRequest(wallet_address=wallet))

    history = agents.wallet_history(agent.agent_id, caller, limit=50, page_cursor=None)

    assert [c.wallet_address for c in history.changes] == WALLETS[::-1]
    assert [c.previous_wallet_address for c in history.changes] == [*WALLETS[::-1][1:], None]
