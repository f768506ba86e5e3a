"""GET /openapi.json and GET /docs over HTTP: the committed document and a self-contained Swagger UI."""

from __future__ import annotations

import json
import re

import httpx

from cashback.api import docs
from scripts import openapi


def test_the_document_is_the_committed_one_with_this_server(client: httpx.Client) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    served = response.json()
    assert served.pop("servers") == [{"url": str(client.base_url).rstrip("/")}]
    committed = json.loads(openapi.DOCUMENT.read_text())
    committed.pop("servers")
    assert served == committed
    assert response.headers["x-ratelimit-remaining"]


def test_swagger_ui_loads_everything_from_this_api(client: httpx.Client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    base = str(client.base_url).rstrip("/")
    linked = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page)
    assert sorted(linked) == [f"{base}/docs/swagger-ui-bundle.min.js", f"{base}/docs/swagger-ui.min.css"]
    assert '"title": "Cashback API for AI shopping agents"' in page
    for url in linked:
        asset = client.get(url)
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == docs.ASSET_CACHE_CONTROL
        assert asset.text == (docs.SWAGGER_UI / url.rsplit("/", 1)[1]).read_text()
    assert client.get(f"{base}/docs/swagger-ui-bundle.min.js").headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-store"


def test_the_spec_url_swagger_ui_shows_answers_the_document(client: httpx.Client) -> None:
    response = client.get("/docs", params={"format": "json"})
    assert response.status_code == 200
    assert response.json()["paths"].keys() == client.get("/openapi.json").json()["paths"].keys()


def test_an_unknown_asset_is_not_a_route(client: httpx.Client) -> None:
    response = client.get("/docs/../../etc/passwd.js")
    assert response.status_code in {403, 404}  # the gateway may refuse the path itself
    response = client.get("/docs/missing.js")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ROUTE_NOT_FOUND"
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]
