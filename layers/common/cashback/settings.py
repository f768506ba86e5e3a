"""Settings from the environment, read once on first use (never at import time)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Literal

from botocore.config import Config
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from cashback import __version__

# Short timeouts and few retries: an API call must fail fast rather than hang until the
# Lambda timeout; callers retry with their own budget.
AWS_CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=3,
    retries={"mode": "standard", "max_attempts": 3},
)


class Window(BaseModel, frozen=True):
    """A fixed window: at most `limit` requests per `seconds`, aligned to the epoch."""

    seconds: int = Field(gt=0)
    limit: int = Field(gt=0)

    @property
    def name(self) -> str:
        return {60: "minute", 3600: "hour", 86400: "day"}.get(self.seconds, f"{self.seconds}s")


class Policy(BaseModel, frozen=True):
    """The windows one caller class is held to; every window must divide the longest one."""

    name: str
    windows: tuple[Window, ...]

    @model_validator(mode="after")
    def _windows_nest(self) -> Policy:
        if not self.windows:
            raise ValueError(f"policy {self.name!r} has no windows")
        longest = max(w.seconds for w in self.windows)
        if any(longest % w.seconds for w in self.windows):
            raise ValueError(f"policy {self.name!r}: every window must divide {longest}s")
        object.__setattr__(self, "windows", tuple(sorted(self.windows, key=lambda w: w.seconds)))
        return self


def _policy(name: str, *windows: tuple[int, int]) -> Policy:
    return Policy(name=name, windows=tuple(Window(seconds=s, limit=n) for s, n in windows))


DEFAULT_POLICIES: dict[str, Policy] = {
    # Per agent, chosen by the agent's plan.
    "standard": _policy("standard", (60, 100), (3600, 1_000)),
    "premium": _policy("premium", (60, 1_000), (3600, 10_000)),
    # Per admin key.
    "admin": _policy("admin", (60, 1_000), (3600, 20_000)),
    # Per source IP on anonymous routes.
    "registration": _policy("registration", (60, 10), (3600, 50)),
    "public": _policy("public", (60, 120), (3600, 2_000)),
    # Per source IP on the conversion webhook (affiliate networks deliver in bursts).
    "webhook": _policy("webhook", (60, 600), (3600, 20_000)),
    # Per source IP on the directory (a filtered page may read several index pages) and reputation reads.
    "directory": _policy("directory", (60, 60), (3600, 1_000)),
    "reputation": _policy("reputation", (60, 120), (3600, 2_000)),
    # Per source IP on GET /health, apart from "public": monitors poll it from few addresses.
    "health": _policy("health", (60, 300), (3600, 10_000)),
    # Per caller (agent or admin key) on feedback writes, apart from its plan's limit.
    "feedback": _policy("feedback", (60, 10), (3600, 100)),
    # The affiliate redirect (GET /r/{click_id}): shoppers behind one NAT or carrier gateway share an
    # address, so per IP only a high ceiling, and per click id a limit no shopper reaches.
    "redirect": _policy("redirect", (60, 3_000), (3600, 60_000)),
    "click": _policy("click", (60, 30), (3600, 300)),
}


class Settings(BaseModel, frozen=True):
    stage: str = "dev"
    version: str = __version__
    agents_table: str
    rate_limit_table: str
    catalog_table: str = "CatalogTable"
    activity_table: str = "ActivityTable"
    analytics_table: str = "AnalyticsTable"
    reputation_table: str = "ReputationTable"
    catalog_source: Literal["dynamodb", "upstream"] = "dynamodb"
    upstream_base_url: str | None = None
    upstream_api_key: str | None = Field(default=None, repr=False)
    upstream_api_key_parameter: str | None = None
    upstream_timeout_seconds: float = Field(default=2.0, gt=0, le=10)
    public_base_url: str | None = None
    click_ttl_days: int = Field(default=30, gt=0, le=365)
    rate_limit_fail_mode: Literal["open", "closed"] = "open"
    max_body_bytes: int = Field(default=16_384, gt=0)
    policies: dict[str, Policy] = Field(default_factory=lambda: dict(DEFAULT_POLICIES))
    # Agents' webhooks (notify): their signing secrets are sealed with KMS in AWS, or locally with
    # a key from the environment (never both: the local key wins, as WEBHOOK_SECRET does).
    webhook_kms_key_id: str | None = None
    webhook_sealing_key: str | None = Field(default=None, repr=False)
    # Local tests only: hosts a webhook may target although they resolve to private addresses, and
    # plain http. Never set on AWS, where every target must be https and resolve to public addresses.
    webhook_allowed_hosts: tuple[str, ...] = ()
    webhook_allow_http: bool = False
    # Seconds before each retry of a failed delivery; after the last one the delivery is dead-lettered.
    webhook_retry_delays: tuple[int, ...] = (60, 300, 1800, 7200, 21600)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=10)

    @field_validator("policies", mode="before")
    @classmethod
    def _merge_overrides(cls, value: object) -> object:
        """`RATE_LIMITS` overrides named policies: {"standard": [[60, 100], [3600, 1000]]}."""
        if not isinstance(value, dict):
            return value
        merged: dict[str, object] = dict(DEFAULT_POLICIES)
        for name, windows in value.items():
            merged[name] = (
                windows
                if isinstance(windows, Policy)
                else {"name": name, "windows": [{"seconds": s, "limit": n} for s, n in windows]}
            )
        return merged


class ConfigurationError(RuntimeError):
    """The function's environment is missing or has an invalid setting."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    raw: dict[str, object] = {
        "stage": env.get("STAGE", "dev"),
        "agents_table": env.get("AGENTS_TABLE"),
        "rate_limit_table": env.get("RATE_LIMIT_TABLE"),
        "rate_limit_fail_mode": env.get("RATE_LIMIT_FAIL_MODE", "open"),
        "max_body_bytes": env.get("MAX_BODY_BYTES", 16_384),
        "catalog_table": env.get("CATALOG_TABLE"),
        "activity_table": env.get("ACTIVITY_TABLE"),
        "analytics_table": env.get("ANALYTICS_TABLE"),
        "reputation_table": env.get("REPUTATION_TABLE"),
        "catalog_source": env.get("CATALOG_SOURCE"),
        "upstream_base_url": env.get("UPSTREAM_BASE_URL"),
        "upstream_api_key": env.get("UPSTREAM_API_KEY"),
        "upstream_api_key_parameter": env.get("UPSTREAM_API_KEY_PARAMETER"),
        "upstream_timeout_seconds": env.get("UPSTREAM_TIMEOUT_SECONDS"),
        "public_base_url": env.get("PUBLIC_BASE_URL"),
        "click_ttl_days": env.get("CLICK_TTL_DAYS"),
        "webhook_kms_key_id": env.get("WEBHOOK_KMS_KEY_ID"),
        "webhook_sealing_key": env.get("WEBHOOK_SEALING_KEY"),
        "webhook_allowed_hosts": _words(env.get("WEBHOOK_ALLOWED_HOSTS")),
        "webhook_allow_http": env.get("WEBHOOK_ALLOW_HTTP"),
        "webhook_retry_delays": _words(env.get("WEBHOOK_RETRY_DELAYS")),
        "webhook_timeout_seconds": env.get("WEBHOOK_TIMEOUT_SECONDS"),
    }
    if env.get("RATE_LIMITS"):
        raw["policies"] = _json_object(env["RATE_LIMITS"])
    try:
        return Settings.model_validate({k: v for k, v in raw.items() if v not in (None, "")})
    except ValidationError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from exc


def _words(text: str | None) -> list[str] | None:
    """A comma-separated list setting ("a,b"); None when unset, so the default applies."""
    return [w.strip() for w in text.split(",") if w.strip()] if text else None


def _json_object(text: str) -> dict[str, object]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ConfigurationError("RATE_LIMITS must be a JSON object")
    return value
