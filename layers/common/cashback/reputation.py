"""Feedback between agents, and the reputation score that combines it with measured behaviour.

The score (0 to 100, 2 places, rounded half up) is computed by the scheduled rollup for every
agent whose feedback or conversions changed since its last run:
- each feedback carries its author's weight w, fixed when it is given (see `author_weight`):
  evidence that the author is real, from its own confirmed conversions and its age; admin keys 1;
- feedback F = the w-weighted mean score of the agent's live feedback; it counts from MIN_FEEDBACK
  feedbacks, and its confidence c = min(1, sum of w / FULL_FEEDBACK_WEIGHT);
- behaviour B = 100 x (confirmation_rate + (1 - refund_rate)) / 2, where confirmation_rate =
  confirmed / all conversions and refund_rate = refunded / (confirmed + refunded) (0 when neither);
  it counts from MIN_CONVERSIONS conversions (pending ones are neither good nor bad: they only
  lower the confirmation rate until they settle);
- score = (FEEDBACK_WEIGHT c F + (1 - FEEDBACK_WEIGHT) B) / (FEEDBACK_WEIGHT c + 1 - FEEDBACK_WEIGHT)
  when both count, the one that counts alone, and null (not shown) while neither has its minimum
  sample. Fresh agents (sybils) weigh W_FLOOR each: docs/REPUTATION.md gives the bound on how far
  n of them move an established agent's score.

Each author (an agent, or an admin key with feedback:write) has at most one live feedback per
subject: giving it again replaces it in place, revoking deletes it. Every change writes the
feedback, ADDs its difference to the subject's totals and logs a rollup event in one transaction,
so retries and concurrent changes never count twice.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from cashback import clock
from cashback.auth import Caller, PrincipalKind, Scope
from cashback.errors import AgentNotFound, ApiError, Forbidden
from cashback.models import (
    ConversionCounts,
    Erc8004Export,
    Erc8004Identity,
    Feedback,
    FeedbackReply,
    FeedbackRequest,
    FeedbackResponseRequest,
    Reputation,
    ReputationInputs,
    TagCount,
)
from cashback.observability import MetricUnit, logger, metrics
from cashback.retry import LostRace, new_revision, retry_on_race
from cashback.store import activity as activity_store
from cashback.store import agents as agent_store
from cashback.store import analytics as analytics_store
from cashback.store import events
from cashback.store import reputation as reputation_store

MIN_FEEDBACK = 3
MIN_CONVERSIONS = 5
FEEDBACK_WEIGHT = Fraction(6, 10)
# An author's weight: W_FLOOR + (1 - W_FLOOR) x evidence x (1 + age) / 2, where evidence =
# min(1, confirmed conversions / CONFIRMED_FOR_FULL_WEIGHT) and age = min(1, days / DAYS_FOR_FULL_WEIGHT).
W_FLOOR = Fraction(1, 100)
CONFIRMED_FOR_FULL_WEIGHT = 10
DAYS_FOR_FULL_WEIGHT = 30
FULL_FEEDBACK_WEIGHT = 2  # feedback weighing this much in total has its full share of the score
WEIGHT_PLACES = Decimal("0.0001")
MAX_REPLIES = 10
SCORE_PLACES = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")
TAG_PREFIX = "tag:"


class SelfFeedback(Forbidden):
    code = "SELF_FEEDBACK"
    default_message = "An agent may not give feedback about itself."


class FeedbackNotFound(ApiError):
    status = 404
    code = "FEEDBACK_NOT_FOUND"
    default_message = "There is no live feedback from this author about this agent."


class TooManyReplies(ApiError):
    status = 409
    code = "TOO_MANY_REPLIES"
    default_message = f"A feedback takes at most {MAX_REPLIES} replies."


class NotListed(AgentNotFound):
    default_message = "No public agent has this id (reputation is published for agents in the directory)."


# ---------------------------------------------------------------- the formula


@dataclass(frozen=True)
class Inputs:
    feedback_count: int = 0
    score_sum: int = 0
    confirmed: int = 0
    refunded: int = 0
    pending: int = 0
    feedback_weight: Decimal = Decimal(0)  # the sum of the live feedback's author weights
    weighted_score_sum: Decimal = Decimal(0)  # the sum of weight x score

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> Inputs:
        """From stored totals (counts are integers, weights decimals; absent ones are 0)."""
        counts = {name: int(stored.get(name, 0)) for name in ("feedback_count", "score_sum", *_BEHAVIOUR_INPUTS)}
        return cls(
            **counts,
            feedback_weight=Decimal(stored.get("feedback_weight", 0)),
            weighted_score_sum=Decimal(stored.get("weighted_score_sum", 0)),
        )

    @property
    def conversions(self) -> int:
        return self.confirmed + self.refunded + self.pending


_DECIMAL_INPUTS = ("feedback_weight", "weighted_score_sum")
_BEHAVIOUR_INPUTS = ("confirmed", "refunded", "pending")


def author_weight(confirmed: int, age_days: int) -> Decimal:
    """How much an agent's feedback counts: W_FLOOR for a fresh agent without confirmed
    conversions, 1 for one with CONFIRMED_FOR_FULL_WEIGHT of them and DAYS_FOR_FULL_WEIGHT days old."""
    evidence = Fraction(min(max(confirmed, 0), CONFIRMED_FOR_FULL_WEIGHT), CONFIRMED_FOR_FULL_WEIGHT)
    age = Fraction(min(max(age_days, 0), DAYS_FOR_FULL_WEIGHT), DAYS_FOR_FULL_WEIGHT)
    return _rounded(W_FLOOR + (1 - W_FLOOR) * evidence * (1 + age) / 2, WEIGHT_PLACES)


def _rounded(value: Fraction, places: Decimal) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(places, rounding=ROUND_HALF_UP)


def score_of(inputs: Inputs) -> Decimal | None:
    """The score, from exact fractions rounded once; None below both minimum samples."""
    parts: list[tuple[Fraction, Fraction]] = []
    weight = Fraction(inputs.feedback_weight)
    if inputs.feedback_count >= MIN_FEEDBACK and weight > 0:
        confidence = min(Fraction(1), weight / FULL_FEEDBACK_WEIGHT)
        parts.append((FEEDBACK_WEIGHT * confidence, Fraction(inputs.weighted_score_sum) / weight))
    if inputs.conversions >= MIN_CONVERSIONS:
        confirmation = Fraction(inputs.confirmed, inputs.conversions)
        settled = inputs.confirmed + inputs.refunded
        refund = Fraction(inputs.refunded, settled) if settled else Fraction(0)
        parts.append((1 - FEEDBACK_WEIGHT, 100 * (confirmation + 1 - refund) / 2))
    if not parts:
        return None
    if len(parts) == 1:
        return _rounded(parts[0][1], SCORE_PLACES)
    total = sum((share for share, _ in parts), Fraction(0))
    return _rounded(sum((share * value for share, value in parts), Fraction(0)) / total, SCORE_PLACES)


def inputs_view(inputs: Inputs) -> ReputationInputs:
    settled = inputs.confirmed + inputs.refunded
    return ReputationInputs(
        feedback_count=inputs.feedback_count,
        feedback_average=_rounded(Fraction(inputs.weighted_score_sum) / Fraction(inputs.feedback_weight), SCORE_PLACES)
        if inputs.feedback_count and inputs.feedback_weight
        else None,
        conversions=ConversionCounts(pending=inputs.pending, confirmed=inputs.confirmed, refunded=inputs.refunded),
        confirmation_rate=_rounded(Fraction(inputs.confirmed, inputs.conversions), RATE_PLACES)
        if inputs.conversions
        else None,
        refund_rate=_rounded(Fraction(inputs.refunded, settled), RATE_PLACES) if settled else None,
    )


# ---------------------------------------------------------------- feedback


def _author(caller: Caller, subject_id: str) -> tuple[str, str]:
    """Who gives feedback: an admin key with feedback:write, or an agent about another agent."""
    if caller.kind is PrincipalKind.ADMIN:
        caller.require_scope(Scope.FEEDBACK_WRITE)
        return str(caller.principal_id), PrincipalKind.ADMIN.value
    author = caller.require_any_agent()
    if author == subject_id:
        raise SelfFeedback()
    return author, PrincipalKind.AGENT.value


def _totals(feedback: Mapping[str, Any] | None) -> dict[str, int | Decimal]:
    if feedback is None:
        return {}
    totals: dict[str, int | Decimal] = {"feedback_count": 1, "score_sum": int(feedback["score"])}
    if "weight" in feedback:  # feedback given before weights existed adds none
        weight = Decimal(feedback["weight"])
        totals |= {"feedback_weight": weight, "weighted_score_sum": weight * int(feedback["score"])}
    return totals | {f"{TAG_PREFIX}{tag}": 1 for tag in feedback.get("tags", [])}


def _author_weight(caller: Caller, author_id: str) -> Decimal:
    """The weight the caller's feedback carries now: admin keys 1, agents by `author_weight`
    (one GetItem of the profile, one BatchGetItem of the conversion totals)."""
    if caller.kind is PrincipalKind.ADMIN:
        return Decimal(1)
    created_at = str(agent_store.get_agent(author_id).get("created_at") or clock.now_iso())
    confirmed = int(activity_store.conversion_totals([author_id]).get(author_id, {}).get("confirmed_count", 0))
    return author_weight(confirmed, (int(time.time()) - clock.epoch_of(created_at)) // 86400)


def _difference(new: Mapping[str, Any] | None, old: Mapping[str, Any] | None) -> dict[str, int | Decimal]:
    after, before = _totals(new), _totals(old)
    return {name: after.get(name, 0) - before.get(name, 0) for name in after.keys() | before.keys()}


def _change(
    subject_id: str, author_id: str, build: Any, weight: Decimal | None = None
) -> tuple[Feedback | None, Mapping[str, Any] | None]:
    """Read the live feedback, build its replacement (None to delete) with the author's `weight`,
    write both with the totals' difference; on a lost race, read again. Returns (new feedback,
    the one it replaced)."""

    def attempt() -> tuple[Feedback | None, Mapping[str, Any] | None]:
        current = reputation_store.get_feedback(subject_id, author_id)
        new = build(current)
        revision = new_revision()
        item = (
            None
            if new is None
            else {**new.model_dump(mode="json", exclude_none=True), "revision": revision, "weight": weight}
        )
        event = events.event_item(
            "feedback", f"{subject_id}:{author_id}:{revision}", int(time.time()), {"agent_id": subject_id}
        )
        seen = str(current["revision"]) if current else None
        if reputation_store.change_feedback(subject_id, author_id, item, seen, _difference(item, current), event):
            return new, current
        raise LostRace

    return retry_on_race(attempt, "The feedback is changing concurrently; retry.")


def give(subject_id: str, caller: Caller, request: FeedbackRequest) -> tuple[Feedback, bool]:
    """Create or replace the caller's feedback about `subject_id`; True when it was created."""
    author_id, author_kind = _author(caller, subject_id)

    def build(current: Mapping[str, Any] | None) -> Feedback:
        now = clock.now_iso()
        return Feedback(
            **request.model_dump(),
            subject_id=subject_id,
            author_id=author_id,
            author_kind=author_kind,
            created_at=str(current["created_at"]) if current else now,
            updated_at=now,
            responses=list((current or {}).get("responses", [])),
        )

    new, replaced = _change(subject_id, author_id, build, _author_weight(caller, author_id))
    assert new is not None
    logger.info("feedback given", extra={"subject_id": subject_id, "author_id": author_id, "updated": bool(replaced)})
    metrics.add_metric(name="FeedbackGiven", unit=MetricUnit.Count, value=1)
    return new, replaced is None


def revoke(subject_id: str, caller: Caller) -> None:
    author_id, _ = _author(caller, subject_id)

    def build(current: Mapping[str, Any] | None) -> None:
        if current is None:
            raise FeedbackNotFound()

    _change(subject_id, author_id, build)
    logger.info("feedback revoked", extra={"subject_id": subject_id, "author_id": author_id})


def reply(subject_id: str, author_id: str, caller: Caller, request: FeedbackResponseRequest) -> Feedback:
    """The subject appends a public reply to a feedback about it."""
    caller.require_agent(subject_id)
    entry = FeedbackReply(**request.model_dump(), responded_at=clock.now_iso())
    updated = reputation_store.append_reply(
        subject_id, author_id, entry.model_dump(mode="json", exclude_none=True), MAX_REPLIES
    )
    if updated is None:
        if reputation_store.get_feedback(subject_id, author_id) is None:
            raise FeedbackNotFound()
        raise TooManyReplies()
    return Feedback.model_validate(updated)


# ---------------------------------------------------------------- reads


def _listed(agent_id: str) -> dict[str, Any]:
    summary = reputation_store.get_summary(agent_id)
    if summary is None or summary.get("directory") != reputation_store.DIRECTORY:
        raise NotListed()
    return summary


def _inputs(summary: Mapping[str, Any]) -> Inputs:
    return Inputs.of(summary.get("reputation") or {})


def reputation(agent_id: str, limit: int, cursor: str | None) -> Reputation:
    """The stored score with what it was computed from, live tag counts and a page of feedback."""
    summary = _listed(agent_id)
    items, next_cursor = reputation_store.recent_feedback(agent_id, limit, cursor)
    stored = summary.get("reputation") or {}
    tags = sorted(
        ((name.removeprefix(TAG_PREFIX), int(count)) for name, count in summary.items() if name.startswith(TAG_PREFIX)),
        key=lambda tag_count: (-tag_count[1], tag_count[0]),
    )
    return Reputation(
        agent_id=agent_id,
        agent_name=summary["agent_name"],
        score=stored.get("score"),
        inputs=inputs_view(_inputs(summary)),
        computed_at=summary.get("reputation_computed_at"),
        tags=[TagCount(tag=tag, count=count) for tag, count in tags if count > 0],
        feedback=[Feedback.model_validate(i) for i in items],
        next_cursor=next_cursor,
    )


def _identity(summary: Mapping[str, Any]) -> Erc8004Identity | None:
    return Erc8004Identity.model_validate(summary["erc8004"]) if summary.get("erc8004") else None


def _endpoint(feedback: Feedback, summary: Mapping[str, Any]) -> str:
    return feedback.endpoint or str(summary.get("mcp_endpoint_url") or "")


def feedback_file_uri(base_url: str, subject_id: str, author_id: str) -> str:
    return f"{base_url}/agents/{subject_id}/feedback/{author_id}"


def erc8004_export(agent_id: str, limit: int, cursor: str | None, base_url: str) -> Erc8004Export:
    # Imported here: its keccak (pycryptodome) and RFC 8785 packages ship with ReputationFunction
    # only (functions/reputation/requirements.in), not in the layer every function loads.
    from cashback import erc8004  # noqa: PLC0415

    summary = _listed(agent_id)
    identity = _identity(summary)
    items, next_cursor = reputation_store.recent_feedback(agent_id, limit, cursor)
    entries = []
    for item in items:
        feedback = Feedback.model_validate(item)
        uri = feedback_file_uri(base_url, agent_id, feedback.author_id)
        entries.append(erc8004.registry_entry(feedback, identity, _endpoint(feedback, summary), uri))
    return Erc8004Export(
        agent_id=agent_id,
        agentRegistry=identity.agent_registry if identity else None,
        agentId=identity.agent_token_id if identity else None,
        feedback=entries,
        next_cursor=next_cursor,
    )


def feedback_file(subject_id: str, author_id: str) -> bytes:
    """The canonical bytes of the feedback file whose keccak-256 the export lists."""
    from cashback import erc8004  # noqa: PLC0415 (ReputationFunction's own dependencies, see erc8004_export)

    summary = _listed(subject_id)
    item = reputation_store.get_feedback(subject_id, author_id)
    if item is None:
        raise FeedbackNotFound()
    feedback = Feedback.model_validate(item)
    return erc8004.canonical(erc8004.feedback_file(feedback, _identity(summary), _endpoint(feedback, summary)))


# ---------------------------------------------------------------- the rollup's part


def refresh(agent_ids: set[str]) -> dict[str, Decimal | None]:
    """Recompute the score of these agents from their live totals, store it with its inputs (the
    directory's index keys follow) and in the leaderboard's partition, and return it. Idempotent."""
    ordered = sorted(agent_ids)
    summaries = reputation_store.get_summaries(ordered)
    conversions = activity_store.conversion_totals(ordered)
    computed_at = clock.now_iso()
    scores: dict[str, Decimal | None] = {}
    for agent_id in ordered:
        summary, totals = summaries.get(agent_id, {}), conversions.get(agent_id, {})
        inputs = Inputs.of(
            {
                **{name: summary.get(name, 0) for name in ("feedback_count", "score_sum", *_DECIMAL_INPUTS)},
                "confirmed": totals.get("confirmed_count", 0),
                "refunded": totals.get("refunded_count", 0),
                "pending": totals.get("pending_count", 0),
            }
        )
        score = scores[agent_id] = score_of(inputs)
        rank = score if score is not None else reputation_store.UNSCORED_RANK
        reputation_store.set_reputation(
            agent_id, {**asdict(inputs), "score": score}, rank, inputs.confirmed, computed_at
        )
    analytics_store.put_reputations(scores)
    return scores
