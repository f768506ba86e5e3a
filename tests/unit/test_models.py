"""The request models' contract: names, wallets, currencies, unknown fields and money amounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from cashback.models import (
    Chain,
    ConversionEvent,
    CryptoPreference,
    RegisterAgentRequest,
    SearchRequest,
    wallet_chain,
)

EVM_WALLET = "0x52908400098527886E0F7030069857D2E4169EE7"
SOLANA_WALLET = "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"  # a real mainnet address
CLICK_ID = "clk_" + "A" * 22


def refusal(model: type[BaseModel], data: dict[str, Any]) -> list[tuple[str, str]]:
    """(error type, field) for each problem pydantic reports; fails the test if `data` is accepted."""
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data)
    return [(e["type"], ".".join(str(p) for p in e["loc"])) for e in raised.value.errors()]


# ---------------------------------------------------------------- agent_name


@pytest.mark.parametrize("name", ["a", "n" * 64, "deal-finder 2.0", "Crème Café", "购物助手", "cart 🛒"])
def test_agent_name_accepts_1_to_64_printable_characters(name: str) -> None:
    assert RegisterAgentRequest(agent_name=name).agent_name == name


def test_agent_name_counts_characters_not_bytes() -> None:
    name = "é" * 64  # 128 bytes in UTF-8
    assert RegisterAgentRequest(agent_name=name).agent_name == name


@pytest.mark.parametrize(
    ("name", "error"),
    [("", "string_too_short"), ("n" * 65, "string_too_long")],
    ids=["empty", "65 characters"],
)
def test_agent_name_outside_1_to_64_characters_is_refused(name: str, error: str) -> None:
    assert refusal(RegisterAgentRequest, {"agent_name": name}) == [(error, "agent_name")]


@pytest.mark.parametrize(
    "name",
    ["tab\there", "new\nline", "bell\u0007", "nul\x00", "zero\u200bwidth", "del\x7f"],
    ids=["tab", "newline", "bell", "nul", "zero-width space", "delete"],
)
def test_agent_name_with_a_control_or_invisible_character_is_refused(name: str) -> None:
    assert refusal(RegisterAgentRequest, {"agent_name": name}) == [("value_error", "agent_name")]


@pytest.mark.parametrize("name", [" padded", "padded ", "\u00a0nbsp"])
def test_agent_name_with_leading_or_trailing_whitespace_is_refused(name: str) -> None:
    assert refusal(RegisterAgentRequest, {"agent_name": name}) == [("value_error", "agent_name")]


def test_agent_name_must_be_a_string() -> None:
    assert refusal(RegisterAgentRequest, {"agent_name": 42}) == [("string_type", "agent_name")]


def test_agent_name_is_required() -> None:
    assert refusal(RegisterAgentRequest, {}) == [("missing", "agent_name")]


# ---------------------------------------------------------------- wallet_address


@pytest.mark.parametrize(
    "wallet",
    [EVM_WALLET, EVM_WALLET.lower(), "0x" + "0" * 40, "0x" + "F" * 40],
    ids=["checksummed", "lower case", "zero address", "upper case"],
)
def test_evm_wallets_are_0x_and_40_hex_digits(wallet: str) -> None:
    assert wallet_chain(wallet) is Chain.EVM
    assert RegisterAgentRequest(agent_name="a", wallet_address=wallet).wallet_address == wallet


@pytest.mark.parametrize(
    "wallet",
    [SOLANA_WALLET, "So11111111111111111111111111111111111111112", "1" * 32],
    ids=["address", "wrapped SOL mint", "system program (32 zero bytes)"],
)
def test_solana_wallets_are_base58_of_32_bytes(wallet: str) -> None:
    assert wallet_chain(wallet) is Chain.SOLANA
    assert RegisterAgentRequest(agent_name="a", wallet_address=wallet).wallet_address == wallet


@pytest.mark.parametrize(
    "wallet",
    [
        EVM_WALLET[:-1],  # 39 hex digits
        EVM_WALLET + "0",  # 41 hex digits
        EVM_WALLET[2:] + "00",  # no 0x
        "0X" + EVM_WALLET[2:],  # upper-case prefix
        "0x" + "g" * 40,  # not hex
        SOLANA_WALLET[:-1] + "0",  # '0' is not base58
        SOLANA_WALLET[:-1] + "l",  # nor is 'l'
        SOLANA_WALLET[:-1] + "O",  # nor 'O'
        "1" * 31,  # 31 bytes
        "z" * 44,  # 33 bytes
        "",
    ],
    ids=[
        "39 hex",
        "41 hex",
        "no 0x",
        "0X",
        "not hex",
        "base58 with 0",
        "base58 with l",
        "base58 with O",
        "31 bytes",
        "33 bytes",
        "empty",
    ],
)
def test_other_wallets_are_refused(wallet: str) -> None:
    with pytest.raises(ValueError, match="EVM address"):
        wallet_chain(wallet)
    assert refusal(RegisterAgentRequest, {"agent_name": "a", "wallet_address": wallet}) == [
        ("value_error", "wallet_address")
    ]


def test_wallet_address_is_optional() -> None:
    assert RegisterAgentRequest(agent_name="a").wallet_address is None


# ---------------------------------------------------------------- crypto_preference


def test_crypto_preference_is_one_of_usdc_usdt_eth_sol_mon() -> None:
    assert {c.value for c in CryptoPreference} == {"USDC", "USDT", "ETH", "SOL", "MON"}
    for currency in CryptoPreference:
        assert RegisterAgentRequest(agent_name="a", crypto_preference=currency.value).crypto_preference is currency


@pytest.mark.parametrize("currency", ["BTC", "DOGE", "usdc", "", "USD"])
def test_any_other_crypto_preference_is_refused(currency: str) -> None:
    assert refusal(RegisterAgentRequest, {"agent_name": "a", "crypto_preference": currency}) == [
        ("enum", "crypto_preference")
    ]


@pytest.mark.parametrize(
    ("currency", "wallet"),
    [
        ("ETH", EVM_WALLET),
        ("SOL", SOLANA_WALLET),
        ("USDC", EVM_WALLET),
        ("USDC", SOLANA_WALLET),
        ("USDT", EVM_WALLET),
        ("MON", EVM_WALLET),
    ],
)
def test_a_currency_is_accepted_with_a_wallet_of_its_chain(currency: str, wallet: str) -> None:
    RegisterAgentRequest(agent_name="a", wallet_address=wallet, crypto_preference=currency)


@pytest.mark.parametrize(("currency", "wallet"), [("ETH", SOLANA_WALLET), ("MON", SOLANA_WALLET), ("SOL", EVM_WALLET)])
def test_eth_and_mon_need_an_evm_wallet_and_sol_a_solana_wallet(currency: str, wallet: str) -> None:
    errors = refusal(RegisterAgentRequest, {"agent_name": "a", "wallet_address": wallet, "crypto_preference": currency})
    assert errors == [("value_error", "")]


# ---------------------------------------------------------------- unknown fields


@pytest.mark.parametrize("field", ["plan", "agent_id", "is_admin", "token"])
def test_registration_refuses_unknown_fields_so_no_one_picks_their_own_plan_or_id(field: str) -> None:
    assert refusal(RegisterAgentRequest, {"agent_name": "a", field: "premium"}) == [("extra_forbidden", field)]


def test_unknown_fields_are_refused_in_nested_models_too() -> None:
    errors = refusal(SearchRequest, {"keywords": "shoes", "filters": {"colour": "red"}})
    assert errors == [("extra_forbidden", "filters.colour")]


# ---------------------------------------------------------------- money


def conversion(**overrides: Any) -> dict[str, Any]:
    return {
        "conversion_id": "net-1",
        "click_id": CLICK_ID,
        "status": "pending",
        "order_amount": "139.99",
        "currency": "USD",
        "commission_amount": "4.55",
        "occurred_at": "2026-11-25T09:42:00Z",
        **overrides,
    }


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("139.99", "139.99"), ("139.9", "139.90"), ("140", "140.00"), ("139.990", "139.99"), ("0", "0.00")],
)
def test_money_amounts_are_decimal_strings_kept_to_the_cent(sent: str, kept: str) -> None:
    event = ConversionEvent.model_validate(conversion(order_amount=sent, commission_amount="0"))
    assert event.order_amount == Decimal(kept)
    assert event.model_dump(mode="json")["order_amount"] == kept


def test_money_amounts_are_exact_decimals_not_floats() -> None:
    event = ConversionEvent.model_validate(conversion(order_amount="0.30", commission_amount="0.10"))
    assert isinstance(event.commission_amount, Decimal)
    assert event.order_amount - event.commission_amount * 3 == 0


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("4.555", "decimal_max_places"),
        (0.1 + 0.2, "decimal_max_places"),  # a binary float's noise is not silently rounded away
        ("-0.01", "greater_than_equal"),
        ("10000000.01", "less_than_equal"),
        ("4,55", "decimal_parsing"),
        ("NaN", "finite_number"),
        (True, "decimal_type"),
    ],
    ids=["three places", "float noise", "negative", "over 10M", "comma", "NaN", "boolean"],
)
def test_money_amounts_that_are_not_cents_are_refused(amount: object, error: str) -> None:
    assert refusal(ConversionEvent, conversion(commission_amount=amount)) == [(error, "commission_amount")]


def test_commission_may_not_exceed_the_order() -> None:
    assert refusal(ConversionEvent, conversion(order_amount="10.00", commission_amount="10.01")) == [
        ("value_error", "")
    ]


def test_conversion_time_must_carry_a_timezone() -> None:
    assert refusal(ConversionEvent, conversion(occurred_at="2026-11-25T09:42:00")) == [
        ("timezone_aware", "occurred_at")
    ]
