"""Search, batch, compare and the affiliate redirect through their functions (moto)."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from cashback.store import activity as activity_store
from tests.apigw import LambdaContext, agent_authorizer, api_event, body_of, header
from tests.conftest import load_function

AGENT = "agt_SHOPPERshopperSHOPPER0"
OTHER_AGENT = "agt_OTHERotherOTHERother00"
HOST = {"Host": "api.example.test", "X-Forwarded-Proto": "https"}

search_fn = load_function("search")
batch_fn = load_function("batch_search")
compare_fn = load_function("compare")
redirect_fn = load_function("redirect")


def post_search(body: object, agent: str = AGENT, function=search_fn, path: str = "/search") -> dict:
    event = api_event("POST", path, body=body, authorizer=agent_authorizer(agent), headers=HOST)
    return function.lambda_handler(event, LambdaContext())


def get_compare(query: dict[str, str], agent: str = AGENT) -> dict:
    event = api_event("GET", "/compare", query=query, authorizer=agent_authorizer(agent), headers=HOST)
    return compare_fn.lambda_handler(event, LambdaContext())


def follow(click_id: str, query: dict[str, str] | None = None) -> dict:
    event = api_event(
        "GET", f"/r/{click_id}", resource="/r/{click_id}", path_parameters={"click_id": click_id}, query=query
    )
    return redirect_fn.lambda_handler(event, LambdaContext())


def click_id_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_search_results_carry_decimal_cashback_and_a_tracked_link(small_catalog: object) -> None:
    response = post_search({"keywords": "pegasus"})
    assert response["statusCode"] == 200
    (result,) = body_of(response)["results"]
    assert result["price"] == "139.99" and result["cashback_rate"] == "3.25"
    assert result["cashback_amount"] == "4.55"  # 139.99 x 3.25% = 4.549675 → 4.55
    assert result["affiliate_link"].startswith("https://api.example.test/r/clk_")
    assert body_of(response)["next_cursor"] is None


def test_search_is_logged_and_counted_for_the_agent(small_catalog: object) -> None:
    post_search({"keywords": "wireless headphones", "filters": {"brand": "Sony"}})
    post_search({"keywords": "running shoes"})
    totals = activity_store.get_item(f"AGENT#{AGENT}", "TOTALS")
    assert totals["total_searches"] == 2
    (latest, earlier) = activity_store.query_latest(f"AGENT#{AGENT}#SEARCH", 10)
    assert {latest["keywords"], earlier["keywords"]} == {"wireless headphones", "running shoes"}
    logged = latest if latest["keywords"] == "wireless headphones" else earlier
    assert logged["filters"] == {"brand": "Sony"} and logged["results_count"] >= 1
    day = activity_store.query_latest(f"AGENT#{AGENT}#DAY", 1)[0]
    assert day["searches"] == 2
    assert day["kw:wireless"] == 1 and day["kw:running"] == 1 and day["kw:shoe"] == 1
    assert day["brand:sony"] == 1


def test_search_needs_keywords(small_catalog: object) -> None:
    response = post_search({"keywords": ""})
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "INVALID_VALUE"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"keywords": "x", "limit": 51}, "INVALID_VALUE"),
        ({"keywords": "x", "sort": "cheapest"}, "INVALID_VALUE"),
        ({"keywords": "x", "filters": {"colour": "red"}}, "UNKNOWN_FIELD"),
        ({"keywords": "x", "filters": {"min_price": "abc"}}, "INVALID_TYPE"),
        ({"keywords": "x", "filters": {"min_price": 10, "max_price": 5}}, "INVALID_VALUE"),
    ],
)
def test_search_rejects_bad_input_with_a_code(small_catalog: object, body: dict, code: str) -> None:
    response = post_search(body)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == code


def test_admin_keys_cannot_search(small_catalog: object) -> None:
    event = api_event(
        "POST",
        "/search",
        body={"keywords": "sony"},
        authorizer={"principalId": "adm_x", "kind": "admin", "plan": "admin", "scopes": "agents:read"},
    )
    response = search_fn.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 403


def test_batch_answers_each_search_or_its_error(small_catalog: object) -> None:
    response = post_search(
        {"searches": [{"keywords": "pegasus"}, {"keywords": "headphones", "cursor": "forged"}]},
        function=batch_fn,
        path="/search/batch",
    )
    assert response["statusCode"] == 200
    first, second = body_of(response)["results"]
    assert first["ok"] is True and first["result"]["results"][0]["product_id"] == "p_shoe1"
    assert second["ok"] is False and second["error"]["code"] == "INVALID_CURSOR"


def test_batch_of_more_than_ten_is_400(small_catalog: object) -> None:
    response = post_search({"searches": [{"keywords": "sony"}] * 11}, function=batch_fn, path="/search/batch")
    assert response["statusCode"] == 400


def test_batch_counts_each_search_against_the_rate_limit(small_catalog: object) -> None:
    response = post_search({"searches": [{"keywords": "sony"}] * 7}, function=batch_fn, path="/search/batch")
    assert response["statusCode"] == 200
    assert header(response, "X-RateLimit-Remaining") == "93"


def test_compare_ranks_merchants_by_cashback_with_exact_arithmetic(small_catalog: object) -> None:
    response = get_compare({"product_name": "sony wh-1000xm5 headphones"})
    assert response["statusCode"] == 200, response["body"]
    body = body_of(response)
    assert body["success"] is True and body["agent_id"] == AGENT
    rows = body["results"]
    # Same GTIN at three USD merchants (the EUR offer is another currency); matched despite different titles.
    assert [r["merchant"] for r in rows] == ["Alpha Audio", "Beta Mart", "Gamma Store"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert [r["cashback_amount"] for r in rows] == ["15.66", "10.72", "2.99"]
    assert [r["savings_vs_1st"] for r in rows] == ["0.00", "-4.94", "-12.67"]
    assert [r["effective_price"] for r in rows] == ["332.34", "319.27", "296.01"]
    summary = body["summary"]
    assert summary == {
        "best_merchant": "Alpha Audio",
        "best_cashback_rate": "4.50%",
        "best_effective_price": "296.01",
        "price_range": {"min": "299.00", "max": "348.00"},
        "merchant_count": 3,
    }
    assert all(r["affiliate_link"].startswith("https://api.example.test/r/clk_") for r in rows)


def test_compare_max_merchants_keeps_the_best(small_catalog: object) -> None:
    rows = body_of(get_compare({"product_name": "sony wh-1000xm5", "max_merchants": "1"}))["results"]
    assert [r["merchant"] for r in rows] == ["Alpha Audio"]


def test_compare_unknown_product_is_404(small_catalog: object) -> None:
    response = get_compare({"product_name": "flux capacitor"})
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "PRODUCT_NOT_FOUND"


def test_compare_for_another_agent_id_is_403(small_catalog: object) -> None:
    response = get_compare({"product_name": "sony", "agent_id": OTHER_AGENT})
    assert response["statusCode"] == 403


def test_compare_without_product_name_is_400(small_catalog: object) -> None:
    response = get_compare({})
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "MISSING_FIELD"


def test_a_served_link_redirects_to_the_merchant_with_our_subid(small_catalog: object) -> None:
    (result,) = body_of(post_search({"keywords": "pegasus"}))["results"]
    click_id = click_id_of(result["affiliate_link"])
    response = follow(click_id)
    assert response["statusCode"] == 302
    location = urlsplit(header(response, "Location"))
    assert (location.scheme, location.netloc, location.path) == ("https", "beta.example", "/p/p_shoe1")
    assert parse_qs(location.query) == {"aff_sub": [click_id]}


def test_following_a_link_records_count_and_times(small_catalog: object) -> None:
    (result,) = body_of(post_search({"keywords": "pegasus"}))["results"]
    click_id = click_id_of(result["affiliate_link"])
    follow(click_id)
    follow(click_id)
    click = activity_store.get_item(f"CLICK#{click_id}", "CLICK")
    assert click["clicks"] == 2 and click["agent_id"] == AGENT and click["product_id"] == "p_shoe1"
    assert click["first_clicked_at"] <= click["last_clicked_at"]
    assert activity_store.get_item(f"AGENT#{AGENT}", "TOTALS")["total_clicks"] == 2


def test_unknown_click_is_404_never_a_redirect(small_catalog: object) -> None:
    response = follow("clk_" + "A" * 22)
    assert response["statusCode"] == 404
    assert header(response, "Location") is None
    assert body_of(response)["error"]["code"] == "CLICK_NOT_FOUND"


@pytest.mark.parametrize(
    "click_id",
    ["https:%2F%2Fevil.example", "clk_short", "..%2F..%2Fevil", "clk_" + "A" * 21 + "/"],
)
def test_malformed_click_ids_never_redirect(small_catalog: object, click_id: str) -> None:
    response = follow(click_id)
    assert response["statusCode"] in (400, 404)
    assert header(response, "Location") is None


def test_redirect_ignores_attacker_supplied_targets(small_catalog: object) -> None:
    (result,) = body_of(post_search({"keywords": "pegasus"}))["results"]
    response = follow(click_id_of(result["affiliate_link"]), query={"url": "https://evil.example", "next": "//evil"})
    assert urlsplit(header(response, "Location")).netloc == "beta.example"


def test_an_expired_click_is_404(small_catalog: object, monkeypatch: pytest.MonkeyPatch) -> None:
    (result,) = body_of(post_search({"keywords": "pegasus"}))["results"]
    click_id = click_id_of(result["affiliate_link"])
    real_now = int(time.time())
    monkeypatch.setattr(time, "time", lambda: real_now + 31 * 86400)
    assert follow(click_id)["statusCode"] == 404


def test_search_response_money_is_never_a_float(small_catalog: object) -> None:
    raw = post_search({"keywords": "headphones", "limit": 50})["body"]
    for result in json.loads(raw, parse_float=Decimal)["results"]:
        assert isinstance(result["price"], str) and isinstance(result["cashback_amount"], str)
