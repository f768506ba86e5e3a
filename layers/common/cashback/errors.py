"""Domain errors and the one error body every response uses.

Each error carries an HTTP status and a stable, documented code. Handlers raise them; the
`http` module turns them into `{"error": {"code", "message", "details", "request_id"}}`.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApiError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"
    default_message: ClassVar[str] = "The request is invalid."

    def __init__(self, message: str | None = None, details: dict[str, Any] | None = None) -> None:
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)


class MalformedJson(ApiError):
    code = "MALFORMED_JSON"
    default_message = "The request body is not valid JSON."


class InvalidRequest(ApiError):
    """Input that parsed but does not satisfy the contract; `code` names the problem."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details)
        self.code = code  # type: ignore[misc]


class PayloadTooLarge(ApiError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    default_message = "The request body is too large."


class UnsupportedMediaType(ApiError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    default_message = "Send the body as application/json."


class Unauthorized(ApiError):
    status = 401
    code = "UNAUTHORIZED"
    default_message = "A valid bearer token is required."


class Forbidden(ApiError):
    status = 403
    code = "FORBIDDEN"
    default_message = "This token may not access this resource."


class AgentSuspended(ApiError):
    status = 403
    code = "AGENT_SUSPENDED"
    default_message = "This agent is suspended; its links keep working, its token does not. Contact the operator."


class AdminKeyNotFound(ApiError):
    status = 404
    code = "ADMIN_KEY_NOT_FOUND"
    default_message = "No admin key has this id."


class AgentNotFound(ApiError):
    status = 404
    code = "AGENT_NOT_FOUND"
    default_message = "No agent has this id."


class RouteNotFound(ApiError):
    status = 404
    code = "ROUTE_NOT_FOUND"
    default_message = "No route matches this method and path."


class MethodNotAllowed(ApiError):
    status = 405
    code = "METHOD_NOT_ALLOWED"
    default_message = "This resource does not answer this method."


class Conflict(ApiError):
    status = 409
    code = "CONFLICT"
    default_message = "The resource changed concurrently; retry."


class RateLimited(ApiError):
    status = 429
    code = "RATE_LIMITED"
    default_message = "Rate limit exceeded."


class DependencyUnavailable(ApiError):
    status = 503
    code = "DEPENDENCY_UNAVAILABLE"
    default_message = "A dependency is unavailable; retry later."


class RateLimiterUnavailable(ApiError):
    status = 503
    code = "RATE_LIMITER_UNAVAILABLE"
    default_message = "The rate limiter is unavailable and this API fails closed; retry later."


class InternalError(ApiError):
    status = 500
    code = "INTERNAL_ERROR"
    default_message = "An unexpected error occurred; it has been logged."


def error_body(error: ApiError, request_id: str) -> dict[str, Any]:
    return {
        "error": {
            "code": error.code,
            "message": error.message,
            "details": error.details,
            "request_id": request_id,
        }
    }
