"""DynamoDB access patterns of the rollup and the network-wide reads (AnalyticsTable).

Aggregates (pk / sk):
- `AGENTDAY#<day>` / agent_id, `PRODUCTDAY#<day>` / match key, `KEYWORDDAY#<day>` / keyword,
  `MERCHANTDAY#<day>` / merchant id: searches, clicks, conversions, revenue of that day.
- `AGENTALL` / agent_id: the same, all time.
- `AGENTREP` / agent_id: the agent's reputation score (see `reputation`), refreshed for every agent
  whose feedback or conversions changed.
Read models, rebuilt after each rollup run that changed something:
- `LEADERBOARD` / `<period>#<metric>`: the top 10 agents with growth rates.
- `TRENDDAY` / `<day>`: the day's top products, keywords and merchants.
- `ROLLUP` / `STATE`: watermark (every event before it is counted), the window in progress, as_of,
  and the days counted but not yet rebuilt (kept until a rebuild, so a crash loses none).
Reads for the API are key lookups: the leaderboard is one GetItem, trending one BatchGetItem of at
most 30 day items plus the rollup state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cashback.settings import get_settings
from cashback.store import dynamo, events
from cashback.store.dynamo import dump, dynamodb, key, unavailable

STATE_KEY = ("ROLLUP", "STATE")
REPUTATIONS = "AGENTREP"
AGENT_ALL = "AGENTALL"
TREND_PARTS = ("PRODUCTDAY", "KEYWORDDAY", "MERCHANTDAY")


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


def read_events(low: str, high: str) -> tuple[list[dict[str, Any]], int]:
    """Every event written at or after `low` and before `high` (ISO times); and the Query count."""
    found: list[dict[str, Any]] = []
    reads = 0
    day = date.fromisoformat(low[:10])
    while day.isoformat() <= high[:10]:
        for shard in range(events.SHARDS):
            after = None
            while True:
                items, after = dynamo.query_partition(
                    get_settings().activity_table,
                    events.partition(day.isoformat(), shard),
                    1000,
                    after_sk=after,
                    sk_between=(low, high),
                )
                reads += 1
                found += items
                if after is None:
                    break
        day += timedelta(days=1)
    return [e for e in found if e["sk"] < high], reads


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
    actions: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": table,
                "Key": key(*STATE_KEY),
                "UpdateExpression": "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(new_state))) + pending,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": dump(
                    {**state_values, **{f":s{i}": v for i, v in enumerate(new_state.values())}}
                ),
                **state_condition,
            }
        }
    ]
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


def read_partitions(pks: Iterable[str]) -> tuple[dict[str, dict[str, dict[str, Any]]], int]:
    """Every item of each partition, by pk then sk; and the number of Query requests."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    reads = 0
    for pk in pks:
        after = None
        while True:
            items, after = dynamo.query_partition(_table(), pk, 1000, after_sk=after)
            reads += 1
            if items:
                found.setdefault(pk, {}).update({i["sk"]: i for i in items})
            if after is None:
                break
    return found, reads


def read_agent_days(days: Iterable[str]) -> tuple[dict[str, dict[str, dict[str, Any]]], int]:
    """Per-agent aggregates by day then agent id, for these days; and the Query count."""
    found, reads = read_partitions([agent_day(d) for d in days])
    return {pk.split("#", 1)[1]: items for pk, items in found.items()}, reads


def read_all_time() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], int]:
    """All-time aggregates and reputation scores, each by agent id; and the Query count."""
    found, reads = read_partitions([AGENT_ALL, REPUTATIONS])
    return found.get(AGENT_ALL, {}), found.get(REPUTATIONS, {}), reads


def read_trend_parts(day: str) -> tuple[list[list[dict[str, Any]]], int]:
    """One day's product, keyword and merchant aggregates (three lists, in that order); the Query count."""
    found, reads = read_partitions([f"{part}#{day}" for part in TREND_PARTS])
    return [list(found.get(f"{part}#{day}", {}).values()) for part in TREND_PARTS], reads


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


def get_trend_days(days: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The day items that exist, and the rollup state, in one BatchGetItem."""
    items = dynamo.batch_get(_table(), [("TRENDDAY", d) for d in days] + [STATE_KEY])
    state = next((i for i in items if i["pk"] == STATE_KEY[0]), None)
    return [i for i in items if i["pk"] == "TRENDDAY"], state
