"""The `cashback` command against the local API: readable tables, --json, errors on stderr."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cashback_client.cli import main
from localrun.stack import LocalApi
from tests.client.conftest import COMMISSION, RUNNING_SHOES, Shopper
from tests.helpers import free_port, make_admin_key
from tests.small_catalog import HEADPHONES

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def cashback(local_api: LocalApi, shopper: Shopper, *argv: str) -> list[str]:
    return ["--api-url", local_api.base_url, "--token", shopper.token, "--agent-id", shopper.agent_id, *argv]


def columns(header: str, row: str, *names: str) -> None:
    """Each named column starts at the same place in the header and in the row."""
    for name, value in zip(names[::2], names[1::2], strict=True):
        assert header.index(name) == row.index(value), (name, header, row)


def test_search_prints_an_aligned_table_of_real_results(
    local_api: LocalApi, shopper: Shopper, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(cashback(local_api, shopper, "search", "running shoes", "--max-price", "150"))

    out = capsys.readouterr().out
    assert code == 0
    header, rule, *rows = out.splitlines()
    assert header.split() == ["#", "Title", "Brand", "Merchant", "Price", "Cashback", "Rate", "Rating", "In", "stock"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert RUNNING_SHOES[0] in rows[0] and RUNNING_SHOES[1] in rows[1]
    columns(header, rows[0], "Title", "Nike", "Merchant", "Beta Mart")
    assert header.index("Rate") + len("Rate") == rows[0].index("3.25%") + len("3.25%")  # numbers right-aligned
    assert "139.99 USD" in rows[0] and "4.55 USD" in rows[0]
    assert '2 of 2 results for "running shoes"' in out


def test_search_filters_map_to_the_api(
    local_api: LocalApi, shopper: Shopper, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["search", "running", "shoes", "--category", "shoes", "--merchant", "Gamma Store", "--min-cashback", "0.5"]
    code = main(cashback(local_api, shopper, *argv, "--sort", "price_desc", "--limit", "5", "--links"))

    out = capsys.readouterr().out
    assert code == 0
    assert RUNNING_SHOES[1] in out and RUNNING_SHOES[0] not in out
    assert f"{local_api.base_url}/r/clk_" in out
    assert '1 of 1 results for "running shoes"' in out


def test_json_prints_the_apis_answer(local_api: LocalApi, shopper: Shopper, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(cashback(local_api, shopper, "search", "running shoes", "--max-price", "150", "--json"))

    answer = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(r["title"], r["price"]) for r in answer["results"]] == [
        (RUNNING_SHOES[0], "139.99"),
        (RUNNING_SHOES[1], "149.95"),
    ]


def test_register_prints_the_token_and_how_to_use_it(local_api: LocalApi, capsys: pytest.CaptureFixture[str]) -> None:
    wallet = "0x52908400098527886E0F7030069857D2E4169EE7"
    code = main(["--api-url", local_api.base_url, "register", "cli-agent", "--wallet", wallet, "--crypto", "ETH"])

    out = capsys.readouterr().out
    assert code == 0
    token = re.search(r"^token\s+(cbk_agent_\S+)$", out, re.MULTILINE)
    agent_id = re.search(r"^agent_id\s+(agt_\S+)$", out, re.MULTILINE)
    assert token and agent_id
    assert re.search(r"^crypto_preference\s+ETH$", out, re.MULTILINE)
    assert f"export CASHBACK_TOKEN={token[1]} CASHBACK_AGENT_ID={agent_id[1]}" in out


COMMANDS = [
    (["compare", HEADPHONES, "--max-merchants", "3"], ["Rank  Merchant", "Alpha Audio", "best cashback:"]),
    (["stats"], [r"^revenue\s+120\.00 USD$", r"^conversions\s+1 confirmed, 0 pending, 0 refunded$"]),
    (["analytics"], ["Days with activity", "Top merchants by conversions", "pegasus running shoes"]),
    (["conversions"], ["Conversion", "confirmed", "139.99 USD", f"{COMMISSION} USD"]),
    (
        ["leaderboard", "--metric", "revenue", "--period", "7d"],
        ["Leaderboard by revenue in USD, period 7d", "client-shopper", "120.00 USD"],
    ),
    (["trending", "--days", "7"], [r"Trending, last 7 day\(s\)", RUNNING_SHOES[0], "m_beta"]),
    (["agent"], [r"^agent_name\s+client-shopper$"]),
    (["batch-search", "running shoes", "headphones", "--limit", "2"], ["== running shoes", "== headphones"]),
    (["health"], ["ok: version"]),
]


@pytest.mark.parametrize(("argv", "expected"), [pytest.param(*command, id=command[0][0]) for command in COMMANDS])
def test_every_command_prints_its_answer(
    local_api: LocalApi, shopper: Shopper, capsys: pytest.CaptureFixture[str], argv: list[str], expected: list[str]
) -> None:
    code = main(cashback(local_api, shopper, *argv))

    captured = capsys.readouterr()
    assert (code, captured.err) == (0, "")
    for pattern in expected:
        assert re.search(pattern, captured.out, re.MULTILINE), (pattern, captured.out)


def test_an_api_error_goes_to_stderr_with_code_and_request_id(
    local_api: LocalApi, shopper: Shopper, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(cashback(local_api, shopper, "compare", "a product nobody sells"))

    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert "error: PRODUCT_NOT_FOUND: " in captured.err
    assert re.search(rf"^request id: {UUID}$", captured.err, re.MULTILINE)
    assert "Traceback" not in captured.err


def test_settings_come_from_the_environment(
    local_api: LocalApi, shopper: Shopper, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASHBACK_API_URL", local_api.base_url)
    monkeypatch.setenv("CASHBACK_TOKEN", shopper.token)
    monkeypatch.setenv("CASHBACK_AGENT_ID", shopper.agent_id)

    assert main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["agent_id"] == shopper.agent_id


def test_a_command_without_a_token_is_a_usage_error(local_api: LocalApi, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--api-url", local_api.base_url, "--token", "", "search", "running shoes"])

    assert code == 2
    assert "needs the agent's token" in capsys.readouterr().err


def test_an_unreachable_api_exits_1_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--api-url", f"http://127.0.0.1:{free_port()}", "health"])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: CONNECTION_FAILED: GET http://127.0.0.1:")
    assert "Traceback" not in err


def test_the_installed_command_prints_the_table(local_api: LocalApi, shopper: Shopper) -> None:
    command = Path(sys.executable).parent / "cashback"
    env = {**os.environ, "CASHBACK_API_URL": local_api.base_url, "CASHBACK_TOKEN": shopper.token}

    done = subprocess.run(
        [str(command), "search", "running shoes", "--max-price", "150"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["#", "Title"]
    assert RUNNING_SHOES[0] in lines[2] and RUNNING_SHOES[1] in lines[3]


def test_directory_feedback_and_reputation_commands(
    local_api: LocalApi, shopper: Shopper, capsys: pytest.CaptureFixture[str]
) -> None:
    api = ["--api-url", local_api.base_url]
    subject = httpx.post(f"{local_api.base_url}/agents", json={"agent_name": "cli-reviewed-agent"}, timeout=30).json()
    public = httpx.patch(
        f"{local_api.base_url}/agents/{subject['agent_id']}",
        json={"public": True, "description": "reviewed from the cli"},
        headers={"Authorization": f"Bearer {subject['token']}"},
        timeout=30,
    )
    assert public.status_code == 200, public.text

    assert main([*api, "directory", "--query", "cli-reviewed-agent"]) == 0
    assert subject["agent_id"] in capsys.readouterr().out

    given = main(cashback(local_api, shopper, "feedback", subject["agent_id"], "90", "--tag", "successRate"))
    out = capsys.readouterr().out
    assert given == 0
    assert re.search(r"^score\s+90$", out, re.MULTILINE), out

    assert main([*api, "reputation", subject["agent_id"]]) == 0
    out = capsys.readouterr().out
    assert "cli-reviewed-agent" in out
    assert shopper.agent_id in out  # the feedback's author, in the feedback table

    assert main(cashback(local_api, shopper, "revoke-feedback", subject["agent_id"])) == 0
    assert "withdrawn" in capsys.readouterr().out


@pytest.mark.parametrize(("command", "first_column"), [("merchants", "Merchant id"), ("products", "Product id")])
def test_an_admin_lists_the_catalog_page_by_page(
    local_api: LocalApi, catalog: None, capsys: pytest.CaptureFixture[str], command: str, first_column: str
) -> None:
    key = make_admin_key(local_api, "catalog:read")

    assert main(["--api-url", local_api.base_url, "--token", key, command, "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(first_column)
    cursor = re.search(r"^next page: --cursor (\S+)$", out, re.MULTILINE)
    assert cursor, out

    assert main(["--api-url", local_api.base_url, "--token", key, command, "--limit", "1", "--cursor", cursor[1]]) == 0
    assert capsys.readouterr().out.splitlines()[2] != out.splitlines()[2]  # the next row


def test_the_webhook_commands_print_the_secret_once_then_the_webhook_and_its_failures(
    local_api: LocalApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--api-url", local_api.base_url, "--json", "register", "cli-hooked"]) == 0
    registered = json.loads(capsys.readouterr().out)
    hooked = Shopper(agent_id=registered["agent_id"], token=registered["token"], agent_name="cli-hooked")

    set_code = main(cashback(local_api, hooked, "webhook-set", "http://127.0.0.1:9/hooks/cli"))
    set_out = capsys.readouterr().out
    show_code = main(cashback(local_api, hooked, "webhook"))
    show_out = capsys.readouterr().out
    failures_code = main(cashback(local_api, hooked, "webhook-failures"))
    failures_out = capsys.readouterr().out

    assert (set_code, show_code, failures_code) == (0, 0, 0)
    assert re.search(r"^secret\s+whsec_\S+$", set_out, re.MULTILINE)
    assert "shown only once" in set_out
    assert re.search(r"^url\s+http://127\.0\.0\.1:9/hooks/cli$", show_out, re.MULTILINE)
    assert "whsec_" not in show_out
    assert failures_out.strip() == "No failed deliveries."


def test_an_operator_reads_a_months_payouts_as_a_table_or_csv_and_marks_a_closed_month_paid(
    local_api: LocalApi, shopper: Shopper, capsys: pytest.CaptureFixture[str]
) -> None:
    key = make_admin_key(local_api, "analytics:read,payouts:write")
    admin = ["--api-url", local_api.base_url, "--token", key]
    month = time.strftime("%Y-%m", time.gmtime())
    year, number = int(month[:4]), int(month[5:])
    closed = f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"

    assert main([*admin, "payouts", month, "--limit", "100"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{month}: open")
    assert re.search(rf"^{shopper.agent_id}\s.*\s{COMMISSION} USD\s+1$", out, re.MULTILINE), out

    assert main([*admin, "payouts", month, "--limit", "100", "--csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "period,agent_id,wallet_address,crypto_preference,currency,commission"
    assert f"{month},{shopper.agent_id},,,USD,{COMMISSION}" in rows

    assert main([*admin, "payouts-paid", closed]) == 0
    first = capsys.readouterr().out
    assert main([*admin, "payouts-paid", closed]) == 0
    assert capsys.readouterr().out == first
    assert first.startswith(f"{closed} marked paid ")
