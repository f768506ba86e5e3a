"""The one way this API reads JSON a client wrote: every request body (the resolver's, the rate
limit's cost, the MCP endpoint's) and the JSON inside every cursor.

`json.loads` alone accepts what no client means, and some inputs break what runs after it:
- nesting a few thousand levels deep (well under the body size limit) overflows the recursion of
  whatever walks the value next (validation, logging): a 500, or a dead environment (502);
- `NaN`, `Infinity`, `-Infinity` and `1e999` (which becomes inf) are not JSON (RFC 8259), and a
  non-finite number breaks every comparison and `int()` after it;
- an integer of more than 4300 digits raises a ValueError that is not a JSONDecodeError;
- a duplicate key silently keeps its last value, so two readers of one body can disagree;
- a lone surrogate (`"\\ud800"`) is a str that cannot be encoded as UTF-8 when it is stored or logged.
Each is refused here as 400 MALFORMED_JSON, before any rule sees the value.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from cashback.errors import MalformedJson

# Deep enough for every body and cursor this API defines (the deepest is 4), far from any recursion limit.
MAX_DEPTH = 32
# Characters in one number: 2**53 has 16 digits and money has a few dozen; 10**400 is not an amount.
MAX_NUMBER_CHARS = 64

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def _refuse(reason: str) -> MalformedJson:
    return MalformedJson(f"The request body is not valid JSON: {reason}.", {"reason": reason})


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects, counted outside strings without recursion."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _integer(token: str) -> int:
    if len(token) > MAX_NUMBER_CHARS:
        raise _refuse(f"a number has more than {MAX_NUMBER_CHARS} characters")
    return int(token)


def _real(token: str) -> float:
    value = float(token)
    if len(token) > MAX_NUMBER_CHARS or not math.isfinite(value):
        raise _refuse("a number is out of range")
    return value


def _constant(token: str) -> Any:
    raise _refuse(f"{token} is not a JSON number")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _refuse("an object has the same key twice")
    return value


def _check_text(value: Any) -> None:
    """Every string (keys included) encodes as UTF-8; depth is already bounded by MAX_DEPTH."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _refuse("a string has a lone surrogate") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


def loads(document: str | bytes) -> Any:
    """The value of a JSON document, or MalformedJson (400) for anything outside plain JSON."""
    try:
        text = document.decode("utf-8") if isinstance(document, bytes) else document
    except UnicodeDecodeError as exc:
        raise MalformedJson("The request body is not UTF-8 text.") from exc
    if _depth(text) > MAX_DEPTH:
        raise _refuse(f"it nests deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(
            text, parse_int=_integer, parse_float=_real, parse_constant=_constant, object_pairs_hook=_object
        )
    except json.JSONDecodeError as exc:
        raise MalformedJson(details={"position": exc.pos}) from exc
    except (ValueError, RecursionError) as exc:  # CPython's own limits, should MAX_* ever exceed them
        raise _refuse("it is outside this API's limits") from exc
    _check_text(value)
    return value
