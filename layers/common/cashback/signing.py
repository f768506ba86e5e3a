"""The one webhook signer: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.

Inbound (affiliate networks → POST /conversions, `api.webhooks`) and outbound (this API → an
agent's webhook, `notify`) use the same scheme, so an agent verifies our deliveries with the code a
network uses to sign its own. Several `v1=` values may follow one `t=`: one per active secret,
during a rotation.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Cashback-Signature"


def digest(secret: str, timestamp: int, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, raw_body: bytes, *more_secrets: str) -> str:
    """The header value a sender puts on `raw_body`: one `v1=` per secret, the first secret first."""
    signatures = ",".join(f"v1={digest(s, timestamp, raw_body)}" for s in (secret, *more_secrets))
    return f"t={timestamp},{signatures}"


def verify(header: str | None, raw_body: bytes, secrets: Sequence[str], now: int, tolerance: int = 300) -> bool:
    """What a receiver runs on a delivery: one `t=` within `tolerance` seconds of `now`, and one of
    the `v1=` values made with one of `secrets` (compared in constant time)."""
    parts = [part.strip().partition("=") for part in (header or "").split(",")]
    timestamps = [value for name, _, value in parts if name == "t"]
    candidates = [value for name, _, value in parts if name == "v1"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or abs(now - int(timestamps[0])) > tolerance:
        return False
    expected = [digest(secret, int(timestamps[0]), raw_body) for secret in secrets]
    return any(hmac.compare_digest(e, c) for e in expected for c in candidates)
