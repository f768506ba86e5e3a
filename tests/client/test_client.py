"""Every client method, sync and async, against the local API: typed answers, rate limits, errors."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from cashback_client import (
    CashbackClient,
    CashbackError,
    ConnectionFailedError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    UnauthorizedError,
    models,
)
from localrun.stack import DEFAULT_WEBHOOK_KEY_ID, DEFAULT_WEBHOOK_SECRET, LocalApi
from tests.client.conftest import COMMISSION, RUNNING_SHOES, Shopper
from tests.helpers import free_port, make_admin_key
from tests.small_catalog import HEADPHONES

Connect = Callable[..., CashbackClient]
EVM_WALLET = "0x52908400098527886E0F7030069857D2E4169EE7"


@pytest.fixture
def agent(connect: Connect, catalog: None) -> CashbackClient:
    """A fresh agent's client: its own token and agent id."""
    registered = connect().register("client-tests")
    return connect(registered.token, agent_id=registered.agent_id)


def test_register_returns_the_token_and_the_profile_reads_back(connect: Connect) -> None:
    registered = connect().register("sdk-agent", wallet_address=EVM_WALLET, crypto_preference="USDC")

    assert registered.token.startswith("cbk_agent_")
    assert registered.crypto_preference is models.CryptoPreference.USDC
    profile = connect(registered.token, agent_id=registered.agent_id).get_agent()
    assert (profile.agent_id, profile.agent_name, profile.wallet_address) == (
        registered.agent_id,
        "sdk-agent",
        EVM_WALLET,
    )
    assert profile.plan is models.Plan.STANDARD


def test_health_is_ok(connect: Connect) -> None:
    health = connect().health()
    assert health.status == "ok"
    assert health.checks["dynamodb"] == "ok"
    assert health.timestamp


def test_search_filters_and_sorts_with_money_as_decimal(agent: CashbackClient, local_api: LocalApi) -> None:
    page = agent.search("running shoes", max_price=150, sort="price_asc")

    assert [r.title for r in page.results] == RUNNING_SHOES
    assert [r.price for r in page.results] == [Decimal("139.99"), Decimal("149.95")]
    assert page.results[0].cashback_amount == Decimal("4.55")
    assert all(r.affiliate_link.startswith(f"{local_api.base_url}/r/clk_") for r in page.results)
    assert (page.total, page.next_cursor) == (2, None)


def test_search_takes_decimal_filters_and_every_option(agent: CashbackClient) -> None:
    page = agent.search(
        "running shoes",
        max_price=Decimal("140.00"),
        min_price="100",
        category="shoes",
        merchant="m_beta",
        min_cashback_rate=Decimal("3"),
        in_stock=True,
        sort=models.SortOrder.CASHBACK_AMOUNT,
        limit=5,
    )
    assert [r.title for r in page.results] == RUNNING_SHOES[:1]


def test_search_pages_with_the_cursor(agent: CashbackClient) -> None:
    first = agent.search("running shoes", limit=1, sort="price_asc")
    assert first.next_cursor
    second = agent.search("running shoes", limit=1, sort="price_asc", cursor=first.next_cursor)

    assert [r.title for r in first.results + second.results] == RUNNING_SHOES
    assert second.next_cursor is None


def test_batch_search_takes_keywords_models_and_dicts(agent: CashbackClient) -> None:
    batch = agent.batch_search(
        [
            "running shoes",
            models.SearchRequest(keywords="running shoes", filters=models.SearchFilters(max_price=Decimal("140"))),
            {"keywords": "headphones", "limit": 2},
        ]
    )

    assert [item.ok for item in batch.results] == [True, True, True]
    results = [item.result for item in batch.results]
    assert all(result is not None for result in results)
    assert [len(result.results) for result in results if result] == [2, 1, 2]


def test_compare_ranks_merchants_by_cashback(agent: CashbackClient) -> None:
    compared = agent.compare(HEADPHONES, max_merchants=3)

    assert [row.rank for row in compared.results] == [1, 2, 3]
    amounts = [row.cashback_amount for row in compared.results]
    assert amounts == sorted(amounts, reverse=True)
    assert compared.results[0].savings_vs_1st == Decimal("0.00")
    assert compared.summary.merchant_count >= 3
    assert compared.agent_id == agent.agent_id


def test_stats_and_analytics_count_the_agents_searches(agent: CashbackClient) -> None:
    agent.search("running shoes")
    agent.search("headphones", brand="Sony")

    stats = agent.stats()
    assert (stats.agent_id, stats.total_searches, stats.revenue) == (agent.agent_id, 2, {})
    analytics = agent.analytics()
    assert sorted(s.keywords for s in analytics.recent_searches) == ["headphones", "running shoes"]
    assert len(analytics.timeline) == 30
    assert "sony" in [brand.name for brand in analytics.top_brands]


def test_conversions_stats_leaderboard_and_trending_show_the_commission(connect: Connect, shopper: Shopper) -> None:
    api = connect(shopper.token, agent_id=shopper.agent_id)

    [conversion] = api.conversions(limit=5).conversions
    assert (conversion.status, conversion.commission_amount) == (models.ConversionStatus.CONFIRMED, Decimal(COMMISSION))
    assert api.stats().revenue == {"USD": Decimal(COMMISSION)}
    board = api.leaderboard(metric="revenue", period=models.LeaderboardPeriod.WEEK, currency="USD")
    assert board.currency == "USD"
    assert board.as_of is not None
    mine = [row for row in board.agents if row.agent_id == shopper.agent_id]
    assert [(row.agent_name, row.revenue, row.conversions) for row in mine] == [
        (shopper.agent_name, {"USD": Decimal(COMMISSION)}, 1)
    ]
    euro = api.leaderboard(metric="revenue", period=models.LeaderboardPeriod.WEEK, currency="EUR")
    assert euro.currency == "EUR" and shopper.agent_id not in [row.agent_id for row in euro.agents]  # USD only
    trending = api.trending(days=7)
    assert RUNNING_SHOES[0] in [p.title for p in trending.products]
    assert "m_beta" in [m.merchant_id for m in trending.merchants]


def test_rotate_token_switches_the_client_to_the_new_token(connect: Connect, agent: CashbackClient) -> None:
    old = agent.token
    rotated = agent.rotate_token()

    assert agent.token == rotated.token != old
    assert agent.get_agent().agent_id == agent.agent_id
    with pytest.raises(UnauthorizedError):
        connect(old, agent_id=agent.agent_id).get_agent()


def test_every_answer_surfaces_the_rate_limit_headers_and_request_id(agent: CashbackClient) -> None:
    agent.search("running shoes")

    limit = agent.last_rate_limit
    assert limit is not None
    assert limit.limit == 100  # the standard plan's minute, the tightest window
    assert 0 <= limit.remaining < 100
    assert [(w.name, w.limit, w.window_seconds) for w in limit.windows] == [("minute", 100, 60), ("hour", 1000, 3600)]
    assert all(w.remaining is not None and w.reset_in is not None for w in limit.windows)
    assert limit.windows[0].remaining == limit.remaining
    assert limit.retry_after is None
    assert agent.last_request_id


def test_an_api_error_carries_its_code_status_and_request_id(agent: CashbackClient) -> None:
    with pytest.raises(NotFoundError) as raised:
        agent.compare("a product nobody sells")

    error = raised.value
    assert isinstance(error, CashbackError)
    assert (error.status, error.code) == (404, "PRODUCT_NOT_FOUND")
    assert error.request_id and error.request_id == agent.last_request_id
    assert error.rate_limit is not None and error.rate_limit.limit == 100
    assert error.request_id in str(error) and "PRODUCT_NOT_FOUND" in str(error)


def test_bad_input_is_an_invalid_request_error(connect: Connect, agent: CashbackClient) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        agent.search("running shoes", limit=500)
    assert (raised.value.status, raised.value.code) == (400, "INVALID_VALUE")
    assert raised.value.request_id

    with pytest.raises(InvalidRequestError) as raised:
        connect().register("bad-wallet", wallet_address="not-a-wallet")
    assert raised.value.code == "INVALID_VALUE"


def test_an_unknown_token_is_unauthorized_with_the_gateways_request_id(connect: Connect, catalog: None) -> None:
    with pytest.raises(UnauthorizedError) as raised:
        connect("cbk_agent_" + "x" * 43).search("running shoes")

    assert (raised.value.status, raised.value.code) == (401, "UNAUTHORIZED")
    assert raised.value.request_id
    assert raised.value.rate_limit is None  # the gateway answered: nothing was counted


def test_another_agents_stats_are_forbidden(connect: Connect, agent: CashbackClient) -> None:
    other = connect().register("someone-else")

    with pytest.raises(ForbiddenError) as raised:
        agent.stats(other.agent_id)
    assert (raised.value.status, raised.value.code) == (403, "FORBIDDEN")
    assert raised.value.request_id


def test_an_unreachable_api_is_a_connection_error(connect: Connect) -> None:
    with pytest.raises(ConnectionFailedError) as raised:
        connect(base_url=f"http://127.0.0.1:{free_port()}").health()
    assert (raised.value.status, raised.value.code, raised.value.request_id) == (None, "CONNECTION_FAILED", None)


def test_agent_reads_need_an_agent_id(connect: Connect) -> None:
    with pytest.raises(ValueError, match="agent id"):
        connect("cbk_agent_token").stats()


def test_an_agent_id_cannot_change_the_route(agent: CashbackClient) -> None:
    with pytest.raises(NotFoundError) as raised:
        agent.stats("../../search")  # quoted into one path segment (%2F): no route, not POST /search

    assert (raised.value.status, raised.value.code) == (404, "ROUTE_NOT_FOUND")


def test_an_agent_publishes_itself_and_another_gives_and_revokes_feedback(connect: Connect) -> None:
    registered = connect().register("client-public")
    subject = connect(registered.token, agent_id=registered.agent_id)
    author_registered = connect().register("client-author")
    author = connect(author_registered.token, agent_id=author_registered.agent_id)

    profile = subject.update_profile({"public": True, "description": f"Listed as {registered.agent_id}"})
    given = author.give_feedback(registered.agent_id, 88, tags=["starred"], comment="Good picks")
    listed = connect().directory(query=registered.agent_id, sort="newest")
    reputation = connect().reputation(registered.agent_id)
    revoked = author.revoke_feedback(registered.agent_id)

    assert profile.public is True
    assert (given.score, given.tags, given.author_id) == (88, ["starred"], author_registered.agent_id)
    assert [entry.agent_id for entry in listed.agents] == [registered.agent_id]
    assert [(f.author_id, f.score) for f in reputation.feedback] == [(author_registered.agent_id, 88)]
    assert reputation.score is None  # no rollup has scored it yet
    assert revoked.revoked is True
    assert connect().reputation(registered.agent_id).feedback == []


def test_self_feedback_is_a_forbidden_error_with_its_code(connect: Connect) -> None:
    registered = connect().register("client-narcissus")
    agent = connect(registered.token, agent_id=registered.agent_id)

    with pytest.raises(ForbiddenError) as raised:
        agent.give_feedback(registered.agent_id, 100)

    assert raised.value.code == "SELF_FEEDBACK" and raised.value.request_id


def test_an_admin_key_lists_reads_and_deletes_catalog_products(
    connect: Connect, local_api: LocalApi, catalog: None
) -> None:
    api = connect(make_admin_key(local_api, "catalog:read,catalog:write"))
    offer = {"product_id": "p_client_listed", "product_key": "client listed", "title": "Client Listed Thing",
             "brand": "Listing", "category": "home", "merchant_id": "m_beta", "price": "10.00", "currency": "USD",
             "url": "https://www.beta.example/p/client", "cashback_rate": "2.00"}  # fmt: skip

    assert api.put_products([offer]).ids == ["p_client_listed"]
    first = api.list_products(limit=1)
    second = api.list_products(limit=1, cursor=first.next_cursor)
    merchants = api.list_merchants(limit=100).merchants

    assert second.products[0].product_id > first.products[0].product_id
    assert "m_beta" in [m.merchant_id for m in merchants]
    assert api.get_product("p_client_listed").price == Decimal("10.00")
    assert api.delete_product("p_client_listed").deleted == "p_client_listed"
    with pytest.raises(NotFoundError):
        api.get_product("p_client_listed")


def test_follow_and_a_signed_conversion_go_through_the_client(connect: Connect, shopper: Shopper) -> None:
    api = connect(shopper.token, agent_id=shopper.agent_id)
    link = api.search("pegasus running shoes").results[0].affiliate_link
    event = {"conversion_id": f"net-client-follow-{link[-8:]}", "click_id": link.rsplit("/", 1)[1],
             "status": "pending", "order_amount": "139.99", "currency": "USD", "commission_amount": "5.00",
             "occurred_at": "2026-11-25T10:00:00Z"}  # fmt: skip

    redirect = api.follow(link.rsplit("/", 1)[1])
    receipt = connect().record_conversion(event, DEFAULT_WEBHOOK_SECRET, DEFAULT_WEBHOOK_KEY_ID)

    assert redirect.status == 302
    assert redirect.location.startswith("https://")
    assert receipt.applied is True
    with pytest.raises(UnauthorizedError):
        connect().record_conversion(
            {**event, "conversion_id": "net-client-bad"}, "not-the-secret", DEFAULT_WEBHOOK_KEY_ID
        )


def test_an_agent_registers_reads_rotates_and_deletes_its_webhook(connect: Connect) -> None:
    registered = connect().register("client-hooked")
    agent = connect(registered.token, agent_id=registered.agent_id)

    created = agent.set_webhook("http://127.0.0.1:9/hooks/first")  # the receiver allowed in tests
    moved = agent.set_webhook("http://127.0.0.1:9/hooks/moved")
    read = agent.get_webhook()
    rotated = agent.rotate_webhook_secret()
    failures = agent.failed_deliveries(limit=5)
    replayed = agent.replay_failed_deliveries()
    deleted = agent.delete_webhook()

    assert created.secret and created.secret.startswith("whsec_")
    assert (moved.url, moved.secret) == ("http://127.0.0.1:9/hooks/moved", None)  # the secret is shown once
    assert (read.url, read.secret) == (moved.url, None)
    assert read.events == list(models.WebhookEventType)
    assert rotated.secret and rotated.secret != created.secret and rotated.secret_rotated_at
    assert (failures.failed, failures.next_cursor) == ([], None)
    assert (replayed.requeued, replayed.remaining) == (0, False)
    assert deleted.deleted == registered.agent_id
    with pytest.raises(NotFoundError) as raised:
        agent.get_webhook()
    assert raised.value.code == "WEBHOOK_NOT_FOUND"


def test_a_private_webhook_target_is_an_invalid_request_error(connect: Connect) -> None:
    registered = connect().register("client-ssrf")
    agent = connect(registered.token, agent_id=registered.agent_id)

    with pytest.raises(InvalidRequestError) as raised:
        agent.set_webhook("https://169.254.169.254/latest/meta-data/")

    assert raised.value.code == "WEBHOOK_TARGET_FORBIDDEN" and raised.value.status == 422
