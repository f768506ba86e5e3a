"""Sybil feedback: anyone can register agents and rate a competitor, so feedback weighs what its
author has shown to be real. Twenty fresh agents move an established agent's score by no more
than the bounds docs/REPUTATION.md states."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cashback import conversions, reputation, shopping
from cashback.auth import Caller
from cashback.models import ConversionEvent, SearchRequest
from tests.apigw import body_of
from tests.reputation.conftest import as_agent, get_reputation, give, new_agent

# docs/REPUTATION.md, "How much can fresh agents move a score?": n = 20 fresh authors.
BOUND_ONCE_FEEDBACK_WEIGHS_2 = Decimal("5.46")
BOUND_FOR_ANY_AGENT_WITH_BEHAVIOUR = Decimal("13.05")
SYBILS = 20


def confirm_sales(agent: dict, count: int) -> None:
    """`count` confirmed conversions on links the agent was served: evidence that it is real."""
    for n in range(count):
        caller = Caller.of_agent(agent["agent_id"])
        (result, *_) = shopping.run_search(
            SearchRequest(keywords="pegasus"), caller, "https://api.test", f"r{n}"
        ).results
        conversions.record(
            ConversionEvent(
                conversion_id=f"net-{agent['agent_id']}-{n}",
                click_id=result.affiliate_link.rsplit("/", 1)[1],
                status="confirmed",
                order_amount=Decimal("100.00"),
                currency=result.currency,
                commission_amount=Decimal("3.00"),
                occurred_at=datetime.now(UTC),
            ),
            conversions.Reporter(network="sybil-test-network"),
        )


def score_of(agent: dict) -> Decimal:
    reputation.refresh({agent["agent_id"]})  # what the next rollup does
    return Decimal(body_of(get_reputation(agent["agent_id"]))["score"])


def sybils_rate(subject: dict, score: int) -> None:
    for n in range(SYBILS):
        assert give(subject["agent_id"], {"score": score}, as_agent(new_agent(f"sybil {n}")))["statusCode"] == 201


@pytest.fixture
def established(small_catalog: object) -> dict:
    """A public agent with 10 confirmed sales, rated 80 by four agents that each have 10 of their own."""
    subject = new_agent("established", public=True)
    confirm_sales(subject, 10)
    for n in range(4):
        author = new_agent(f"real author {n}")
        confirm_sales(author, 10)
        assert give(subject["agent_id"], {"score": 80}, as_agent(author))["statusCode"] == 201
    return subject


@pytest.mark.parametrize("sybil_score", [0, 100])
def test_twenty_fresh_agents_move_an_established_agents_score_within_the_documented_bound(
    established: dict, sybil_score: int
) -> None:
    before = score_of(established)
    assert before == Decimal("88.00")  # 0.6 x 80 + 0.4 x 100: the real authors weigh 4 x 0.505 >= 2

    sybils_rate(established, sybil_score)

    after = score_of(established)
    assert abs(after - before) <= BOUND_ONCE_FEEDBACK_WEIGHS_2
    assert body_of(get_reputation(established["agent_id"]))["inputs"]["feedback_count"] == 4 + SYBILS


def test_twenty_fresh_agents_barely_move_an_agent_known_only_by_its_sales(small_catalog: object) -> None:
    subject = new_agent("sells, never rated", public=True)
    confirm_sales(subject, 10)
    before = score_of(subject)

    sybils_rate(subject, 0)

    after = score_of(subject)
    assert before == Decimal("100.00")
    assert before - after <= BOUND_FOR_ANY_AGENT_WITH_BEHAVIOUR
