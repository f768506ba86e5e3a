"""One HTTP request through an ASGI application, in memory: how the tests put a request to the
official MCP SDK's server (the reference `tests/unit/test_mcp_protocol.py` holds POST /mcp to)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: Iterable[tuple[str, str]]
    body: bytes = b""
    query_string: str = ""
    host: str = "localhost"
    client_ip: str = "127.0.0.1"


@dataclass
class HttpResponse:
    status: int = 500
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def scope_of(request: HttpRequest) -> Scope:
    """The ASGI HTTP connection scope (HTTPS, as API Gateway is reached)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method.upper(),
        "scheme": "https",
        "path": request.path,
        "raw_path": request.path.encode("utf-8"),
        "query_string": request.query_string.encode("latin-1"),
        "root_path": "",
        "headers": [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in request.headers],
        "client": (request.client_ip, 0),
        "server": (request.host, 443),
        "state": {},
    }


async def call(app: ASGIApp, request: HttpRequest) -> HttpResponse:
    """Run `app` for `request` and collect its whole response.

    The body arrives in one message; asking for more waits until the response is complete and
    then reports the client gone, as a server does once the exchange is over.
    """
    response = HttpResponse()
    body: list[bytes] = []
    delivered = False
    finished = asyncio.Event()

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            response.status = int(message["status"])
            response.headers = [
                (bytes(name).decode("latin-1"), bytes(value).decode("latin-1"))
                for name, value in message.get("headers", [])
            ]
        elif message["type"] == "http.response.body":
            body.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                finished.set()

    try:
        await app(scope_of(request), receive, send)
    finally:
        finished.set()
    response.body = b"".join(body)
    return response
