"""Wallet addresses: which chain an address belongs to (EVM hex or Solana base58), and the
currencies an agent may be paid in."""

from __future__ import annotations

import re
from enum import StrEnum

_EVM_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class CryptoPreference(StrEnum):
    """Currencies an agent may be paid in. ETH and MON (Monad's coin, the seed API's default: see the
    README's compatibility API) need an EVM wallet, SOL a Solana one."""

    USDC = "USDC"
    USDT = "USDT"
    ETH = "ETH"
    SOL = "SOL"
    MON = "MON"


class Chain(StrEnum):
    EVM = "evm"
    SOLANA = "solana"


def base58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _BASE58_ALPHABET.find(char)
        if index < 0:
            raise ValueError("not base58")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    leading_zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * leading_zeros + body


def wallet_chain(address: str) -> Chain:
    """The chain an address belongs to: EVM (`0x` + 40 hex) or Solana (base58 of 32 bytes)."""
    if _EVM_ADDRESS.match(address):
        return Chain.EVM
    if 32 <= len(address) <= 44:
        try:
            if len(base58_decode(address)) == 32:
                return Chain.SOLANA
        except ValueError:
            pass
    raise ValueError("wallet_address must be an EVM address (0x + 40 hex digits) or a Solana address (base58)")


def check_currency_fits(wallet_address: str | None, preference: CryptoPreference | None) -> None:
    """ETH and MON need an EVM wallet and SOL a Solana one (stablecoins go to either); ValueError otherwise."""
    if wallet_address and preference in (CryptoPreference.ETH, CryptoPreference.MON, CryptoPreference.SOL):
        needed = Chain.SOLANA if preference is CryptoPreference.SOL else Chain.EVM
        if wallet_chain(wallet_address) is not needed:
            raise ValueError(f"crypto_preference {preference.value} needs a {needed.value} wallet")


def _wallet(value: str) -> str:
    wallet_chain(value)
    return value
