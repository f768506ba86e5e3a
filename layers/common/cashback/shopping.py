"""What agents come for: search, compare and affiliate links that attribute the sale later.

Every listing served gets a fresh click id (unguessable, bound to the agent, product and
merchant, valid CLICK_TTL_DAYS days); its affiliate link is `<api>/r/<click_id>`. The redirect
only ever sends the browser to the URL stored with the click, which came from the catalog and
is checked to be https on the merchant's own domain, so it cannot be an open redirect
(following a link: `cashback.clicks`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cashback import catalog, clock, search
from cashback.auth import Caller
from cashback.catalog import Listing
from cashback.clicks import CLICK_ID_PREFIX
from cashback.errors import ApiError
from cashback.models import (
    BatchSearchItem,
    BatchSearchResponse,
    CompareResponse,
    CompareRow,
    CompareSummary,
    ErrorDetail,
    PriceRange,
    SearchRequest,
    SearchResponse,
    SearchResult,
)
from cashback.money import cashback_amount, percent_label
from cashback.observability import MetricUnit, metrics
from cashback.settings import get_settings
from cashback.store import activity as activity_store
from cashback.store import events
from cashback.text import fold, query_tokens

# Click items stay this long after they stop redirecting, for conversions that arrive late.
CLICK_RETENTION_SECONDS = 180 * 86400
SEARCH_LOG_RETENTION_SECONDS = 90 * 86400
BRANDS_COUNTED_PER_SEARCH = 3
# Trending counts a search for the distinct products among its first results.
PRODUCTS_COUNTED_PER_SEARCH = 3


def with_subid(url: str, param: str, click_id: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param]
    return urlunsplit(parts._replace(query=urlencode([*query, (param, click_id)])))


def _mint_clicks(
    agent_id: str, listings: Iterable[Listing], base_url: str
) -> tuple[dict[str, str], list[activity_store.Click]]:
    """Links by product id, and the clicks to store for them."""
    moment, epoch = clock.now_and_epoch()
    valid_until = epoch + get_settings().click_ttl_days * 86400
    links: dict[str, str] = {}
    clicks: list[activity_store.Click] = []
    for listing in listings:
        click_id = CLICK_ID_PREFIX + secrets.token_urlsafe(16)
        links[listing.product_id] = f"{base_url}/r/{click_id}"
        clicks.append(
            activity_store.Click(
                click_id=click_id,
                agent_id=agent_id,
                product_id=listing.product_id,
                merchant_id=listing.merchant_id,
                match_key=listing.match_key,
                title=listing.title,
                target_url=with_subid(listing.url, listing.subid_param, click_id),
                created_at=clock.iso(moment),
                valid_until=valid_until,
                expires_at=valid_until + CLICK_RETENTION_SECONDS,
            )
        )
    return links, clicks


def _result(listing: Listing, link: str) -> SearchResult:
    return SearchResult(
        product_id=listing.product_id,
        title=listing.title,
        brand=listing.brand,
        category=listing.category,
        merchant=listing.merchant_name,
        merchant_id=listing.merchant_id,
        merchant_domain=(urlsplit(listing.url).hostname or "").removeprefix("www."),
        price=listing.price,
        currency=listing.currency,
        cashback_rate=listing.cashback_rate,
        cashback_amount=cashback_amount(listing.price, listing.cashback_rate),
        rating=listing.rating,
        in_stock=listing.in_stock,
        affiliate_link=link,
    )


def _search_counters(request: SearchRequest, listings: list[Listing]) -> dict[str, int]:
    """Per-day analytics counters: the search, each keyword, and the brands searched for
    (the brand filter, else the distinct brands of the first results)."""
    counters = {"searches": 1}
    counters.update({f"kw:{token}": 1 for token in query_tokens(request.keywords)})
    brands = [request.filters.brand] if request.filters.brand else [item.brand for item in listings]
    for brand in list(dict.fromkeys(fold(b) for b in brands))[:BRANDS_COUNTED_PER_SEARCH]:
        counters[f"brand:{brand}"] = 1
    return counters


def run_search(
    request: SearchRequest, caller: Caller, base_url: str, request_id: str, on_behalf_of: str | None = None
) -> SearchResponse:
    """Search as the calling agent (admin keys and anonymous callers: 403), minting a link per result;
    `on_behalf_of`, when given (the compatibility API's `agent_id`), must be that agent (403 otherwise)."""
    if on_behalf_of is not None:
        caller.require_agent(on_behalf_of)
    agent_id = caller.require_any_agent()
    page = search.search(request, catalog.source())
    links, clicks = _mint_clicks(agent_id, page.listings, base_url)
    moment, epoch = clock.now_and_epoch()
    log_entry = activity_store.SearchLog(
        keywords=request.keywords,
        filters=request.filters.model_dump(mode="json", exclude_none=True),
        sort=request.sort.value,
        results_count=page.total,
        created_at=clock.iso(moment),
        request_id=request_id,
        expires_at=epoch + SEARCH_LOG_RETENTION_SECONDS,
    )
    shown = list({listing.match_key: listing for listing in page.listings[:PRODUCTS_COUNTED_PER_SEARCH]}.values())
    event = events.event_item(
        "search",
        request_id,
        epoch,
        {
            "agent_id": agent_id,
            "counters": _search_counters(request, page.listings),
            "products": [{"match_key": p.match_key, "title": p.title} for p in shown],
        },
    )
    activity_store.record_search(agent_id, log_entry, clicks, event)
    activity_store.count_totals(agent_id, {"total_searches": 1}, clock.iso(moment))
    activity_store.count_day(agent_id, moment.date().isoformat(), _search_counters(request, page.listings))
    metrics.add_metric(name="Searches", unit=MetricUnit.Count, value=1)
    return SearchResponse(
        keywords=request.keywords,
        results=[_result(listing, links[listing.product_id]) for listing in page.listings],
        total=page.total,
        total_is_estimate=page.total_is_estimate,
        next_cursor=page.next_cursor,
    )


def run_batch(requests: list[SearchRequest], caller: Caller, base_url: str, request_id: str) -> BatchSearchResponse:
    """Each search gets its results or its own error; one failing search never fails the batch."""
    caller.require_any_agent()
    items = []
    for index, request in enumerate(requests):
        try:
            result = run_search(request, caller, base_url, f"{request_id}-{index}")
            items.append(BatchSearchItem(ok=True, result=result))
        except ApiError as error:
            detail = ErrorDetail(code=error.code, message=error.message, details=error.details, request_id=request_id)
            items.append(BatchSearchItem(ok=False, error=detail))
    return BatchSearchResponse(results=items)


def run_compare(
    product_name: str, max_merchants: int, caller: Caller, base_url: str, on_behalf_of: str | None = None
) -> CompareResponse:
    """Compare as the calling agent; `on_behalf_of`, when given, must be that agent (403 otherwise)."""
    if on_behalf_of is not None:
        caller.require_agent(on_behalf_of)
    agent_id = caller.require_any_agent()
    offers = search.compare(product_name, max_merchants, catalog.source())
    links, clicks = _mint_clicks(agent_id, offers, base_url)
    activity_store.put_clicks(clicks)
    amounts = [cashback_amount(o.price, o.cashback_rate) for o in offers]
    rows = [
        CompareRow(
            rank=rank,
            product_id=offer.product_id,
            title=offer.title,
            merchant=offer.merchant_name,
            price=offer.price,
            currency=offer.currency,
            cashback_rate=offer.cashback_rate,
            cashback_amount=amount,
            savings_vs_1st=amount - amounts[0],
            effective_price=offer.price - amount,
            in_stock=offer.in_stock,
            affiliate_link=links[offer.product_id],
        )
        for rank, (offer, amount) in enumerate(zip(offers, amounts, strict=True), start=1)
    ]
    prices = [o.price for o in offers]
    summary = CompareSummary(
        best_merchant=rows[0].merchant,
        best_cashback_rate=percent_label(rows[0].cashback_rate),
        best_effective_price=min(r.effective_price for r in rows),
        price_range=PriceRange(min=min(prices), max=max(prices)),
        merchant_count=len(rows),
    )
    return CompareResponse(product_query=product_name, agent_id=agent_id, results=rows, summary=summary)
