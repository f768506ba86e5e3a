"""Request and response models (pydantic); the OpenAPI document is generated from these."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from cashback.auth import AGENT_ID_PATTERN

AgentId = Annotated[str, Field(pattern=AGENT_ID_PATTERN, examples=["agt_3q2-7vJcN0bS9yW1xZ8kQA"])]

_EVM_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class CryptoPreference(StrEnum):
    """Currencies an agent may be paid in. ETH needs an EVM wallet, SOL a Solana one."""

    USDC = "USDC"
    USDT = "USDT"
    ETH = "ETH"
    SOL = "SOL"


class Plan(StrEnum):
    STANDARD = "standard"
    PREMIUM = "premium"


class Chain(StrEnum):
    EVM = "evm"
    SOLANA = "solana"


def base58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _BASE58_ALPHABET.find(char)
        if index < 0:
            raise ValueError("not base58")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    leading_zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * leading_zeros + body


def wallet_chain(address: str) -> Chain:
    """The chain an address belongs to: EVM (`0x` + 40 hex) or Solana (base58 of 32 bytes)."""
    if _EVM_ADDRESS.match(address):
        return Chain.EVM
    if 32 <= len(address) <= 44:
        try:
            if len(base58_decode(address)) == 32:
                return Chain.SOLANA
        except ValueError:
            pass
    raise ValueError("wallet_address must be an EVM address (0x + 40 hex digits) or a Solana address (base58)")


def _printable_name(value: str) -> str:
    if value != value.strip():
        raise ValueError("agent_name must not start or end with whitespace")
    if not value.isprintable():
        raise ValueError("agent_name must contain printable characters only")
    return value


def _wallet(value: str) -> str:
    wallet_chain(value)
    return value


class RegisterAgentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_name: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_printable_name)]
    wallet_address: Annotated[str, Field(max_length=64), AfterValidator(_wallet)] | None = None
    crypto_preference: CryptoPreference | None = None

    @model_validator(mode="after")
    def _currency_fits_wallet(self) -> RegisterAgentRequest:
        if self.wallet_address and self.crypto_preference in (CryptoPreference.ETH, CryptoPreference.SOL):
            needed = Chain.EVM if self.crypto_preference is CryptoPreference.ETH else Chain.SOLANA
            if wallet_chain(self.wallet_address) is not needed:
                raise ValueError(f"crypto_preference {self.crypto_preference.value} needs a {needed.value} wallet")
        return self


class AgentProfile(BaseModel):
    agent_id: AgentId
    agent_name: str
    wallet_address: str | None = None
    crypto_preference: CryptoPreference | None = None
    plan: Plan
    created_at: str = Field(description="UTC ISO 8601")
    token_rotated_at: str | None = None


class RegisteredAgent(AgentProfile):
    token: str = Field(description="The bearer token. Shown once; only its SHA-256 hash is stored.")
    token_type: Literal["Bearer"] = "Bearer"


class RotatedToken(BaseModel):
    agent_id: AgentId
    token: str = Field(description="The new bearer token. The previous one stopped working.")
    token_type: Literal["Bearer"] = "Bearer"
    rotated_at: str


class HealthStatus(BaseModel):
    status: Literal["ok"]
    version: str
    stage: str
    checks: dict[str, Literal["ok"]]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["RATE_LIMITED"])
    message: str
    details: dict[str, object] = Field(default_factory=dict)
    request_id: str


class ErrorBody(BaseModel):
    error: ErrorDetail
