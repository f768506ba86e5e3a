"""Signed webhooks: `X-Cashback-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.

Compared in constant time against every active secret (two during a rotation), with a 5-minute
tolerance either way against replays. Secrets come from Secrets Manager in AWS (a JSON secret
{"current": ..., "previous": ...}, cached by Powertools parameters) or, locally, from the
WEBHOOK_SECRET and WEBHOOK_SECRET_PREVIOUS environment variables.
"""

from __future__ import annotations

import hmac
import os

from cashback.errors import ApiError, DependencyUnavailable
from cashback.signing import (
    SIGNATURE_HEADER,
    digest,
    sign,  # noqa: F401 (the one signer, re-exported for tests, docs and senders)
)

TOLERANCE_SECONDS = 300
SECRET_CACHE_SECONDS = 300


class WebhookNotConfigured(DependencyUnavailable):
    code = "WEBHOOK_NOT_CONFIGURED"
    default_message = "No webhook secret is configured on this deployment."


class SignatureMissing(ApiError):
    status = 401
    code = "SIGNATURE_MISSING"
    default_message = f"The {SIGNATURE_HEADER} header is required."


class SignatureInvalid(ApiError):
    status = 401
    code = "SIGNATURE_INVALID"
    default_message = "The signature does not match the body with any active secret."


class SignatureExpired(ApiError):
    status = 401
    code = "SIGNATURE_EXPIRED"
    default_message = f"The signature timestamp is more than {TOLERANCE_SECONDS} seconds from now."


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        raise SignatureInvalid("The signature header is malformed; expected t=<unix seconds>,v1=<hex>.")
    return timestamp, signatures


def verify(header: str | None, raw_body: bytes, secrets: list[str], now: int) -> None:
    if not header:
        raise SignatureMissing()
    timestamp, signatures = _parse(header)
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise SignatureExpired(details={"tolerance_seconds": TOLERANCE_SECONDS})
    for secret in secrets:
        expected = digest(secret, timestamp, raw_body)
        if any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            return
    raise SignatureInvalid()


def active_secrets() -> list[str]:
    """The secrets a signature may use: current first, then the previous one during rotation."""
    local = [os.environ.get("WEBHOOK_SECRET", ""), os.environ.get("WEBHOOK_SECRET_PREVIOUS", "")]
    if local[0]:
        return [s for s in local if s]
    name = os.environ.get("WEBHOOK_SECRET_NAME", "")
    if not name:
        raise WebhookNotConfigured()
    # Deferred: only a function reading its secret from Secrets Manager pays for the parameters utility.
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415

    stored = parameters.get_secret(name, transform="json", max_age=SECRET_CACHE_SECONDS)
    return [s for s in (stored.get("current"), stored.get("previous")) if s]
