"""Catalog administration through its function: scopes, validation, index consistency."""

from __future__ import annotations

import pytest

from tests.apigw import LambdaContext, admin_authorizer, agent_authorizer, api_event, body_of
from tests.conftest import load_function
from tests.small_catalog import MERCHANTS, offer

admin_fn = load_function("catalog_admin")
search_fn = load_function("search")
WRITER = admin_authorizer("adm_writer", "catalog:write")
READER = admin_authorizer("adm_reader", "catalog:read")


def call(
    method: str,
    path: str,
    authorizer: dict,
    body: object = None,
    resource: str | None = None,
    path_parameters: dict | None = None,
) -> dict:
    event = api_event(
        method, path, body=body, authorizer=authorizer, resource=resource, path_parameters=path_parameters
    )
    return admin_fn.lambda_handler(event, LambdaContext())


def product_path(product_id: str) -> dict:
    return {
        "path": f"/catalog/products/{product_id}",
        "resource": "/catalog/products/{product_id}",
        "path_parameters": {"product_id": product_id},
    }


@pytest.fixture
def merchants(aws: None) -> None:
    response = call("PUT", "/catalog/merchants", WRITER, {"merchants": [m.model_dump(mode="json") for m in MERCHANTS]})
    assert response["statusCode"] == 200, response["body"]


def put_products(*products, authorizer: dict = WRITER) -> dict:
    return call("PUT", "/catalog/products", authorizer, {"products": [p.model_dump(mode="json") for p in products]})


def searched_ids(keywords: str) -> list[str]:
    event = api_event(
        "POST", "/search", body={"keywords": keywords}, authorizer=agent_authorizer("agt_SHOPPERshopperSHOPPER0")
    )
    return [r["product_id"] for r in body_of(search_fn.lambda_handler(event, LambdaContext()))["results"]]


def test_upserted_products_are_searchable_and_readable(merchants: None) -> None:
    response = put_products(
        offer("p_new_1", "m_beta", "Garmin Forerunner 265 Watch", "449.99", "3.25", brand="Garmin", category="sports")
    )
    assert body_of(response) == {"upserted": 1, "ids": ["p_new_1"]}
    assert searched_ids("forerunner watch") == ["p_new_1"]
    read = call("GET", **product_path("p_new_1"), authorizer=READER)
    assert read["statusCode"] == 200 and body_of(read)["price"] == "449.99"


def test_an_update_reindexes_and_a_delete_unindexes(merchants: None) -> None:
    put_products(offer("p_new_2", "m_beta", "Kindle Paperwhite", "149.99", "3.25", brand="Amazon", category="books"))
    put_products(offer("p_new_2", "m_beta", "Kindle Scribe", "339.99", "3.25", brand="Amazon", category="books"))
    assert searched_ids("paperwhite") == [] and searched_ids("scribe") == ["p_new_2"]
    deleted = call("DELETE", **product_path("p_new_2"), authorizer=WRITER)
    assert body_of(deleted) == {"deleted": "p_new_2"}
    assert searched_ids("scribe") == []
    assert call("GET", **product_path("p_new_2"), authorizer=READER)["statusCode"] == 404


def test_products_of_an_unknown_merchant_are_refused(merchants: None) -> None:
    stray = offer("p_stray", "m_beta", "Stray", "10.00", "1.00").model_copy(update={"merchant_id": "m_nobody"})
    response = put_products(stray)
    assert response["statusCode"] == 422
    assert body_of(response)["error"]["code"] == "UNKNOWN_MERCHANT"


def test_a_product_url_off_the_merchant_domain_is_refused(merchants: None) -> None:
    phishing = offer("p_phish", "m_beta", "Cheap Phone", "10.00", "1.00").model_copy(
        update={"url": "https://evil.example/p/1"}
    )
    response = put_products(phishing)
    assert response["statusCode"] == 400
    assert searched_ids("cheap phone") == []


@pytest.mark.parametrize(
    "change",
    [
        {"price": "-1"},
        {"cashback_rate": "101"},
        {"url": "http://beta.example/p/1"},
        {"currency": "usd"},
        {"gtin": "12ab"},
    ],
)
def test_invalid_products_are_400(merchants: None, change: dict) -> None:
    body = offer("p_bad", "m_beta", "Bad", "10.00", "1.00").model_dump(mode="json") | change
    response = call("PUT", "/catalog/products", WRITER, {"products": [body]})
    assert response["statusCode"] == 400


def test_more_than_25_products_is_400(merchants: None) -> None:
    many = [offer(f"p_many_{i}", "m_beta", "Thing", "1.00", "1.00") for i in range(26)]
    assert put_products(*many)["statusCode"] == 400


def test_writing_needs_catalog_write(merchants: None) -> None:
    assert put_products(offer("p_x", "m_beta", "X", "1.00", "1.00"), authorizer=READER)["statusCode"] == 403
    agent = agent_authorizer("agt_SHOPPERshopperSHOPPER0")
    assert put_products(offer("p_x", "m_beta", "X", "1.00", "1.00"), authorizer=agent)["statusCode"] == 403


def test_unknown_product_is_404(merchants: None) -> None:
    response = call("GET", **product_path("p_nothing"), authorizer=READER)
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "PRODUCT_NOT_FOUND"


# ---------------------------------------------------------------- listing (catalog:read)


def list_all(path: str, field: str, authorizer: dict = READER, limit: int = 2) -> tuple[list[str], int]:
    """Every id of a listing, following next_cursor; and how many pages it took."""
    ids: list[str] = []
    query = {"limit": str(limit)}
    pages = 0
    while True:
        response = admin_fn.lambda_handler(api_event("GET", path, query=query, authorizer=authorizer), LambdaContext())
        assert response["statusCode"] == 200, response["body"]
        page = body_of(response)
        assert len(page[field]) <= limit
        ids += [row["product_id" if field == "products" else "merchant_id"] for row in page[field]]
        pages += 1
        if page["next_cursor"] is None:
            return ids, pages
        query = {"limit": str(limit), "cursor": page["next_cursor"]}


def test_an_admin_lists_every_merchant_once_in_id_order(merchants: None) -> None:
    ids, pages = list_all("/catalog/merchants", "merchants", limit=1)

    assert ids == sorted(m.merchant_id for m in MERCHANTS)
    assert pages >= len(MERCHANTS)


def test_an_admin_lists_every_product_once_in_id_order_and_not_deleted_ones(merchants: None) -> None:
    put_products(*(offer(f"p_list_{i}", "m_beta", f"Thing {i}", "10.00", "1.00") for i in range(5)))
    assert call("DELETE", **product_path("p_list_3"), authorizer=WRITER)["statusCode"] == 200

    ids, _ = list_all("/catalog/products", "products")

    assert ids == ["p_list_0", "p_list_1", "p_list_2", "p_list_4"]


def test_a_listed_product_is_the_product_as_read(merchants: None) -> None:
    put_products(offer("p_listed", "m_beta", "Listed Thing", "10.00", "1.00"))

    listed = body_of(call("GET", "/catalog/products", READER))["products"]

    assert listed == [body_of(call("GET", **product_path("p_listed"), authorizer=READER))]


def test_a_merchant_cursor_is_refused_by_the_product_listing(merchants: None) -> None:
    first = admin_fn.lambda_handler(
        api_event("GET", "/catalog/merchants", query={"limit": "1"}, authorizer=READER), LambdaContext()
    )
    cursor = body_of(first)["next_cursor"]

    response = admin_fn.lambda_handler(
        api_event("GET", "/catalog/products", query={"cursor": cursor}, authorizer=READER), LambdaContext()
    )

    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "INVALID_CURSOR"


@pytest.mark.parametrize("cursor", ["not-a-cursor!", "eyJ4IjoxfQ"])
def test_a_cursor_the_api_did_not_issue_is_400_invalid_cursor(merchants: None, cursor: str) -> None:
    response = admin_fn.lambda_handler(
        api_event("GET", "/catalog/merchants", query={"cursor": cursor}, authorizer=READER), LambdaContext()
    )

    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "INVALID_CURSOR"


@pytest.mark.parametrize("path", ["/catalog/merchants", "/catalog/products"])
def test_listing_needs_a_catalog_scope(merchants: None, path: str) -> None:
    for authorizer in (admin_authorizer("adm_agents", "agents:read"), agent_authorizer("agt_SHOPPERshopperSHOPPER0")):
        response = call("GET", path, authorizer)
        assert response["statusCode"] == 403
        assert body_of(response)["error"]["code"] == "FORBIDDEN"


def test_a_page_size_over_100_is_400(merchants: None) -> None:
    response = admin_fn.lambda_handler(
        api_event("GET", "/catalog/products", query={"limit": "101"}, authorizer=READER), LambdaContext()
    )

    assert response["statusCode"] == 400
