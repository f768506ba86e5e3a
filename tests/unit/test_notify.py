"""The rules under agents' webhooks: sealed secrets, SSRF-safe targets, the shared signer, no redirects."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cashback import notify, outbound, sealing
from cashback.signing import sign, verify

AGENT = "agt_SHOPPERshopperSHOPPER0"
OTHER_AGENT = "agt_OTHERotherOTHERother00"
SECRET = "whsec_the_agents_secret"


@pytest.fixture
def local_key(settings_env: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBHOOK_KMS_KEY_ID", raising=False)
    settings_env("WEBHOOK_SEALING_KEY", "a local key for tests")


# ---------------------------------------------------------------- sealed secrets


def test_a_sealed_secret_opens_for_its_agent_and_is_not_stored_in_clear(local_key: None) -> None:
    sealed = sealing.seal(SECRET, AGENT)

    assert SECRET not in sealed and sealed.startswith("local1:")
    assert sealing.unseal(sealed, AGENT) == SECRET


def test_a_sealed_secret_copied_to_another_agent_does_not_open(local_key: None) -> None:
    with pytest.raises(sealing.SealingUnavailable):
        sealing.unseal(sealing.seal(SECRET, AGENT), OTHER_AGENT)


def test_a_tampered_sealed_secret_does_not_open(local_key: None) -> None:
    scheme, _, text = sealing.seal(SECRET, AGENT).partition(":")
    raw = bytearray(base64.b64decode(text))
    raw[20] ^= 1  # one bit of the ciphertext
    with pytest.raises(sealing.SealingUnavailable):
        sealing.unseal(f"{scheme}:{base64.b64encode(bytes(raw)).decode()}", AGENT)


def test_on_aws_a_secret_is_sealed_by_kms_with_the_agent_as_encryption_context(
    settings_env: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEBHOOK_SEALING_KEY", raising=False)
    with mock_aws():
        sealing._kms.cache_clear()
        key_id = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
        settings_env("WEBHOOK_KMS_KEY_ID", key_id)

        sealed = sealing.seal(SECRET, AGENT)

        assert sealed.startswith("kms1:") and SECRET not in sealed
        assert sealing.unseal(sealed, AGENT) == SECRET
        with pytest.raises(sealing.SealingUnavailable):
            sealing.unseal(sealed, OTHER_AGENT)
    sealing._kms.cache_clear()


# ---------------------------------------------------------------- targets (SSRF)


@pytest.fixture
def aws_targets(settings_env: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings on AWS: https only, no host exempt from the address check."""
    monkeypatch.delenv("WEBHOOK_ALLOWED_HOSTS", raising=False)
    monkeypatch.delenv("WEBHOOK_ALLOW_HTTP", raising=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.0.10/hook",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/hook",  # shared address space (carrier NAT)
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://224.0.0.1/hook",
    ],
)
def test_a_target_that_is_not_public_is_refused(aws_targets: None, url: str) -> None:
    with pytest.raises(outbound.TargetForbidden):
        outbound.resolve(url)


def test_plain_http_and_credentials_in_the_url_are_refused(aws_targets: None) -> None:
    for url in ("http://93.184.216.34/hook", "https://user:pw@93.184.216.34/hook"):
        with pytest.raises(outbound.TargetForbidden):
            outbound.resolve(url)


@pytest.mark.parametrize("url", ["https://93.184.216.34:99999/hook", "https://[::1/hook", "https://a..b/hook"])
def test_a_url_that_does_not_parse_or_resolve_is_refused_not_an_error(aws_targets: None, url: str) -> None:
    with pytest.raises(outbound.TargetForbidden):
        outbound.resolve(url)


def test_a_public_target_is_requested_at_the_address_that_was_checked(aws_targets: None) -> None:
    target = outbound.resolve("https://93.184.216.34:8443/hooks?x=1")

    assert target.url == "https://93.184.216.34:8443/hooks?x=1"
    assert target.host == "93.184.216.34:8443"


def test_the_allow_list_exempts_only_the_hosts_it_names(settings_env: Callable[..., Any]) -> None:
    settings_env("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    settings_env("WEBHOOK_ALLOW_HTTP", "true")

    assert outbound.resolve("http://127.0.0.1:8080/hook").url == "http://127.0.0.1:8080/hook"
    with pytest.raises(outbound.TargetForbidden):
        outbound.resolve("http://10.0.0.1/hook")


# ---------------------------------------------------------------- signing and delivering


def test_during_a_rotation_a_delivery_verifies_with_either_secret() -> None:
    body = b'{"id":"dlv_1"}'
    header = sign("whsec_new", 1_800_000_000, body, "whsec_old")

    assert verify(header, body, ["whsec_new"], 1_800_000_000)
    assert verify(header, body, ["whsec_old"], 1_800_000_000)
    assert not verify(header, body, ["whsec_other"], 1_800_000_000)
    assert not verify(header, body, ["whsec_new"], 1_800_000_000 + 301)


@pytest.fixture
def redirecting_receiver() -> Iterator[tuple[int, list[str]]]:
    """Answers every POST with a redirect to /elsewhere, and records the paths asked for."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            paths.append(self.path)
            self.send_response(307)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], paths
    server.shutdown()
    server.server_close()


def test_a_redirect_is_a_failed_delivery_and_is_not_followed(
    local_key: None, settings_env: Callable[..., Any], redirecting_receiver: tuple[int, list[str]]
) -> None:
    settings_env("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    settings_env("WEBHOOK_ALLOW_HTTP", "true")
    port, paths = redirecting_receiver
    webhook = {"url": f"http://127.0.0.1:{port}/hook", "secret": sealing.seal(SECRET, AGENT)}
    record = {"delivery_id": "dlv_1", "agent_id": AGENT, "event_type": "conversion.pending", "body": "{}"}

    error = notify.attempt(record, webhook, 1_800_000_000)

    assert error == "HTTP 307"
    assert paths == ["/hook"]


def test_a_receiver_that_does_not_answer_is_a_failed_delivery_named_by_its_transport_error(
    local_key: None, settings_env: Callable[..., Any]
) -> None:
    settings_env("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    settings_env("WEBHOOK_ALLOW_HTTP", "true")
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    webhook = {"url": f"http://127.0.0.1:{port}/hook", "secret": sealing.seal(SECRET, AGENT)}
    record = {"delivery_id": "dlv_1", "agent_id": AGENT, "event_type": "conversion.pending", "body": "{}"}

    error = notify.attempt(record, webhook, 1_800_000_000)

    assert error == "ConnectError"
