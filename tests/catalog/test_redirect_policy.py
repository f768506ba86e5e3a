"""GET /r/{click_id} keeps shoppers' clicks: a limit per click id plus a high per-IP ceiling (not the
public per-IP limit), and a valid click reaches the merchant even when counting it fails."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cashback.settings import DEFAULT_POLICIES, get_settings
from cashback.store import activity as activity_store
from cashback.store import dynamo
from tests.apigw import LambdaContext, agent_authorizer, api_event, body_of, header
from tests.conftest import load_function

AGENT = "agt_REDIRECTredirectREDIR0"
HOST = {"Host": "api.example.test", "X-Forwarded-Proto": "https"}
CARRIER_NAT = "198.51.100.99"
MINUTE_START = 1_795_600_800  # a minute boundary: every request of a test falls in one window

search_fn = load_function("search")
redirect_fn = load_function("redirect")


@pytest.fixture
def frozen(small_catalog: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: float(MINUTE_START + 5))


def served_clicks(count: int) -> list[str]:
    """`count` fresh click ids, served by searches as agents get them."""
    found: list[str] = []
    while len(found) < count:
        event = api_event(
            "POST", "/search", body={"keywords": "headphones"}, authorizer=agent_authorizer(AGENT), headers=HOST
        )
        results = body_of(search_fn.lambda_handler(event, LambdaContext()))["results"]
        found += [r["affiliate_link"].rsplit("/", 1)[1] for r in results]
    return found[:count]


def follow(click_id: str, source_ip: str = CARRIER_NAT) -> dict[str, Any]:
    event = api_event(
        "GET", f"/r/{click_id}", resource="/r/{click_id}", path_parameters={"click_id": click_id}, source_ip=source_ip
    )
    return redirect_fn.lambda_handler(event, LambdaContext())


def test_shoppers_behind_one_address_are_not_held_to_the_public_per_ip_limit(frozen: None) -> None:
    public_limit = DEFAULT_POLICIES["public"].windows[0].limit
    clicks = served_clicks(10)
    per_click = public_limit // len(clicks) + 1  # well under the per-click limit

    statuses = [follow(click)["statusCode"] for click in clicks for _ in range(per_click)]

    assert len(statuses) > public_limit
    assert set(statuses) == {302}


def test_one_click_id_is_limited_whoever_follows_it(frozen: None) -> None:
    (click,) = served_clicks(1)
    limit = DEFAULT_POLICIES["click"].windows[0].limit
    for n in range(limit):
        assert follow(click, source_ip=f"203.0.113.{n + 1}")["statusCode"] == 302

    refused = follow(click, source_ip="192.0.2.200")

    assert refused["statusCode"] == 429
    assert body_of(refused)["error"]["code"] == "RATE_LIMITED"
    assert body_of(refused)["error"]["details"]["policy"] == "click"
    assert header(refused, "Retry-After") is not None and header(refused, "Location") is None
    assert follow(served_clicks(1)[0], source_ip="192.0.2.200")["statusCode"] == 302  # other clicks still pass


def test_one_address_has_a_ceiling(frozen: None, settings_env: Callable[[str, str], None]) -> None:
    settings_env("RATE_LIMITS", '{"redirect": [[60, 3], [3600, 100]]}')
    clicks = served_clicks(4)

    statuses = [follow(click)["statusCode"] for click in clicks]

    assert statuses == [302, 302, 302, 429]


@pytest.fixture
def failing_activity_writes() -> Iterator[set[str]]:
    """DynamoDB refuses every write of the given kinds to ActivityTable (the rate limiter's table works):
    a fault injected under the client, as throttling arrives."""
    failing: set[str] = set()

    def refuse(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in failing and params.get("TableName") == get_settings().activity_table:
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}}
            raise ClientError(error, model.name)

    events = dynamo.dynamodb().meta.events
    events.register("before-parameter-build.dynamodb", refuse)
    try:
        yield failing
    finally:
        events.unregister("before-parameter-build.dynamodb", refuse)


def test_a_click_that_cannot_be_counted_still_reaches_the_merchant(
    frozen: None, failing_activity_writes: set[str]
) -> None:
    (click,) = served_clicks(1)
    failing_activity_writes.update({"UpdateItem", "BatchWriteItem", "PutItem", "TransactWriteItems"})

    response = follow(click)

    assert response["statusCode"] == 302
    assert header(response, "Location").startswith("https://")
    failing_activity_writes.clear()
    assert activity_store.get_item(f"CLICK#{click}", "CLICK").get("clicks", 0) == 0  # uncounted: the metric says so


def test_a_click_counted_but_not_totalled_still_reaches_the_merchant(frozen: None) -> None:
    (click,) = served_clicks(1)
    first_write_passes = iter([False])

    def later_writes_fail(params: dict[str, Any], model: Any, **_: Any) -> None:
        activity_update = model.name == "UpdateItem" and params.get("TableName") == get_settings().activity_table
        if activity_update and next(first_write_passes, True):
            error = {"Error": {"Code": "InternalServerError", "Message": "injected"}}
            raise ClientError(error, model.name)

    dynamo.dynamodb().meta.events.register("before-parameter-build.dynamodb", later_writes_fail)
    try:
        response = follow(click)
    finally:
        dynamo.dynamodb().meta.events.unregister("before-parameter-build.dynamodb", later_writes_fail)

    assert response["statusCode"] == 302
    assert activity_store.get_item(f"CLICK#{click}", "CLICK")["clicks"] == 1


def test_when_the_click_cannot_even_be_read_the_answer_is_503_never_500(
    frozen: None, failing_activity_writes: set[str]
) -> None:
    (click,) = served_clicks(1)
    failing_activity_writes.update({"UpdateItem", "GetItem"})

    response = follow(click)

    assert response["statusCode"] == 503
    assert body_of(response)["error"]["code"] == "DYNAMODB_UNAVAILABLE"
