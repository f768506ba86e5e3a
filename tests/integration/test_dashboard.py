"""The dashboard in headless Chromium against the local API with real activity.

Agents search, click and earn signed conversions over HTTP; the scheduled rollup runs as its next
schedule would; then the page is loaded in Debian's chromium (driven by chromedriver) and every
chart must show exactly the numbers the API answers for the same query, drawn on its canvas.
A screenshot lands in test-output/dashboard.png.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from cashback.api.webhooks import sign
from localrun.stack import DEFAULT_WEBHOOK_KEY_ID, DEFAULT_WEBHOOK_SECRET, LocalApi
from tests.conftest import ROOT
from tests.helpers import make_admin_key, run_rollup
from tests.integration.conftest import bearer, put_small_catalog, register
from tests.small_catalog import MERCHANTS

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
BROWSER_PACKAGES = "chromium chromium-driver"
# What works on these machines: no sandbox as root, no GPU, and no background calls to the internet.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1440,1000",
]
pytestmark = pytest.mark.xdist_group("dashboard")  # one browser, one seeding, tests in file order

SCREENSHOT = ROOT / "test-output" / "dashboard.png"
LIBRARY = ROOT / "functions" / "dashboard" / "vendor" / "chart.umd.min.js"
# The page's colours per series (static/dashboard.js); a bar chart that drew a series shows its colour.
COLORS = {
    "searches": (0x4E, 0x79, 0xA7),
    "clicks": (0xF2, 0x8E, 0x2B),
    "conversions": (0x59, 0xA1, 0x4F),
    "revenue": (0xE1, 0x57, 0x59),
}
# A name that would run script if the page ever put API data into the DOM as HTML.
HOSTILE_NAME = '<img src=x onerror="document.title=1">'


def deliver(
    client: httpx.Client, click_id: str, conversion_id: str, status: str, commission: str, currency: str = "USD"
) -> None:
    body = {
        "conversion_id": conversion_id,
        "click_id": click_id,
        "status": status,
        "order_amount": "100.00",
        "currency": currency,
        "commission_amount": commission,
        "occurred_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    raw = json.dumps(body).encode()
    signature = sign(DEFAULT_WEBHOOK_SECRET, int(time.time()), raw, DEFAULT_WEBHOOK_KEY_ID)
    response = client.post(
        "/conversions", content=raw, headers={"X-Cashback-Signature": signature, "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text


def shop(client: httpx.Client, agent: dict[str, Any], keywords: list[str], clicks: int) -> list[str]:
    """Searches, then follows `clicks` of the affiliate links served; returns the click ids."""
    links: list[str] = []
    for words in keywords:
        found = client.post("/search", json={"keywords": words}, headers=bearer(agent["token"]))
        assert found.status_code == 200, found.text
        links += [result["affiliate_link"] for result in found.json()["results"]]
    clicked = []
    for link in links[:clicks]:
        followed = client.get(httpx.URL(link).path)
        assert followed.status_code == 302, followed.text
        clicked.append(link.rsplit("/", 1)[1])
    return clicked


def euro_click(client: httpx.Client, agent: dict[str, Any]) -> str:
    """Follows the agent's link to the EUR offer of the Sony WH-1000XM5 (m_euro); its click id."""
    found = client.post("/search", json={"keywords": "sony wh-1000xm5"}, headers=bearer(agent["token"]))
    link = next(r["affiliate_link"] for r in found.json()["results"] if r["currency"] == "EUR")
    assert client.get(httpx.URL(link).path).status_code == 302
    return str(link.rsplit("/", 1)[1])


@pytest.fixture(scope="module")
def network(local_api: LocalApi) -> dict[str, dict[str, Any]]:
    """Three agents with searches, clicks and confirmed conversions today, rolled up."""
    admin = bearer(make_admin_key(local_api, "catalog:write"))
    with httpx.Client(base_url=local_api.base_url, timeout=30) as client:
        put_small_catalog(client, admin)

        alpha, hostile, gamma = (
            register(client, name, public=True) for name in ("dash-alpha", HOSTILE_NAME, "dash-gamma")
        )
        clicks = shop(client, alpha, ["pegasus", "pegasus", "wireless headphones", "brooks ghost"], clicks=3)
        deliver(client, clicks[0], "dash-1", "pending", "4.55")
        deliver(client, clicks[0], "dash-1", "confirmed", "4.55")
        deliver(client, clicks[1], "dash-2", "confirmed", "12.00")
        (click,) = shop(client, hostile, ["sony headphones", "pegasus"], clicks=1)
        deliver(client, click, "dash-3", "confirmed", "3.10")
        shop(client, gamma, ["brooks ghost"], clicks=0)
        euro = euro_click(client, gamma)
        deliver(client, euro, "dash-4", "confirmed", "9.99", currency="EUR")  # never added to the USD figures

    report = run_rollup(local_api)
    assert report["rebuilt"] is True, report
    return {"alpha": alpha, "hostile": hostile, "gamma": gamma}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            f"needs Debian's {BROWSER_PACKAGES} (make browser installs them: apt-get install {BROWSER_PACKAGES})"
        )
    assert LIBRARY.exists(), "Chart.js is not vendored: run make vendor (make test and make dev do)"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit chromedriver: Selenium Manager never runs, so nothing is downloaded.
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, section: str, state: str = "ready") -> None:
    """Until the section's last fetch has been drawn (or shown as an error)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.getElementById(arguments[0]).dataset.state", section) == state,
        message=f"{section} never became {state}",
    )


def chart(driver: Any, canvas: str) -> dict[str, Any]:
    """What Chart.js holds for a canvas (its labels and series), and which colours it painted."""
    data: dict[str, Any] = driver.execute_script(
        """
        const canvas = document.getElementById(arguments[0]);
        const chart = Chart.getChart(canvas);
        if (!chart) { return null; }
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        const painted = new Set();
        let inked = 0;
        for (let i = 0; i < pixels.length; i += 4) {
          if (pixels[i + 3] === 255) { painted.add(pixels[i] + "," + pixels[i + 1] + "," + pixels[i + 2]); }
          if (pixels[i + 3] > 0) { inked++; }
        }
        return {
          type: chart.config.type,
          labels: chart.data.labels,
          series: Object.fromEntries(chart.data.datasets.map((d) => [d.label, d.data])),
          painted: Array.from(painted),
          inked: inked,
          width: canvas.width,
        };
        """,
        canvas,
    )
    assert data is not None, f"no chart on #{canvas}"
    return data


def painted(drawn: dict[str, Any], series: str) -> bool:
    return ",".join(str(c) for c in COLORS[series]) in drawn["painted"]


def label(name: str, length: int) -> str:
    """The page's shortening of long axis labels."""
    return name if len(name) <= length else name[: length - 1] + "…"


def api(client: httpx.Client, path: str, **params: str) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def select(driver: Any, element_id: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, element_id)).select_by_value(value)


def show_agent(driver: Any, agent_id: str, token: str) -> None:
    from selenium.webdriver.common.by import By

    for element_id, value in (("agent-id", agent_id), ("agent-token", token)):
        field = driver.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(value)
    driver.find_element(By.ID, "agent-show").click()


@pytest.fixture(scope="module")
def dashboard(browser: Any, local_api: LocalApi, network: dict[str, dict[str, Any]]) -> Any:
    browser.get(f"{local_api.base_url}/dashboard")
    wait_for(browser, "leaderboard")
    wait_for(browser, "trending")
    return browser


def test_the_leaderboard_chart_shows_the_apis_board_for_the_chosen_metric_and_period(
    dashboard: Any, client: httpx.Client, network: dict[str, dict[str, Any]]
) -> None:
    def value(row: dict[str, Any], metric: str, currency: str) -> float:
        return float(row["revenue"].get(currency, 0)) if metric == "revenue" else float(row[metric])

    agents = [network[name]["agent_id"] for name in ("alpha", "hostile", "gamma")]
    for metric, period, currency, expected in (
        ("conversions", "7d", "USD", [2, 1, 1]),
        ("searches", "30d", "USD", [4, 2, 2]),
        ("revenue", "all", "USD", [16.55, 3.10, None]),
        ("revenue", "7d", "EUR", [None, None, 9.99]),  # ranked within one currency, never summed
    ):
        select(dashboard, "leaderboard-metric", metric)
        select(dashboard, "leaderboard-period", period)
        if metric == "revenue":
            select(dashboard, "leaderboard-currency", currency)
        wait_for(dashboard, "leaderboard")
        board = api(client, "/analytics/leaderboard", metric=metric, period=period, currency=currency)
        drawn = chart(dashboard, "leaderboard-chart")

        series = f"revenue ({currency})" if metric == "revenue" else metric
        assert drawn["labels"] == [label(row["agent_name"] or row["agent_id"], 24) for row in board["agents"]]
        assert drawn["series"] == {series: [value(row, metric, currency) for row in board["agents"]]}
        mine = {row["agent_id"]: value(row, metric, currency) for row in board["agents"]}
        assert [mine.get(agent) for agent in agents] == expected
        assert painted(drawn, metric)
    table = dashboard.execute_script("return document.getElementById('leaderboard-table').textContent")
    assert "9.99 EUR" in table and "$" not in table


def test_trending_products_and_merchants_charts_show_the_apis_numbers(dashboard: Any, client: httpx.Client) -> None:
    trending = api(client, "/analytics/trending", days="7")
    products = chart(dashboard, "products-chart")
    merchants = chart(dashboard, "merchants-chart")

    assert trending["products"] and trending["merchants"]
    assert products["labels"] == [label(p["title"], 32) for p in trending["products"]]
    assert products["series"] == {
        name: [float(p[name]) for p in trending["products"]] for name in ("searches", "clicks", "conversions")
    }
    names = {m.merchant_id: m.name for m in MERCHANTS}
    assert [m["name"] for m in trending["merchants"]] == [names[m["merchant_id"]] for m in trending["merchants"]]
    assert merchants["labels"] == [label(m["name"], 24) for m in trending["merchants"]]
    assert merchants["series"] == {
        "clicks": [float(m["clicks"]) for m in trending["merchants"]],
        "conversions": [float(m["conversions"]) for m in trending["merchants"]],
        "orders": [float(m["orders"]) for m in trending["merchants"]],
        **{
            f"revenue ({code})": [float(m["revenue"].get(code, 0)) for m in trending["merchants"]]
            for code in ("EUR", "USD")
        },
    }
    assert sum(merchants["series"]["revenue (USD)"]) >= 19.65  # 4.55 + 12.00 + 3.10 today
    assert sum(merchants["series"]["revenue (EUR)"]) == 9.99
    assert all(painted(products, name) for name in ("searches", "clicks", "conversions"))
    assert painted(merchants, "clicks") and painted(merchants, "conversions")
    keywords = dashboard.execute_script("return document.getElementById('keywords').textContent")
    assert all(f"{k['keyword']} ({k['searches']})" in keywords for k in trending["keywords"])


def test_the_network_totals_show_the_apis_numbers_beside_the_charts(dashboard: Any, client: httpx.Client) -> None:
    network = api(client, "/analytics/trending", days="7")["network"]
    shown = dashboard.execute_script(
        "const cells = document.querySelectorAll('#network-totals dd');"
        "return Object.fromEntries(Array.from(cells, (dd) => [dd.dataset.total, dd.textContent]));"
    )

    assert network["agents"] >= 1 and network["searches"] >= 1 and network["conversions"] >= 1
    assert shown["agents"] == str(network["agents"])
    assert shown["searches"] == str(network["searches"])
    assert shown["conversions"] == str(network["conversions"])
    codes = sorted(network["commission"])
    assert "EUR" in codes and "USD" in codes
    assert shown["commission"] == ", ".join(f"{Decimal(network['commission'][c]):.2f} {c}" for c in codes)


def test_an_agents_timeline_shows_its_30_days_from_the_api(
    dashboard: Any, client: httpx.Client, network: dict[str, dict[str, Any]]
) -> None:
    alpha = network["alpha"]
    show_agent(dashboard, alpha["agent_id"], alpha["token"])
    wait_for(dashboard, "agent")
    response = client.get(f"/agents/{alpha['agent_id']}/analytics", headers=bearer(alpha["token"]))
    assert response.status_code == 200, response.text
    timeline = response.json()["timeline"]
    drawn = chart(dashboard, "timeline-chart")

    assert drawn["type"] == "line"
    assert drawn["labels"] == [day["date"] for day in timeline]
    assert len(drawn["labels"]) == 30
    assert drawn["series"] == {
        "searches": [float(day["searches"]) for day in timeline],
        "clicks": [float(day["clicks"]) for day in timeline],
        "conversions": [float(day["conversions"]) for day in timeline],
        "revenue (USD)": [float(day["revenue"].get("USD", 0)) for day in timeline],
    }
    today = [drawn["series"][name][-1] for name in ("searches", "clicks", "conversions", "revenue (USD)")]
    assert today == [4, 3, 2, 16.55]
    assert drawn["inked"] > 1000

    SCREENSHOT.parent.mkdir(exist_ok=True)
    height = dashboard.execute_script("return document.documentElement.scrollHeight")
    dashboard.set_window_size(1440, int(height) + 160)  # the whole page, not only the first screen
    assert dashboard.save_screenshot(str(SCREENSHOT))


def test_the_token_stays_out_of_urls_and_storage(dashboard: Any, network: dict[str, dict[str, Any]]) -> None:
    token = network["alpha"]["token"]
    kept = dashboard.execute_script(
        "return [location.href, document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage),"
        " performance.getEntriesByType('resource').map((e) => e.name).join(' ')].join(' ')"
    )
    assert token not in kept
    assert token not in dashboard.current_url


def test_api_data_is_shown_as_text_never_as_html(dashboard: Any, network: dict[str, dict[str, Any]]) -> None:
    select(dashboard, "leaderboard-metric", "searches")
    wait_for(dashboard, "leaderboard")
    names = dashboard.execute_script(
        "const cells = document.querySelectorAll('#leaderboard-table tbody td:nth-child(2)');"
        "return Array.from(cells, (td) => td.textContent);"
    )
    assert HOSTILE_NAME in names
    assert dashboard.execute_script("return document.querySelectorAll('img').length") == 0
    assert dashboard.title == "Cashback network dashboard"


def test_an_api_error_is_shown_with_its_code_and_message(
    dashboard: Any, client: httpx.Client, network: dict[str, dict[str, Any]]
) -> None:
    from selenium.webdriver.common.by import By

    alpha, gamma = network["alpha"], network["gamma"]
    expected = client.get(f"/agents/{alpha['agent_id']}/analytics", headers=bearer(gamma["token"]))
    assert expected.status_code == 403

    show_agent(dashboard, alpha["agent_id"], gamma["token"])  # another agent's token
    wait_for(dashboard, "agent", "error")
    shown = dashboard.execute_script("return document.getElementById('agent-error').textContent")
    error = expected.json()["error"]
    assert shown.startswith(f"403 {error['code']}: {error['message']}")
    assert dashboard.execute_script("return Chart.getChart(document.getElementById('timeline-chart'))") is None

    dashboard.find_element(By.ID, "agent-forget").click()
    wait_for(dashboard, "agent", "idle")
    show_agent(dashboard, alpha["agent_id"], "cbk_agent_not_a_real_token_000000000000")
    wait_for(dashboard, "agent", "error")
    shown = dashboard.execute_script("return document.getElementById('agent-error').textContent")
    assert shown.startswith("401 UNAUTHORIZED: A valid bearer token is required.")


def test_the_page_keeps_to_its_content_security_policy(dashboard: Any) -> None:
    """Chart.js and the page run under a policy that allows only this origin: nothing was refused."""
    problems = [
        entry["message"]
        for entry in dashboard.get_log("browser")
        if entry["level"] == "SEVERE" and "/analytics" not in entry["message"]  # the 4xx answers tested above
    ]
    assert problems == []
