"""Fixed-window limit arithmetic, the headers that describe it, and its one DynamoDB write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cashback import ratelimit
from cashback.auth import Caller, PrincipalKind
from cashback.errors import RateLimiterUnavailable
from cashback.ratelimit import Decision, WindowState, check, counter_key, counter_name, window_start
from cashback.settings import DEFAULT_POLICIES, Policy, Window, get_settings
from cashback.store import dynamo
from tests.apigw import LambdaContext, api_event, body_of, header
from tests.conftest import load_function

HOUR = 1_795_600_800  # 2026-11-25T10:00:00Z, the start of an hour (and of a minute)
MINUTE = Window(seconds=60, limit=3)
HOURLY = Window(seconds=3600, limit=5)
SMALL = Policy(name="small", windows=(HOURLY, MINUTE))  # given longest first on purpose


def state(window: Window, used: int, now: int) -> WindowState:
    return WindowState(window=window, used=used, reset_at=window_start(now, window.seconds) + window.seconds)


def decision(allowed: bool, now: int, minute_used: int, hour_used: int, cost: int = 1) -> Decision:
    return Decision(
        allowed=allowed,
        policy=SMALL,
        states=(state(MINUTE, minute_used, now), state(HOURLY, hour_used, now)),
        now=now,
        cost=cost,
    )


# ---------------------------------------------------------------- windows


@pytest.mark.parametrize(
    ("now", "seconds", "start"),
    [
        (HOUR, 60, HOUR),
        (HOUR + 59, 60, HOUR),
        (HOUR + 60, 60, HOUR + 60),
        (HOUR + 3599, 3600, HOUR),
        (HOUR + 3600, 3600, HOUR + 3600),
        (HOUR + 7 * 3600, 86400, HOUR - 10 * 3600),  # days start at 00:00 UTC
    ],
)
def test_windows_are_aligned_to_the_epoch(now: int, seconds: int, start: int) -> None:
    assert window_start(now, seconds) == start


def test_a_policy_lists_its_windows_shortest_first() -> None:
    assert SMALL.windows == (MINUTE, HOURLY)


def test_a_policy_refuses_a_window_that_does_not_divide_the_longest() -> None:
    with pytest.raises(ValueError, match="must divide 3600s"):
        Policy(name="odd", windows=(Window(seconds=7, limit=1), HOURLY))


def test_one_item_per_subject_and_longest_window_with_a_counter_per_window_start() -> None:
    assert counter_key("agent#a", SMALL, HOUR + 61) == f"agent#a#3600#{HOUR}"
    assert counter_key("agent#a", SMALL, HOUR + 3599) == f"agent#a#3600#{HOUR}"
    assert counter_key("agent#a", SMALL, HOUR + 3600) == f"agent#a#3600#{HOUR + 3600}"
    assert counter_name(MINUTE, HOUR + 61) == f"c60_{HOUR + 60}"
    assert counter_name(HOURLY, HOUR + 61) == f"c3600_{HOUR}"


def test_windows_are_named_by_their_length() -> None:
    assert [Window(seconds=s, limit=1).name for s in (60, 3600, 86400, 10)] == ["minute", "hour", "day", "10s"]


# ---------------------------------------------------------------- which window the headers describe


def test_when_admitted_the_headers_describe_the_window_with_the_fewest_requests_left() -> None:
    now = HOUR + 10
    assert decision(True, now, minute_used=1, hour_used=4).binding.window is HOURLY  # 2 left vs 1 left
    assert decision(True, now, minute_used=2, hour_used=2).binding.window is MINUTE  # 1 left vs 3 left


def test_on_a_tie_the_shorter_window_is_described() -> None:
    assert decision(True, HOUR + 10, minute_used=1, hour_used=3).binding.window is MINUTE  # 2 left each


def test_when_refused_the_full_window_that_reopens_last_is_described() -> None:
    now = HOUR + 70
    assert decision(False, now, minute_used=3, hour_used=4).binding.window is MINUTE  # only the minute is full
    assert decision(False, now, minute_used=1, hour_used=5).binding.window is HOURLY  # only the hour is full
    assert decision(False, now, minute_used=3, hour_used=5).binding.window is HOURLY  # both: the hour reopens last


def test_a_request_costing_more_than_is_left_is_refused_by_the_window_too_small_for_it() -> None:
    refused = decision(False, HOUR + 10, minute_used=1, hour_used=1, cost=3)  # 2 left in the minute, 4 in the hour
    assert refused.binding.window is MINUTE


# ---------------------------------------------------------------- headers


def test_admitted_headers_give_limit_remaining_and_reset_of_the_tightest_window() -> None:
    headers = decision(True, HOUR + 10, minute_used=1, hour_used=4).headers()
    assert headers["X-RateLimit-Limit"] == "5"
    assert headers["X-RateLimit-Remaining"] == "1"
    assert headers["X-RateLimit-Reset"] == str(HOUR + 3600)  # epoch seconds
    assert "Retry-After" not in headers


def test_ratelimit_policy_and_ratelimit_follow_the_ietf_draft_syntax_for_every_window() -> None:
    headers = decision(True, HOUR + 10, minute_used=1, hour_used=4).headers()
    assert headers["RateLimit-Policy"] == '"minute";q=3;w=60, "hour";q=5;w=3600'
    assert headers["RateLimit"] == '"minute";r=2;t=50, "hour";r=1;t=3590'  # t = seconds until reset


def test_refused_headers_say_when_to_retry() -> None:
    headers = decision(False, HOUR + 10, minute_used=3, hour_used=3).headers()
    assert headers["Retry-After"] == "50"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["X-RateLimit-Reset"] == str(HOUR + 60)


def test_retry_after_is_at_least_one_second() -> None:
    assert decision(False, HOUR + 59, minute_used=3, hour_used=3).retry_after == 1


def test_remaining_is_never_negative() -> None:
    assert state(MINUTE, used=7, now=HOUR).remaining == 0


def test_the_rejection_names_the_window_and_when_to_retry() -> None:
    error = ratelimit.rejection(decision(False, HOUR + 70, minute_used=3, hour_used=5))
    assert (error.status, error.code) == (429, "RATE_LIMITED")
    assert error.message == "Rate limit exceeded: 5 requests per hour."
    assert error.details == {"policy": "small", "window": "hour", "limit": 5, "retry_after": 3600 - 70}


# ---------------------------------------------------------------- who is counted under which policy


@pytest.mark.parametrize(
    ("caller", "subject", "policy"),
    [
        (Caller(PrincipalKind.AGENT, "agt_A", "standard"), "agent#agt_A", "standard"),
        (Caller(PrincipalKind.AGENT, "agt_A", "premium"), "agent#agt_A", "premium"),
        (Caller(PrincipalKind.AGENT, "agt_A", "no-such-plan"), "agent#agt_A", "standard"),
        (Caller(PrincipalKind.AGENT, "agt_A", None), "agent#agt_A", "standard"),
        (Caller(PrincipalKind.ADMIN, "adm_K", "admin"), "admin#adm_K", "admin"),
        (Caller(), "ip#198.51.100.1#registration", "registration"),
    ],
    ids=["standard agent", "premium agent", "unknown plan", "no plan", "admin key", "anonymous"],
)
def test_agents_are_counted_by_plan_admin_keys_by_key_and_anonymous_callers_by_ip(
    caller: Caller, subject: str, policy: str
) -> None:
    assert ratelimit.subject_and_policy(caller, "198.51.100.1", "registration") == (subject, DEFAULT_POLICIES[policy])


def test_rate_limits_overrides_replace_only_the_named_policies(settings_env: Callable[[str, str], None]) -> None:
    settings_env("RATE_LIMITS", '{"standard": [[60, 5]]}')
    policies = get_settings().policies
    assert policies["standard"].windows == (Window(seconds=60, limit=5),)
    assert policies["premium"] == DEFAULT_POLICIES["premium"]


# ---------------------------------------------------------------- counting in DynamoDB


@pytest.fixture
def dynamodb_calls(aws: None) -> Iterator[list[str]]:
    """The name of every DynamoDB API call made through the shared client."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    dynamo.dynamodb().meta.events.register("before-call.dynamodb.*", record)
    yield calls


def used(result: Decision) -> tuple[int, ...]:
    return tuple(s.used for s in result.states)


def test_each_admitted_request_adds_one_to_every_window(aws: None) -> None:
    assert used(check("ip#a", SMALL, HOUR + 1)) == (1, 1)
    assert used(check("ip#a", SMALL, HOUR + 2)) == (2, 2)


def test_the_limit_is_exact_and_a_refused_request_counts_nothing(aws: None) -> None:
    admitted = [check("ip#a", SMALL, HOUR + 10).allowed for _ in range(3)]
    refused = [check("ip#a", SMALL, HOUR + 10) for _ in range(2)]
    assert admitted == [True, True, True]
    assert [r.allowed for r in refused] == [False, False]
    assert used(refused[-1]) == (3, 3)
    assert refused[-1].headers()["Retry-After"] == "50"


def test_the_next_minute_reopens_until_the_hour_is_full(aws: None) -> None:
    for _ in range(3):
        check("ip#a", SMALL, HOUR + 10)
    next_minute = [check("ip#a", SMALL, HOUR + 60).allowed for _ in range(3)]
    assert next_minute == [True, True, False]  # 3 + 2 = the hour's 5
    refused = check("ip#a", SMALL, HOUR + 61)
    assert refused.binding.window is HOURLY
    assert refused.headers()["Retry-After"] == str(3600 - 61)
    assert check("ip#a", SMALL, HOUR + 3600).allowed  # a new hour, a new item


def test_subjects_are_counted_apart(aws: None) -> None:
    for _ in range(3):
        check("ip#a", SMALL, HOUR)
    assert not check("ip#a", SMALL, HOUR).allowed
    assert check("ip#b", SMALL, HOUR).allowed


def test_a_request_costing_several_units_is_admitted_only_if_all_fit(aws: None) -> None:
    assert used(check("agent#batch", SMALL, HOUR, cost=2)) == (2, 2)
    refused = check("agent#batch", SMALL, HOUR, cost=2)  # 1 left in the minute
    assert not refused.allowed
    assert used(refused) == (2, 2)
    assert used(check("agent#batch", SMALL, HOUR, cost=1)) == (3, 3)


def test_one_request_costs_exactly_one_dynamodb_call_a_write(dynamodb_calls: list[str]) -> None:
    check("ip#a", SMALL, HOUR)
    assert dynamodb_calls == ["UpdateItem"]


def test_a_refused_request_also_costs_exactly_one_dynamodb_call(dynamodb_calls: list[str]) -> None:
    for _ in range(3):
        check("ip#a", SMALL, HOUR)
    dynamodb_calls.clear()
    assert not check("ip#a", SMALL, HOUR).allowed
    assert dynamodb_calls == ["UpdateItem"]


def test_an_api_request_makes_one_write_for_its_rate_limit(dynamodb_calls: list[str]) -> None:
    response = load_function("leaderboard").lambda_handler(api_event("GET", "/analytics/leaderboard"), LambdaContext())
    assert response["statusCode"] == 200
    assert dynamodb_calls == ["UpdateItem", "GetItem"]  # the limit, then the (empty) board's read


# ---------------------------------------------------------------- when DynamoDB fails


@pytest.fixture
def broken_limiter(aws: None, settings_env: Callable[[str, str], None]) -> Callable[[str, str], None]:
    """The rate-limit table does not exist, so every counter update fails."""
    settings_env("RATE_LIMIT_TABLE", "NoSuchRateLimitTable")
    return settings_env


def test_fail_open_admits_and_reports_the_full_limit(broken_limiter: Callable[[str, str], None]) -> None:
    result = check("ip#a", SMALL, HOUR + 10)
    assert result.allowed
    assert used(result) == (0, 0)
    assert result.headers()["X-RateLimit-Remaining"] == "3"


def test_fail_closed_refuses_with_rate_limiter_unavailable(broken_limiter: Callable[[str, str], None]) -> None:
    broken_limiter("RATE_LIMIT_FAIL_MODE", "closed")
    with pytest.raises(RateLimiterUnavailable) as raised:
        check("ip#a", SMALL, HOUR + 10)
    assert (raised.value.status, raised.value.code) == (503, "RATE_LIMITER_UNAVAILABLE")


def test_fail_open_lets_an_api_request_through(broken_limiter: Callable[[str, str], None]) -> None:
    response = load_function("leaderboard").lambda_handler(api_event("GET", "/analytics/leaderboard"), LambdaContext())
    assert response["statusCode"] == 200
    assert header(response, "X-RateLimit-Remaining") == header(response, "X-RateLimit-Limit") == "120"


def test_fail_closed_answers_an_api_request_503_with_retry_after(broken_limiter: Callable[[str, str], None]) -> None:
    broken_limiter("RATE_LIMIT_FAIL_MODE", "closed")
    response = load_function("health").lambda_handler(api_event("GET", "/health"), LambdaContext())
    assert response["statusCode"] == 503
    assert body_of(response)["error"]["code"] == "RATE_LIMITER_UNAVAILABLE"
    assert header(response, "Retry-After") == "1"


# ---------------------------------------------------------------- per-IP keys


@pytest.mark.parametrize(
    ("source_ip", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),  # an IPv4 client seen through a dual stack
        ("not-an-address", "not-an-address"),
    ],
)
def test_per_ip_limits_count_ipv4_addresses_alone_and_ipv6_addresses_by_their_64(source_ip: str, key: str) -> None:
    assert ratelimit.address_key(source_ip) == key


def test_one_client_rotating_through_its_ipv6_64_shares_one_counter(settings_env: Callable[[str, str], None]) -> None:
    anonymous = Caller()
    subjects = {
        ratelimit.subject_and_policy(anonymous, f"2001:db8:77:1::{n:x}", "registration")[0] for n in range(1, 50)
    }
    other_network = ratelimit.subject_and_policy(anonymous, "2001:db8:77:2::1", "registration")[0]
    assert len(subjects) == 1 and other_network not in subjects
