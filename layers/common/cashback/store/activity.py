"""DynamoDB access patterns of agent activity (ActivityTable).

Item layout (pk / sk → attributes):
- `CLICK#<click_id>` / `CLICK` → agent_id, product_id, merchant_id, target_url, valid_until,
  clicks, first_clicked_at, last_clicked_at; expires_at (TTL) well after valid_until, so late
  conversions still find their click.
- `AGENT#<agent_id>` / `TOTALS` → total_searches, total_clicks, last_activity.
- `AGENT#<agent_id>` / `CONVTOTALS` → pending_count, confirmed_count, refunded_count, last_conversion_at,
  and money per currency: `revenue:<ISO 4217>`, `pending_revenue:<ISO 4217>` (never summed across currencies).
- `AGENT#<agent_id>#DAY` / `<YYYY-MM-DD>` → searches, clicks and `kw:<token>` / `brand:<brand>`
  counters for that day.
- `AGENT#<agent_id>#CONVDAY` / `<YYYY-MM-DD>` → conversions, `revenue:<cur>`, `pending_revenue:<cur>`,
  `merchant:<id>` (confirmed conversions by merchant) of that day.
- `CONV#<network>#<conversion_id>` / `CONV` → the conversion and its version; ids are the network's
  own, so each network has its namespace. Conversions reported with the shared secret of earlier
  versions (no network) keep `CONV#<conversion_id>`.
- `AGENT#<agent_id>#CONV` / `<first seen>#<network>#<conversion_id>` → the agent's listing entry.
- `AGENT#<agent_id>#SEARCH` / `<ISO time>#<request id>` → keywords, filters, results_count.
- `PAYOUT#<YYYY-MM>...` → the payout months, written with the conversion (layout in `store/payouts.py`).
Counters are atomic ADDs; each item takes all its counters in one UpdateItem.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cashback.money import by_currency
from cashback.settings import get_settings
from cashback.store import dynamo, payouts
from cashback.store.dynamo import add_expression, dump, dynamodb, key, unavailable


def _table() -> str:
    return get_settings().activity_table


@dataclass(frozen=True)
class Click:
    """An affiliate link served to an agent; `uses` counts the redirects it made."""

    click_id: str
    agent_id: str
    product_id: str
    merchant_id: str
    match_key: str | None
    title: str | None
    target_url: str
    created_at: str
    valid_until: int
    expires_at: int
    uses: int = 0

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Click:
        return cls(
            click_id=str(item["pk"]).removeprefix("CLICK#"),
            agent_id=item["agent_id"],
            product_id=item["product_id"],
            merchant_id=item["merchant_id"],
            match_key=item.get("match_key"),
            title=item.get("title"),
            target_url=str(item.get("target_url", "")),
            created_at=str(item.get("created_at", "")),
            valid_until=int(item.get("valid_until", 0)),
            expires_at=int(item.get("expires_at", 0)),
            uses=int(item.get("clicks", 0)),
        )

    def item(self) -> dict[str, Any]:
        fields = {k: v for k, v in asdict(self).items() if k not in ("click_id", "uses")}
        return {"pk": f"CLICK#{self.click_id}", "sk": "CLICK", **fields}


@dataclass(frozen=True)
class SearchLog:
    """One search as the agent's analytics list it."""

    keywords: str
    filters: dict[str, Any]
    sort: str
    results_count: int
    created_at: str
    request_id: str = ""
    expires_at: int = 0

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> SearchLog:
        return cls(
            keywords=item["keywords"],
            filters=dict(item.get("filters", {})),
            sort=str(item.get("sort", "")),
            results_count=int(item.get("results_count", 0)),
            created_at=item["created_at"],
        )


@dataclass(frozen=True)
class Totals:
    """An agent's running totals: searches and clicks, and conversions by status with their money."""

    searches: int
    clicks: int
    last_activity: str | None
    pending: int
    confirmed: int
    refunded: int
    revenue: dict[str, Decimal]  # by currency
    pending_revenue: dict[str, Decimal]
    last_conversion_at: str | None
    activity_days: dict[str, dict[str, Any]]  # the days asked for that have counters, by day
    conversion_days: dict[str, dict[str, Any]]


def _money_counters(delta: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """A conversion's delta with its money counters named by currency (`revenue` → `revenue:EUR`)."""
    return {f"{name}:{currency}" if name in MONEY_COUNTERS else name: value for name, value in delta.items()}


MONEY_COUNTERS = ("revenue", "pending_revenue")


# ---------------------------------------------------------------- searches and clicks


def put_clicks(clicks: Sequence[Click]) -> None:
    """New clicks, with BatchWriteItem."""
    dynamo.batch_put(_table(), [c.item() for c in clicks])


def record_search(agent_id: str, search: SearchLog, clicks: Sequence[Click], event: Mapping[str, Any]) -> None:
    """The search log entry, the clicks its results minted and its rollup event: one BatchWriteItem."""
    entry = {
        "pk": f"AGENT#{agent_id}#SEARCH",
        "sk": f"{search.created_at}#{search.request_id}",
        **{k: v for k, v in asdict(search).items() if k != "request_id"},
    }
    dynamo.batch_put(_table(), [*(c.item() for c in clicks), entry, event])


def put_event(event: Mapping[str, Any]) -> None:
    dynamo.batch_put(_table(), [event])


def count_totals(agent_id: str, counters: Mapping[str, int], at: str) -> None:
    """ADD to the agent's running totals (total_searches, total_clicks) and note its last activity."""
    _add_counters(f"AGENT#{agent_id}", "TOTALS", counters, {"last_activity": at})


def count_day(agent_id: str, day: str, counters: Mapping[str, int]) -> None:
    """ADD to the agent's counters of one day (searches, clicks, `kw:<token>`, `brand:<brand>`)."""
    _add_counters(f"AGENT#{agent_id}#DAY", day, counters)


def _add_counters(pk: str, sk: str, counters: Mapping[str, int], set_values: Mapping[str, Any] | None = None) -> None:
    """ADD every counter of one item (and SET some values) in one UpdateItem."""
    adds, names, values = add_expression(counters, "c")
    sets = []
    for i, (name, value) in enumerate((set_values or {}).items()):
        names[f"#s{i}"], values[f":s{i}"] = name, value
        sets.append(f"#s{i} = :s{i}")
    expression = "ADD " + adds + (" SET " + ", ".join(sets) if sets else "")
    try:
        dynamodb().update_item(
            TableName=_table(),
            Key=key(pk, sk),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=dump(values),
        )
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc


def use_click(click_id: str, now_iso: str, now_epoch: int) -> Click | None:
    """Count one use of a live click and return it; None when unknown or expired. One UpdateItem."""
    item = dynamo.update_if(
        _table(),
        key(f"CLICK#{click_id}", "CLICK"),
        UpdateExpression="ADD clicks :one SET first_clicked_at = if_not_exists(first_clicked_at, :now), "
        "last_clicked_at = :now",
        ConditionExpression="attribute_exists(pk) AND valid_until > :epoch",
        ExpressionAttributeValues=dump({":one": 1, ":now": now_iso, ":epoch": now_epoch}),
    )
    return Click.from_item(item) if item else None


def get_click(click_id: str) -> Click | None:
    item = dynamo.get_item(_table(), f"CLICK#{click_id}", "CLICK", consistent=True)
    return Click.from_item(item) if item else None


# ---------------------------------------------------------------- the agent's reads


def totals(agent_id: str, days: Sequence[str] = ()) -> Totals:
    """Both totals items, and the day items (search/click and conversion counters) of `days`, in
    one BatchGetItem: at most 49 days keep it one request."""
    keys = [(f"AGENT#{agent_id}", s) for s in ("TOTALS", "CONVTOTALS")]
    keys += [(f"AGENT#{agent_id}#{kind}", d) for kind in ("DAY", "CONVDAY") for d in days]
    found = dynamo.batch_get(_table(), keys)
    items = {i["sk"]: i for i in found if i["pk"] == f"AGENT#{agent_id}"}
    activity, money = items.get("TOTALS", {}), items.get("CONVTOTALS", {})
    return Totals(
        searches=int(activity.get("total_searches", 0)),
        clicks=int(activity.get("total_clicks", 0)),
        last_activity=activity.get("last_activity"),
        pending=int(money.get("pending_count", 0)),
        confirmed=int(money.get("confirmed_count", 0)),
        refunded=int(money.get("refunded_count", 0)),
        revenue=by_currency(money, "revenue"),
        pending_revenue=by_currency(money, "pending_revenue"),
        last_conversion_at=money.get("last_conversion_at"),
        activity_days={i["sk"]: i for i in found if i["pk"] == f"AGENT#{agent_id}#DAY"},
        conversion_days={i["sk"]: i for i in found if i["pk"] == f"AGENT#{agent_id}#CONVDAY"},
    )


def conversion_totals(agent_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each agent's conversion totals item (counts by status and revenue), by agent id; one BatchGetItem."""
    items = dynamo.batch_get(_table(), [(f"AGENT#{a}", "CONVTOTALS") for a in agent_ids])
    return {str(i["pk"]).split("#", 1)[1]: i for i in items}


def recent_searches(agent_id: str, limit: int) -> list[SearchLog]:
    """The agent's newest `limit` searches, newest first."""
    return [SearchLog.from_item(i) for i in query_latest(f"AGENT#{agent_id}#SEARCH", limit)]


def activity_days(agent_id: str, first_day: str, last_day: str) -> dict[str, dict[str, Any]]:
    """The agent's search and click counters by day, for the days between (inclusive)."""
    return {i["sk"]: i for i in _query_range(f"AGENT#{agent_id}#DAY", first_day, last_day)}


def conversion_days(agent_id: str, first_day: str, last_day: str) -> dict[str, dict[str, Any]]:
    """The agent's conversion counters by day (conversions, revenue, `merchant:<id>`)."""
    return {i["sk"]: i for i in _query_range(f"AGENT#{agent_id}#CONVDAY", first_day, last_day)}


def conversions_page(agent_id: str, limit: int, after: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The agent's conversions, newest first, after the position `after` (a previous page's last)."""
    return dynamo.query_partition(_table(), f"AGENT#{agent_id}#CONV", limit, newest_first=True, after_sk=after)


def _query_range(pk: str, first_sk: str, last_sk: str) -> list[dict[str, Any]]:
    items, _ = dynamo.query_partition(_table(), pk, 1000, sk_between=(first_sk, last_sk))
    return items


def _conversion_ref(network: str | None, conversion_id: str) -> str:
    return f"{network}#{conversion_id}" if network else conversion_id


def get_conversion(network: str, conversion_id: str) -> dict[str, Any] | None:
    """A network's conversion by its id ("" for those reported with the shared secret of earlier versions)."""
    return dynamo.get_item(_table(), f"CONV#{_conversion_ref(network, conversion_id)}", "CONV", consistent=True)


# ---------------------------------------------------------------- the backfill (offline, operators)


def legacy_conversion_totals() -> Iterator[list[dict[str, Any]]]:
    """Conversion totals items that still hold currency-less money counters, a page at a time
    (a Scan: the offline backfill only)."""
    return dynamo.scan_pages(
        _table(),
        "#sk = :totals AND (attribute_exists(#r) OR attribute_exists(#p))",
        {"#sk": "sk", "#r": "revenue", "#p": "pending_revenue"},
        {":totals": "CONVTOTALS"},
    )


def agent_conversions(agent_id: str) -> list[dict[str, Any]]:
    """Every conversion of the agent as it stands (its listing entries), strongly consistent."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        page, after = dynamo.query_partition(_table(), f"AGENT#{agent_id}#CONV", 1000, after_sk=after, consistent=True)
        found += page
        if after is None:
            return found


def split_conversion_totals(seen: Mapping[str, Any], money: Mapping[str, Decimal]) -> bool:
    """Replace the currency-less money counters of a conversion totals item by `money` (counter
    name with its currency → amount, the whole figure), if the item is still as `seen`: every
    count and money counter it had, and none of the new ones yet, unless seen. False otherwise."""
    watched = {n: v for n, v in seen.items() if n.endswith("_count") or n.split(":")[0] in MONEY_COUNTERS}
    names = {f"#w{i}": n for i, n in enumerate(watched)}
    values: dict[str, Any] = {f":w{i}": v for i, v in enumerate(watched.values())}
    conditions = [f"#w{i} = :w{i}" for i in range(len(watched))]
    sets = []
    for i, (name, amount) in enumerate(money.items()):
        names[f"#m{i}"], values[f":m{i}"] = name, amount
        sets.append(f"#m{i} = :m{i}")
        if name not in watched:
            conditions.append(f"attribute_not_exists(#m{i})")
    names.update({"#lr": "revenue", "#lp": "pending_revenue"})
    update = ("SET " + ", ".join(sets) + " " if sets else "") + "REMOVE #lr, #lp"
    return (
        dynamo.update_if(
            _table(),
            key(str(seen["pk"]), "CONVTOTALS"),
            UpdateExpression=update,
            ConditionExpression=" AND ".join(["attribute_exists(pk)", *conditions]),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=dump(values),
        )
        is not None
    )


# ---------------------------------------------------------------- raw access (tests, seeding, benchmarks)


def put_items(items: Sequence[Mapping[str, Any]]) -> None:
    """Items as they are, with BatchWriteItem. Use cases call the named patterns above."""
    dynamo.batch_put(_table(), items)


def get_item(pk: str, sk: str) -> dict[str, Any] | None:
    return dynamo.get_item(_table(), pk, sk)


def query_latest(pk: str, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` items of one partition (sort keys are ISO times)."""
    return dynamo.query_partition(_table(), pk, limit, newest_first=True)[0]


def apply_conversion(
    state: Mapping[str, Any], seen_version: int, delta: Mapping[str, Any], event: Mapping[str, Any]
) -> bool:
    """Write a conversion's new state and everything it changes in ONE transaction.

    A change of revenue is also placed in its month's payout items (`store.payouts`).
    Conditioned on the version it was computed from (or on absence): returns False when another
    delivery got there first, so the caller re-reads and decides again. Nothing is half-applied.
    """
    agent, day = state["agent_id"], str(state["occurred_at"])[:10]
    table = _table()
    condition = (
        {"ConditionExpression": "version = :seen", "ExpressionAttributeValues": dump({":seen": seen_version})}
        if seen_version
        else {"ConditionExpression": "attribute_not_exists(pk)"}
    )
    ref = _conversion_ref(state.get("network"), state["conversion_id"])
    listing_sk = f"{state['first_seen_at']}#{ref}"
    delta = _money_counters(delta, state["currency"])
    actions: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table,
                **condition,
                "Item": {
                    **key(f"CONV#{ref}", "CONV"),
                    **dump({**state, "version": seen_version + 1}),
                },
            }
        },
        {"Put": {"TableName": table, "Item": {**key(f"AGENT#{agent}#CONV", listing_sk), **dump(state)}}},
        {
            "Put": {
                "TableName": table,
                "Item": {
                    **key(event["pk"], event["sk"]),
                    **dump({k: v for k, v in event.items() if k not in ("pk", "sk")}),
                },
            }
        },
    ]
    if delta:
        totals_add, totals_names, totals_values = add_expression(delta, "t")
        actions.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": key(f"AGENT#{agent}", "CONVTOTALS"),
                    "UpdateExpression": f"ADD {totals_add} SET last_conversion_at = :at",
                    "ExpressionAttributeNames": totals_names,
                    "ExpressionAttributeValues": dump({**totals_values, ":at": state["updated_at"]}),
                }
            }
        )
        day_counters = {
            "conversions": delta.get("confirmed_count", 0),
            **{name: value for name, value in delta.items() if name.split(":")[0] in MONEY_COUNTERS},
            f"merchant:{state['merchant_id']}": delta.get("confirmed_count", 0),
        }
        day_add, day_names, day_values = add_expression(day_counters, "d")
        actions.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": key(f"AGENT#{agent}#CONVDAY", day),
                    "UpdateExpression": f"ADD {day_add}",
                    "ExpressionAttributeNames": day_names,
                    "ExpressionAttributeValues": dump(day_values),
                }
            }
        )
    if revenue := delta.get(f"revenue:{state['currency']}"):
        actions += payouts.conversion_actions(state, ref, revenue)
    cancelled = dynamo.transact(actions)
    if cancelled and not dynamo.lost_race(cancelled):
        raise dynamo.StoreUnavailable(details={"reason": "TransactionCanceledException", "reasons": cancelled})
    return cancelled is None
