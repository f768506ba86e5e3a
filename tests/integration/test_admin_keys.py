"""Admin keys made by `make admin-key` authenticate with their scopes, against the local API."""

from __future__ import annotations

import httpx

from localrun.stack import LocalApi
from tests.helpers import make_admin_key
from tests.integration.conftest import bearer, error_code, register


def test_admin_key_with_agents_read_reads_any_profile(local_api: LocalApi, client: httpx.Client) -> None:
    agent = register(client, "audited")
    key = make_admin_key(local_api, "agents:read")
    response = client.get(f"/agents/{agent['agent_id']}", headers=bearer(key))
    assert response.status_code == 200
    assert response.json()["agent_name"] == "audited"


def test_admin_key_without_agents_read_is_refused(local_api: LocalApi, client: httpx.Client) -> None:
    agent = register(client)
    key = make_admin_key(local_api, "catalog:write")
    response = client.get(f"/agents/{agent['agent_id']}", headers=bearer(key))
    assert response.status_code == 403
    assert error_code(response) == "FORBIDDEN"


def test_admin_key_with_catalog_read_lists_the_catalog_page_by_page(local_api: LocalApi, client: httpx.Client) -> None:
    writer = bearer(make_admin_key(local_api, "catalog:write"))
    merchant = {"merchant_id": "m_listing", "name": "Listing Mart", "domain": "listing.example",
                "default_cashback_rate": "2.00"}  # fmt: skip
    assert client.put("/catalog/merchants", json={"merchants": [merchant]}, headers=writer).status_code == 200
    products = [
        {"product_id": f"p_listing_{i}", "product_key": f"listing thing {i}", "title": f"Listing Thing {i}",
         "brand": "Listing", "category": "home", "merchant_id": "m_listing", "price": "10.00", "currency": "USD",
         "url": f"https://www.listing.example/p/{i}", "cashback_rate": "2.00"}
        for i in range(3)
    ]  # fmt: skip
    assert client.put("/catalog/products", json={"products": products}, headers=writer).status_code == 200
    reader = bearer(make_admin_key(local_api, "catalog:read"))

    listed: list[str] = []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        response = client.get("/catalog/products", params=params, headers=reader)
        assert response.status_code == 200, response.text
        page = response.json()
        listed += [p["product_id"] for p in page["products"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}

    assert [p for p in listed if p.startswith("p_listing_")] == ["p_listing_0", "p_listing_1", "p_listing_2"]
    assert listed == sorted(listed)
    merchants = client.get("/catalog/merchants", params={"limit": 100}, headers=reader).json()["merchants"]
    assert "m_listing" in [m["merchant_id"] for m in merchants]


def test_admin_key_without_a_catalog_scope_cannot_list_it(local_api: LocalApi, client: httpx.Client) -> None:
    key = make_admin_key(local_api, "agents:read")

    response = client.get("/catalog/products", headers=bearer(key))

    assert response.status_code == 403
    assert error_code(response) == "FORBIDDEN"
