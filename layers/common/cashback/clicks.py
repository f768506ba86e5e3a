"""Following an affiliate link (`GET /r/{click_id}`): count the click once, then send the shopper on.

Searches and compares mint the clicks (`cashback.shopping`); the redirect needs none of the search,
the catalog or their models, so it loads only this.
"""

from __future__ import annotations

from datetime import datetime

from cashback import clock
from cashback.errors import ApiError, DependencyUnavailable
from cashback.observability import MetricUnit, logger, metrics
from cashback.store import activity as activity_store
from cashback.store import events

CLICK_ID_PREFIX = "clk_"
CLICK_ID_PATTERN = r"^clk_[A-Za-z0-9_-]{22}$"


class ClickNotFound(ApiError):
    status = 404
    code = "CLICK_NOT_FOUND"
    default_message = "This link is unknown or has expired."


def follow(click_id: str) -> str:
    """Record one use of the click and return where it goes: the merchant URL with our sub-id.

    A valid click always reaches the merchant: when counting it fails (DynamoDB throttles or
    errors), the click is read instead and the shopper redirected uncounted, logged and counted
    as the ClickCountFailed metric. Only a click that cannot even be read answers 503.
    """
    moment, epoch = clock.now_and_epoch()
    try:
        click = activity_store.use_click(click_id, clock.iso(moment), epoch)
        counted = True
    except DependencyUnavailable as failure:
        _count_failed(click_id, failure)
        click, counted = activity_store.get_click(click_id), False
        if click is not None and click.valid_until <= epoch:
            click = None
    if click is None or not click.target_url.startswith("https://"):
        raise ClickNotFound()
    if counted:
        try:
            _count(click, moment, epoch)
        except DependencyUnavailable as failure:
            _count_failed(click_id, failure)
    return click.target_url


def _count(click: activity_store.Click, moment: datetime, epoch: int) -> None:
    activity_store.count_totals(click.agent_id, {"total_clicks": 1}, clock.iso(moment))
    activity_store.count_day(click.agent_id, moment.date().isoformat(), {"clicks": 1})
    attributed = {
        "agent_id": click.agent_id,
        "product_id": click.product_id,
        "merchant_id": click.merchant_id,
        "match_key": click.match_key,
        "title": click.title,
    }
    activity_store.put_event(events.event_item("click", f"{click.click_id}:{click.uses}", epoch, attributed))
    metrics.add_metric(name="Clicks", unit=MetricUnit.Count, value=1)


def _count_failed(click_id: str, failure: DependencyUnavailable) -> None:
    logger.warning("click not counted; redirecting anyway", extra={"click_id": click_id, "reason": failure.details})
    metrics.add_metric(name="ClickCountFailed", unit=MetricUnit.Count, value=1)
