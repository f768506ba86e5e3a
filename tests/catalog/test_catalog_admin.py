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
