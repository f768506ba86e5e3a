"""The compatibility API's shaping rules: money as JSON numbers, the envelope, the seed's registration body."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from cashback.api import compat
from cashback.models import CompareSummary, CompatRegisterRequest, CryptoPreference, PriceRange

EVM_WALLET = "0x790b405d466f7fddcee4be90d504eb56e3fedcae"


@pytest.mark.parametrize(
    ("amount", "printed"), [("0.94", "0.94"), ("145.00", "145.0"), ("299", "299.0"), ("999999.99", "999999.99")]
)
def test_money_becomes_a_json_number_that_prints_its_decimal(amount: str, printed: str) -> None:
    assert json.dumps(compat.numbers(Decimal(amount))) == printed


def test_every_decimal_of_a_model_becomes_a_number_and_the_rest_stays() -> None:
    summary = CompareSummary(
        best_merchant="Alpha",
        best_cashback_rate="4.50%",
        best_effective_price=Decimal("266.44"),
        price_range=PriceRange(min=Decimal("279.00"), max=Decimal("299.00")),
        merchant_count=2,
    )

    assert compat.envelope(summary) == {
        "success": True,
        "best_merchant": "Alpha",
        "best_cashback_rate": "4.50%",
        "best_effective_price": 266.44,
        "price_range": {"min": 279.0, "max": 299.0},
        "merchant_count": 2,
    }


def test_the_seeds_agent_id_is_only_a_name_never_the_agents_id() -> None:
    named = CompatRegisterRequest(agent_id="my-agent-001", agent_name="My Shopping Bot").registration()
    unnamed = CompatRegisterRequest(agent_id="my-agent-001").registration()

    assert named.agent_name == "My Shopping Bot"
    assert unnamed.agent_name == "my-agent-001"
    assert "agent_id" not in named.model_dump()


def test_a_registration_needs_a_name_or_the_seeds_agent_id() -> None:
    with pytest.raises(ValidationError) as refused:
        CompatRegisterRequest(wallet_address=EVM_WALLET)

    assert [error["type"] for error in refused.value.errors()] == ["missing"]


def test_the_seeds_mon_preference_is_accepted_with_an_evm_wallet() -> None:
    request = CompatRegisterRequest(agent_name="a", wallet_address=EVM_WALLET, crypto_preference="MON")

    assert request.registration().crypto_preference is CryptoPreference.MON
