"""Search over the built-in catalog: relevance, filters, sorts, paging, normalisation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cashback import catalog, search
from cashback.auth import Caller
from cashback.catalog import admin as catalog_admin
from cashback.errors import InvalidRequest
from cashback.models import SearchRequest, SortOrder


def run(keywords: str, **fields: object) -> search.Page:
    return search.search(SearchRequest.model_validate({"keywords": keywords, **fields}), catalog.source())


def ids(page: search.Page) -> list[str]:
    return [listing.product_id for listing in page.listings]


def test_a_title_matching_every_keyword_ranks_above_partial_matches(small_catalog: object) -> None:
    page = run("wireless headphones", limit=50)
    full = {"p_xm5_alpha", "p_xm5_beta", "p_xm5_euro", "p_bose"}
    assert set(ids(page)[:4]) == full
    assert {"p_buds", "p_wired"} <= set(ids(page)[4:])


def test_case_accents_and_plurals_are_normalised(small_catalog: object) -> None:
    assert ids(run("CREME cafe")) == ["p_cafe"]
    assert "p_shoe1" in ids(run("running shoe"))
    assert "p_shoe2" in ids(run("running shoes"))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"brand": "bose"}, {"p_bose"}),
        ({"category": "audio", "merchant": "m_gamma"}, {"p_xm5_gamma", "p_wired"}),
        ({"merchant": "Beta Mart"}, {"p_xm5_beta", "p_buds"}),
        ({"min_price": "300", "max_price": "350"}, {"p_xm5_alpha", "p_xm5_beta"}),
        ({"min_cashback_rate": "4.5"}, {"p_xm5_alpha", "p_bose", "p_xm5_euro"}),
        ({"in_stock": False}, {"p_bose"}),
    ],
)
def test_each_filter_keeps_only_matching_products(small_catalog: object, filters: dict, expected: set) -> None:
    assert set(ids(run("sony bose headphones earbuds", filters=filters, limit=50))) == expected


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        (SortOrder.PRICE_ASC, lambda p: p.price, False),
        (SortOrder.PRICE_DESC, lambda p: p.price, True),
        (SortOrder.CASHBACK_RATE, lambda p: p.cashback_rate, True),
        (SortOrder.RATING, lambda p: p.rating, True),
        (SortOrder.CASHBACK_AMOUNT, lambda p: p.price * p.cashback_rate, True),
    ],
)
def test_each_sort_orders_the_full_matches(small_catalog: object, sort: SortOrder, key, reverse: bool) -> None:
    page = run("headphones", sort=sort, limit=50)
    values = [key(listing) for listing in page.listings]
    assert values == sorted(values, reverse=reverse)
    assert len(values) == 6  # every listing with "headphone(s)" in its title


def test_pages_return_every_result_exactly_once(small_catalog: object) -> None:
    everything = ids(run("sony headphones shoes", limit=50))
    seen: list[str] = []
    cursor = None
    while True:
        page = run("sony headphones shoes", limit=3, cursor=cursor)
        seen += ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == everything
    assert len(seen) == len(set(seen))


def test_total_counts_all_matches_not_just_the_page(small_catalog: object) -> None:
    page = run("headphones", limit=2)
    assert page.total == 6 and len(page.listings) == 2 and page.next_cursor
    assert page.total_is_estimate is False


def test_a_cursor_from_another_search_is_refused(small_catalog: object) -> None:
    cursor = run("headphones", limit=1).next_cursor
    with pytest.raises(InvalidRequest) as refused:
        run("shoes", limit=1, cursor=cursor)
    assert refused.value.code == "INVALID_CURSOR"


def test_a_forged_cursor_is_refused(small_catalog: object) -> None:
    with pytest.raises(InvalidRequest) as refused:
        run("headphones", cursor="not-a-cursor!!")
    assert refused.value.code == "INVALID_CURSOR"


def test_no_match_is_an_empty_page(small_catalog: object) -> None:
    page = run("submarine")
    assert page.listings == [] and page.total == 0 and page.next_cursor is None


def test_updating_a_product_moves_it_in_the_index(small_catalog: list) -> None:
    renamed = small_catalog[-1].model_copy(update={"title": "Crème Milk Frother"})
    catalog_admin.upsert_products([renamed], Caller.operator())
    assert ids(run("espresso")) == []
    assert ids(run("frother")) == ["p_cafe"]
    assert catalog_admin.get_product("p_cafe", Caller.operator()).title == "Crème Milk Frother"


def test_deleting_a_product_removes_it_from_search(small_catalog: object) -> None:
    catalog_admin.delete_product("p_cafe", Caller.operator())
    assert ids(run("espresso")) == []
    with pytest.raises(catalog.ProductNotFound):
        catalog_admin.get_product("p_cafe", Caller.operator())


def test_prices_keep_exact_cents(small_catalog: object) -> None:
    (listing,) = run("pegasus").listings
    assert listing.price == Decimal("139.99")
