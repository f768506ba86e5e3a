"""The rate-limit headers every API response carries, parsed."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# One item of the IETF draft's structured lists: "minute";q=100;w=60
_ITEM = re.compile(r'^\s*"(?P<name>[^"]*)"(?P<params>(?:\s*;\s*[a-z]+=\d+)*)\s*$')
_PARAM = re.compile(r"([a-z]+)=(\d+)")


@dataclass(frozen=True)
class RateLimitWindow:
    """One window the caller is held to, from `RateLimit-Policy` and `RateLimit`."""

    name: str
    limit: int | None
    window_seconds: int | None
    remaining: int | None
    reset_in: int | None = None
    """Seconds until this window resets, counted from when the response was sent."""


@dataclass(frozen=True)
class RateLimit:
    """The tightest window (`X-RateLimit-*`), every window, and `Retry-After` on a 429."""

    limit: int
    remaining: int
    reset: int
    """When the tightest window ends, epoch seconds (`X-RateLimit-Reset`)."""
    windows: tuple[RateLimitWindow, ...] = ()
    retry_after: float | None = None
    """Seconds to wait before retrying (`Retry-After`, 429 only)."""

    @property
    def reset_at(self) -> datetime:
        return datetime.fromtimestamp(self.reset, tz=UTC)

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimit | None:
        """None when the response carries no rate-limit headers (e.g. API Gateway's own 401)."""
        try:
            limit = int(headers["X-RateLimit-Limit"])
            remaining = int(headers["X-RateLimit-Remaining"])
            reset = int(headers["X-RateLimit-Reset"])
        except (KeyError, ValueError):
            return None
        return cls(
            limit=limit,
            remaining=remaining,
            reset=reset,
            windows=_windows(headers.get("RateLimit-Policy", ""), headers.get("RateLimit", "")),
            retry_after=retry_after(headers),
        )


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """`Retry-After` in seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _parse_list(text: str) -> dict[str, dict[str, int]]:
    items: dict[str, dict[str, int]] = {}
    for part in text.split(","):
        match = _ITEM.match(part)
        if match:
            items[match["name"]] = {key: int(value) for key, value in _PARAM.findall(match["params"])}
    return items


def _windows(policy_header: str, state_header: str) -> tuple[RateLimitWindow, ...]:
    policies, states = _parse_list(policy_header), _parse_list(state_header)
    return tuple(
        RateLimitWindow(
            name=name,
            limit=policies.get(name, {}).get("q"),
            window_seconds=policies.get(name, {}).get("w"),
            remaining=states.get(name, {}).get("r"),
            reset_in=states.get(name, {}).get("t"),
        )
        for name in dict.fromkeys([*policies, *states])
    )
