"""The public directory, feedback, the reputation score and its ERC-8004 export."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
)

from cashback.models.common import ApiModel, ConversionCounts, Decimal, Erc8004Identity, HttpsUrl, PublicText

Score = Annotated[Decimal, Field(ge=0, le=100, description="0 to 100, 2 places", examples=["87.50"])]


class DirectorySort(StrEnum):
    REPUTATION = "reputation"
    CONVERSIONS = "conversions"
    NEWEST = "newest"


class DirectoryEntry(ApiModel):
    """An agent as the public directory shows it: only what the agent published, never tokens,
    wallets or private stats."""

    agent_id: str
    agent_name: str
    description: str | None = None
    homepage_url: str | None = None
    mcp_endpoint_url: str | None = None
    erc8004: Erc8004Identity | None = None
    created_at: str
    reputation_score: Score | None = Field(description="null until the agent has the minimum sample")
    confirmed_conversions: int


class DirectoryPage(ApiModel):
    agents: list[DirectoryEntry]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")


def _unique(tags: list[str]) -> list[str]:
    if len(set(tags)) != len(tags):
        raise ValueError("tags must be distinct")
    return tags


FeedbackTag = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$", examples=["successRate"])]
FeedbackUri = Annotated[
    str,
    Field(pattern=r"^(https://[A-Za-z0-9.-]+(:\d+)?|ipfs://[A-Za-z0-9]+)(/[^\s]*)?$", max_length=2048),
]


class FeedbackRequest(ApiModel):
    model_config = ConfigDict(extra="forbid")

    score: Annotated[int, Field(strict=True, ge=0, le=100, examples=[87])]
    tags: Annotated[
        list[FeedbackTag],
        Field(max_length=2, description="up to two, as ERC-8004's tag1 and tag2"),
        AfterValidator(_unique),
    ] = Field(default_factory=list)
    comment: PublicText | None = None
    feedback_uri: FeedbackUri | None = Field(default=None, description="the author's own feedback file (https or ipfs)")
    endpoint: HttpsUrl | None = Field(
        default=None, description="the agent's endpoint the feedback is about; default its MCP endpoint"
    )


class FeedbackResponseRequest(ApiModel):
    model_config = ConfigDict(extra="forbid")

    text: PublicText
    response_uri: FeedbackUri | None = None


class FeedbackReply(ApiModel):
    text: str
    response_uri: str | None = None
    responded_at: str


class Feedback(ApiModel):
    subject_id: str
    author_id: str
    author_kind: Literal["agent", "admin"]
    score: int
    tags: list[str]
    comment: str | None = None
    feedback_uri: str | None = None
    endpoint: str | None = None
    created_at: str
    updated_at: str
    responses: list[FeedbackReply] = Field(default_factory=list, description="the subject's public replies")


class ReputationInputs(ApiModel):
    feedback_count: int
    feedback_average: Decimal | None = Field(description="mean live feedback score, 2 places")
    conversions: ConversionCounts
    confirmation_rate: Decimal | None = Field(description="confirmed / all conversions, 4 places")
    refund_rate: Decimal | None = Field(description="refunded / (confirmed + refunded), 4 places")


class TagCount(ApiModel):
    tag: str
    count: int


class FeedbackRevoked(ApiModel):
    subject_id: str
    author_id: str
    revoked: Literal[True] = True


class Reputation(ApiModel):
    agent_id: str
    agent_name: str
    score: Score | None = Field(description="null while neither input has its minimum sample")
    inputs: ReputationInputs = Field(description="what the score was computed from, as of computed_at")
    computed_at: str | None = Field(description="when the scheduled rollup last computed the score")
    tags: list[TagCount] = Field(description="live feedback per tag, most used first")
    feedback: list[Feedback] = Field(description="live feedback, newest first")
    next_cursor: str | None


class Erc8004Feedback(ApiModel):
    """One feedback as the ERC-8004 Reputation Registry's giveFeedback takes it (its argument names)."""

    author_id: str
    agentId: int | None = Field(description="the subject's agent_token_id; null without an ERC-8004 identity")  # noqa: N815
    value: int
    valueDecimals: int  # noqa: N815
    tag1: str
    tag2: str
    endpoint: str
    feedbackURI: str = Field(description="where the canonical feedback file is served")  # noqa: N815
    feedbackHash: str = Field(description="0x + keccak-256 of the file's bytes (RFC 8785 canonical JSON)")  # noqa: N815


class Erc8004Export(ApiModel):
    agent_id: str
    agentRegistry: str | None = Field(description="eip155:<chain_id>:<identity_registry>, or null")  # noqa: N815
    agentId: int | None  # noqa: N815
    feedback: list[Erc8004Feedback]
    next_cursor: str | None
