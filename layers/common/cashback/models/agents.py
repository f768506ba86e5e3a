"""Agents: registration, the profile and its public part, token rotation."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictBool,
    model_validator,
)

from cashback.auth import ADMIN_KEY_ID_PATTERN, Scope, Standing
from cashback.models.common import AgentId, ApiModel, Erc8004Identity, HttpsUrl, _plain_text
from cashback.models.wallets import CryptoPreference, _wallet, check_currency_fits


class Plan(StrEnum):
    STANDARD = "standard"
    PREMIUM = "premium"


def _printable_name(value: str) -> str:
    if value != value.strip():
        raise ValueError("agent_name must not start or end with whitespace")
    if not value.isprintable():
        raise ValueError("agent_name must contain printable characters only")
    return value


class PublicProfile(ApiModel):
    """What an agent may publish about itself in the directory; all optional."""

    description: Annotated[str, Field(max_length=500)] | None = None
    homepage_url: HttpsUrl | None = None
    mcp_endpoint_url: HttpsUrl | None = None
    erc8004: Erc8004Identity | None = None


AgentName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_printable_name)]
WalletAddress = Annotated[str, Field(max_length=64), AfterValidator(_wallet)]
Description = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_plain_text)]
PUBLIC_FIELD_DESCRIPTION = "list the agent in GET /agents and publish its reputation (opt-in)"


class RegisterAgentRequest(PublicProfile):
    model_config = ConfigDict(extra="forbid")

    agent_name: AgentName
    wallet_address: WalletAddress | None = None
    crypto_preference: CryptoPreference | None = None
    description: Description | None = None
    public: StrictBool = Field(default=False, description=PUBLIC_FIELD_DESCRIPTION)

    @model_validator(mode="after")
    def _currency_fits_wallet(self) -> RegisterAgentRequest:
        check_currency_fits(self.wallet_address, self.crypto_preference)
        return self


class UpdateAgentRequest(PublicProfile):
    """A change to the agent's name and public profile: the fields sent change, `null` clears an
    optional one, the others stay."""

    model_config = ConfigDict(extra="forbid")

    agent_name: AgentName | None = None
    description: Description | None = None
    public: StrictBool | None = Field(default=None, description=PUBLIC_FIELD_DESCRIPTION)
    wallet_address: WalletAddress | None = Field(
        default=None, description="where payouts go; validated as at registration; each change is in wallet-history"
    )
    crypto_preference: CryptoPreference | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateAgentRequest:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for required in ("agent_name", "public"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be cleared")
        check_currency_fits(self.wallet_address, self.crypto_preference)
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=self.model_fields_set)


class AgentProfile(PublicProfile):
    agent_id: AgentId
    agent_name: str
    wallet_address: str | None = None
    crypto_preference: CryptoPreference | None = None
    plan: Plan
    standing: Literal[Standing.ACTIVE, Standing.SUSPENDED] = Field(
        default=Standing.ACTIVE, description="a suspended agent's token gets 403 AGENT_SUSPENDED"
    )
    public: bool = False
    created_at: str = Field(description="UTC ISO 8601")
    token_rotated_at: str | None = None


class RegisteredAgent(AgentProfile):
    token: str = Field(description="The bearer token. Shown once; only its SHA-256 hash is stored.")
    token_type: Literal["Bearer"] = "Bearer"


class RotatedToken(ApiModel):
    agent_id: AgentId
    token: str = Field(description="The new bearer token. The previous one stopped working.")
    token_type: Literal["Bearer"] = "Bearer"
    rotated_at: str


# ---------------------------------------------------------------- operators: plans, standing, erasure


class ChangePlanRequest(ApiModel):
    model_config = ConfigDict(extra="forbid")

    plan: Plan = Field(description="the rate-limit plan: standard (100/min) or premium (1,000/min)")


class AgentDeleted(ApiModel):
    agent_id: AgentId = Field(description="now a tombstone id: its money records are kept under it")
    standing: Literal[Standing.DELETED] = Standing.DELETED
    deleted_at: str = Field(description="UTC ISO 8601")


class WalletChange(ApiModel):
    changed_at: str = Field(description="UTC ISO 8601")
    wallet_address: str | None = None
    crypto_preference: CryptoPreference | None = None
    previous_wallet_address: str | None = None
    previous_crypto_preference: CryptoPreference | None = None


class WalletHistory(ApiModel):
    agent_id: AgentId
    changes: list[WalletChange] = Field(description="newest first")
    cursor: str | None = Field(default=None, description="pass it back for older changes; null on the last page")


# ---------------------------------------------------------------- operators: admin keys

AdminKeyId = Annotated[str, Field(pattern=ADMIN_KEY_ID_PATTERN, examples=["adm_Zx3vQ9kLm2Pa"])]


class AdminKey(ApiModel):
    """What an operator may see of an admin key: never the key itself."""

    key_id: AdminKeyId
    name: str
    scopes: list[Scope]
    created_at: str
    expires_at: str | None = None
    last_used_at: str | None = Field(default=None, description="when the authorizer last accepted it")
    revoked_at: str | None = None


class AdminKeyPage(ApiModel):
    keys: list[AdminKey]
    cursor: str | None = Field(default=None, description="pass it back for the next page; null on the last page")
