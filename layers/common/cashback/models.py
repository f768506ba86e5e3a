"""Request and response models (pydantic); the OpenAPI document is generated from these."""

from __future__ import annotations

import re
from decimal import Decimal as _Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic_core import CoreSchema

from cashback.auth import AGENT_ID_PATTERN
from cashback.money import cents
from cashback.text import fold


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


# Every decimal in this module is documented as `format: decimal`; it validates exactly as decimal.Decimal.
Decimal = Annotated[_Decimal, _DecimalFormat]

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


class Erc8004Identity(BaseModel):
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


class PublicProfile(BaseModel):
    """What an agent may publish about itself in the directory; all optional."""

    description: Annotated[str, Field(max_length=500)] | None = None
    homepage_url: HttpsUrl | None = None
    mcp_endpoint_url: HttpsUrl | None = None
    erc8004: Erc8004Identity | None = None


AgentName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_printable_name)]
Description = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_plain_text)]
PUBLIC_FIELD_DESCRIPTION = "list the agent in GET /agents and publish its reputation (opt-in)"


class RegisterAgentRequest(PublicProfile):
    model_config = ConfigDict(extra="forbid")

    agent_name: AgentName
    wallet_address: Annotated[str, Field(max_length=64), AfterValidator(_wallet)] | None = None
    crypto_preference: CryptoPreference | None = None
    description: Description | None = None
    public: StrictBool = Field(default=False, description=PUBLIC_FIELD_DESCRIPTION)

    @model_validator(mode="after")
    def _currency_fits_wallet(self) -> RegisterAgentRequest:
        if self.wallet_address and self.crypto_preference in (CryptoPreference.ETH, CryptoPreference.SOL):
            needed = Chain.EVM if self.crypto_preference is CryptoPreference.ETH else Chain.SOLANA
            if wallet_chain(self.wallet_address) is not needed:
                raise ValueError(f"crypto_preference {self.crypto_preference.value} needs a {needed.value} wallet")
        return self


class UpdateAgentRequest(PublicProfile):
    """A change to the agent's name and public profile: the fields sent change, `null` clears an
    optional one, the others stay."""

    model_config = ConfigDict(extra="forbid")

    agent_name: AgentName | None = None
    description: Description | None = None
    public: StrictBool | None = Field(default=None, description=PUBLIC_FIELD_DESCRIPTION)

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateAgentRequest:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for required in ("agent_name", "public"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be cleared")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=self.model_fields_set)


class AgentProfile(PublicProfile):
    agent_id: AgentId
    agent_name: str
    wallet_address: str | None = None
    crypto_preference: CryptoPreference | None = None
    plan: Plan
    public: bool = False
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


# ---------------------------------------------------------------- catalog

Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2, examples=["3.25"]), AfterValidator(cents)]
Price = Annotated[Decimal, Field(gt=0, le=1_000_000, decimal_places=2, examples=["348.00"]), AfterValidator(cents)]
CatalogId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{3,64}$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"])]
Category = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$", examples=["audio"])]


class Merchant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merchant_id: CatalogId
    name: Annotated[str, Field(min_length=1, max_length=120)]
    domain: Annotated[str, Field(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$", max_length=253)]
    subid_param: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,32}$")] = "subid"
    currency: Currency = "USD"
    default_cashback_rate: Percent
    category_rates: dict[str, Percent] = Field(default_factory=dict)

    def rate_for(self, category: str) -> Decimal:
        return self.category_rates.get(category, self.default_cashback_rate)


class Product(BaseModel):
    """One offer: a product as one merchant sells it."""

    model_config = ConfigDict(extra="forbid")

    product_id: CatalogId
    product_key: Annotated[str, Field(min_length=1, max_length=200, description="normalised brand + model")]
    gtin: Annotated[str, Field(pattern=r"^\d{8}(\d{4,6})?$")] | None = None
    title: Annotated[str, Field(min_length=1, max_length=300)]
    brand: Annotated[str, Field(min_length=1, max_length=80)]
    model: Annotated[str, Field(max_length=120)] | None = None
    category: Category
    merchant_id: CatalogId
    price: Price
    currency: Currency
    rating: Annotated[Decimal, Field(ge=0, le=5, decimal_places=1)] | None = None
    review_count: Annotated[int, Field(ge=0)] = 0
    in_stock: StrictBool = True
    url: HttpsUrl
    cashback_rate: Percent

    @property
    def match_key(self) -> str:
        """How offers of the same product are matched across merchants: GTIN when known."""
        return f"gtin:{self.gtin}" if self.gtin else f"key:{fold(self.product_key)}"


class ProductBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    products: Annotated[list[Product], Field(min_length=1, max_length=25)]


class MerchantBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merchants: Annotated[list[Merchant], Field(min_length=1, max_length=25)]


class UpsertResult(BaseModel):
    upserted: int
    ids: list[str]


class Deleted(BaseModel):
    deleted: str


# ---------------------------------------------------------------- search and compare


class SortOrder(StrEnum):
    RELEVANCE = "relevance"
    CASHBACK_RATE = "cashback_rate"
    CASHBACK_AMOUNT = "cashback_amount"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    RATING = "rating"


class SearchFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    brand: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    merchant: Annotated[str, Field(min_length=1, max_length=120, description="merchant id or name")] | None = None
    min_price: Annotated[Decimal, Field(ge=0, le=1_000_000)] | None = None
    max_price: Annotated[Decimal, Field(ge=0, le=1_000_000)] | None = None
    min_cashback_rate: Annotated[Decimal, Field(ge=0, le=100)] | None = None
    in_stock: StrictBool | None = None

    @model_validator(mode="after")
    def _price_range(self) -> SearchFilters:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("min_price must not exceed max_price")
        return self


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keywords: Annotated[str, Field(min_length=1, max_length=200, examples=["wireless headphones"])]
    filters: SearchFilters = Field(default_factory=SearchFilters)
    sort: SortOrder = SortOrder.RELEVANCE
    limit: Annotated[int, Field(ge=1, le=50)] = 10
    cursor: Annotated[str, Field(max_length=512)] | None = None


class SearchResult(BaseModel):
    product_id: str
    title: str
    brand: str
    category: str
    merchant: str
    merchant_id: str
    price: Decimal
    currency: str
    cashback_rate: Decimal = Field(description="percent")
    cashback_amount: Decimal
    rating: Decimal | None
    in_stock: bool
    affiliate_link: str


class SearchResponse(BaseModel):
    keywords: str
    results: list[SearchResult]
    total: int = Field(description="products matched; a lower bound when total_is_estimate")
    total_is_estimate: bool
    next_cursor: str | None


class BatchSearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    searches: Annotated[list[SearchRequest], Field(min_length=1, max_length=10)]


class BatchSearchItem(BaseModel):
    ok: bool
    result: SearchResponse | None = None
    error: ErrorDetail | None = None


class BatchSearchResponse(BaseModel):
    results: list[BatchSearchItem]


class CompareRequest(BaseModel):
    """GET /compare's query parameters as one object (the MCP tool compare_cashback's arguments)."""

    model_config = ConfigDict(extra="forbid")

    product_name: Annotated[str, Field(min_length=1, max_length=200, examples=["Kitchenwright KI-74 Air Fryer"])]
    max_merchants: Annotated[int, Field(ge=1, le=20)] = 5


class CompareRow(BaseModel):
    rank: int
    product_id: str
    title: str
    merchant: str
    price: Decimal
    currency: str
    cashback_rate: Decimal
    cashback_amount: Decimal
    savings_vs_1st: Decimal = Field(description="this row's cashback_amount minus the first row's (≤ 0)")
    effective_price: Decimal = Field(description="price - cashback_amount")
    in_stock: bool
    affiliate_link: str


class PriceRange(BaseModel):
    min: Decimal
    max: Decimal


class CompareSummary(BaseModel):
    best_merchant: str
    best_cashback_rate: str = Field(examples=["3.25%"])
    best_effective_price: Decimal
    price_range: PriceRange
    merchant_count: int


class CompareResponse(BaseModel):
    success: Literal[True] = True
    product_query: str
    agent_id: str
    results: list[CompareRow]
    summary: CompareSummary


# ---------------------------------------------------------------- conversions


class ConversionStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUNDED = "refunded"


Money = Annotated[Decimal, Field(ge=0, le=10_000_000, decimal_places=2, examples=["12.50"]), AfterValidator(cents)]


class ConversionEvent(BaseModel):
    """One delivery from an affiliate network; product and merchant come from the click."""

    model_config = ConfigDict(extra="forbid")

    conversion_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,128}$", description="the network's id")]
    click_id: Annotated[str, Field(pattern=r"^clk_[A-Za-z0-9_-]{22}$")]
    status: ConversionStatus
    order_amount: Money
    currency: Currency
    commission_amount: Money
    occurred_at: AwareDatetime

    @model_validator(mode="after")
    def _commission_within_order(self) -> ConversionEvent:
        if self.commission_amount > self.order_amount:
            raise ValueError("commission_amount must not exceed order_amount")
        return self


class Conversion(BaseModel):
    conversion_id: str
    click_id: str
    agent_id: str
    product_id: str
    product_title: str | None = None
    product_match_key: str | None = Field(default=None, exclude=True)
    merchant_id: str
    status: ConversionStatus
    order_amount: Decimal
    currency: str
    commission_amount: Decimal
    occurred_at: str
    first_seen_at: str
    updated_at: str


class ConversionReceipt(BaseModel):
    conversion: Conversion
    applied: bool = Field(description="false when this delivery changed nothing (duplicate or late)")


class ConversionPage(BaseModel):
    conversions: list[Conversion]
    next_cursor: str | None


# ---------------------------------------------------------------- stats and analytics


class ConversionCounts(BaseModel):
    pending: int
    confirmed: int
    refunded: int


class AgentStats(BaseModel):
    agent_id: str
    total_searches: int
    total_clicks: int
    conversions: ConversionCounts = Field(description="conversions currently in each status")
    revenue: Decimal = Field(description="confirmed commission, net of refunds")
    pending_revenue: Decimal = Field(description="commission of conversions still pending")
    average_revenue_per_search: Decimal = Field(description="revenue / total_searches (0.00 without searches)")
    conversion_rate: Decimal = Field(description="confirmed conversions / clicks, 4 places (0 without clicks)")
    last_activity: str | None
    as_of: str = Field(description="these figures are live: written with each request")


class OwnStatsRequest(BaseModel):
    """No arguments: the MCP tool get_agent_stats answers for the calling agent only."""

    model_config = ConfigDict(extra="forbid")


class SearchLogEntry(BaseModel):
    keywords: str
    filters: dict[str, object]
    results_count: int
    timestamp: str


class DailyActivity(BaseModel):
    date: str
    searches: int
    clicks: int
    conversions: int
    revenue: Decimal


class RankedCount(BaseModel):
    name: str
    count: int


class RevenueTrend(BaseModel):
    last_7_days: Decimal
    previous_7_days: Decimal
    growth_rate: Decimal | None = Field(description="(last - previous) / previous; null when previous is 0")


class AgentAnalytics(BaseModel):
    agent_id: str
    recent_searches: list[SearchLogEntry]
    timeline: list[DailyActivity] = Field(description="30 days, oldest first; days without activity are zeros")
    top_brands: list[RankedCount]
    top_merchants: list[RankedCount] = Field(description="by confirmed conversions")
    revenue_trend: RevenueTrend
    as_of: str


class LeaderboardMetric(StrEnum):
    CONVERSIONS = "conversions"
    REVENUE = "revenue"
    SEARCHES = "searches"
    REPUTATION = "reputation"


class LeaderboardPeriod(StrEnum):
    WEEK = "7d"
    MONTH = "30d"
    ALL = "all"

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        """Name the members in the document (`x-enum-varnames`): "7d" is no identifier for generated clients."""
        json_schema = handler(schema)
        handler.resolve_ref_schema(json_schema)["x-enum-varnames"] = [member.name for member in cls]
        return json_schema


class LeaderboardRow(BaseModel):
    rank: int
    agent_id: str
    agent_name: str
    conversions: int
    # Two places as stored by the rollup: DynamoDB drops trailing zeros from numbers ("75.00" reads back 75).
    revenue: Annotated[Decimal, AfterValidator(cents)]
    searches: int
    reputation: Annotated[Decimal, AfterValidator(cents)] | None = Field(
        default=None, description="the agent's reputation score; null when unscored"
    )
    growth_rate: Decimal | None = Field(
        description="(metric this period - metric the period before) / the period before, 4 places; null when "
        "the period before is 0. For period=all: the last 30 days against the 30 before. Null for reputation."
    )


class Leaderboard(BaseModel):
    metric: LeaderboardMetric
    period: LeaderboardPeriod
    agents: list[LeaderboardRow]
    as_of: str | None = Field(description="when the rollup that built this last ran; null before the first run")


class TrendingRequest(BaseModel):
    """GET /analytics/trending's query parameters as one object (the MCP tool get_trending's arguments)."""

    model_config = ConfigDict(extra="forbid")

    days: Annotated[int, Field(ge=1, le=30)] = 7


class TrendingProduct(BaseModel):
    title: str
    searches: int
    clicks: int
    conversions: int
    conversion_rate: Decimal = Field(description="conversions / searches, 4 places (0 without searches)")
    revenue: Decimal


class TrendingKeyword(BaseModel):
    keyword: str
    searches: int


class TrendingMerchant(BaseModel):
    merchant_id: str
    clicks: int
    conversions: int
    revenue: Decimal


class Trending(BaseModel):
    days: int
    products: list[TrendingProduct]
    keywords: list[TrendingKeyword]
    merchants: list[TrendingMerchant] = Field(description="by conversions, then revenue, then clicks")
    approximate: bool = Field(description="true when a day had more entries than its stored top list")
    as_of: str | None


# ---------------------------------------------------------------- directory, feedback and reputation

Score = Annotated[Decimal, Field(ge=0, le=100, description="0 to 100, 2 places", examples=["87.50"])]


class DirectorySort(StrEnum):
    REPUTATION = "reputation"
    CONVERSIONS = "conversions"
    NEWEST = "newest"


class DirectoryEntry(BaseModel):
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


class DirectoryPage(BaseModel):
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


class FeedbackRequest(BaseModel):
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


class FeedbackResponseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: PublicText
    response_uri: FeedbackUri | None = None


class FeedbackReply(BaseModel):
    text: str
    response_uri: str | None = None
    responded_at: str


class Feedback(BaseModel):
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


class ReputationInputs(BaseModel):
    feedback_count: int
    feedback_average: Decimal | None = Field(description="mean live feedback score, 2 places")
    conversions: ConversionCounts
    confirmation_rate: Decimal | None = Field(description="confirmed / all conversions, 4 places")
    refund_rate: Decimal | None = Field(description="refunded / (confirmed + refunded), 4 places")


class TagCount(BaseModel):
    tag: str
    count: int


class FeedbackRevoked(BaseModel):
    subject_id: str
    author_id: str
    revoked: Literal[True] = True


class Reputation(BaseModel):
    agent_id: str
    agent_name: str
    score: Score | None = Field(description="null while neither input has its minimum sample")
    inputs: ReputationInputs = Field(description="what the score was computed from, as of computed_at")
    computed_at: str | None = Field(description="when the scheduled rollup last computed the score")
    tags: list[TagCount] = Field(description="live feedback per tag, most used first")
    feedback: list[Feedback] = Field(description="live feedback, newest first")
    next_cursor: str | None


class Erc8004Feedback(BaseModel):
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


class Erc8004Export(BaseModel):
    agent_id: str
    agentRegistry: str | None = Field(description="eip155:<chain_id>:<identity_registry>, or null")  # noqa: N815
    agentId: int | None  # noqa: N815
    feedback: list[Erc8004Feedback]
    next_cursor: str | None
