"""The scheduled delivery function reports its watermark's lag as the metric WebhookLagAlarm
watches (template.yaml): as CloudWatch receives it, an embedded-metric-format line on stdout."""

from __future__ import annotations

import json
import time

import pytest

from cashback import clock, notify
from cashback.observability import metrics
from cashback.store import activity as activity_store
from cashback.store import events
from cashback.store import webhooks as webhooks_store
from tests.apigw import LambdaContext
from tests.conftest import load_function

LAG_ALARM_THRESHOLD = 600  # WebhookLagAlarm, template.yaml
deliver_fn = load_function("deliver_webhooks")


def emitted(out: str) -> dict[str, list[float]]:
    """The values of each metric in the function's embedded-metric-format lines, by name."""
    found: dict[str, list[float]] = {}
    for line in out.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "_aws" in document:
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    value = document[metric["Name"]]
                    found.setdefault(metric["Name"], []).extend(value if isinstance(value, list) else [value])
    return found


@pytest.fixture
def metrics_on(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Metrics emitted, starting empty: an earlier test in this process may have left some
    recorded and unflushed (the one Metrics is shared), which the next flush would print."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics.clear_metrics()


def test_a_delivery_run_that_keeps_up_reports_the_grace_period_as_its_lag(
    metrics_on: None, capsys: pytest.CaptureFixture[str]
) -> None:
    deliver_fn.lambda_handler({}, LambdaContext())

    assert emitted(capsys.readouterr().out)["WebhookLagSeconds"] == [notify.CLOSE_GRACE_SECONDS]


def test_a_delivery_run_left_behind_reports_a_lag_over_the_alarms_threshold(
    metrics_on: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two hours of events behind a stalled watermark, more than a run reads (pages made small).
    monkeypatch.setattr(notify, "PAGE_EVENTS_PER_SHARD", 1)
    monkeypatch.setattr(notify, "MAX_PAGES_PER_RUN", 2)
    start = int(time.time()) - 7200
    assert webhooks_store.move_watermark(None, clock.iso(start))
    activity_store.put_items(
        [
            events.event_item("search", f"req-{n}", start + 60 * n, {"agent_id": "agt_LAGlagLAGlagLAGlag0000"})
            for n in range(100)
        ]
    )

    report = deliver_fn.lambda_handler({}, LambdaContext())

    [lag] = emitted(capsys.readouterr().out)["WebhookLagSeconds"]
    assert report["events_read"] <= 2 * events.SHARDS and report["watermark"] < clock.iso(start + 7200)
    assert lag > LAG_ALARM_THRESHOLD
