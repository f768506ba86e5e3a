"""Typed exceptions: every API error becomes one, with its code, message, details and request id."""

from __future__ import annotations

from typing import Any

import httpx

from cashback_client.ratelimit import RateLimit


class CashbackError(Exception):
    """An error answer from the API (or no answer at all: `status` is then None).

    `code` is the API's stable error code (e.g. `RATE_LIMITED`, see the README's error table) and
    `request_id` the id to quote when asking about it (None only when no request reached the API).
    """

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        request_id: str | None = None,
        details: dict[str, Any] | None = None,
        rate_limit: RateLimit | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.details = details or {}
        self.rate_limit = rate_limit

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no response"
        rid = f", request id {self.request_id}" if self.request_id else ""
        return f"{self.code}: {self.message} ({where}{rid})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, request_id={self.request_id!r})"


class InvalidRequestError(CashbackError):
    """400, 413, 415, 422: the request was refused as it stands (bad field, cursor, size, media type)."""


class UnauthorizedError(CashbackError):
    """401: no token, an unknown one, or one that was rotated out."""


class ForbiddenError(CashbackError):
    """403: the token may not touch this resource (another agent's, or a missing admin scope)."""


class NotFoundError(CashbackError):
    """404: no such agent, product, click or route."""


class ConflictError(CashbackError):
    """409: the resource changed concurrently, or the change is not allowed in its state."""


class RateLimitedError(CashbackError):
    """429 after the client's bounded retries, or with a `Retry-After` longer than it may wait."""

    @property
    def retry_after(self) -> float | None:
        """Seconds until a retry can pass, from `Retry-After` (or the error's details)."""
        if self.rate_limit and self.rate_limit.retry_after is not None:
            return self.rate_limit.retry_after
        value = self.details.get("retry_after")
        return float(value) if isinstance(value, int | float) else None


class ServerError(CashbackError):
    """5xx: the API failed; the request id finds it in the API's logs."""


class UnavailableError(ServerError):
    """502, 503, 504: a dependency (DynamoDB, the rate limiter, the product API) did not answer."""


class ConnectionFailedError(CashbackError):
    """The API could not be reached (refused, timed out, DNS): no status, no request id."""


class BadResponseError(CashbackError):
    """The API answered something that is not the documented body."""


_BY_STATUS: dict[int, type[CashbackError]] = {
    400: InvalidRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: InvalidRequestError,
    415: InvalidRequestError,
    422: InvalidRequestError,
    429: RateLimitedError,
    502: UnavailableError,
    503: UnavailableError,
    504: UnavailableError,
}


def error_class(status: int) -> type[CashbackError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return InvalidRequestError if 400 <= status < 500 else CashbackError


def from_response(response: httpx.Response, rate_limit: RateLimit | None) -> CashbackError:
    """The exception for an error response; the request id comes from the body or `X-Request-Id`."""
    header_id = response.headers.get("X-Request-Id")
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
        details = error.get("details") if isinstance(error.get("details"), dict) else {}
        request_id = error.get("request_id") or header_id
    except (ValueError, KeyError, TypeError):
        code, message, details, request_id = f"HTTP_{response.status_code}", _snippet(response), {}, header_id
    return error_class(response.status_code)(
        response.status_code, code, message, request_id=request_id, details=details, rate_limit=rate_limit
    )


def _snippet(response: httpx.Response) -> str:
    text = response.text.strip()
    return (text[:200] + "…") if len(text) > 200 else (text or response.reason_phrase or "no body")
