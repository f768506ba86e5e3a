"""Sealing the secrets this API must read back: agents' webhook signing secrets.

A webhook secret cannot be stored as a hash like a token: the delivery function signs with it, so it
must read it back. It is stored sealed, never in clear, and never logged:

- in AWS, encrypted by KMS (`WEBHOOK_KMS_KEY_ID`, the stack's WebhookSecretsKey) with the agent's id
  as encryption context, so a sealed secret copied to another agent's item does not decrypt. Only
  the webhook and MCP functions (the agent's webhook routes and tools) may Encrypt and only the
  delivery function may Decrypt (template.yaml). KMS rather than one Secrets Manager secret per agent:
  no per-agent resource to create, pay for or clean up, the sealed value lives beside the URL it
  signs for, and a database dump reveals nothing without the key;
- locally (`WEBHOOK_SEALING_KEY`, set by the local runner), with that key: HMAC-SHA256 as a stream
  cipher in counter mode, then an HMAC-SHA256 tag over context, nonce and ciphertext (standard
  library only; the layer has no cryptography package). For development and tests, never on AWS.

The sealed form says which way it was sealed (`kms1:` or `local1:`); both are base64 text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from cashback.errors import DependencyUnavailable
from cashback.settings import AWS_CLIENT_CONFIG, get_settings

_NONCE = 16
_TAG = 32


class SealingUnavailable(DependencyUnavailable):
    code = "SEALING_UNAVAILABLE"
    default_message = "Secrets cannot be sealed or unsealed right now; retry later."


class SealingNotConfigured(DependencyUnavailable):
    code = "SEALING_NOT_CONFIGURED"
    default_message = "No key for sealing webhook secrets is configured on this deployment."


@lru_cache(maxsize=1)
def _kms() -> Any:
    return boto3.client("kms", config=AWS_CLIENT_CONFIG)


def _keys(local_key: str) -> tuple[bytes, bytes]:
    root = hashlib.sha256(local_key.encode()).digest()
    return hmac.digest(root, b"encrypt", "sha256"), hmac.digest(root, b"authenticate", "sha256")


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (hmac.digest(key, nonce + counter.to_bytes(8, "big"), "sha256") for counter in range(length // 32 + 1))
    return b"".join(blocks)[:length]


def seal(plaintext: str, context: str) -> str:
    """`plaintext` sealed for `context` (the owner's id): only unseal(…, same context) opens it."""
    settings = get_settings()
    data = plaintext.encode()
    if settings.webhook_sealing_key:
        encrypt_key, mac_key = _keys(settings.webhook_sealing_key)
        nonce = secrets.token_bytes(_NONCE)
        ciphertext = bytes(a ^ b for a, b in zip(data, _keystream(encrypt_key, nonce, len(data)), strict=True))
        tag = hmac.digest(mac_key, context.encode() + b"\0" + nonce + ciphertext, "sha256")
        return "local1:" + base64.b64encode(nonce + ciphertext + tag).decode()
    if not settings.webhook_kms_key_id:
        raise SealingNotConfigured()
    try:
        response = _kms().encrypt(
            KeyId=settings.webhook_kms_key_id, Plaintext=data, EncryptionContext={"owner": context}
        )
    except (ClientError, BotoCoreError) as exc:
        raise SealingUnavailable() from exc
    return "kms1:" + base64.b64encode(response["CiphertextBlob"]).decode()


def unseal(sealed: str, context: str) -> str:
    """The plaintext of a value seal() made for `context`; SealingUnavailable if it does not open."""
    scheme, _, text = sealed.partition(":")
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise SealingUnavailable("A sealed secret is not in its stored form.") from exc
    settings = get_settings()
    if scheme == "local1" and settings.webhook_sealing_key:
        encrypt_key, mac_key = _keys(settings.webhook_sealing_key)
        nonce, ciphertext, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
        expected = hmac.digest(mac_key, context.encode() + b"\0" + nonce + ciphertext, "sha256")
        if not hmac.compare_digest(tag, expected):
            raise SealingUnavailable("A sealed secret does not open with this key.")
        keystream = _keystream(encrypt_key, nonce, len(ciphertext))
        return bytes(a ^ b for a, b in zip(ciphertext, keystream, strict=True)).decode()
    if scheme == "kms1":
        try:
            response = _kms().decrypt(CiphertextBlob=raw, EncryptionContext={"owner": context})
        except (ClientError, BotoCoreError) as exc:
            raise SealingUnavailable() from exc
        return bytes(response["Plaintext"]).decode()
    raise SealingNotConfigured()
