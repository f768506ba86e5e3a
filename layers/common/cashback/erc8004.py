"""Feedback in the shape the ERC-8004 Reputation Registry takes, ready for an operator to post.

Each live feedback becomes `giveFeedback(agentId, value, valueDecimals, tag1, tag2, endpoint,
feedbackURI, feedbackHash)`: the score is `value` with `valueDecimals` 0, the tags are tag1 and
tag2, and `feedbackURI` is where this API serves the feedback file, whose keccak-256 is
`feedbackHash`. The file follows the ERC-8004 best-practice feedback profile (agentRegistry,
agentId, createdAt, value, valueDecimals, tag1, tag2, endpoint) and is serialised as RFC 8785
canonical JSON, so its bytes, and so its hash, are the same wherever it is recomputed.
No chain is called.
"""

from __future__ import annotations

from typing import Any

import rfc8785
from Crypto.Hash import keccak

from cashback.models import Erc8004Feedback, Erc8004Identity, Feedback

VALUE_DECIMALS = 0  # scores are whole numbers 0..100


def feedback_file(feedback: Feedback, identity: Erc8004Identity | None, endpoint: str) -> dict[str, Any]:
    """The off-chain feedback file for one feedback (the subject's replies are not part of it)."""
    tags = [*feedback.tags, "", ""]
    document: dict[str, Any] = {
        "createdAt": feedback.updated_at,
        "value": feedback.score,
        "valueDecimals": VALUE_DECIMALS,
        "tag1": tags[0],
        "tag2": tags[1],
        "endpoint": endpoint,
        "cashback": {
            "subjectAgentId": feedback.subject_id,
            "authorId": feedback.author_id,
            "authorKind": feedback.author_kind,
        },
    }
    if identity is not None:
        document["agentRegistry"] = identity.agent_registry
        document["agentId"] = identity.agent_token_id
    if feedback.comment is not None:
        document["comment"] = feedback.comment
    if feedback.feedback_uri is not None:
        document["cashback"]["authorFeedbackURI"] = feedback.feedback_uri
    return document


def canonical(document: dict[str, Any]) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme) bytes of a document."""
    return rfc8785.dumps(document)


def keccak256(data: bytes) -> str:
    """`0x` + the hex keccak-256 of `data` (Ethereum's hash, not NIST SHA3-256)."""
    return "0x" + keccak.new(digest_bits=256, data=data).hexdigest()


def registry_entry(feedback: Feedback, identity: Erc8004Identity | None, endpoint: str, uri: str) -> Erc8004Feedback:
    document = feedback_file(feedback, identity, endpoint)
    return Erc8004Feedback(
        author_id=feedback.author_id,
        agentId=identity.agent_token_id if identity else None,
        value=document["value"],
        valueDecimals=VALUE_DECIMALS,
        tag1=document["tag1"],
        tag2=document["tag2"],
        endpoint=endpoint,
        feedbackURI=uri,
        feedbackHash=keccak256(canonical(document)),
    )
