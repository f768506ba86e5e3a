"""Agents told, not polling: webhooks for conversion pending, confirmed, refunded and feedback received.

The agent registers an https URL (`set_webhook`) and gets a signing secret, shown once; each
delivery is a POST of a JSON body signed as networks sign POST /conversions
(`X-Cashback-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, see `signing`; two
`v1=` during the day after a rotation). The secret is stored sealed (`sealing`), never in clear.

Deliveries happen outside the request path. `run()` is a scheduled function (every minute): it
reads the activity event log (`store.events`) after its own watermark, as the rollup does with its
own, and POSTs each relevant event to its agent's webhook; a network's POST /conversions only
writes the event, so a slow or dead receiver never slows it. A failed delivery is retried with
backoff (settings.webhook_retry_delays: 1 min, 5 min, 30 min, 2 h, 6 h) from a queue in DynamoDB;
after the last retry it becomes a dead letter the agent lists and replays. Delivery is at least
once: a receiver dedupes on the body's `id` (also in X-Cashback-Delivery).

Dead letters live in DynamoDB (the agent's partition of AgentsTable), not SQS: an agent must list
and replay its own failed deliveries, which is one Query on its partition and which a queue shared
by every agent cannot answer; and the local runner runs DynamoDB, not SQS, so the same code is what
the tests exercise.
"""

from __future__ import annotations

import hashlib
import json
import secrets as random_secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cashback import clock, outbound, sealing, signing
from cashback import cursor as cursors
from cashback.auth import Caller
from cashback.errors import ApiError
from cashback.models import (
    Conversion,
    FailedDelivery,
    FailedDeliveryPage,
    ReplayResult,
    Webhook,
    WebhookEventType,
    WebhookRequest,
)
from cashback.observability import MetricUnit, logger, metrics
from cashback.settings import get_settings
from cashback.store import activity as activity_store
from cashback.store import analytics as analytics_store
from cashback.store import webhooks as webhooks_store

SECRET_PREFIX = "whsec_"
ROTATION_OVERLAP_SECONDS = 86_400  # after a rotation, deliveries carry both signatures this long
# As the rollup's: an event is read once it is this old, so none can appear behind the watermark.
CLOSE_GRACE_SECONDS = 60
FIRST_RUN_LOOKBACK_SECONDS = 3_600
PAGE_EVENTS_PER_SHARD = 1_000
MAX_PAGES_PER_RUN = 10
MAX_RETRIES_PER_RUN = 500
PARALLEL_DELIVERIES = 8
REPLAY_BATCH = 100
USER_AGENT = "cashback-webhooks/1"


class WebhookNotFound(ApiError):
    status = 404
    code = "WEBHOOK_NOT_FOUND"
    default_message = "This agent has no webhook."


# ---------------------------------------------------------------- the agent's endpoints


def _new_secret() -> str:
    return SECRET_PREFIX + random_secrets.token_urlsafe(32)


def _shown(item: dict[str, Any], secret: str | None = None) -> Webhook:
    return Webhook(
        url=str(item["url"]),
        created_at=str(item["created_at"]),
        updated_at=str(item["updated_at"]),
        secret_rotated_at=item.get("secret_rotated_at"),
        secret=secret,
    )


def calling_agent(caller: Caller) -> str:
    """The calling agent's id: the MCP webhook tools act on the caller's own webhook (admin keys
    and anonymous callers: 403, as an agent's route refuses them)."""
    return caller.require_any_agent()


def set_webhook(agent_id: str, caller: Caller, request: WebhookRequest) -> tuple[Webhook, bool]:
    """Register or move the agent's webhook; True when it is new (the secret is shown then only)."""
    caller.require_agent(agent_id)
    outbound.resolve(request.url)  # refuses private, loopback and link-local targets now, not at delivery
    current = webhooks_store.get_webhook(agent_id)
    now = clock.now_iso()
    if current is not None:
        item = {**current, "url": request.url, "updated_at": now}
        webhooks_store.put_webhook(agent_id, {k: v for k, v in item.items() if k not in ("pk", "sk")})
        logger.info("webhook moved", extra={"agent_id": agent_id})
        return _shown(item), False
    secret = _new_secret()
    item = {"url": request.url, "secret": sealing.seal(secret, agent_id), "created_at": now, "updated_at": now}
    webhooks_store.put_webhook(agent_id, item)
    logger.info("webhook registered", extra={"agent_id": agent_id})
    metrics.add_metric(name="WebhookRegistered", unit=MetricUnit.Count, value=1)
    return _shown(item, secret), True


def get_webhook(agent_id: str, caller: Caller) -> Webhook:
    caller.require_agent(agent_id)
    item = webhooks_store.get_webhook(agent_id)
    if item is None:
        raise WebhookNotFound()
    return _shown(item)


def delete_webhook(agent_id: str, caller: Caller) -> None:
    caller.require_agent(agent_id)
    if not webhooks_store.delete_webhook(agent_id):
        raise WebhookNotFound()
    logger.info("webhook deleted", extra={"agent_id": agent_id})


def rotate_secret(agent_id: str, caller: Caller) -> Webhook:
    """A new signing secret, shown once; the old one still signs (a second `v1=`) for a day."""
    caller.require_agent(agent_id)
    current = webhooks_store.get_webhook(agent_id)
    if current is None:
        raise WebhookNotFound()
    now = int(time.time())
    secret = _new_secret()
    item = {
        **{k: v for k, v in current.items() if k not in ("pk", "sk")},
        "secret": sealing.seal(secret, agent_id),
        "previous_secret": current["secret"],
        "previous_until": now + ROTATION_OVERLAP_SECONDS,
        "secret_rotated_at": clock.iso(now),
        "updated_at": clock.iso(now),
    }
    webhooks_store.put_webhook(agent_id, item)
    logger.info("webhook secret rotated", extra={"agent_id": agent_id})
    return _shown(item, secret)


def failed_deliveries(agent_id: str, caller: Caller, limit: int, cursor: str | None) -> FailedDeliveryPage:
    """The agent's dead letters, oldest first, paginated."""
    caller.require_agent(agent_id)
    after = cursors.decode(cursor) if cursor else None
    items, last = webhooks_store.dead_letters_page(agent_id, limit, after)
    return FailedDeliveryPage(
        failed=[FailedDelivery.model_validate(i) for i in items],
        next_cursor=cursors.encode(last) if last else None,
    )


def replay(agent_id: str, caller: Caller) -> ReplayResult:
    """Queue up to REPLAY_BATCH dead letters for the next delivery run, with a fresh set of retries."""
    caller.require_agent(agent_id)
    if webhooks_store.get_webhook(agent_id) is None:
        raise WebhookNotFound("Register a webhook before replaying deliveries to it.")
    items, last = webhooks_store.dead_letters_page(agent_id, REPLAY_BATCH, None)
    due = clock.now_iso()
    requeued = sum(webhooks_store.requeue_dead_letter({**i, "attempts": 0}, due) for i in items)
    logger.info("dead letters replayed", extra={"agent_id": agent_id, "requeued": requeued})
    return ReplayResult(requeued=requeued, remaining=last is not None)


# ---------------------------------------------------------------- deliveries (scheduled)


@dataclass
class RunReport:
    events_read: int = 0
    delivered: int = 0
    retried_later: int = 0
    dead_lettered: int = 0
    watermark: str = ""
    stopped_by_concurrent_run: bool = False


def delivery_id(event: dict[str, Any]) -> str:
    """One id per event, the same on every attempt and replay (receivers dedupe on it)."""
    return "dlv_" + hashlib.sha256(str(event["sk"]).encode()).hexdigest()[:32]


def _body(event_id: str, event_type: WebhookEventType, agent_id: str, at: str, data: dict[str, Any]) -> str:
    document = {"id": event_id, "type": event_type.value, "agent_id": agent_id, "created_at": at, "data": data}
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def record_of(event: dict[str, Any]) -> dict[str, Any] | None:
    """The delivery an activity event makes (its exact body), or None for events agents are not told."""
    unique_id = str(event["sk"]).split("#", 2)[2]
    if event.get("kind") == "conversion":
        network, _, versioned_id = unique_id.partition(":")  # "<network>:<id>:<version>", conversions._event
        stored = activity_store.get_conversion(network, versioned_id.rpartition(":")[0])
        if stored is None:
            return None
        status = str(event.get("status") or stored["status"])
        data = {**Conversion.model_validate(stored).model_dump(mode="json"), "status": status}
        event_type = WebhookEventType(f"conversion.{status}")
    elif event.get("kind") == "feedback":
        subject_id, author_id, _ = unique_id.split(":", 2)
        data = {"subject_id": subject_id, "author_id": author_id}
        event_type = WebhookEventType.FEEDBACK_RECEIVED
    else:
        return None
    identifier = delivery_id(event)
    agent_id = str(event["agent_id"])
    return {
        "delivery_id": identifier,
        "agent_id": agent_id,
        "event_type": event_type.value,
        "body": _body(identifier, event_type, agent_id, str(event["at"]), data),
        "attempts": 0,
    }


def _signing_secrets(webhook: dict[str, Any], agent_id: str, now: int) -> list[str]:
    found = [sealing.unseal(str(webhook["secret"]), agent_id)]
    if webhook.get("previous_secret") and int(webhook.get("previous_until", 0)) > now:
        found.append(sealing.unseal(str(webhook["previous_secret"]), agent_id))
    return found


def attempt(record: dict[str, Any], webhook: dict[str, Any], now: int) -> str | None:
    """POST one delivery; None when the receiver answered 2xx, else why it failed (never a secret)."""
    body = str(record["body"]).encode()
    headers = {
        signing.SIGNATURE_HEADER: _signature(webhook, str(record["agent_id"]), now, body),
        "X-Cashback-Event": str(record["event_type"]),
        "X-Cashback-Delivery": str(record["delivery_id"]),
        "User-Agent": USER_AGENT,
    }
    try:
        status = outbound.post(str(webhook["url"]), body, headers)
    except outbound.TargetForbidden as exc:
        return f"target refused: {exc.message}"
    except outbound.DeliveryFailed as exc:
        return str(exc)
    return None if 200 <= status < 300 else f"HTTP {status}"


def _signature(webhook: dict[str, Any], agent_id: str, now: int, body: bytes) -> str:
    first, *others = _signing_secrets(webhook, agent_id, now)
    return signing.sign(first, now, body, *others)


def _after_failure(record: dict[str, Any], error: str, now: int, report: RunReport) -> None:
    """Queue the next attempt after its delay, or dead-letter the delivery after the last one."""
    delays = get_settings().webhook_retry_delays
    attempts = int(record.get("attempts", 0)) + 1
    first = str(record.get("first_attempted_at") or clock.iso(now))
    failed = {**record, "attempts": attempts, "first_attempted_at": first, "last_error": error}
    if attempts <= len(delays):
        webhooks_store.put_retry(failed, clock.iso(now + delays[attempts - 1]))
        report.retried_later += 1
    else:
        webhooks_store.put_dead_letter(failed, clock.iso(now))
        report.dead_lettered += 1
        metrics.add_metric(name="WebhookDeadLettered", unit=MetricUnit.Count, value=1)
        logger.warning(
            "webhook delivery dead-lettered",
            extra={"agent_id": record["agent_id"], "delivery_id": record["delivery_id"], "error": error},
        )


def _deliver_all(
    records: list[dict[str, Any]], now: int, report: RunReport, hooks: dict[str, dict[str, Any]] | None = None
) -> None:
    """Attempt each delivery (a few at once: one slow receiver delays only its own), then record
    each outcome. Deliveries to an agent without a webhook (deleted since) are dropped."""
    if hooks is None:
        hooks = webhooks_store.webhooks_of(r["agent_id"] for r in records)
    pending = [r for r in records if r["agent_id"] in hooks]
    with ThreadPoolExecutor(max_workers=PARALLEL_DELIVERIES) as pool:
        outcomes = list(pool.map(lambda r: attempt(r, hooks[r["agent_id"]], now), pending))
    for record, error in zip(pending, outcomes, strict=True):
        if error is None:
            report.delivered += 1
        else:
            _after_failure(record, error, now, report)
    if report.delivered:
        metrics.add_metric(name="WebhookDelivered", unit=MetricUnit.Count, value=report.delivered)


def run(now: int | None = None) -> RunReport:
    """One scheduled run: the retries that are due, then the events written since the watermark."""
    now = int(time.time()) if now is None else now
    report = RunReport()
    due = webhooks_store.due_retries(clock.iso(now), MAX_RETRIES_PER_RUN)
    claimed = [
        {k: v for k, v in item.items() if k not in ("pk", "sk", "due")}
        for item in due
        if webhooks_store.claim_retry(item)
    ]
    _deliver_all(claimed, now, report)

    seen = webhooks_store.get_watermark()
    report.watermark = seen or clock.iso(now - FIRST_RUN_LOOKBACK_SECONDS)
    closed = clock.iso(now - CLOSE_GRACE_SECONDS)
    for _ in range(MAX_PAGES_PER_RUN):
        low = report.watermark
        high = min(closed, (date.fromisoformat(low[:10]) + timedelta(days=1)).isoformat() + "T00:00:00Z")
        if high <= low:
            break
        page = analytics_store.read_event_page(low, high, PAGE_EVENTS_PER_SHARD)  # bounded, as the rollup reads
        report.events_read += len(page.events)
        told = [e for e in page.events if e.get("kind") in ("conversion", "feedback")]
        hooks = webhooks_store.webhooks_of(str(e["agent_id"]) for e in told)  # most agents have none
        records = [r for r in (record_of(e) for e in told if e["agent_id"] in hooks) if r]
        _deliver_all(records, now, report, hooks)
        if not webhooks_store.move_watermark(seen, page.end):
            report.stopped_by_concurrent_run = True
            logger.warning("another delivery run moved the watermark", extra={"page": [low, page.end]})
            break
        seen = report.watermark = page.end
    lag = max(0, now - clock.epoch_of(report.watermark[:20]))  # an ISO time, or an event's sort key
    # Alarmed (WebhookLagAlarm): a run keeps it at CLOSE_GRACE_SECONDS; more than 10 minutes is a stalled delivery.
    metrics.add_metric(name="WebhookLagSeconds", unit=MetricUnit.Seconds, value=lag)
    return report
