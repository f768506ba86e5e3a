"""Signed webhooks, one key per affiliate network.

`X-Cashback-Signature: t=<unix seconds>,k=<key id>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`,
exactly these three parts in this order (64 hex digits, a key id of lowercase letters, digits,
`_` and `-`). Anything else is 401 with a code before the body is read: a parser that reads only
one shape has no corner for a hostile header to hide in.

Each network (key id) has its own current and previous secret (two during a rotation: compared in
constant time against both) and the merchants it may report for; a signature proves which network
sent the delivery, so the conversion is stored under that network's namespace and refused for any
other merchant's click. Configuration, the same JSON in both places:

    {"networks": {"awin": {"current": "...", "previous": "...", "merchants": ["m_a", "m_b"]},
                  "impact": {"current": "...", "merchants": "*"}},
     "current": "...", "previous": "..."}

in AWS the `WebhookSecret` Secrets Manager secret (cached by Powertools parameters); locally the
WEBHOOK_NETWORKS environment variable (the `networks` object). The top-level `current`/`previous`
pair (WEBHOOK_SECRET / WEBHOOK_SECRET_PREVIOUS locally) is the single shared secret of earlier
versions: a header without `k=` is checked against it, for any merchant, and its conversions keep
their old, unprefixed ids. It exists for the migration (DEPLOY.md) and is off once removed.
A 5-minute tolerance either way guards against replays. Secrets are never logged.
"""

from __future__ import annotations

import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cashback.conversions import Reporter
from cashback.errors import ApiError, DependencyUnavailable
from cashback.observability import MetricUnit, logger, metrics
from cashback.signing import SIGNATURE_HEADER, digest

TOLERANCE_SECONDS = 300
SECRET_CACHE_SECONDS = 300
KEY_ID = r"[a-z0-9][a-z0-9_-]{0,31}"
# The only shapes read: with a key id, and (the migration's shared secret) without one.
_SIGNED = re.compile(rf"t=(?P<t>[0-9]{{1,12}}),k=(?P<k>{KEY_ID}),v1=(?P<v1>[0-9a-f]{{64}})")
_LEGACY = re.compile(r"t=(?P<t>[0-9]{1,12}),v1=(?P<v1>[0-9a-f]{64})")
_MAX_HEADER_CHARS = 256
ALL_MERCHANTS = "*"


class WebhookNotConfigured(DependencyUnavailable):
    code = "WEBHOOK_NOT_CONFIGURED"
    default_message = "No webhook secret is configured on this deployment."


class SignatureMissing(ApiError):
    status = 401
    code = "SIGNATURE_MISSING"
    default_message = f"The {SIGNATURE_HEADER} header is required."


class SignatureMalformed(ApiError):
    status = 401
    code = "SIGNATURE_MALFORMED"
    default_message = "The signature header is malformed; expected t=<unix seconds>,k=<key id>,v1=<64 hex digits>."


class UnknownSigningKey(ApiError):
    status = 401
    code = "SIGNATURE_UNKNOWN_KEY"
    default_message = "No network has this key id on this deployment."


class SignatureInvalid(ApiError):
    status = 401
    code = "SIGNATURE_INVALID"
    default_message = "The signature does not match the body with any active secret of this key id."


class SignatureExpired(ApiError):
    status = 401
    code = "SIGNATURE_EXPIRED"
    default_message = f"The signature timestamp is more than {TOLERANCE_SECONDS} seconds from now."


@dataclass(frozen=True)
class NetworkKey:
    """One network's signing key: its id, its active secrets (current first) and its merchants."""

    key_id: str
    secrets: tuple[str, ...]
    merchants: frozenset[str] | None  # None: any merchant

    def __repr__(self) -> str:  # never the secrets, whoever prints this
        return f"NetworkKey(key_id={self.key_id!r}, secrets=<{len(self.secrets)} hidden>)"

    def reporter(self) -> Reporter:
        return Reporter(network=self.key_id, merchants=self.merchants)


# The shared secret of earlier versions, as a key: no id in the header, no namespace, any merchant.
LEGACY_KEY_ID = ""


@dataclass(frozen=True)
class Signature:
    timestamp: int
    key_id: str  # LEGACY_KEY_ID for a header without k=
    digest: str


def sign(secret: str, timestamp: int, raw_body: bytes, key_id: str | None = None) -> str:
    """The header value a sender puts on `raw_body` (used by tests, docs and senders); without a
    key id, the header of the migration's shared secret."""
    signature = digest(secret, timestamp, raw_body)
    return f"t={timestamp},k={key_id},v1={signature}" if key_id else f"t={timestamp},v1={signature}"


def parse(header: str | None) -> Signature:
    """The header's parts; 401 SIGNATURE_MISSING or SIGNATURE_MALFORMED for anything but the two shapes."""
    if not header:
        raise SignatureMissing()
    if len(header) > _MAX_HEADER_CHARS:
        raise SignatureMalformed(details={"max_chars": _MAX_HEADER_CHARS})
    found = _SIGNED.fullmatch(header) or _LEGACY.fullmatch(header)
    if found is None:
        raise SignatureMalformed()
    parts = found.groupdict()
    return Signature(int(parts["t"]), parts.get("k") or LEGACY_KEY_ID, parts["v1"])


def verify(header: str | None, raw_body: bytes, keys: Mapping[str, NetworkKey], now: int) -> NetworkKey:
    """The network whose key signed `raw_body`; 401 with a code otherwise."""
    signature = parse(header)
    key = keys.get(signature.key_id)
    if key is None:
        raise UnknownSigningKey(details={"key_id": signature.key_id} if signature.key_id else None)
    if abs(now - signature.timestamp) > TOLERANCE_SECONDS:
        raise SignatureExpired(details={"tolerance_seconds": TOLERANCE_SECONDS})
    for secret in key.secrets:
        if hmac.compare_digest(digest(secret, signature.timestamp, raw_body), signature.digest):
            if key.key_id == LEGACY_KEY_ID:
                metrics.add_metric(name="WebhookLegacySecretUsed", unit=MetricUnit.Count, value=1)
            return key
    raise SignatureInvalid()


def keys_of(config: Mapping[str, Any]) -> dict[str, NetworkKey]:
    """Every signing key of a configuration (see the module docstring); entries without a secret
    are skipped, and a malformed entry is skipped with a warning that names it, not its secrets."""
    keys: dict[str, NetworkKey] = {}
    legacy = tuple(s for s in (config.get("current"), config.get("previous")) if isinstance(s, str) and s)
    if legacy:
        keys[LEGACY_KEY_ID] = NetworkKey(LEGACY_KEY_ID, legacy, None)
    networks = config.get("networks") or {}
    for key_id, entry in networks.items() if isinstance(networks, dict) else ():
        key = _network_key(key_id, entry)
        if key is None:
            logger.warning("webhook network configuration skipped", extra={"key_id": str(key_id)[:40]})
        else:
            keys[key_id] = key
    return keys


def _network_key(key_id: object, entry: object) -> NetworkKey | None:
    if not (isinstance(key_id, str) and re.fullmatch(KEY_ID, key_id) and isinstance(entry, dict)):
        return None
    secrets = tuple(s for s in (entry.get("current"), entry.get("previous")) if isinstance(s, str) and s)
    merchants = entry.get("merchants")
    if not secrets or not (merchants == ALL_MERCHANTS or isinstance(merchants, list)):
        return None
    return NetworkKey(key_id, secrets, None if merchants == ALL_MERCHANTS else frozenset(map(str, merchants)))


def active_keys() -> dict[str, NetworkKey]:
    """The signing keys of this deployment: local variables when set, else the Secrets Manager secret."""
    env = os.environ
    if env.get("WEBHOOK_NETWORKS") or env.get("WEBHOOK_SECRET"):
        try:
            networks = json.loads(env.get("WEBHOOK_NETWORKS") or "{}")
        except ValueError as exc:
            raise WebhookNotConfigured("WEBHOOK_NETWORKS is not a JSON object.") from exc
        keys = keys_of(
            {"networks": networks, "current": env.get("WEBHOOK_SECRET"), "previous": env.get("WEBHOOK_SECRET_PREVIOUS")}
        )
    else:
        name = env.get("WEBHOOK_SECRET_NAME", "")
        if not name:
            raise WebhookNotConfigured()
        # Deferred: only a function reading its secret from Secrets Manager pays for the parameters utility.
        from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415

        stored = parameters.get_secret(name, transform="json", max_age=SECRET_CACHE_SECONDS)
        keys = keys_of(stored if isinstance(stored, dict) else {})
    if not keys:
        raise WebhookNotConfigured()
    return keys


def signer(header: str | None, raw_body: bytes, now: int) -> Reporter:
    """Who signed this delivery (the network and what it may report for); 401 if nobody did."""
    return verify(header, raw_body, active_keys(), now).reporter()
