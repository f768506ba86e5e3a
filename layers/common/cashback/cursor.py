"""The one cursor codec: opaque page cursors are base64url (no padding) of text or of JSON.

A cursor that does not decode is the client's mistake: 400 INVALID_CURSOR, never a 5xx. Its JSON is
read by the one hardened reader (`json_input`: bounded depth, finite numbers, no duplicate keys),
and `decode_fields` checks that it is an object of exactly the fields and types the issuer wrote.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from cashback import json_input
from cashback.errors import ApiError, InvalidRequest

NOT_ISSUED = "The cursor is not one this API issued."
_DECIMAL = re.compile(r"-?[0-9]{1,40}(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,3})?", re.ASCII)


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
        return json_input.loads(decode(cursor, message))
    except ApiError as exc:
        raise invalid(message) from exc


def decode_fields(cursor: str, fields: Mapping[str, type], message: str = NOT_ISSUED) -> dict[str, Any]:
    """A cursor that is a JSON object of exactly `fields`, each of its type (an int is never a bool).
    A Decimal field is written as a string of ASCII digits (never NaN, Infinity or "١٢٣")."""
    value = decode_json(cursor, message)
    if not isinstance(value, dict) or set(value) != set(fields):
        raise invalid(message)
    decoded: dict[str, Any] = {}
    for name, kind in fields.items():
        item = value[name]
        if kind is Decimal and isinstance(item, str) and _DECIMAL.fullmatch(item):
            decoded[name] = Decimal(item)
        elif type(item) is kind:
            decoded[name] = item
        else:
            raise invalid(message)
    return decoded
