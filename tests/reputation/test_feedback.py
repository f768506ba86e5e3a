"""Feedback through its function: who may give it, one live feedback per author, revoke, replies, limits."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from cashback.store import dynamo
from cashback.store import reputation as reputation_store
from tests.apigw import body_of, header
from tests.reputation.conftest import (
    as_admin,
    as_agent,
    error_code,
    get_reputation,
    give,
    new_agent,
    reply,
    revoke,
)


@pytest.fixture
def pair(aws: None) -> tuple[dict, dict]:
    """An author and a public subject."""
    return new_agent("author"), new_agent("subject", public=True)


def test_an_agent_may_not_give_feedback_about_itself(pair: tuple[dict, dict]) -> None:
    _, subject = pair

    response = give(subject["agent_id"], {"score": 100}, as_agent(subject))

    assert response["statusCode"] == 403
    assert error_code(response) == "SELF_FEEDBACK"
    assert reputation_store.get_feedback(subject["agent_id"], subject["agent_id"]) is None


def test_giving_feedback_again_replaces_it_in_place(pair: tuple[dict, dict]) -> None:
    author, subject = pair

    first = give(subject["agent_id"], {"score": 40, "tags": ["successRate"]}, as_agent(author))
    second = give(subject["agent_id"], {"score": 90, "tags": ["starred"], "comment": "Better now."}, as_agent(author))

    assert (first["statusCode"], second["statusCode"]) == (201, 200)
    assert body_of(second)["created_at"] == body_of(first)["created_at"]
    summary = reputation_store.get_summary(subject["agent_id"])
    assert summary is not None
    assert (summary["feedback_count"], summary["score_sum"]) == (1, 90)
    assert (summary["tag:successRate"], summary["tag:starred"]) == (0, 1)
    listed = body_of(get_reputation(subject["agent_id"]))
    assert [(f["author_id"], f["score"], f["comment"]) for f in listed["feedback"]] == [
        (author["agent_id"], 90, "Better now.")
    ]
    assert listed["tags"] == [{"tag": "starred", "count": 1}]


def test_a_repeated_identical_delivery_counts_once(pair: tuple[dict, dict]) -> None:
    author, subject = pair
    body = {"score": 70, "tags": ["responseTime"]}

    statuses = [give(subject["agent_id"], body, as_agent(author))["statusCode"] for _ in range(3)]

    assert statuses == [201, 200, 200]
    summary = reputation_store.get_summary(subject["agent_id"])
    assert summary is not None
    assert (summary["feedback_count"], summary["score_sum"], summary["tag:responseTime"]) == (1, 70, 1)


def test_revoking_removes_the_feedback_and_its_counts(pair: tuple[dict, dict]) -> None:
    author, subject = pair
    give(subject["agent_id"], {"score": 55, "tags": ["starred"]}, as_agent(author))

    revoked = revoke(subject["agent_id"], as_agent(author))
    again = revoke(subject["agent_id"], as_agent(author))

    assert revoked["statusCode"] == 200
    assert body_of(revoked) == {"subject_id": subject["agent_id"], "author_id": author["agent_id"], "revoked": True}
    assert again["statusCode"] == 404 and error_code(again) == "FEEDBACK_NOT_FOUND"
    summary = reputation_store.get_summary(subject["agent_id"])
    assert summary is not None
    assert (summary["feedback_count"], summary["score_sum"], summary["tag:starred"]) == (0, 0, 0)
    listed = body_of(get_reputation(subject["agent_id"]))
    assert listed["feedback"] == [] and listed["tags"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"score": -1}, "INVALID_VALUE"),
        ({"score": 101}, "INVALID_VALUE"),
        ({"score": 87.5}, "INVALID_TYPE"),
        ({"score": "87"}, "INVALID_TYPE"),
        ({"score": True}, "INVALID_TYPE"),
        ({}, "MISSING_FIELD"),
        ({"score": 50, "tags": ["a", "b", "c"]}, "INVALID_VALUE"),
        ({"score": 50, "tags": ["starred", "starred"]}, "INVALID_VALUE"),
        ({"score": 50, "tags": ["has space"]}, "INVALID_VALUE"),
        ({"score": 50, "tags": ["1starts-with-digit"]}, "INVALID_VALUE"),
        ({"score": 50, "tags": ["x" * 33]}, "INVALID_VALUE"),
        ({"score": 50, "comment": ""}, "INVALID_VALUE"),
        ({"score": 50, "comment": "x" * 1001}, "INVALID_VALUE"),
        ({"score": 50, "feedback_uri": "http://plain.example/f.json"}, "INVALID_VALUE"),
        ({"score": 50, "stars": 5}, "UNKNOWN_FIELD"),
    ],
)
def test_scores_and_tags_are_validated(pair: tuple[dict, dict], body: dict, code: str) -> None:
    author, subject = pair

    response = give(subject["agent_id"], body, as_agent(author))

    assert response["statusCode"] == 400
    assert error_code(response) == code
    assert reputation_store.get_feedback(subject["agent_id"], author["agent_id"]) is None


@pytest.mark.parametrize("score", [0, 100])
def test_the_score_bounds_are_accepted(pair: tuple[dict, dict], score: int) -> None:
    author, subject = pair

    response = give(subject["agent_id"], {"score": score, "tags": ["starred", "responseTime"]}, as_agent(author))

    assert response["statusCode"] == 201
    assert body_of(response)["score"] == score


def test_feedback_about_an_unknown_agent_is_404(aws: None) -> None:
    author = new_agent("author")

    response = give("agt_NOSUCHagentNOSUCHagent", {"score": 50}, as_agent(author))

    assert response["statusCode"] == 404
    assert error_code(response) == "AGENT_NOT_FOUND"


def test_an_admin_key_gives_feedback_only_with_its_scope(pair: tuple[dict, dict]) -> None:
    _, subject = pair

    refused = give(subject["agent_id"], {"score": 80}, as_admin(scopes="agents:read"))
    given = give(subject["agent_id"], {"score": 80}, as_admin())

    assert refused["statusCode"] == 403 and error_code(refused) == "FORBIDDEN"
    assert given["statusCode"] == 201
    assert (body_of(given)["author_id"], body_of(given)["author_kind"]) == ("adm_FEEDBACKadmn", "admin")


def test_the_subject_replies_publicly_and_nobody_else_may(pair: tuple[dict, dict]) -> None:
    author, subject = pair
    give(subject["agent_id"], {"score": 30, "comment": "Links were stale."}, as_agent(author))

    by_subject = reply(subject["agent_id"], author["agent_id"], {"text": "Fixed on 2 Dec."}, as_agent(subject))
    by_author = reply(subject["agent_id"], author["agent_id"], {"text": "Agreed."}, as_agent(author))

    assert by_subject["statusCode"] == 201
    assert [r["text"] for r in body_of(by_subject)["responses"]] == ["Fixed on 2 Dec."]
    assert by_author["statusCode"] == 403
    shown = body_of(get_reputation(subject["agent_id"]))["feedback"][0]
    assert [r["text"] for r in shown["responses"]] == ["Fixed on 2 Dec."]


def test_replies_need_a_live_feedback_and_stop_at_ten(pair: tuple[dict, dict], settings_env) -> None:
    settings_env("RATE_LIMITS", '{"feedback": [[60, 100], [3600, 1000]]}')  # replies count as feedback writes
    author, subject = pair
    missing = reply(subject["agent_id"], author["agent_id"], {"text": "Hello?"}, as_agent(subject))
    give(subject["agent_id"], {"score": 60}, as_agent(author))

    statuses = [
        reply(subject["agent_id"], author["agent_id"], {"text": f"reply {n}"}, as_agent(subject))["statusCode"]
        for n in range(11)
    ]
    last = reply(subject["agent_id"], author["agent_id"], {"text": "one more"}, as_agent(subject))

    assert missing["statusCode"] == 404 and error_code(missing) == "FEEDBACK_NOT_FOUND"
    assert statuses == [201] * 10 + [409]
    assert error_code(last) == "TOO_MANY_REPLIES"


def test_feedback_writes_have_a_limit_of_their_own(pair: tuple[dict, dict], settings_env) -> None:
    settings_env("RATE_LIMITS", '{"feedback": [[60, 3], [3600, 10]]}')
    author, subject = pair

    responses = [give(subject["agent_id"], {"score": 50 + n}, as_agent(author)) for n in range(4)]

    assert [r["statusCode"] for r in responses] == [201, 200, 200, 429]
    assert error_code(responses[-1]) == "RATE_LIMITED"
    assert body_of(responses[-1])["error"]["details"]["policy"] == "feedback"
    assert header(responses[0], "X-RateLimit-Limit") == "3"


def test_a_writer_that_read_before_a_revoke_and_a_new_feedback_cannot_overwrite_it(pair: tuple[dict, dict]) -> None:
    author, subject = pair
    give(subject["agent_id"], {"score": 10}, as_agent(author))
    stale = reputation_store.get_feedback(subject["agent_id"], author["agent_id"])
    revoke(subject["agent_id"], as_agent(author))
    give(subject["agent_id"], {"score": 80}, as_agent(author))
    assert stale is not None

    applied = reputation_store.change_feedback(
        subject["agent_id"],
        author["agent_id"],
        None,
        str(stale["revision"]),
        {"feedback_count": -1},
        {"pk": "x", "sk": "y"},
    )

    assert applied is False
    summary = reputation_store.get_summary(subject["agent_id"])
    assert summary is not None and (summary["feedback_count"], summary["score_sum"]) == (1, 80)


def test_a_transaction_cancelled_by_throttling_is_503_not_a_lost_race(pair: tuple[dict, dict], monkeypatch) -> None:
    author, subject = pair
    cancelled = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "throttled"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "None"}, {"Code": "ThrottlingError"}],
        },
        "TransactWriteItems",
    )
    monkeypatch.setattr(dynamo.dynamodb(), "transact_write_items", lambda **_: (_ for _ in ()).throw(cancelled))

    response = give(subject["agent_id"], {"score": 50}, as_agent(author))

    assert response["statusCode"] == 503
    assert error_code(response) == "DYNAMODB_UNAVAILABLE"
