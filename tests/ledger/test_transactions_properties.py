"""Property tests of the raw-transaction decoder: any input is decoded or refused with
InvalidTransaction (never another exception), and any transaction eth-account signs decodes
to the fields it was signed with, its sender and its hash."""

from __future__ import annotations

import contextlib
from typing import Any

from eth_account import Account
from eth_hash.auto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3

from governance.errors import InvalidTransaction
from governance.ledger.transactions import decode_raw_transaction
from tests.conftest import KEYS

FAST = settings(max_examples=150, deadline=None)
uint256 = st.integers(min_value=0, max_value=2**256 - 1)
addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_are_refused(raw: bytes) -> None:
    with contextlib.suppress(InvalidTransaction):
        decode_raw_transaction("0x" + raw.hex())


@FAST
@given(st.text(max_size=80))
def test_any_text_decodes_or_is_refused(raw: str) -> None:
    with contextlib.suppress(InvalidTransaction):
        decode_raw_transaction(raw)


@FAST
@given(
    key=st.sampled_from(KEYS),
    kind=st.sampled_from([0, 1, 2]),
    nonce=st.integers(min_value=0, max_value=2**64 - 2),
    to=st.one_of(st.none(), addresses),
    value=uint256,
    data=st.binary(max_size=64),
    gas=st.integers(min_value=21_000, max_value=30_000_000),
    chain_id=st.integers(min_value=1, max_value=2**32),
)
def test_signed_transactions_decode_to_what_was_signed(
    key: str,
    kind: int,
    nonce: int,
    to: str | None,
    value: int,
    data: bytes,
    gas: int,
    chain_id: int,
) -> None:
    tx: dict[str, Any] = {
        "nonce": nonce,
        "value": value,
        "data": data,
        "gas": gas,
        "chainId": chain_id,
    }
    if to is not None:
        tx["to"] = Web3.to_checksum_address(to)
    if kind == 2:
        tx |= {"type": 2, "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**9}
    else:
        tx |= {"gasPrice": 10**9}
        if kind == 1:
            tx |= {"type": 1, "accessList": []}
    signed = Account.from_key(key).sign_transaction(tx)
    raw = bytes(signed.raw_transaction)
    decoded = decode_raw_transaction("0x" + raw.hex())
    assert decoded.tx_type == kind
    assert decoded.sender == Account.from_key(key).address.lower()
    assert decoded.to == (None if to is None else to.lower())
    assert (decoded.nonce, decoded.value, decoded.data, decoded.gas) == (nonce, value, data, gas)
    assert decoded.chain_id == chain_id
    assert decoded.hash == "0x" + keccak(raw).hex()
