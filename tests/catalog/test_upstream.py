"""The upstream product source against a real HTTP server on 127.0.0.1: slow, failing, malformed, dead."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cashback import catalog, search
from cashback.catalog.upstream import CircuitBreaker, UpstreamBadResponse, UpstreamCatalog, UpstreamUnavailable
from cashback.models import SearchRequest

PRODUCT = {
    "product_id": "p_up_1",
    "product_key": "acme rocket",
    "title": "Acme Rocket Skates",
    "brand": "Acme",
    "category": "sports",
    "merchant_id": "m_acme",
    "merchant_name": "Acme Direct",
    "subid_param": "subid",
    "price": "120.00",
    "currency": "USD",
    "rating": "4.1",
    "in_stock": True,
    "url": "https://acme.example/p/rocket",
    "cashback_rate": "5.00",
    "a_field_we_ignore": 1,
}


class Upstream:
    """A tiny upstream whose behaviour a test sets: ok, slow, error, malformed, wrong_shape."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests = 0
        self.api_keys: list[str | None] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                upstream.requests += 1
                upstream.api_keys.append(self.headers.get("X-Api-Key"))
                if upstream.mode == "slow":
                    time.sleep(1.5)
                if upstream.mode == "error":
                    self._send(503, b'{"message": "down"}')
                elif upstream.mode == "malformed":
                    self._send(200, b'{"products": [')
                elif upstream.mode == "wrong_shape":
                    self._send(200, json.dumps({"products": [{"title": "no price"}]}).encode())
                else:
                    self._send(200, json.dumps({"products": [PRODUCT]}).encode())

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Upstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


def source_for(url: str, breaker: CircuitBreaker | None = None) -> UpstreamCatalog:
    return UpstreamCatalog(url, "secret-key", timeout_seconds=0.3, breaker=breaker or CircuitBreaker())


def test_products_from_the_upstream_are_searched_like_the_catalog(upstream: Upstream) -> None:
    page = search.search(SearchRequest(keywords="rocket skates"), source_for(upstream.url))
    (listing,) = page.listings
    assert listing.product_id == "p_up_1" and listing.merchant_name == "Acme Direct"
    assert upstream.api_keys == ["secret-key"]


def test_5xx_is_retried_twice_then_503(upstream: Upstream) -> None:
    upstream.mode = "error"
    with pytest.raises(UpstreamUnavailable) as failure:
        source_for(upstream.url).candidates(["rocket"])
    assert upstream.requests == 3
    assert failure.value.status == 503 and failure.value.code == "UPSTREAM_UNAVAILABLE"


def test_a_slow_upstream_times_out_quickly(upstream: Upstream) -> None:
    upstream.mode = "slow"
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable):
        source_for(upstream.url).candidates(["rocket"])
    # 3 attempts x 0.3 s timeout + backoff; far below a Lambda timeout. A generous bound, not a benchmark.
    assert time.monotonic() - started < 5


def test_malformed_json_is_502_and_not_retried(upstream: Upstream) -> None:
    upstream.mode = "malformed"
    with pytest.raises(UpstreamBadResponse):
        source_for(upstream.url).candidates(["rocket"])
    assert upstream.requests == 1


def test_a_response_that_breaks_the_product_model_is_refused(upstream: Upstream) -> None:
    upstream.mode = "wrong_shape"
    with pytest.raises(UpstreamBadResponse):
        source_for(upstream.url).candidates(["rocket"])


def test_a_dead_port_is_503() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    with pytest.raises(UpstreamUnavailable):
        source_for(f"http://127.0.0.1:{dead_port}").candidates(["rocket"])


def test_the_circuit_opens_after_repeated_failures_and_stops_calling(upstream: Upstream) -> None:
    upstream.mode = "error"
    source = source_for(upstream.url, CircuitBreaker(failures_to_open=2, open_seconds=60))
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            source.candidates(["rocket"])
    calls_before = upstream.requests
    with pytest.raises(UpstreamUnavailable) as refused:
        source.candidates(["rocket"])
    assert refused.value.details == {"reason": "circuit_open"}
    assert upstream.requests == calls_before
    assert source.breaker.state == "open"


def test_the_circuit_recovers_after_a_successful_trial(upstream: Upstream) -> None:
    upstream.mode = "error"
    source = source_for(upstream.url, CircuitBreaker(failures_to_open=1, open_seconds=0.2))
    with pytest.raises(UpstreamUnavailable):
        source.candidates(["rocket"])
    upstream.mode = "ok"
    deadline = time.monotonic() + 5
    while source.breaker.state == "open" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(source.candidates(["rocket"]).listings) == 1
    assert source.breaker.state == "closed"


def test_a_failed_trial_reopens_the_circuit(upstream: Upstream) -> None:
    upstream.mode = "error"
    source = source_for(upstream.url, CircuitBreaker(failures_to_open=1, open_seconds=0.2))
    with pytest.raises(UpstreamUnavailable):
        source.candidates(["rocket"])
    deadline = time.monotonic() + 5
    while source.breaker.state == "open" and time.monotonic() < deadline:
        time.sleep(0.05)
    with pytest.raises(UpstreamUnavailable):
        source.candidates(["rocket"])
    assert source.breaker.state == "open"


def test_the_setting_chooses_the_upstream_source(settings_env, upstream: Upstream) -> None:
    from cashback.catalog.upstream import upstream_catalog

    upstream_catalog.cache_clear()
    settings_env("CATALOG_SOURCE", "upstream")
    settings_env("UPSTREAM_BASE_URL", upstream.url)
    try:
        assert isinstance(catalog.source(), UpstreamCatalog)
    finally:
        upstream_catalog.cache_clear()


def test_search_answers_503_upstream_unavailable_when_the_upstream_is_down(settings_env, aws: None) -> None:
    from cashback.catalog.upstream import upstream_catalog
    from tests.apigw import LambdaContext, agent_authorizer, api_event, body_of
    from tests.conftest import load_function

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    upstream_catalog.cache_clear()
    settings_env("CATALOG_SOURCE", "upstream")
    settings_env("UPSTREAM_BASE_URL", f"http://127.0.0.1:{dead_port}")
    try:
        event = api_event(
            "POST", "/search", body={"keywords": "rocket"}, authorizer=agent_authorizer("agt_SHOPPERshopperSHOPPER0")
        )
        response = load_function("search").lambda_handler(event, LambdaContext())
    finally:
        upstream_catalog.cache_clear()
    assert response["statusCode"] == 503
    assert body_of(response)["error"]["code"] == "UPSTREAM_UNAVAILABLE"


def test_search_answers_503_within_the_request_budget_when_the_upstream_hangs(
    settings_env, aws: None, upstream: Upstream
) -> None:
    """The upstream accepts connections and never answers in time (1.5 s, under the 2 s per-attempt
    timeout): the budget, not the timeout, ends each search, with one attempt and no retry after it."""
    from cashback.catalog import upstream as upstream_module
    from cashback.catalog.upstream import upstream_catalog
    from tests.apigw import LambdaContext, agent_authorizer, api_event, body_of, header
    from tests.conftest import load_function

    assert upstream_module.REQUEST_BUDGET_SECONDS < 1.0  # the promise: 503 in under a second
    upstream.mode = "slow"
    upstream_catalog.cache_clear()
    settings_env("CATALOG_SOURCE", "upstream")
    settings_env("UPSTREAM_BASE_URL", upstream.url)
    event = api_event(
        "POST", "/search", body={"keywords": "rocket"}, authorizer=agent_authorizer("agt_SHOPPERshopperSHOPPER0")
    )
    search = load_function("search")
    try:
        search.lambda_handler(event, LambdaContext())  # warm: clients made, as in a warm container
        started = time.monotonic()
        response = search.lambda_handler(event, LambdaContext())
        elapsed = time.monotonic() - started
    finally:
        upstream_catalog.cache_clear()

    print(f"\nupstream hanging: search answered {response['statusCode']} in {elapsed:.2f} s")  # measured, not asserted
    assert response["statusCode"] == 503
    assert body_of(response)["error"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert header(response, "Retry-After") == "1"
    assert 1 <= upstream.requests <= 3  # the budget cuts attempts short; how many start depends on timing
