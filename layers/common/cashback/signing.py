"""The one webhook signer: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.

Inbound (affiliate networks → POST /conversions, `api.webhooks`) and outbound (this API → an
agent's webhook, `notify`) use the same scheme, so an agent verifies our deliveries with the code a
network uses to sign its own. Several `v1=` values may follow one `t=`: one per active secret,
during a rotation.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Cashback-Signature"


def digest(secret: str, timestamp: int, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, raw_body: bytes, *more_secrets: str) -> str:
    """The header value a sender puts on `raw_body`: one `v1=` per secret, the first secret first."""
    signatures = ",".join(f"v1={digest(s, timestamp, raw_body)}" for s in (secret, *more_secrets))
    return f"t={timestamp},{signatures}"
