"""The operators' operations in the Python client (sync and async) and the `cashback` command."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cashback_client import CashbackClient
from cashback_client.cli import main
from cashback_client.errors import CashbackError
from localrun.stack import LocalApi
from tests.helpers import make_admin_key

EVM_WALLET = "0x" + "cd" * 20


def test_an_operator_changes_plan_suspends_reinstates_and_deletes_with_the_client(
    connect: Callable[..., CashbackClient], local_api: LocalApi
) -> None:
    operator = connect(make_admin_key(local_api, "agents:write"))
    registered = connect().register("client-operated")
    agent = connect(registered.token, agent_id=registered.agent_id)

    assert operator.change_plan(registered.agent_id, "premium").plan.value == "premium"
    assert operator.suspend_agent(registered.agent_id).standing.value == "suspended"
    with pytest.raises(CashbackError) as refused:
        agent.get_agent()
    assert refused.value.code == "AGENT_SUSPENDED"
    assert operator.reinstate_agent(registered.agent_id).standing.value == "active"
    assert agent.get_agent().plan.value == "premium"
    assert operator.delete_agent(registered.agent_id).standing == "deleted"


def test_an_agent_changes_its_wallet_and_reads_the_history_with_the_client(
    connect: Callable[..., CashbackClient],
) -> None:
    registered = connect().register("client-wallet")
    agent = connect(registered.token, agent_id=registered.agent_id)
    agent.update_profile({"wallet_address": EVM_WALLET, "crypto_preference": "USDC"})
    history = agent.wallet_history()
    assert [c.wallet_address for c in history.changes] == [EVM_WALLET]
    assert history.cursor is None


def test_admin_keys_are_listed_and_revoked_with_the_client(
    connect: Callable[..., CashbackClient], local_api: LocalApi
) -> None:
    keeper = connect(make_admin_key(local_api, "keys:read,keys:write"))
    keys = keeper.admin_keys(limit=100).keys
    assert keys and all(k.key_id.startswith("adm_") for k in keys)
    revoked = keeper.revoke_admin_key(keys[0].key_id)
    assert revoked.revoked_at is not None


def test_the_cli_lists_admin_keys_and_shows_an_agents_wallet_history(
    local_api: LocalApi, capsys: pytest.CaptureFixture[str]
) -> None:
    key = make_admin_key(local_api, "keys:read,agents:write,agents:read")
    settings = ["--api-url", local_api.base_url, "--token", key]
    assert main([*settings, "admin-keys", "--limit", "100"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:4] == ["Key", "id", "Name", "Scopes"]
    assert "agents:read,agents:write,keys:read" in out and key not in out

    assert main(["--api-url", local_api.base_url, "register", "cli-wallet"]) == 0
    registered = capsys.readouterr().out
    token = registered.split("CASHBACK_TOKEN=")[1].split()[0]
    agent_id = registered.split("CASHBACK_AGENT_ID=")[1].split()[0]
    agent = ["--api-url", local_api.base_url, "--token", token, "--agent-id", agent_id]
    assert main([*agent, "wallet", "--wallet", EVM_WALLET, "--crypto", "ETH"]) == 0
    capsys.readouterr()
    assert main([*agent, "wallet-history"]) == 0
    assert EVM_WALLET in capsys.readouterr().out

    assert main([*settings, "suspend", agent_id]) == 0
    assert "suspended" in capsys.readouterr().out
    assert main([*agent, "agent"]) == 1
    assert "AGENT_SUSPENDED" in capsys.readouterr().err
