"""The local API over real HTTP: the `local_api` session fixture (tests/local_api.py) and helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from localrun.stack import LocalApi
from tests.small_catalog import MERCHANTS, PRODUCTS


@pytest.fixture
def client(local_api: LocalApi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_api.base_url, timeout=30) as http_client:
        yield http_client


def put_small_catalog(client: httpx.Client, admin: dict[str, str]) -> None:
    """The small hand-made catalog (tests/small_catalog.py) written through the admin API with a
    `catalog:write` key's headers (upserts: safe to repeat)."""
    merchants = [m.model_dump(mode="json") for m in MERCHANTS]
    assert client.put("/catalog/merchants", json={"merchants": merchants}, headers=admin).status_code == 200
    products = [p.model_dump(mode="json", exclude_none=True) for p in PRODUCTS]
    assert client.put("/catalog/products", json={"products": products}, headers=admin).status_code == 200


def register(client: httpx.Client, name: str = "integration-agent", public: bool = False) -> dict:
    """A new agent; `public=True` opts it into the directory and the public boards."""
    response = client.post("/agents", json={"agent_name": name, "public": public})
    assert response.status_code == 201, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


__all__ = ["Path", "bearer", "error_code", "register"]
