"""DynamoDB access patterns of the rollup and the network-wide reads (AnalyticsTable).

Aggregates (pk / sk):
- `AGENTDAY#<day>` / agent_id, `PRODUCTDAY#<day>` / match key, `KEYWORDDAY#<day>` / keyword,
  `MERCHANTDAY#<day>` / merchant id: searches, clicks, conversions, revenue of that day.
- `AGENTALL` / agent_id: the same, all time.
- `NETWORK` / `TOTALS`: the whole network, all time: `agents` (registrations less deletions, from
  their events), searches, conversions, `revenue:<cur>`; ADDed with the same deltas, in the same
  transactions, so it always equals the sum of the counted events.
- `AGENTPERIODS` / agent_id: the same summed over the leaderboards' periods, `<bucket>#<counter>`
  (`7d#revenue`, `30d-previous#searches`...; see `rollup.BUCKETS`), relative to the state's
  `periods_day`, moved on a day at a time so the leaderboards never read the daily partitions.
- `AGENTREP` / agent_id: the agent's reputation score (see `reputation`), refreshed for every agent
  whose feedback or conversions changed.
Read models, rebuilt after each rollup run that changed something:
- `LEADERBOARD` / `<period>#<metric>`: the top 10 agents with growth rates.
- `TRENDDAY` / `<day>`: the day's top products, keywords and merchants.
- `KEYWORDTOP` / `<day>`: the day's top keywords (`keywords`: sk and searches) and whether the day
  has more (`truncated`), kept up to date by the rollup page by page, so no rebuild reads a
  `KEYWORDDAY` partition, however many unique keywords a day had.
- `ROLLUP` / `STATE`: `watermark`, the cursor (every event whose sort key sorts before it is
  counted: an ISO time, or the sort key of the next event inside a day), the page in progress
  (`upper`, its end, or `SHIFT#<day>` while the period totals move on to that day; `chunk`, the
  transactions of it already applied), `as_of`, `periods_day` (the day `AGENTPERIODS` is relative
  to), `legacy_keywords_through` (days up to it were counted before `KEYWORDTOP` existed) and the
  days counted but not yet rebuilt (kept until a rebuild, so a crash loses none).
Reads for the API are key lookups: the leaderboard is one GetItem, trending one BatchGetItem of at
most 30 day items plus the rollup state and the network totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from cashback.settings import get_settings
from cashback.store import dynamo, events
from cashback.store.dynamo import dump, dynamodb, key, unavailable

STATE_KEY = ("ROLLUP", "STATE")
REPUTATIONS = "AGENTREP"
AGENT_ALL = "AGENTALL"
AGENT_PERIODS = "AGENTPERIODS"
KEYWORD_TOP = "KEYWORDTOP"
NETWORK = ("NETWORK", "TOTALS")


def agent_day(day: str) -> str:
    """The partition of one day's per-agent aggregates (sort key: agent id)."""
    return f"AGENTDAY#{day}"


def product_day(day: str) -> str:
    return f"PRODUCTDAY#{day}"


def keyword_day(day: str) -> str:
    return f"KEYWORDDAY#{day}"


def merchant_day(day: str) -> str:
    return f"MERCHANTDAY#{day}"


PENDING_DAYS = "pending_days"


def _table() -> str:
    return get_settings().analytics_table


def get_state() -> dict[str, Any] | None:
    return dynamo.get_item(_table(), *STATE_KEY, consistent=True)


class EventPage(NamedTuple):
    events: list[dict[str, Any]]  # in sort-key order
    end: str  # every event in [low, end) is in `events`; reading [low, end) again returns them all
    queries: int
    held: int  # events read to find the page (at most SHARDS * (per_shard + 1))


def read_event_page(low: str, high: str, per_shard: int) -> EventPage:
    """The next page of events at or after `low` and before `high` (both in one UTC day), in
    sort-key order: at most `per_shard` + 1 events are read from each shard, so at most
    SHARDS * (per_shard + 1) are held. A page ends where the first shard with more to read
    stopped, so it holds every event before that point and at most `per_shard` from each shard."""
    end, reads = high, 0
    found: list[dict[str, Any]] = []
    for shard in range(events.SHARDS):
        items: list[dict[str, Any]] = []
        after = None
        while len(items) <= per_shard:
            page, after = dynamo.query_partition(
                get_settings().activity_table,
                events.partition(low[:10], shard),
                per_shard + 1 - len(items),
                after_sk=after,
                sk_between=(low, high),
            )
            reads += 1
            items += [e for e in page if e["sk"] < high]
            if after is None:
                break
        if len(items) > per_shard:  # this shard has more: the page ends where its reading stopped
            end = min(end, items[-1]["sk"])
        found += items
    page = sorted((e for e in found if e["sk"] < end), key=lambda e: str(e["sk"]))
    return EventPage(page, end, reads, len(found))


def _state_update(expected: Mapping[str, Any] | None, new_state: Mapping[str, Any], days: set[str]) -> dict[str, Any]:
    """The transaction action that moves the rollup state from `expected` (None: no state yet) to
    `new_state`, adding `days` to the pending days."""
    if expected is None:
        state_condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        state_values: dict[str, Any] = {}
    else:
        state_condition = {"ConditionExpression": "#cw = :w AND #cu = :u AND #cc = :c"}
        state_values = {":w": expected["watermark"], ":u": expected["upper"], ":c": expected["chunk"]}
    names = {f"#s{i}": n for i, n in enumerate(new_state)}
    if expected is not None:
        names.update({"#cw": "watermark", "#cu": "upper", "#cc": "chunk"})
    pending = ""
    if days:
        names["#pd"] = PENDING_DAYS
        state_values[":pd"] = set(days)
        pending = " ADD #pd :pd"
    return {
        "Update": {
            "TableName": _table(),
            "Key": key(*STATE_KEY),
            "UpdateExpression": "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(new_state))) + pending,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": dump(
                {**state_values, **{f":s{i}": v for i, v in enumerate(new_state.values())}}
            ),
            **state_condition,
        }
    }


def apply_chunk(
    counters: Mapping[tuple[str, str], Mapping[str, Any]],
    labels: Mapping[tuple[str, str], Mapping[str, str]],
    expected: Mapping[str, Any] | None,
    new_state: Mapping[str, Any],
    days: set[str],
) -> bool:
    """ADD a chunk of deltas and move the rollup state, in one transaction; False if the state
    is no longer `expected` (another run moved it). `days` join the state's pending days: their
    read models must be rebuilt, even if this run stops before it gets to that."""
    table = _table()
    actions: list[dict[str, Any]] = [_state_update(expected, new_state, days)]
    for (pk, sk), amounts in counters.items():
        adds, item_names, item_values = dynamo.add_expression(amounts, "a")
        update = "ADD " + adds
        item_labels = labels.get((pk, sk), {})
        if item_labels:
            item_names.update({f"#l{i}": n for i, n in enumerate(item_labels)})
            item_values.update({f":l{i}": v for i, v in enumerate(item_labels.values())})
            update += " SET " + ", ".join(f"#l{i} = :l{i}" for i in range(len(item_labels)))
        actions.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": key(pk, sk),
                    "UpdateExpression": update,
                    "ExpressionAttributeNames": item_names,
                    "ExpressionAttributeValues": dump(item_values),
                }
            }
        )
    return dynamo.transact(actions) is None


def read_partitions(pks: Iterable[str], consistent: bool = False) -> tuple[dict[str, dict[str, dict[str, Any]]], int]:
    """Every item of each partition, by pk then sk; and the number of Query requests."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    reads = 0
    for pk in pks:
        after = None
        while True:
            items, after = dynamo.query_partition(_table(), pk, 1000, after_sk=after, consistent=consistent)
            reads += 1
            if items:
                found.setdefault(pk, {}).update({i["sk"]: i for i in items})
            if after is None:
                break
    return found, reads


def read_agent_days(days: Iterable[str], consistent: bool = False) -> tuple[dict[str, dict[str, dict[str, Any]]], int]:
    """Per-agent aggregates by day then agent id, for these days; and the Query count."""
    found, reads = read_partitions([agent_day(d) for d in days], consistent=consistent)
    return {pk.split("#", 1)[1]: items for pk, items in found.items()}, reads


def read_all_time() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], dict[str, dict[str, Any]], int]:
    """Period totals, all-time aggregates and reputation scores, each by agent id; the Query count."""
    found, reads = read_partitions([AGENT_PERIODS, AGENT_ALL, REPUTATIONS], consistent=True)
    return found.get(AGENT_PERIODS, {}), found.get(AGENT_ALL, {}), found.get(REPUTATIONS, {}), reads


def put_period_totals(totals: Mapping[str, Mapping[str, Any]]) -> None:
    """Every agent's period totals written whole (`AGENTPERIODS` / agent id), replacing what was there."""
    dynamo.batch_put(_table(), [{"pk": AGENT_PERIODS, "sk": agent, **counters} for agent, counters in totals.items()])


def put_keyword_tops(
    tops: Mapping[str, Mapping[str, Any]], expected: Mapping[str, Any] | None, new_state: Mapping[str, Any]
) -> bool:
    """Write days' top keywords (`keywords`, `truncated`) and move the rollup state, in one
    transaction; False if the state is no longer `expected`."""
    actions: list[dict[str, Any]] = [_state_update(expected, new_state, set())]
    for day, top in tops.items():
        actions.append(
            {
                "Update": {
                    "TableName": _table(),
                    "Key": key(KEYWORD_TOP, day),
                    "UpdateExpression": "SET #k = :k, #t = :t",
                    "ExpressionAttributeNames": {"#k": "keywords", "#t": "truncated"},
                    "ExpressionAttributeValues": dump({":k": list(top["keywords"]), ":t": bool(top["truncated"])}),
                }
            }
        )
    return dynamo.transact(actions) is None


def keyword_top(day: str) -> dict[str, Any] | None:
    """The day's top keywords item, None before the rollup first kept one for that day."""
    return dynamo.get_item(_table(), KEYWORD_TOP, day, consistent=True)


def keyword_searches(day: str, keywords: Iterable[str] | None) -> tuple[dict[str, Decimal], int]:
    """Searches counted so far for these keywords of the day (None: every keyword of the day, a
    whole-partition read kept for days counted before `KEYWORDTOP` existed); the request count."""
    if keywords is None:
        found, reads = read_partitions([keyword_day(day)], consistent=True)
        items = list(found.get(keyword_day(day), {}).values())
    else:
        wanted = sorted(set(keywords))
        items = dynamo.batch_get(_table(), [(keyword_day(day), k) for k in wanted], consistent=True)
        reads = -(-len(wanted) // 100)
    return {str(i["sk"]): Decimal(i.get("searches", 0)) for i in items}, reads


def read_trend_parts(day: str) -> tuple[list[list[dict[str, Any]]], bool, int]:
    """One day's product aggregates, top keywords and merchant aggregates (three lists, in that
    order), whether the keyword list was cut, and the request count. Products and merchants are
    bounded by the catalog; keywords are read from the day's top list, never the whole partition."""
    found, reads = read_partitions([product_day(day), merchant_day(day)], consistent=True)
    top = keyword_top(day) or {}
    parts = [
        list(found.get(product_day(day), {}).values()),
        list(top.get("keywords", [])),
        list(found.get(merchant_day(day), {}).values()),
    ]
    return parts, bool(top.get("truncated")), reads + 1


def agent_names(agent_ids: set[str]) -> dict[str, str]:
    items = dynamo.batch_get(get_settings().agents_table, [(f"AGENT#{a}", "PROFILE") for a in sorted(agent_ids)])
    return {i["agent_id"]: i.get("agent_name", "") for i in items}


def put_trend_day(day: str, lists: Mapping[str, Any]) -> None:
    dynamo.batch_put(_table(), [{"pk": "TRENDDAY", "sk": day, **lists}])


def put_reputations(scores: Mapping[str, Decimal | None]) -> None:
    """Every agent's latest score (`AGENTREP` / agent id), which the leaderboard ranks; an
    unscored agent's item has no score."""
    dynamo.batch_put(_table(), [{"pk": REPUTATIONS, "sk": agent, "score": score} for agent, score in scores.items()])


def put_leaderboards(boards: Mapping[str, list[dict[str, Any]]], as_of: str, built_for_day: str) -> None:
    rows = [{"pk": "LEADERBOARD", "sk": name, "rows": rows, "as_of": as_of} for name, rows in boards.items()]
    dynamo.batch_put(_table(), [*rows, {"pk": "LEADERBOARD", "sk": "BUILT", "day": built_for_day, "as_of": as_of}])


def clear_pending_days(days: set[str]) -> None:
    """Forget days whose read models were rebuilt (a set DELETE: days added meanwhile stay)."""
    try:
        dynamodb().update_item(
            TableName=_table(),
            Key=key(*STATE_KEY),
            UpdateExpression="DELETE #pd :pd",
            ExpressionAttributeNames={"#pd": PENDING_DAYS},
            ExpressionAttributeValues=dump({":pd": set(days)}),
        )
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc


def read_models_stale(today: str | Any) -> bool:
    built = dynamo.get_item(_table(), "LEADERBOARD", "BUILT")
    return built is None or built.get("day") != str(today)


def get_leaderboard(name: str) -> dict[str, Any] | None:
    return dynamo.get_item(_table(), "LEADERBOARD", name)


def get_trend_days(days: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any] | None, dict[str, Any]]:
    """The day items that exist, the rollup state and the network totals (empty before the first
    count), in one BatchGetItem."""
    items = dynamo.batch_get(_table(), [("TRENDDAY", d) for d in days] + [STATE_KEY, NETWORK])
    state = next((i for i in items if i["pk"] == STATE_KEY[0]), None)
    network = next((i for i in items if i["pk"] == NETWORK[0]), {})
    return [i for i in items if i["pk"] == "TRENDDAY"], state, network


def network_totals() -> dict[str, Any]:
    """The network totals item (empty before the first count)."""
    return dynamo.get_item(_table(), *NETWORK, consistent=True) or {}


# ---------------------------------------------------------------- the backfill (offline, operators)


def _state_unchanged(expected: Mapping[str, Any]) -> dict[str, Any]:
    """The transaction action that holds only while the rollup state is still `expected`: every
    ADD of the rollup moves the state in its transaction, so no count changed in between."""
    return {
        "ConditionCheck": {
            "TableName": _table(),
            "Key": key(*STATE_KEY),
            "ConditionExpression": "#w = :w AND #u = :u AND #c = :c",
            "ExpressionAttributeNames": {"#w": "watermark", "#u": "upper", "#c": "chunk"},
            "ExpressionAttributeValues": dump(
                {":w": expected["watermark"], ":u": expected["upper"], ":c": expected["chunk"]}
            ),
        }
    }


def all_time_totals() -> dict[str, dict[str, Any]]:
    """Every agent's all-time aggregates (`AGENTALL`), by agent id, strongly consistent."""
    found, _ = read_partitions([AGENT_ALL], consistent=True)
    return found.get(AGENT_ALL, {})


def split_all_time_revenue(agent_id: str, revenue: Mapping[str, Decimal], expected: Mapping[str, Any]) -> bool:
    """Replace an agent's currency-less all-time `revenue` (earlier versions') by `revenue:<code>`
    counters holding the whole figures, if the rollup state is still `expected` and the item still
    has it; False otherwise (nothing written)."""
    names = {f"#r{i}": f"revenue:{code}" for i, code in enumerate(revenue)}
    values = {f":r{i}": amount for i, amount in enumerate(revenue.values())}
    sets = ", ".join(f"#r{i} = :r{i}" for i in range(len(revenue)))
    update: dict[str, Any] = {
        "TableName": _table(),
        "Key": key(AGENT_ALL, agent_id),
        "UpdateExpression": (f"SET {sets} " if sets else "") + "REMOVE #legacy",
        "ConditionExpression": "attribute_exists(#legacy)",
        "ExpressionAttributeNames": {**names, "#legacy": "revenue"},
    }
    if values:
        update["ExpressionAttributeValues"] = dump(values)
    cancelled = dynamo.transact([_state_unchanged(expected), {"Update": update}])
    if cancelled and not dynamo.lost_race(cancelled):
        raise dynamo.StoreUnavailable(details={"reason": "TransactionCanceledException", "reasons": cancelled})
    return cancelled is None


def put_network_totals(totals: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    """Write the network totals whole (agents, searches, conversions, `revenue:<code>`), if the
    rollup state is still `expected`; False otherwise (nothing written)."""
    put = {"Put": {"TableName": _table(), "Item": dump({"pk": NETWORK[0], "sk": NETWORK[1], **totals})}}
    cancelled = dynamo.transact([_state_unchanged(expected), put])
    if cancelled and not dynamo.lost_race(cancelled):
        raise dynamo.StoreUnavailable(details={"reason": "TransactionCanceledException", "reasons": cancelled})
    return cancelled is None
