"""Agents' webhooks: where this API tells an agent about its conversions and feedback."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field

from cashback.models.common import ApiModel


class WebhookEventType(StrEnum):
    CONVERSION_PENDING = "conversion.pending"
    CONVERSION_CONFIRMED = "conversion.confirmed"
    CONVERSION_REFUNDED = "conversion.refunded"
    FEEDBACK_RECEIVED = "feedback.received"


WebhookUrl = Annotated[
    str,
    Field(
        max_length=2048,
        pattern=r"^https?://[A-Za-z0-9.\-\[\]:]+(/[^\s]*)?$",
        description="https; the host must resolve to public addresses only",
        examples=["https://agent.example/hooks/cashback"],
    ),
]


class WebhookRequest(ApiModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl


class Webhook(ApiModel):
    url: str
    events: list[WebhookEventType] = Field(default_factory=lambda: list(WebhookEventType))
    created_at: str
    updated_at: str
    secret_rotated_at: str | None = None
    secret: str | None = Field(
        default=None,
        description=(
            "the signing secret, shown only when it is made (first registration, rotation); "
            "verify X-Cashback-Signature with it as the conversion webhook's scheme does"
        ),
    )


class FailedDelivery(ApiModel):
    delivery_id: str
    event_type: WebhookEventType
    attempts: int
    first_attempted_at: str
    failed_at: str
    last_error: str
    body: str = Field(description="the exact JSON body that was sent (and will be sent again on replay)")


class FailedDeliveryPage(ApiModel):
    failed: list[FailedDelivery]
    next_cursor: str | None


class ReplayResult(ApiModel):
    requeued: int = Field(description="dead letters queued for delivery at the next run (within a minute)")
    remaining: bool = Field(description="true when more dead letters are left: call again")


class OwnWebhookRequest(ApiModel):
    """No arguments: the MCP webhook tools act on the calling agent's own webhook only."""

    model_config = ConfigDict(extra="forbid")


class FailedDeliveriesRequest(ApiModel):
    """GET /agents/{agent_id}/webhook/failures's query parameters as one object (the MCP tool
    list_failed_webhook_deliveries's arguments)."""

    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: Annotated[str | None, Field(max_length=512)] = None
