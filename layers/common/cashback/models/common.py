"""Types every context's models share: decimals documented as `format: decimal`, ids, safe text
and URLs, currencies, the one error body, and the values two contexts publish (an agent's ERC-8004
identity, conversion counts)."""

from __future__ import annotations

import re
from decimal import Decimal as _Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    field_validator,
)
from pydantic_core import CoreSchema

from cashback.auth import AGENT_ID_PATTERN
from cashback.money import cents


class _DecimalFormat:
    """Documents a decimal's string form as OpenAPI's `format: decimal` (pydantic writes a bare string).

    Money and rates travel as decimal strings; with the format in the document, generated clients
    (clients/python) parse them as decimals instead of plain strings or floats.
    """

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        json_schema = handler(schema)
        for branch in json_schema.get("anyOf", [json_schema]):
            if branch.get("type") == "string":
                branch["format"] = "decimal"
        return json_schema


class ApiModel(BaseModel):
    """Every API model's base: its validator and serializer are built on first use, not at import,
    so a function's cold start builds only the models its requests use (defer_build)."""

    model_config = ConfigDict(defer_build=True)


class Deleted(ApiModel):
    deleted: str


# Every decimal in this module is documented as `format: decimal`; it validates exactly as decimal.Decimal.
Decimal = Annotated[_Decimal, _DecimalFormat]

AgentId = Annotated[str, Field(pattern=AGENT_ID_PATTERN, examples=["agt_3q2-7vJcN0bS9yW1xZ8kQA"])]


def _plain_text(value: str) -> str:
    """Text shown to other agents: no surrounding whitespace, no control characters but newlines."""
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    if not value.replace("\n", " ").isprintable():
        raise ValueError("must contain printable characters only")
    return value


def _https(value: str) -> str:
    if not re.match(r"^https://[A-Za-z0-9.-]+(:\d+)?(/[^\s]*)?$", value):
        raise ValueError("must be an https URL")
    return value


HttpsUrl = Annotated[str, Field(max_length=2048), AfterValidator(_https)]
PublicText = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_plain_text)]
EvmAddress = Annotated[
    str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x8004A169FB4a3325136EB29fA0ceB6D2e539a432"])
]
# Integers a JSON client reads exactly (IEEE doubles), as RFC 8785 canonical JSON requires.
JsonSafeInt = Annotated[int, Field(strict=True, ge=0, le=2**53 - 1)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"])]
# Money is never summed across currencies: an amount is an object keyed by ISO 4217 code
# ({"EUR": "3.00", "USD": "12.50"}); a currency appears once it has a non-zero amount.
MoneyByCurrency = Annotated[
    dict[Currency, Annotated[Decimal, AfterValidator(cents)]],
    Field(examples=[{"EUR": "3.00", "USD": "12.50"}]),
]


class Erc8004Identity(ApiModel):
    """The agent's ERC-8004 identity: its token in an Identity Registry on an EVM chain."""

    model_config = ConfigDict(extra="forbid")

    chain_id: Annotated[int, Field(strict=True, ge=1, le=2**53 - 1, examples=[8453])]
    identity_registry: EvmAddress
    agent_token_id: Annotated[JsonSafeInt, Field(description="the agent's token id (agentId) in that registry")]

    @field_validator("chain_id", "agent_token_id", mode="before")
    @classmethod
    def _stored_number(cls, value: object) -> object:
        """DynamoDB hands numbers back as Decimal; JSON input never is one, so strictness stays."""
        if isinstance(value, _Decimal) and value == value.to_integral_value():
            return int(value)
        return value

    @property
    def agent_registry(self) -> str:
        """The registry as ERC-8004 names it (CAIP-10): `eip155:<chain_id>:<identity_registry>`."""
        return f"eip155:{self.chain_id}:{self.identity_registry}"


class ConversionCounts(ApiModel):
    pending: int
    confirmed: int
    refunded: int


class ErrorDetail(ApiModel):
    code: str = Field(examples=["RATE_LIMITED"])
    message: str
    details: dict[str, object] = Field(default_factory=dict)
    request_id: str


class ErrorBody(ApiModel):
    error: ErrorDetail
