"""The one cursor codec: opaque page cursors are base64url (no padding) of text or of JSON.

A cursor that does not decode is the client's mistake: 400 INVALID_CURSOR, never a 5xx.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cashback.errors import InvalidRequest

NOT_ISSUED = "The cursor is not one this API issued."


def invalid(message: str = NOT_ISSUED) -> InvalidRequest:
    return InvalidRequest("INVALID_CURSOR", message)


def encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str, message: str = NOT_ISSUED) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise invalid(message) from exc


def encode_json(value: Any) -> str:
    return encode(json.dumps(value, separators=(",", ":")))


def decode_json(cursor: str, message: str = NOT_ISSUED) -> Any:
    try:
        return json.loads(decode(cursor, message))
    except ValueError as exc:
        raise invalid(message) from exc
