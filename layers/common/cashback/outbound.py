"""Requests this API sends to URLs its callers chose (agents' webhooks), safe against SSRF.

A target must be https, and every address its host resolves to must be public: no private,
loopback, link-local (the instance metadata service), shared, multicast or reserved address. The
check runs when the URL is registered and again at every delivery, and the request then goes to
the address that was checked (the host name only travels as Host and TLS SNI), so a DNS answer
that changes between check and connect cannot point a delivery inside. Redirects are never
followed: a 3xx is a failed delivery.

Locally, tests point webhooks at a receiver on 127.0.0.1 over http: `WEBHOOK_ALLOWED_HOSTS` names
the hosts exempt from the address check and `WEBHOOK_ALLOW_HTTP` allows plain http. Neither is set
on AWS.
"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from cashback.errors import ApiError
from cashback.observability import trace_httpx
from cashback.settings import get_settings

if TYPE_CHECKING:
    import httpx

# getaddrinfo has no timeout of its own: a resolver that hangs must not hold a request until the
# function's timeout, so lookups run on a few threads and are given up after this long.
RESOLVE_SECONDS = 2.0
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="resolve")


class TargetForbidden(ApiError):
    status = 422
    code = "WEBHOOK_TARGET_FORBIDDEN"
    default_message = "Webhooks may only target https URLs whose host resolves to public addresses."


@dataclass(frozen=True)
class Target:
    url: str  # what is requested: the checked address in place of the host
    host: str
    sni: str | None


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(url: str) -> Target:
    """The checked target of `url`, or TargetForbidden saying why not."""
    settings = get_settings()
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:  # a port out of range, an unclosed [IPv6 literal
        raise TargetForbidden("The webhook URL is not a valid URL.") from exc
    allowed_schemes = ("https", "http") if settings.webhook_allow_http else ("https",)
    if parts.scheme not in allowed_schemes or not parts.hostname:
        raise TargetForbidden("The webhook URL must be an https URL with a host name.")
    if parts.username or parts.password:
        raise TargetForbidden("The webhook URL must not carry credentials.")
    host = parts.hostname
    if host in settings.webhook_allowed_hosts:
        return Target(url=url, host=parts.netloc, sni=None)
    try:
        answers = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM).result(RESOLVE_SECONDS)
    except (OSError, UnicodeError, TimeoutError) as exc:
        raise TargetForbidden("The webhook host does not resolve.", details={"host": host}) from exc
    addresses = sorted({str(answer[4][0]) for answer in answers})
    if not addresses or not all(_public(a) for a in addresses):
        raise TargetForbidden(
            "The webhook host resolves to a private, loopback or link-local address.", details={"host": host}
        )
    chosen = addresses[0]
    literal = f"[{chosen}]" if ":" in chosen else chosen
    pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    return Target(url=pinned, host=parts.netloc, sni=host if parts.scheme == "https" else None)


class DeliveryFailed(Exception):
    """No answer came (a timeout, a refused connection, a TLS failure): the transport error's name."""


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to a checked `url`; the status code. Raises TargetForbidden or DeliveryFailed."""
    # Here, not at import: httpx loads only where a delivery is sent, not in every function that
    # registers or reads a webhook (about 20 ms of their cold start).
    import httpx  # noqa: PLC0415

    target = resolve(url)
    extensions = {"sni_hostname": target.sni} if target.sni else {}
    try:
        response = _client().post(
            target.url,
            content=body,
            headers={**headers, "Host": target.host, "Content-Type": "application/json"},
            extensions=extensions,
        )
    except httpx.HTTPError as exc:
        raise DeliveryFailed(type(exc).__name__) from exc
    return response.status_code


@lru_cache(maxsize=1)
def _client() -> httpx.Client:
    """One client, reused while the container is warm (building its TLS context costs ~0.25 s).
    No kept-alive connections: requests go to addresses, and a connection opened and verified for
    one host name must never carry a request for another host at the same address."""
    import httpx  # noqa: PLC0415 (see post)

    trace_httpx()
    return httpx.Client(
        timeout=get_settings().webhook_timeout_seconds,
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )
