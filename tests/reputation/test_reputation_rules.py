"""The reputation formula's minimum samples and weights, and the ERC-8004 feedback file and hash."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sha3  # safe-pysha3: a keccak implementation independent of the layer's pycryptodome

from cashback import erc8004
from cashback.models import Erc8004Identity, Feedback
from cashback.reputation import Inputs, author_weight, score_of


def weighed(count: int, weight: str, weighted_sum: str, **behaviour: int) -> Inputs:
    """Inputs with `count` live feedbacks whose author weights sum to `weight` (scores x weights: `weighted_sum`)."""
    return Inputs(
        feedback_count=count,
        score_sum=0,
        feedback_weight=Decimal(weight),
        weighted_score_sum=Decimal(weighted_sum),
        **behaviour,
    )


@pytest.mark.parametrize(
    ("inputs", "score"),
    [
        (Inputs(), None),
        (weighed(2, "2", "200"), None),  # below the feedback minimum
        (weighed(3, "3", "200"), Decimal("66.67")),  # 66.666… rounded half up
        (Inputs(confirmed=4), None),  # below the conversions minimum
        (Inputs(confirmed=3, refunded=1, pending=1), Decimal("67.50")),  # 100 x (3/5 + 1 - 1/4) / 2
        (Inputs(confirmed=5), Decimal("100.00")),
        (Inputs(refunded=5), Decimal("0.00")),
        (Inputs(pending=5), Decimal("50.00")),  # nothing settled: neither good nor bad
        # both count, the feedback with its full weight (2): 0.6 x 80 + 0.4 x 67.5
        (weighed(4, "2", "160", confirmed=3, refunded=1, pending=1), Decimal("75.00")),
        # one below its minimum: the other alone
        (weighed(2, "2", "20", confirmed=5), Decimal("100.00")),
        (weighed(3, "3", "30", confirmed=4), Decimal("10.00")),
        # the feedback mean is weighted: one author of weight 1 scoring 100, two of 0.01 scoring 0
        (weighed(3, "1.02", "100"), Decimal("98.04")),
        # three fresh agents (0.01 each) scoring 0 barely move a behaviour of 100:
        # (0.6 x 0.015 x 0 + 0.4 x 100) / (0.6 x 0.015 + 0.4)
        (weighed(3, "0.03", "0", confirmed=5), Decimal("97.80")),
        (Inputs(feedback_count=3, score_sum=300), None),  # feedback given before weights: no weight, no F
    ],
)
def test_the_score_combines_the_inputs_that_have_their_minimum_sample(inputs: Inputs, score: Decimal | None) -> None:
    assert score_of(inputs) == score


@pytest.mark.parametrize(
    ("confirmed", "age_days", "weight"),
    [
        (0, 0, "0.0100"),  # a fresh agent: the floor
        (0, 365, "0.0100"),  # age alone proves nothing (an idle account only has to wait)
        (10, 0, "0.5050"),  # 0.01 + 0.99 x 1 x (1 + 0) / 2
        (5, 15, "0.3813"),  # 0.01 + 0.99 x 0.5 x (1 + 0.5) / 2 = 0.38125, half up
        (10, 30, "1.0000"),
        (500, 900, "1.0000"),
    ],
)
def test_an_authors_weight_grows_with_its_confirmed_conversions_and_its_age(
    confirmed: int, age_days: int, weight: str
) -> None:
    assert author_weight(confirmed, age_days) == Decimal(weight)


FEEDBACK = Feedback(
    subject_id="agt_SUBJECTsubjectSUBJECT0",
    author_id="agt_AUTHORauthorAUTHORauth",
    author_kind="agent",
    score=87,
    tags=["successRate"],
    comment='Très bien — 5★ "quoted"\nsecond line',
    feedback_uri="ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
    created_at="2026-12-01T10:00:00Z",
    updated_at="2026-12-02T09:30:00Z",
)
IDENTITY = Erc8004Identity(
    chain_id=8453, identity_registry="0x8004A169FB4a3325136EB29fA0ceB6D2e539a432", agent_token_id=42
)


def independent_canonical(document: dict) -> bytes:
    """RFC 8785 for documents of ASCII keys, strings and small integers is sorted, compact, UTF-8 JSON."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def test_the_feedback_file_has_the_registry_fields() -> None:
    document = erc8004.feedback_file(FEEDBACK, IDENTITY, "https://agent.example/mcp")

    assert document["agentRegistry"] == "eip155:8453:0x8004A169FB4a3325136EB29fA0ceB6D2e539a432"
    assert (document["agentId"], document["value"], document["valueDecimals"]) == (42, 87, 0)
    assert (document["tag1"], document["tag2"], document["endpoint"]) == (
        "successRate",
        "",
        "https://agent.example/mcp",
    )
    assert document["createdAt"] == FEEDBACK.updated_at
    assert document["cashback"]["authorFeedbackURI"] == FEEDBACK.feedback_uri


def test_the_export_hash_is_keccak_256_of_the_canonical_file_computed_independently() -> None:
    entry = erc8004.registry_entry(FEEDBACK, IDENTITY, "https://agent.example/mcp", "https://api.test/f")
    document = erc8004.feedback_file(FEEDBACK, IDENTITY, "https://agent.example/mcp")

    assert erc8004.canonical(document) == independent_canonical(document)
    assert entry.feedbackHash == "0x" + sha3.keccak_256(independent_canonical(document)).hexdigest()
    assert (entry.agentId, entry.value, entry.tag1, entry.feedbackURI) == (42, 87, "successRate", "https://api.test/f")


def test_keccak_is_ethereums_not_nist_sha3() -> None:
    assert erc8004.keccak256(b"") == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_without_an_identity_the_file_and_entry_name_no_registry() -> None:
    document = erc8004.feedback_file(FEEDBACK, None, "")
    entry = erc8004.registry_entry(FEEDBACK, None, "", "https://api.test/f")

    assert "agentRegistry" not in document and "agentId" not in document
    assert entry.agentId is None


@pytest.mark.parametrize(
    "identity",
    [
        {"chain_id": 0, "identity_registry": "0x8004A169FB4a3325136EB29fA0ceB6D2e539a432", "agent_token_id": 1},
        {"chain_id": 1, "identity_registry": "0x8004", "agent_token_id": 1},
        {"chain_id": 1, "identity_registry": "0x8004A169FB4a3325136EB29fA0ceB6D2e539a432", "agent_token_id": -1},
        {"chain_id": 1, "identity_registry": "0x8004A169FB4a3325136EB29fA0ceB6D2e539a432", "agent_token_id": 2**53},
        {"chain_id": "1", "identity_registry": "0x8004A169FB4a3325136EB29fA0ceB6D2e539a432", "agent_token_id": 1},
        {"chain_id": 1, "identity_registry": "0x8004A169FB4a3325136EB29fA0ceB6D2e539a432"},
    ],
)
def test_an_invalid_identity_is_refused(identity: dict) -> None:
    with pytest.raises(ValueError):
        Erc8004Identity.model_validate(identity)
