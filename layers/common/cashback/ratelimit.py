"""Exact fixed-window rate limits: one conditional UpdateItem per request.

All windows of a policy live in ONE item whose key names the caller and the start of the
longest window (e.g. the hour); each shorter window (e.g. the minute) is an attribute named
after its own start. The update adds one to every window only if none is at its limit, so
DynamoDB's per-item serialisation makes the limit exact under any concurrency: N concurrent
requests against a limit L admit exactly min(N, L). Rejected requests change nothing. TTL only
cleans up old items; correctness never depends on when DynamoDB deletes them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from cashback.auth import Caller, PrincipalKind
from cashback.errors import DependencyUnavailable, RateLimited, RateLimiterUnavailable
from cashback.observability import MetricUnit, logger, metrics
from cashback.settings import Policy, Window, get_settings
from cashback.store import ratelimit as counter_store

# Items outlive their window by this much before TTL may delete them.
_TTL_GRACE_SECONDS = 300


@dataclass(frozen=True)
class WindowState:
    window: Window
    used: int
    reset_at: int

    @property
    def remaining(self) -> int:
        return max(0, self.window.limit - self.used)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    policy: Policy
    states: tuple[WindowState, ...]
    now: int
    cost: int = 1

    @property
    def binding(self) -> WindowState:
        """The window the X-RateLimit-* headers describe.

        When admitted: the one with the fewest requests left (the shorter window on a tie).
        When refused: the full window that reopens last, so its reset is when a retry can pass.
        """
        if self.allowed:
            return min(self.states, key=lambda s: (s.remaining, s.window.seconds))
        return max((s for s in self.states if s.remaining < self.cost), key=lambda s: s.reset_at)

    @property
    def retry_after(self) -> int:
        return max(1, self.binding.reset_at - self.now)

    def headers(self) -> dict[str, str]:
        binding = self.binding
        headers = {
            "X-RateLimit-Limit": str(binding.window.limit),
            "X-RateLimit-Remaining": str(binding.remaining),
            "X-RateLimit-Reset": str(binding.reset_at),
            # draft-ietf-httpapi-ratelimit-headers: one named policy per window.
            "RateLimit-Policy": ", ".join(
                f'"{s.window.name}";q={s.window.limit};w={s.window.seconds}' for s in self.states
            ),
            "RateLimit": ", ".join(f'"{s.window.name}";r={s.remaining};t={s.reset_at - self.now}' for s in self.states),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def window_start(now: int, seconds: int) -> int:
    return now - now % seconds


def counter_name(window: Window, now: int) -> str:
    return f"c{window.seconds}_{window_start(now, window.seconds)}"


def counter_key(subject: str, policy: Policy, now: int) -> str:
    longest = policy.windows[-1].seconds
    return f"{subject}#{longest}#{window_start(now, longest)}"


IPV6_PREFIX = 64


def address_key(source_ip: str) -> str:
    """Whom a per-IP limit counts: an IPv4 address as is, an IPv6 address by its /64 (one
    subscriber or host is given a whole /64 and can send from any of its 2^64 addresses), an
    IPv4-mapped IPv6 address as the IPv4 address it is."""
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return source_ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def resource_subject_and_policy(name: str, resource_id: str) -> tuple[str, Policy]:
    """A limit on one resource whoever asks (e.g. one click id), on a counter of its own."""
    return f"{name}#{resource_id}", get_settings().policies[name]


def subject_and_policy(
    caller: Caller, source_ip: str, anonymous_policy: str, endpoint_policy: str | None = None
) -> tuple[str, Policy]:
    """Who is counted, and under which policy: agents by plan, admin keys, anonymous callers by IP.

    An `endpoint_policy` replaces the plan's for every caller of that endpoint, on a counter of its
    own (e.g. feedback writes), so it is still one counter and one write per request.
    """
    policies = get_settings().policies
    if caller.kind is PrincipalKind.AGENT:
        subject, policy = f"agent#{caller.principal_id}", policies.get(caller.plan or "standard", policies["standard"])
    elif caller.kind is PrincipalKind.ADMIN:
        subject, policy = f"admin#{caller.principal_id}", policies["admin"]
    else:
        subject, policy = f"ip#{address_key(source_ip)}#{anonymous_policy}", policies[anonymous_policy]
    if endpoint_policy and not caller.is_anonymous:
        return f"{subject}#{endpoint_policy}", policies[endpoint_policy]
    return subject, policy


def check(subject: str, policy: Policy, now: int, cost: int = 1) -> Decision:
    """Count `cost` requests for `subject` at once; the decision says whether they are admitted.

    When DynamoDB fails, RATE_LIMIT_FAIL_MODE decides: `open` admits (headers then report the
    full limit, as nothing could be counted), `closed` raises RateLimiterUnavailable (503).
    """
    counters = {counter_name(w, now): w for w in policy.windows}
    limits = {name: w.limit for name, w in counters.items()}
    expires_at = window_start(now, policy.windows[-1].seconds) + policy.windows[-1].seconds + _TTL_GRACE_SECONDS
    try:
        counts = counter_store.consume_counters(counter_key(subject, policy, now), limits, expires_at, cost)
        allowed = True
    except counter_store.CounterLimitReached as full:
        counts, allowed = full.counts, False
    except DependencyUnavailable as exc:
        return _on_limiter_failure(policy, now, exc)
    states = tuple(
        WindowState(window=w, used=counts[name], reset_at=window_start(now, w.seconds) + w.seconds)
        for name, w in counters.items()
    )
    if not allowed:
        metrics.add_metric(name="RateLimited", unit=MetricUnit.Count, value=1)
    return Decision(allowed=allowed, policy=policy, states=states, now=now, cost=cost)


def _on_limiter_failure(policy: Policy, now: int, exc: DependencyUnavailable) -> Decision:
    mode = get_settings().rate_limit_fail_mode
    logger.error("rate limiter unavailable", extra={"fail_mode": mode, "reason": exc.details})
    metrics.add_metric(name="RateLimiterError", unit=MetricUnit.Count, value=1)
    if mode == "closed":
        raise RateLimiterUnavailable() from exc
    states = tuple(
        WindowState(window=w, used=0, reset_at=window_start(now, w.seconds) + w.seconds) for w in policy.windows
    )
    return Decision(allowed=True, policy=policy, states=states, now=now)


def rejection(decision: Decision) -> RateLimited:
    binding = decision.binding
    return RateLimited(
        f"Rate limit exceeded: {binding.window.limit} requests per {binding.window.name}.",
        details={
            "policy": decision.policy.name,
            "window": binding.window.name,
            "limit": binding.window.limit,
            "retry_after": decision.retry_after,
        },
    )
