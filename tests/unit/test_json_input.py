"""The one hardened JSON reader (bodies and cursors): plain JSON in, MALFORMED_JSON for the rest."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cashback import cursor, json_input
from cashback.errors import ApiError, MalformedJson


@pytest.mark.parametrize(
    "text",
    [
        "[" * 3000 + "]" * 3000,  # deep nesting under the 16 KB limit
        '{"a":' * 40 + "1" + "}" * 40,
        "NaN",
        '{"x": Infinity}',
        "[-Infinity]",
        "1e999",
        "-1e999",
        "1" * 401,  # 10**400: CPython raises ValueError (not JSONDecodeError) past 4300 digits
        "9" * 5000,
        '{"a": 1, "a": 2}',
        '{"a": {"b": 1, "b": 1}}',
        '"\\ud800"',
        '{"\\udfff": 1}',
        '{"a": ',
        "",
        "١٢٣",  # unicode digits are not a JSON number
    ],
)
def test_what_is_not_plain_json_is_malformed(text: str) -> None:
    with pytest.raises(MalformedJson):
        json_input.loads(text)


def test_bytes_that_are_not_utf8_are_malformed() -> None:
    with pytest.raises(MalformedJson, match="UTF-8"):
        json_input.loads(b'{"a": "\xff"}')


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"keywords": "shoes", "limit": 5}', {"keywords": "shoes", "limit": 5}),
        ('{"k": "[[[{{{ not nesting }}}]]]"}', {"k": "[[[{{{ not nesting }}}]]]"}),
        ('"\\ud83d\\ude00"', "\U0001f600"),  # a surrogate pair is one character
        ('{"n": 12.5, "m": -0.001, "e": 1e10}', {"n": 12.5, "m": -0.001, "e": 1e10}),
        ('{"id": 9007199254740991}', {"id": 2**53 - 1}),
        ('{"text": "١٢٣"}', {"text": "١٢٣"}),
        ("[" * json_input.MAX_DEPTH + "]" * json_input.MAX_DEPTH, None),  # as deep as allowed
    ],
)
def test_plain_json_reads_as_json(text: str, value: object) -> None:
    parsed = json_input.loads(text)
    if value is not None:
        assert parsed == value


def _cursor(text: str) -> str:
    return cursor.encode(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"o": NaN, "q": "x"}',
        '{"o": Infinity, "q": "x"}',
        '{"o": 1e999, "q": "x"}',
        '{"o": 1.5, "q": "x"}',
        '{"o": true, "q": "x"}',
        '{"o": "١٢٣", "q": "x"}',
        '{"o": "12", "q": "x"}',
        '{"o": 1, "q": 2}',
        '{"o": 1, "q": "x", "extra": 0}',
        '{"o": 1}',
        '{"o": 1, "o": 2, "q": "x"}',
        '[1, "x"]',
        '{"o": ' + "[" * 3000 + "]" * 3000 + ', "q": "x"}',
    ],
)
def test_a_cursor_of_the_wrong_shape_is_invalid_cursor(text: str) -> None:
    with pytest.raises(ApiError) as refused:
        cursor.decode_fields(_cursor(text), {"o": int, "q": str})
    assert refused.value.code == "INVALID_CURSOR"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "١٢٣", "1e99999", "", "1.", " 1"])
def test_a_decimal_cursor_field_is_ascii_digits_only(number: str) -> None:
    with pytest.raises(ApiError) as refused:
        cursor.decode_fields(_cursor(f'{{"score": "{number}"}}'), {"score": Decimal})
    assert refused.value.code == "INVALID_CURSOR"


def test_a_well_formed_cursor_decodes_to_its_fields() -> None:
    encoded = cursor.encode_json({"o": 20, "q": "abc", "score": "0.85"})
    fields = {"o": int, "q": str, "score": Decimal}
    assert cursor.decode_fields(encoded, fields) == {"o": 20, "q": "abc", "score": Decimal("0.85")}
