"""POST /conversions is authenticated by an HMAC over the timestamp and the exact raw body."""

from __future__ import annotations

import json
import time

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

    header = sign(SECRET, int(time.time()), raw)
    tampered = raw.replace(b'"4.55"', b'"455.00"')
    response = post(tampered, signature=header)
    assert response["statusCode"] == 401 and code(response) == "SIGNATURE_INVALID"


def test_the_wrong_secret_is_401(click_id: str) -> None:
    response = post(delivery(click_id), secret="not-the-secret")
    assert response["statusCode"] == 401 and code(response) == "SIGNATURE_INVALID"


def test_a_stale_timestamp_is_401_signature_expired(click_id: str) -> None:
    response = post(delivery(click_id), timestamp=int(time.time()) - 301)
    assert response["statusCode"] == 401 and code(response) == "SIGNATURE_EXPIRED"


def test_a_timestamp_from_the_future_is_refused_too(click_id: str) -> None:
    response = post(delivery(click_id), timestamp=int(time.time()) + 301)
    assert code(response) == "SIGNATURE_EXPIRED"


def test_a_missing_header_is_401_signature_missing(click_id: str) -> None:
    response = post(delivery(click_id), secret=None)
    assert response["statusCode"] == 401 and code(response) == "SIGNATURE_MISSING"


def test_a_malformed_header_is_401(click_id: str) -> None:
    assert code(post(delivery(click_id), signature="sha256=abc")) == "SIGNATURE_INVALID"


def test_the_previous_secret_still_works_during_rotation(click_id: str) -> None:
    assert post(delivery(click_id), secret=PREVIOUS_SECRET)["statusCode"] == 200


def test_an_unsigned_malformed_body_is_401_not_400(click_id: str) -> None:
    assert post(b"{not json", secret=None)["statusCode"] == 401


def test_a_signed_malformed_body_is_400(click_id: str) -> None:
    response = post(b"{not json")
    assert response["statusCode"] == 400 and code(response) == "MALFORMED_JSON"
