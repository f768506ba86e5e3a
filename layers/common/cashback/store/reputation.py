"""DynamoDB access patterns of the directory, feedback and reputation (ReputationTable).

Item layout (pk / sk → attributes):
- `AGENT#<agent_id>` / `SUMMARY` → one per agent that is public or has feedback:
  - public agents only (written at registration): `directory` = "public", the published profile
    fields, `search_text`, and the index keys `reputation_rank` (the score, -1 while unscored),
    `confirmed_conversions`, `created_at`;
  - live feedback totals (ADDed with each feedback change): `feedback_count`, `score_sum`, `tag:<tag>`;
  - the rollup's computation: `reputation` (score and inputs), `reputation_computed_at`.
- `FEEDBACK#<subject_id>` / `<author_id>` → the author's one live feedback about the subject, with
  `revision` (a fresh token per write) and, for the recency index, `recent_pk` / `recent_sk`
  (`<changed at, to the microsecond>#<author_id>`).
Indexes: `DirectoryByReputation`, `DirectoryByConversions`, `DirectoryByNewest` are sparse (only
items with `directory`), `FeedbackByRecency` lists a subject's feedback newest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cashback import cursor as cursors
from cashback.errors import AgentNotFound
from cashback.retry import new_revision
from cashback.settings import get_settings
from cashback.store import dynamo
from cashback.store.dynamo import dump, dynamodb, key, load, unavailable

NOT_THIS_LISTING = "The cursor is not one this API issued for this listing."
DIRECTORY = "public"
# The profile fields a public agent publishes; nothing else of its profile reaches the directory's items.
PUBLISHED = ("agent_id", "agent_name", "description", "homepage_url", "mcp_endpoint_url", "erc8004", "created_at")
UNSCORED_RANK = Decimal(-1)
DIRECTORY_INDEXES = {
    "reputation": ("DirectoryByReputation", "reputation_rank"),
    "conversions": ("DirectoryByConversions", "confirmed_conversions"),
    "newest": ("DirectoryByNewest", "created_at"),
}
FEEDBACK_INDEX = "FeedbackByRecency"
PAGE_ITEMS = 100  # index items read per Query page when filtering


def _table() -> str:
    return get_settings().reputation_table


def summary_key(agent_id: str) -> dict[str, Any]:
    return key(f"AGENT#{agent_id}", "SUMMARY")


def feedback_key(subject_id: str, author_id: str) -> dict[str, Any]:
    return key(f"FEEDBACK#{subject_id}", author_id)


def summary_put(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The transaction action that writes a public agent's directory entry (see store.agents.create_agent)."""
    item = {
        **dict(entry),
        "directory": DIRECTORY,
        "reputation_rank": UNSCORED_RANK,
        "confirmed_conversions": 0,
    }
    return {
        "Put": {
            "TableName": _table(),
            "Item": {**summary_key(entry["agent_id"]), **dump(item)},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def listing_update(agent_id: str, entry: Mapping[str, Any] | None) -> dict[str, Any]:
    """The transaction action that brings an agent's directory entry in line with its profile:
    with `entry`, list it with exactly those published fields (a score it already has is kept);
    with None, take it out of the directory and drop what it had published (feedback totals and
    the score stay)."""
    keep_score: list[str] = []
    if entry is None:
        fields: dict[str, Any] = dict.fromkeys([*PUBLISHED, "directory", "search_text"])
    else:
        fields = {name: entry.get(name) for name in PUBLISHED}
        fields.update(directory=DIRECTORY, search_text=entry["search_text"])
        keep_score = [
            "reputation_rank = if_not_exists(reputation_rank, :unscored)",
            "confirmed_conversions = if_not_exists(confirmed_conversions, :zero)",
        ]
    expression, names, values = dynamo.set_or_remove(fields, "p", keep_score)
    if keep_score:
        values.update({":unscored": UNSCORED_RANK, ":zero": 0})
    return {
        "Update": {
            "TableName": _table(),
            "Key": summary_key(agent_id),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            **({"ExpressionAttributeValues": dump(values)} if values else {}),
        }
    }


# ---------------------------------------------------------------- cursors


def encode_cursor(last_key: Mapping[str, Any]) -> str:
    return cursors.encode_json({k: str(v) if isinstance(v, Decimal) else v for k, v in last_key.items()})


def decode_cursor(cursor: str, numeric: frozenset[str], expected: frozenset[str]) -> dict[str, Any]:
    """The key a cursor names; INVALID_CURSOR unless it has exactly the `expected` string fields
    (`numeric` ones as decimal strings), so a forged cursor never reaches DynamoDB."""
    return cursors.decode_fields(cursor, {k: Decimal if k in numeric else str for k in expected}, NOT_THIS_LISTING)


def _query(**kwargs: Any) -> dict[str, Any]:
    try:
        response: dict[str, Any] = dynamodb().query(TableName=_table(), **kwargs)
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc
    return response


# ---------------------------------------------------------------- directory


def directory_page(
    sort: str,
    limit: int,
    cursor: str | None,
    min_rank: Decimal | None,
    text: str | None,
    max_pages: int = 3,
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` public agents from the sort's index, highest first, and the cursor after them.

    A minimum reputation on the reputation index is a key condition; otherwise it, and a text
    match (`contains` on the folded name and description), are filters, so a page reads at most
    `max_pages` index pages and may come back short with a cursor to continue.
    """
    index, sort_attribute = DIRECTORY_INDEXES[sort]
    names: dict[str, str] = {"#d": "directory"}
    values: dict[str, Any] = {":d": DIRECTORY}
    condition, filters = "#d = :d", []
    if min_rank is not None:
        values[":min"] = min_rank
        if sort == "reputation":
            names["#s"] = sort_attribute
            condition += " AND #s >= :min"
        else:
            names["#r"] = "reputation_rank"
            filters.append("#r >= :min")
    if text:
        names["#t"], values[":q"] = "search_text", text
        filters.append("contains(#t, :q)")
    kwargs: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": dump(values),
        "ScanIndexForward": False,
    }
    if filters:
        kwargs["FilterExpression"] = " AND ".join(filters)
    key_fields = frozenset({"pk", "sk", "directory", sort_attribute})
    numeric = frozenset({sort_attribute} - {"created_at"})
    start = decode_cursor(cursor, numeric, key_fields) if cursor else None
    found: list[dict[str, Any]] = []
    for _ in range(max_pages if filters else 1):
        page_kwargs = {**kwargs, "Limit": PAGE_ITEMS if filters else limit}
        if start:
            page_kwargs["ExclusiveStartKey"] = dump(start)
        response = _query(**page_kwargs)
        items = [load(i) for i in response["Items"]]
        last = response.get("LastEvaluatedKey")
        if len(found) + len(items) >= limit:
            taken = items[: limit - len(found)]
            found += taken
            more = last is not None or len(taken) < len(items)
            return found, encode_cursor({k: found[-1][k] for k in key_fields}) if more else None
        found += items
        if last is None:
            return found, None
        start = load(last)
    return found, encode_cursor(start) if start else None


# ---------------------------------------------------------------- summaries


def get_summary(agent_id: str) -> dict[str, Any] | None:
    return dynamo.get_item(_table(), f"AGENT#{agent_id}", "SUMMARY")


def listed_agents(agent_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The summaries of those of these agents that are in the directory now (one BatchGetItem
    for up to 100 ids), by agent id: what a public read checks before it names an agent."""
    return {agent: item for agent, item in get_summaries(agent_ids).items() if item.get("directory") == DIRECTORY}


def public_agent_ids() -> set[str]:
    """Every agent in the directory, from its sparse index (pages of ids only): for the rollup,
    which ranks public agents only."""
    index, _ = DIRECTORY_INDEXES["newest"]
    found: set[str] = set()
    kwargs: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": "#d = :d",
        "ProjectionExpression": "agent_id",
        "ExpressionAttributeNames": {"#d": "directory"},
        "ExpressionAttributeValues": dump({":d": DIRECTORY}),
    }
    while True:
        response = _query(**kwargs)
        found.update(str(load(i)["agent_id"]) for i in response["Items"])
        if "LastEvaluatedKey" not in response:
            return found
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def get_summaries(agent_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    items = dynamo.batch_get(_table(), [(f"AGENT#{a}", "SUMMARY") for a in agent_ids])
    return {i["pk"].split("#", 1)[1]: i for i in items}


def set_reputation(agent_id: str, reputation: Mapping[str, Any], rank: Decimal, confirmed: int, at: str) -> None:
    """Store the rollup's computation; the directory's index keys follow it (when the agent is listed)."""
    try:
        dynamodb().update_item(
            TableName=_table(),
            Key=summary_key(agent_id),
            UpdateExpression="SET reputation = :r, reputation_computed_at = :at, reputation_rank = :rank, "
            "confirmed_conversions = :c",
            ExpressionAttributeValues=dump({":r": dict(reputation), ":at": at, ":rank": rank, ":c": confirmed}),
        )
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc) from exc


# ---------------------------------------------------------------- feedback


def get_feedback(subject_id: str, author_id: str) -> dict[str, Any] | None:
    return dynamo.get_item(_table(), f"FEEDBACK#{subject_id}", author_id, consistent=True)


def recent_feedback(subject_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """A subject's live feedback, newest first (the recency index), and the cursor after it."""
    key_fields = frozenset({"pk", "sk", "recent_pk", "recent_sk"})
    kwargs: dict[str, Any] = {}
    if cursor:
        start = decode_cursor(cursor, frozenset(), key_fields)
        if start["recent_pk"] != f"FEEDBACK#{subject_id}" or start["pk"] != start["recent_pk"]:
            raise cursors.invalid(NOT_THIS_LISTING)
        kwargs["ExclusiveStartKey"] = dump(start)
    response = _query(
        IndexName=FEEDBACK_INDEX,
        KeyConditionExpression="recent_pk = :p",
        ExpressionAttributeValues=dump({":p": f"FEEDBACK#{subject_id}"}),
        ScanIndexForward=False,
        Limit=limit,
        **kwargs,
    )
    last = response.get("LastEvaluatedKey")
    return [load(i) for i in response["Items"]], encode_cursor(load(last)) if last else None


def change_feedback(
    subject_id: str,
    author_id: str,
    new_item: Mapping[str, Any] | None,
    seen_revision: str | None,
    totals_delta: Mapping[str, Any],
    event: Mapping[str, Any],
) -> bool:
    """Write (or with `new_item` None, delete) one feedback, ADD its difference to the subject's
    totals and log the rollup event, in ONE transaction conditioned on the revision read (or on
    absence) and on the subject existing. False when another change got there first (re-read and
    decide again); a cancellation for another reason (throttling) is the database unavailable."""
    if seen_revision:
        condition = {
            "ConditionExpression": "revision = :seen",
            "ExpressionAttributeValues": dump({":seen": seen_revision}),
        }
    else:
        condition = {"ConditionExpression": "attribute_not_exists(pk)"}
    if new_item is None:
        change: dict[str, Any] = {
            "Delete": {"TableName": _table(), "Key": feedback_key(subject_id, author_id), **condition}
        }
    else:
        # The recency index: newest first to the microsecond (updated_at shows seconds); the author keeps it unique.
        changed_at = datetime.now(UTC).isoformat(timespec="microseconds")
        recent = {"recent_pk": f"FEEDBACK#{subject_id}", "recent_sk": f"{changed_at}#{author_id}"}
        change = {
            "Put": {
                "TableName": _table(),
                "Item": {**feedback_key(subject_id, author_id), **dump({**new_item, **recent})},
                **condition,
            }
        }
    actions = [
        change,
        {
            "ConditionCheck": {
                "TableName": get_settings().agents_table,
                "Key": key(f"AGENT#{subject_id}", "PROFILE"),
                "ConditionExpression": "attribute_exists(pk)",
            }
        },
        {
            "Put": {
                "TableName": get_settings().activity_table,
                "Item": {
                    **key(event["pk"], event["sk"]),
                    **dump({k: v for k, v in event.items() if k not in ("pk", "sk")}),
                },
            }
        },
    ]
    deltas = {name: value for name, value in totals_delta.items() if value}
    if deltas:
        adds, names, values = dynamo.add_expression(deltas, "t")
        actions.append(
            {
                "Update": {
                    "TableName": _table(),
                    "Key": summary_key(subject_id),
                    "UpdateExpression": "ADD " + adds,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": dump(values),
                }
            }
        )
    cancelled = dynamo.transact(actions)
    if cancelled and cancelled[1] == "ConditionalCheckFailed":
        raise AgentNotFound()
    if cancelled and not dynamo.lost_race(cancelled):
        raise dynamo.StoreUnavailable(details={"reason": "TransactionCanceledException", "reasons": cancelled})
    return cancelled is None


def append_reply(subject_id: str, author_id: str, reply: Mapping[str, Any], max_replies: int) -> dict[str, Any] | None:
    """Append the subject's reply to a live feedback (one UpdateItem); None if there is no such
    feedback or it already has `max_replies` replies."""
    return dynamo.update_if(
        _table(),
        feedback_key(subject_id, author_id),
        # A new revision: a concurrent replacement of the feedback re-reads, so it keeps the reply.
        UpdateExpression="SET responses = list_append(if_not_exists(responses, :empty), :reply), revision = :rev",
        ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(responses) OR size(responses) < :max)",
        ExpressionAttributeValues=dump(
            {":empty": [], ":reply": [dict(reply)], ":max": max_replies, ":rev": new_revision()}
        ),
    )
