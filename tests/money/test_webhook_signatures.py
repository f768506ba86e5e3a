"""POST /conversions is authenticated by an HMAC over the timestamp and the exact raw body."""

from __future__ import annotations

import json
import time

from cashback.api.webhooks import TOLERANCE_SECONDS
from tests.apigw import body_of
from tests.money.conftest import PREVIOUS_SECRET, delivery, post


def code(response: dict) -> str:
    return body_of(response)["error"]["code"]


def test_a_valid_signature_is_accepted(click_id: str) -> None:
    response = post(delivery(click_id))
    assert response["statusCode"] == 200, response["body"]
    assert body_of(response)["applied"] is True


def test_a_tampered_body_is_401(click_id: str) -> None:
    raw = json.dumps(delivery(click_id)).encode()
    from cashback.api.webhooks import sign
    from tests.money.conftest import SECRET

    header = sign(SECRET, int(time.time()), raw, "acme")
    tampered = raw.replace(b'"4.55"', b'"455.00"')
    response = post(tampered, signature=header)
    assert response["statusCode"] == 401 and code(response) == "SIGNATURE_INVALID"


def test_the_wrong_secret_is_401(click_id: str) -> None:
    response = post(delivery(click_id), secret="not-the-secret")
    assert response["statusCode"] == 401 and code(response) == "SIGNATURE_INVALID"


# A minute past the tolerance: a loaded runner can take seconds between signing and checking.
OUTSIDE_TOLERANCE = TOLERANCE_SECONDS + 60


def test_a_stale_timestamp_is_401_signature_expired(click_id: str) -> None:
    response = post(delivery(click_id), timestamp=int(time.time()) - OUTSIDE_TOLERANCE)
    assert response["statusCode"] == 401 and code(response) == "SIGNATURE_EXPIRED"


def test_a_timestamp_from_the_future_is_refused_too(click_id: str) -> None:
    response = post(delivery(click_id), timestamp=int(time.time()) + OUTSIDE_TOLERANCE)
    assert response["statusCode"] == 401 and code(response) == "SIGNATURE_EXPIRED"


def test_a_missing_header_is_401_signature_missing(click_id: str) -> None:
    response = post(delivery(click_id), secret=None)
    assert response["statusCode"] == 401 and code(response) == "SIGNATURE_MISSING"


def test_a_malformed_header_is_401(click_id: str) -> None:
    assert code(post(delivery(click_id), signature="sha256=abc")) == "SIGNATURE_MALFORMED"


def test_the_previous_secret_still_works_during_rotation(click_id: str) -> None:
    assert post(delivery(click_id), secret=PREVIOUS_SECRET)["statusCode"] == 200


def test_an_unsigned_malformed_body_is_401_not_400(click_id: str) -> None:
    assert post(b"{not json", secret=None)["statusCode"] == 401


def test_a_signed_malformed_body_is_400(click_id: str) -> None:
    response = post(b"{not json")
    assert response["statusCode"] == 400 and code(response) == "MALFORMED_JSON"


def _shapes(now: int, digest: str) -> dict[str, str]:
    """Malformed X-Cashback-Signature shapes, each around a digest that is right for the body."""
    return {
        "empty": "",
        "missing v1": f"t={now},k=acme",
        "missing t": f"k=acme,v1={digest}",
        "missing k and t": f"v1={digest}",
        "empty v1": f"t={now},k=acme,v1=",
        "empty t": f"t=,k=acme,v1={digest}",
        "empty k": f"t={now},k=,v1={digest}",
        "duplicated t": f"t={now},t={now},k=acme,v1={digest}",
        "duplicated k": f"t={now},k=acme,k=acme,v1={digest}",
        "duplicated v1": f"t={now},k=acme,v1={digest},v1={digest}",
        "wrong order": f"k=acme,t={now},v1={digest}",
        "v1 first": f"v1={digest},t={now},k=acme",
        "non-hex digest": f"t={now},k=acme,v1={'z' * 64}",
        "short digest": f"t={now},k=acme,v1={digest[:63]}",
        "uppercase digest": f"t={now},k=acme,v1={digest.upper()}",
        "huge digest": f"t={now},k=acme,v1={'a' * 100_000}",
        "huge header": "t=" + "9" * 100_000,
        "huge timestamp": f"t={'9' * 40},k=acme,v1={digest}",
        "negative timestamp": f"t=-{now},k=acme,v1={digest}",
        "fractional timestamp": f"t={now}.5,k=acme,v1={digest}",
        "unicode digits": "t=" + "".join(chr(0x0660 + int(c)) for c in str(now)) + f",k=acme,v1={digest}",
        "fullwidth digits": "t=" + "".join(chr(0xFF10 + int(c)) for c in str(now)) + f",k=acme,v1={digest}",
        "unicode key id": f"t={now},k=acmé,v1={digest}",
        "uppercase key id": f"t={now},k=ACME,v1={digest}",
        "unknown key id": f"t={now},k=nobody,v1={digest}",
        "overlong key id": f"t={now},k={'a' * 33},v1={digest}",
        "space after commas": f"t={now}, k=acme, v1={digest}",
        "leading space": f" t={now},k=acme,v1={digest}",
        "trailing newline": f"t={now},k=acme,v1={digest}\n",
        "tab inside": f"t={now},k=acme,\tv1={digest}",
        "spaces around =": f"t = {now},k = acme,v1 = {digest}",
        "semicolons": f"t={now};k=acme;v1={digest}",
        "trailing comma": f"t={now},k=acme,v1={digest},",
        "unknown part": f"t={now},k=acme,v1={digest},v2={digest}",
        "nul byte": f"t={now},k=acme\x00,v1={digest}",
        "scheme prefix": f"sha256=t={now},k=acme,v1={digest}",
    }


def test_every_malformed_signature_header_is_a_401_with_a_code_never_a_5xx(click_id: str) -> None:
    raw = json.dumps(delivery(click_id)).encode()
    now = int(time.time())
    from cashback.api.webhooks import sign
    from tests.money.conftest import SECRET

    digest = sign(SECRET, now, raw, "acme").rsplit("v1=", 1)[1]
    expected = {"SIGNATURE_MISSING", "SIGNATURE_MALFORMED", "SIGNATURE_UNKNOWN_KEY"}
    answers = {name: post(raw, signature=header) for name, header in _shapes(now, digest).items()}
    assert {name: (r["statusCode"], code(r)) for name, r in answers.items() if code(r) not in expected} == {}
    assert {r["statusCode"] for r in answers.values()} == {401}
    assert code(answers["empty"]) == "SIGNATURE_MISSING" and code(answers["unknown key id"]) == "SIGNATURE_UNKNOWN_KEY"
    # The same digest in the one accepted shape is accepted: the shape, not the digest, was refused above.
    assert post(raw, signature=f"t={now},k=acme,v1={digest}")["statusCode"] == 200
