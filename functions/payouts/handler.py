"""Payouts per calendar month (admin): the report as JSON or CSV (analytics:read), and marking a
closed month paid (payouts:write), once."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from cashback import payouts
from cashback.api import http
from cashback.models import PaidRecord, PayoutReport
from cashback.models.payouts import PERIOD_PATTERN
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)

PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="a calendar month, UTC: YYYY-MM")]
UNROUTABLE = "ROUTE_NOT_FOUND (the period is not YYYY-MM)"
REPORT_RESPONSES = http.responses(errors={403: "FORBIDDEN (no analytics:read scope)", 404: UNROUTABLE})
REPORT_RESPONSES[200]["content"] = {
    "application/json": {"model": PayoutReport},
    "text/csv": {"schema": {"type": "string", "description": f"CSV with the header {','.join(payouts.CSV_COLUMNS)}"}},
}


@app.get(
    "/admin/payouts/<period>",
    summary="The month's payout report",
    description="Each agent that earned in the month (UTC): wallet, crypto preference, confirmed commission by "
    "currency net of refunds, and the conversions that make it up; a page of agents by agent id. "
    "`?format=csv` or `Accept: text/csv`: one row per agent and currency, the next page's cursor in "
    "`X-Next-Cursor`.",
    tags=["Payouts"],
    responses=REPORT_RESPONSES,
    security=http.ADMIN_KEY,
)
def payout_report(
    period: PeriodPath,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    format: Annotated[Literal["json", "csv"] | None, Query(description="csv: the same as Accept: text/csv")] = None,
) -> Response[PayoutReport | str]:
    accept = app.current_event.headers.get("accept") or ""
    if format == "csv" or (format is None and "text/csv" in accept.lower()):
        page = payouts.report(period, http.caller(app), limit, cursor, with_conversions=False)
        headers = {"X-Next-Cursor": page.next_cursor} if page.next_cursor else {}
        return Response(200, content_type="text/csv; charset=utf-8", body=payouts.as_csv(page), headers=headers)
    return Response(200, content_type="application/json", body=payouts.report(period, http.caller(app), limit, cursor))


@app.put(
    "/admin/payouts/<period>/paid",
    summary="Mark a closed month paid",
    description="Records who (the admin key id) and when; a second call returns the same record. "
    "The current month is open: 409 PERIOD_OPEN.",
    tags=["Payouts"],
    responses=http.responses(errors={403: "FORBIDDEN (no payouts:write scope)", 404: UNROUTABLE, 409: "PERIOD_OPEN"}),
    security=http.ADMIN_KEY,
)
def mark_payouts_paid(period: PeriodPath) -> PaidRecord:
    return payouts.mark_paid(period, http.caller(app))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
