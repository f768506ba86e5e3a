"""The local API over real HTTP: the `local_api` session fixture (tests/local_api.py) and helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from localrun.stack import LocalApi


@pytest.fixture
def client(local_api: LocalApi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_api.base_url, timeout=30) as http_client:
        yield http_client


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
