"""GET /dashboard and its assets: a page that loads only from this origin and only what it lists."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.apigw import LambdaContext, api_event, body_of, header
from tests.conftest import ROOT, load_function

dashboard_fn = load_function("dashboard")
STATIC = ROOT / "functions" / "dashboard" / "static"
HTML_SINKS = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(")
STORAGE = ("localStorage", "sessionStorage", "document.cookie", "indexedDB")


class _References(HTMLParser):
    """The page's scripts and style sheets, and whatever would run or style inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script":
            self._in_script = True
            if named.get("src"):
                self.urls.append(str(named["src"]))
        if tag == "link" and named.get("rel") == "stylesheet":
            self.urls.append(str(named["href"]))
        if tag == "style":
            self.inline.append("<style>")
        self.inline += [f"{tag} {name}" for name, _ in attrs if name == "style" or name.startswith("on")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("inline script")


def get(path: str, **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = dashboard_fn.lambda_handler(api_event("GET", path, **kwargs), LambdaContext())
    return response


def get_asset(name: str) -> dict[str, Any]:
    return get(f"/dashboard/assets/{name}", resource="/dashboard/assets/{name}", path_parameters={"name": name})


def page_references() -> _References:
    parser = _References()
    parser.feed((STATIC / "index.html").read_text())
    return parser


def test_the_page_is_html_under_a_policy_that_allows_only_this_origin(aws: None) -> None:
    response = get("/dashboard")

    assert response["statusCode"] == 200
    assert header(response, "Content-Type") == "text/html; charset=utf-8"
    assert "<title>Cashback network dashboard</title>" in response["body"]
    policy = dict(
        directive.strip().split(" ", 1) for directive in header(response, "Content-Security-Policy").split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == policy["base-uri"] == policy["form-action"] == "'none'"
    assert header(response, "X-Content-Type-Options") == "nosniff"
    assert header(response, "Cache-Control") == "no-store"


def test_the_page_has_no_inline_script_or_style_for_the_policy_to_refuse() -> None:
    assert page_references().inline == []


def test_the_page_loads_its_assets_relative_to_where_it_is_served() -> None:
    """So it works on 127.0.0.1:3000/dashboard and behind a stage prefix (/dev/dashboard)."""
    urls = page_references().urls
    assert urls == [
        "dashboard/assets/dashboard.css",
        "dashboard/assets/chart.umd.min.js",
        "dashboard/assets/dashboard.js",
    ]


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("dashboard.css", "text/css; charset=utf-8"),
        ("chart.umd.min.js", "text/javascript; charset=utf-8"),
        ("dashboard.js", "text/javascript; charset=utf-8"),
    ],
)
def test_every_asset_the_page_names_is_served_with_its_media_type(aws: None, name: str, media_type: str) -> None:
    response = get_asset(name)

    assert response["statusCode"] == 200
    assert header(response, "Content-Type") == media_type
    assert header(response, "X-Content-Type-Options") == "nosniff"
    assert header(response, "Cache-Control") == "public, max-age=3600"  # the page itself is no-store
    assert response["body"]


def test_the_charting_library_is_the_vendored_chart_js_4(aws: None) -> None:
    body = get_asset("chart.umd.min.js")["body"]
    assert re.match(r"/\*!\n \* Chart\.js v4\.\d+\.\d+\n", body)


@pytest.mark.parametrize("name", ["secrets.js", "handler.py", "..", "index.html", "chart.umd.min.js.map"])
def test_a_file_the_page_does_not_list_is_a_404_with_the_error_body(aws: None, name: str) -> None:
    response = get_asset(name)

    assert response["statusCode"] == 404
    error = body_of(response)["error"]
    assert error["code"] == "ROUTE_NOT_FOUND"
    assert error["details"]["assets"] == ["chart.umd.min.js", "dashboard.css", "dashboard.js"]
    assert error["request_id"]


def test_the_page_is_counted_against_the_public_per_ip_limit(aws: None) -> None:
    first = get("/dashboard", source_ip="198.51.100.9")
    second = get_asset("dashboard.js")  # another address: its own window

    assert header(first, "X-RateLimit-Limit") == "120"
    assert header(first, "X-RateLimit-Remaining") == "119"
    assert header(second, "X-RateLimit-Remaining") == "119"


def test_the_script_never_writes_html_or_keeps_anything_in_browser_storage() -> None:
    """API data reaches the DOM only as text (textContent, chart data); the token only lives in memory."""
    script = (STATIC / "dashboard.js").read_text()
    assert [sink for sink in HTML_SINKS + STORAGE if sink in script] == []


def test_the_script_shows_money_with_its_currency_code_never_a_dollar_sign() -> None:
    """Amounts come by currency ({"EUR": "3.00"}); a "$" would label euros as dollars."""
    script = (STATIC / "dashboard.js").read_text()
    assert ['"$"' in script, "'$'" in script, '"USD"' in script] == [False, False, False]
