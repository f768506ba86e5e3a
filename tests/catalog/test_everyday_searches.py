"""Everyday searches find products in the committed seed catalog, loaded as `make dev` loads it
and searched through the real search use case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cashback import catalog, search
from cashback.auth import Caller
from cashback.catalog import admin as catalog_admin
from cashback.models import Merchant, Product, SearchRequest
from cashback.text import query_tokens
from scripts.seed_catalog import read_merchants, read_products, seed
from tests.conftest import template_tables_in_moto

# What people type into a shop's search box, across the departments they shop most: apparel and
# shoes, coffee and kitchen, beauty, home, electronics, sports, toys, books.
EVERYDAY_SEARCHES = (
    "coffee",
    "jacket",
    "running shoes",
    "headphones",
    "lego",
    "laptop",
    "tv",
    "air fryer",
    "yoga mat",
    "dress",
    "jeans",
    "t-shirt",
    "hoodie",
    "backpack",
    "shampoo",
    "perfume",
    "sunscreen",
    "vacuum",
    "towels",
    "candle",
    "novel",
    "cookbook",
    "board game",
    "soccer ball",
    "bike helmet",
    "tent",
    "smartwatch",
    "phone case",
    "coffee maker",
    "socks",
)


@pytest.fixture(scope="module")
def committed() -> tuple[list[Merchant], list[Product]]:
    """The committed seed, every merchant and offer validated by the loader's readers."""
    return read_merchants(), list(read_products())


@pytest.fixture(scope="module")
def seeded(committed: tuple) -> Iterator[int]:
    """The committed seed loaded into moto once for the module, as `make dev` loads it; yields the
    number of offers the first load wrote."""
    with template_tables_in_moto():
        yield seed(progress=False)


def test_the_committed_seed_loads_once(seeded: int, committed: tuple) -> None:
    _, products = committed

    assert seeded == len(products)
    assert catalog_admin.get_product(products[0].product_id, Caller.operator()) == products[0]
    assert seed(progress=False) == 0


@pytest.mark.parametrize("keywords", EVERYDAY_SEARCHES)
def test_an_everyday_search_finds_products_with_every_word(seeded: int, keywords: str) -> None:
    request = SearchRequest.model_validate({"keywords": keywords, "limit": 10})

    page = search.search(request, catalog.source())

    assert page.listings, f"{keywords!r} finds nothing in the seed catalog"
    assert set(query_tokens(keywords)) <= page.listings[0].searchable_tokens, page.listings[0].title
