"""The seed catalog: generated deterministically, committed as generated, rich enough, and loadable."""

from __future__ import annotations

import gzip
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from cashback import catalog, search
from cashback.models import Merchant, Product, SearchRequest
from cashback.money import cashback_amount
from scripts.generate_catalog import DEFAULT_SEED, generate, main, write
from scripts.seed_catalog import SEED_DIR, read_merchants, read_products, seed

SEED_FILES = ("merchants.json", "products.jsonl.gz")


@pytest.fixture(scope="module")
def committed() -> tuple[list[Merchant], list[Product]]:
    """The committed seed, every merchant and offer validated by the loader's readers."""
    return read_merchants(), list(read_products())


@pytest.fixture
def small_seed(aws: None, tmp_path: Path) -> list[Product]:
    """A 200-offer catalog from the generator, loaded into moto the way `make dev` loads the seed."""
    merchants, products = generate(DEFAULT_SEED, 200)
    write(tmp_path, merchants, products)
    seed(seed_dir=tmp_path, progress=False)
    return products


def offers_by_product(products: list[Product]) -> dict[str, list[Product]]:
    grouped: dict[str, list[Product]] = defaultdict(list)
    for product in products:
        grouped[product.match_key].append(product)
    return grouped


def gtin_is_valid(gtin: str) -> bool:
    weighted = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(reversed(gtin)))
    return weighted % 10 == 0


# ---------------------------------------------------------------- determinism


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    write(tmp_path / "first", *generate(7, 300))
    write(tmp_path / "second", *generate(7, 300))

    for name in SEED_FILES:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()


def test_another_seed_gives_another_catalog() -> None:
    assert generate(7, 50)[1] != generate(8, 50)[1]


def test_generate_returns_exactly_the_offers_asked_for() -> None:
    assert len(generate(7, 137)[1]) == 137


def test_the_command_line_writes_what_generate_returns(tmp_path: Path) -> None:
    main(["--seed", "7", "--products", "120", "--out", str(tmp_path / "cli")])
    write(tmp_path / "api", *generate(7, 120))

    for name in SEED_FILES:
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "api" / name).read_bytes()


def test_the_committed_seed_is_what_the_generator_writes_by_default(tmp_path: Path) -> None:
    main(["--out", str(tmp_path)])

    assert (SEED_DIR / "merchants.json").read_bytes() == (tmp_path / "merchants.json").read_bytes()
    # The content, not the gzip bytes: another zlib build may compress the same lines differently.
    fresh = gzip.decompress((tmp_path / "products.jsonl.gz").read_bytes())
    assert gzip.decompress((SEED_DIR / "products.jsonl.gz").read_bytes()) == fresh


# ---------------------------------------------------------------- the committed data


def test_the_seed_has_5000_offers_30_merchants_and_15_categories(committed: tuple) -> None:
    merchants, products = committed

    assert len(products) >= 5000
    assert len(merchants) >= 30
    assert len({p.category for p in products}) >= 15


def test_ids_are_unique(committed: tuple) -> None:
    merchants, products = committed

    assert len({m.merchant_id for m in merchants}) == len(merchants)
    assert len({p.product_id for p in products}) == len(products)


def test_every_offer_names_a_merchant_of_the_seed(committed: tuple) -> None:
    merchants, products = committed

    assert {p.merchant_id for p in products} <= {m.merchant_id for m in merchants}


def test_every_offer_has_its_merchants_domain_currency_and_category_rate(committed: tuple) -> None:
    merchants, products = committed
    by_id = {m.merchant_id: m for m in merchants}

    for product in products:
        merchant = by_id[product.merchant_id]
        host = product.url.split("/")[2]
        assert host == merchant.domain or host.endswith("." + merchant.domain), product.product_id
        assert product.currency == merchant.currency, product.product_id
        assert product.cashback_rate == merchant.rate_for(product.category), product.product_id


def test_some_merchants_pay_a_different_rate_in_some_categories(committed: tuple) -> None:
    merchants, _ = committed

    assert sum(1 for m in merchants if m.category_rates) >= 10


def test_at_least_500_products_are_sold_by_several_merchants(committed: tuple) -> None:
    _, products = committed

    merchant_counts = [len({o.merchant_id for o in offers}) for offers in offers_by_product(products).values()]

    assert sum(1 for count in merchant_counts if count >= 2) >= 500
    assert max(merchant_counts) <= 6


def test_offers_of_one_product_agree_on_brand_model_and_category(committed: tuple) -> None:
    _, products = committed

    for match_key, offers in offers_by_product(products).items():
        assert len({(o.brand, o.model, o.category) for o in offers}) == 1, match_key


def test_offers_of_one_product_differ_in_price_or_rate(committed: tuple) -> None:
    _, products = committed
    shared = [offers for offers in offers_by_product(products).values() if len(offers) >= 2]

    varied = [offers for offers in shared if len({(o.price, o.cashback_rate) for o in offers}) > 1]

    assert len(varied) >= 0.9 * len(shared)


def test_most_offers_have_a_gtin_13_with_a_valid_check_digit(committed: tuple) -> None:
    _, products = committed
    gtins = [p.gtin for p in products if p.gtin]

    assert len(gtins) >= 0.8 * len(products)
    assert all(len(gtin) == 13 and gtin_is_valid(gtin) for gtin in gtins)


def test_prices_are_mostly_in_usd_with_a_few_other_currencies(committed: tuple) -> None:
    _, products = committed
    currencies = [p.currency for p in products]

    assert currencies.count("USD") >= 0.7 * len(products)
    assert len(set(currencies)) >= 3


# ---------------------------------------------------------------- loading and using it
# (the whole committed seed loads and answers everyday searches in test_everyday_searches.py)


def test_the_seed_covers_the_departments_people_shop_most(committed: tuple) -> None:
    _, products = committed
    departments = {"apparel", "shoes", "coffee", "kitchen", "beauty", "home", "books", "sports", "toys", "audio"}

    assert departments <= {p.category for p in products}


def test_a_seeded_product_is_found_by_its_brand(small_seed: list[Product]) -> None:
    brand = small_seed[0].brand
    expected = {p.product_id for p in small_seed if p.brand == brand}
    request = SearchRequest.model_validate({"keywords": brand, "filters": {"brand": brand}, "limit": 50})

    page = search.search(request, catalog.source())

    assert {listing.product_id for listing in page.listings} == expected


def test_compare_lists_each_merchant_of_a_shared_product_best_cashback_first(small_seed: list[Product]) -> None:
    shared = next(
        offers
        for offers in offers_by_product(small_seed).values()
        if len({o.merchant_id for o in offers}) >= 2 and all(o.currency == "USD" for o in offers)
    )
    shortest_title = min((o.title for o in shared), key=len)

    rows = search.compare(shortest_title, 10, catalog.source())

    assert {row.match_key for row in rows} == {shared[0].match_key}
    assert {row.merchant_id for row in rows} == {o.merchant_id for o in shared}
    amounts: list[Decimal] = [cashback_amount(row.price, row.cashback_rate) for row in rows]
    assert amounts == sorted(amounts, reverse=True)
