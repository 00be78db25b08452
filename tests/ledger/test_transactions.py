"""Raw transaction, ERC-20 calldata and eth_sendTransaction decoding.

Expected values come from the encoders (eth_account, eth_keys + rlp, eth_abi), never from the
decoder under test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import rlp
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_hash.auto import keccak
from eth_keys.constants import SECPK1_N
from eth_keys.datatypes import PrivateKey
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address

from governance.errors import InvalidTransaction
from governance.ledger.transactions import (
    SignedTx,
    TokenCall,
    decode_balance_of,
    decode_erc20_call,
    decode_raw_transaction,
    params_transaction,
    selector,
)

KEY = PrivateKey(keccak(b"governance ledger test key"))
SENDER = KEY.public_key.to_checksum_address()
OTHER = "0x" + "ab" * 20
TOKEN = to_checksum_address("0x" + "c0" * 20)

TRANSFER_SIG = function_signature_to_4byte_selector("transfer(address,uint256)")
TRANSFER_FROM_SIG = function_signature_to_4byte_selector("transferFrom(address,address,uint256)")
APPROVE_SIG = function_signature_to_4byte_selector("approve(address,uint256)")
BALANCE_OF_SIG = function_signature_to_4byte_selector("balanceOf(address)")

BASE: dict[str, Any] = {
    "nonce": 7,
    "gas": 90_000,
    "to": to_checksum_address(OTHER),
    "value": 12_345 * 10**15,
    "data": b"\x01\x02\x03\x04payload",
}
ACCESS_LIST = [{"address": TOKEN, "storageKeys": ["0x" + "0" * 63 + "1"]}]
TX_SPECS: dict[str, dict[str, Any]] = {
    "legacy-155": {**BASE, "gasPrice": 10**9, "chainId": 1},
    "type-1": {**BASE, "type": 1, "gasPrice": 10**9, "chainId": 5, "accessList": ACCESS_LIST},
    "type-2": {
        **BASE,
        "type": 2,
        "maxFeePerGas": 3 * 10**10,
        "maxPriorityFeePerGas": 10**9,
        "chainId": 31337,
        "accessList": ACCESS_LIST,
    },
}


def sign(spec: dict[str, Any]) -> tuple[str, Any]:
    signed = Account.sign_transaction(spec, KEY.to_bytes())
    return "0x" + bytes(signed.raw_transaction).hex(), signed


def raw_of(spec_name: str) -> bytes:
    raw, _ = sign(TX_SPECS[spec_name])
    return bytes.fromhex(raw[2:])


def legacy_pre155(nonce: int, to: bytes, value: int, data: bytes) -> str:
    """A pre-EIP-155 legacy transaction signed by hand (eth_account only signs EIP-155)."""
    unsigned = [nonce, 2 * 10**9, 50_000, to, value, data]
    sig = KEY.sign_msg_hash(keccak(rlp.encode(unsigned)))
    return "0x" + bytes(rlp.encode([*unsigned, sig.v + 27, sig.r, sig.s])).hex()


def mutate(raw: bytes, change: Callable[[list[Any]], list[Any]]) -> str:
    """Decodes the envelope with pyrlp, applies `change` to its field list, re-encodes."""
    typed = raw[0] < 0xC0
    fields = rlp.decode(raw[1:] if typed else raw)
    body = bytes(rlp.encode(change(list(fields))))
    return "0x" + (raw[:1] + body if typed else body).hex()


def set_field(index: int, value: Any) -> Callable[[list[Any]], list[Any]]:
    def change(fields: list[Any]) -> list[Any]:
        fields[index] = value
        return fields

    return change


# --- valid transactions -----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TX_SPECS))
def test_decodes_every_field(name: str) -> None:
    spec = TX_SPECS[name]
    raw, signed = sign(spec)
    tx = decode_raw_transaction(raw)
    assert tx == SignedTx(
        tx_type=spec.get("type", 0),
        chain_id=spec["chainId"],
        nonce=spec["nonce"],
        sender=SENDER.lower(),
        to=spec["to"].lower(),
        value=spec["value"],
        data=spec["data"],
        gas=spec["gas"],
        hash="0x" + bytes(signed.hash).hex(),
    )


def test_recovered_sender_matches_eth_account() -> None:
    raw, _ = sign(TX_SPECS["type-2"])
    assert decode_raw_transaction(raw).sender == Account.recover_transaction(raw).lower()


def test_accepts_upper_case_hex() -> None:
    raw, _ = sign(TX_SPECS["type-1"])
    assert decode_raw_transaction("0x" + raw[2:].upper()).sender == SENDER.lower()


@pytest.mark.parametrize("tx_type", [1, 2])
def test_contract_creation_has_no_recipient(tx_type: int) -> None:
    spec = {k: v for k, v in TX_SPECS[f"type-{tx_type}"].items() if k != "to"}
    spec["data"] = b"\x60\x80\x60\x40" * 30  # long init code: forces long-form RLP lengths
    raw, signed = sign(spec)
    tx = decode_raw_transaction(raw)
    assert (tx.to, tx.data, tx.sender) == (None, spec["data"], SENDER.lower())
    assert tx.hash == "0x" + bytes(signed.hash).hex()


def test_zero_and_maximum_values() -> None:
    spec = {**TX_SPECS["type-2"], "nonce": 0, "value": 0, "data": b""}
    tx = decode_raw_transaction(sign(spec)[0])
    assert (tx.nonce, tx.value, tx.data) == (0, 0, b"")
    spec = {**TX_SPECS["type-2"], "nonce": 2**64 - 2, "value": 2**256 - 1}
    tx = decode_raw_transaction(sign(spec)[0])
    assert (tx.nonce, tx.value) == (2**64 - 2, 2**256 - 1)


def test_legacy_without_eip155() -> None:
    raw = legacy_pre155(3, bytes.fromhex(OTHER[2:]), 10**18, b"\xaa\xbb")
    tx = decode_raw_transaction(raw)
    assert tx.tx_type == 0
    assert tx.chain_id is None
    assert (tx.nonce, tx.to, tx.value, tx.data, tx.gas) == (3, OTHER, 10**18, b"\xaa\xbb", 50_000)
    assert tx.sender == SENDER.lower()
    assert tx.hash == "0x" + keccak(bytes.fromhex(raw[2:])).hex()


def test_legacy_contract_creation_without_eip155() -> None:
    tx = decode_raw_transaction(legacy_pre155(0, b"", 0, b"\x60\x00"))
    assert (tx.to, tx.sender, tx.chain_id) == (None, SENDER.lower(), None)


# --- malformed input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0x",
        "02f8",  # no 0x prefix
        "0xzz",
        "0x0",  # odd length
        "0x02 f8",  # whitespace that bytes.fromhex would accept
        None,
        b"\x02",
        123,
    ],
)
def test_bad_hex_or_type(raw: Any) -> None:
    with pytest.raises(InvalidTransaction):
        decode_raw_transaction(raw)


@pytest.mark.parametrize("name", list(TX_SPECS))
@pytest.mark.parametrize("cut", [1, 2, 40, "half", "all-but-type"])
def test_truncated(name: str, cut: int | str) -> None:
    raw = raw_of(name)
    if cut == "half":
        short = raw[: len(raw) // 2]
    elif cut == "all-but-type":
        short = raw[:1]
    else:
        assert isinstance(cut, int)
        short = raw[:-cut]
    with pytest.raises(InvalidTransaction):
        decode_raw_transaction("0x" + short.hex())


@pytest.mark.parametrize("name", list(TX_SPECS))
@pytest.mark.parametrize("garbage", [b"\x00", b"\x80", b"\xc0", b"junk"])
def test_trailing_garbage(name: str, garbage: bytes) -> None:
    with pytest.raises(InvalidTransaction, match="trailing bytes"):
        decode_raw_transaction("0x" + (raw_of(name) + garbage).hex())


@pytest.mark.parametrize("type_byte", [3, 4])
def test_blob_and_set_code_types_are_unsupported(type_byte: int) -> None:
    raw = bytes([type_byte]) + raw_of("type-2")[1:]
    with pytest.raises(InvalidTransaction, match=f"unsupported transaction type 0x0{type_byte}"):
        decode_raw_transaction("0x" + raw.hex())


@pytest.mark.parametrize("type_byte", [0x00, 0x05, 0x7F])
def test_unknown_type_byte(type_byte: int) -> None:
    raw = bytes([type_byte]) + raw_of("type-2")[1:]
    with pytest.raises(InvalidTransaction, match=f"unknown transaction type 0x{type_byte:02x}"):
        decode_raw_transaction("0x" + raw.hex())


def test_rlp_string_at_top_level() -> None:
    with pytest.raises(InvalidTransaction, match="expected an RLP list"):
        decode_raw_transaction("0x" + rlp.encode(b"not a list").hex())


@pytest.mark.parametrize(("name", "wrong"), [("type-2", 1), ("type-1", 2)])
def test_swapped_type_byte_has_wrong_field_count(name: str, wrong: int) -> None:
    raw = bytes([wrong]) + raw_of(name)[1:]
    with pytest.raises(InvalidTransaction, match="fields"):
        decode_raw_transaction("0x" + raw.hex())


@pytest.mark.parametrize("name", list(TX_SPECS))
@pytest.mark.parametrize(
    "change",
    [lambda f: [*f, b""], lambda f: f[:-1], lambda f: []],
    ids=["extra", "missing", "empty"],
)
def test_wrong_field_count(name: str, change: Callable[[list[Any]], list[Any]]) -> None:
    with pytest.raises(InvalidTransaction, match="fields"):
        decode_raw_transaction(mutate(raw_of(name), change))


def _flip_last_byte(value: bytes) -> bytes:
    return value[:-1] + bytes([value[-1] ^ 0x01])


@pytest.mark.parametrize("name", list(TX_SPECS))
@pytest.mark.parametrize("position", [-2, -1], ids=["r", "s"])
def test_flipped_signature_byte_changes_or_fails(name: str, position: int) -> None:
    raw = raw_of(name)
    fields = rlp.decode(raw[1:] if raw[0] < 0xC0 else raw)
    flipped = mutate(raw, set_field(len(fields) + position, _flip_last_byte(fields[position])))
    try:
        tx = decode_raw_transaction(flipped)
    except InvalidTransaction:
        return
    assert tx.sender != SENDER.lower()


@pytest.mark.parametrize("name", ["type-1", "type-2"])
def test_flipped_y_parity_changes_or_fails(name: str) -> None:
    raw = raw_of(name)
    parity = rlp.decode(raw[1:])[-3]
    flipped = b"" if parity == b"\x01" else b"\x01"
    try:
        tx = decode_raw_transaction(mutate(raw, set_field(-3, flipped)))
    except InvalidTransaction:
        return
    assert tx.sender != SENDER.lower()


def test_high_s_is_rejected_even_though_it_recovers() -> None:
    # (r, n - s) with the other parity is an equally valid ECDSA signature of the same key:
    # the malleable twin that EIP-2 forbids.
    raw = raw_of("type-2")
    fields = rlp.decode(raw[1:])
    s = int.from_bytes(fields[-1], "big")
    parity = int.from_bytes(fields[-3], "big")
    twin = mutate(
        raw,
        lambda f: [*f[:-3], 1 - parity, f[-2], SECPK1_N - s],
    )
    with pytest.raises(InvalidTransaction, match="upper half"):
        decode_raw_transaction(twin)


@pytest.mark.parametrize(
    ("index", "value", "message"),
    [
        (-2, 0, "r out of range"),
        (-2, SECPK1_N, "r out of range"),
        (-1, 0, "upper half"),
        (-3, 2, "yParity"),
        (-3, b"\x00\x01", "leading zero"),
        (1, b"\x00\x07", "leading zero"),  # nonce with a leading zero byte
        (1, 2**64, "exceeds 64 bits"),
        (4, 2**64, "exceeds 64 bits"),  # gas
        (5, b"\x11" * 19, "20 bytes"),  # to
        (6, [b"\x01"], "byte string"),  # value as a list
        (7, [], "byte string"),  # data as a list
        (8, [[b"\x11" * 20]], "accessList entry"),
        (8, [[b"\x11" * 19, []]], "accessList entry"),
        (8, [[b"\x11" * 20, [b"\x01"]]], "storage key"),
        (8, b"\x01", "not a list"),
        (0, [], "byte string"),  # chainId as a list
    ],
)
def test_bad_type2_fields(index: int, value: Any, message: str) -> None:
    with pytest.raises(InvalidTransaction, match=message):
        decode_raw_transaction(mutate(raw_of("type-2"), set_field(index, value)))


@pytest.mark.parametrize("v", [0, 26, 29, 34])
def test_bad_legacy_v(v: int) -> None:
    with pytest.raises(InvalidTransaction, match="invalid legacy signature"):
        decode_raw_transaction(mutate(raw_of("legacy-155"), set_field(6, v)))


def test_wrong_chain_id_in_v_recovers_a_different_sender() -> None:
    # EIP-155 binds the chain id into the signed payload, so relabelling breaks recovery.
    raw = raw_of("legacy-155")
    v = rlp.decode(raw)[6]
    try:
        tx = decode_raw_transaction(mutate(raw, set_field(6, int.from_bytes(v, "big") + 2)))
    except InvalidTransaction:
        return
    assert (tx.chain_id, tx.sender != SENDER.lower()) == (2, True)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xf8\x03\x01\x02\x03", "long form used for a short item"),
        (b"\xf9\x00\x38" + b"\x01" * 56, "leading zero"),
        (b"\xc2\x81\x05", "single byte not encoded as itself"),
        (b"\xc2\x82\x05", "truncated"),
        (b"\xc2\xb9\x01", "truncated length"),
    ],
)
def test_non_canonical_rlp(body: bytes, message: str) -> None:
    with pytest.raises(InvalidTransaction, match=message):
        decode_raw_transaction("0x" + body.hex())


# --- ERC-20 calldata --------------------------------------------------------------------------

HOLDER = "0x" + "1f" * 20
RECIPIENT = "0x" + "2e" * 20


def test_selector() -> None:
    assert selector(b"") is None
    assert selector(b"\xa9\x05\x9c") is None
    assert selector(TRANSFER_SIG + b"\x00" * 64) == "0x" + TRANSFER_SIG.hex()
    assert selector(b"\x01\x02\x03\x04") == "0x01020304"


def test_transfer() -> None:
    data = TRANSFER_SIG + abi_encode(["address", "uint256"], [RECIPIENT, 10**21])
    call = decode_erc20_call(TOKEN, to_checksum_address(HOLDER), data)
    assert call == TokenCall("transfer", TOKEN.lower(), HOLDER, RECIPIENT, 10**21)


def test_transfer_from_moves_the_from_arguments_tokens() -> None:
    data = TRANSFER_FROM_SIG + abi_encode(
        ["address", "address", "uint256"], [HOLDER, RECIPIENT, 2**256 - 1]
    )
    call = decode_erc20_call(TOKEN, OTHER, data)
    assert call == TokenCall("transferFrom", TOKEN.lower(), HOLDER, RECIPIENT, 2**256 - 1)


def test_approve_names_the_spender() -> None:
    data = APPROVE_SIG + abi_encode(["address", "uint256"], [RECIPIENT, 0])
    call = decode_erc20_call(TOKEN, HOLDER, data)
    assert call == TokenCall("approve", TOKEN.lower(), HOLDER, RECIPIENT, 0)


def test_token_transfer_inside_a_signed_transaction() -> None:
    data = TRANSFER_SIG + abi_encode(["address", "uint256"], [RECIPIENT, 5 * 10**6])
    tx = decode_raw_transaction(sign({**TX_SPECS["type-2"], "to": TOKEN, "data": data})[0])
    call = decode_erc20_call(tx.to, tx.sender, tx.data)
    assert call == TokenCall("transfer", TOKEN.lower(), SENDER.lower(), RECIPIENT, 5 * 10**6)


@pytest.mark.parametrize(
    ("to", "data"),
    [
        (TOKEN, b""),
        (TOKEN, TRANSFER_SIG[:3]),
        (TOKEN, function_signature_to_4byte_selector("mint(address,uint256)") + bytes(64)),
        (TOKEN, BALANCE_OF_SIG + bytes(32)),
        (None, TRANSFER_SIG + bytes(64)),  # contract creation: the data is init code
    ],
)
def test_not_a_token_movement(to: str | None, data: bytes) -> None:
    assert decode_erc20_call(to, HOLDER, data) is None


def _dirty(address: str) -> bytes:
    return b"\x01" + bytes(11) + bytes.fromhex(address[2:])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (TRANSFER_SIG, "expected 64 bytes"),
        (TRANSFER_SIG + bytes(63), "expected 64 bytes"),
        (TRANSFER_SIG + bytes(65), "expected 64 bytes"),
        (TRANSFER_SIG + bytes(96), "expected 64 bytes"),
        (APPROVE_SIG + bytes(32), "expected 64 bytes"),
        (TRANSFER_FROM_SIG + bytes(64), "expected 96 bytes"),
        (TRANSFER_SIG + _dirty(RECIPIENT) + bytes(32), "'to'"),
        (APPROVE_SIG + _dirty(RECIPIENT) + bytes(32), "'spender'"),
        (TRANSFER_FROM_SIG + _dirty(HOLDER) + bytes(64), "'from'"),
        (TRANSFER_FROM_SIG + bytes(32) + _dirty(RECIPIENT) + bytes(32), "'to'"),
    ],
)
def test_malformed_erc20_arguments(data: bytes, message: str) -> None:
    with pytest.raises(InvalidTransaction, match=message):
        decode_erc20_call(TOKEN, HOLDER, data)


def test_balance_of() -> None:
    assert decode_balance_of(BALANCE_OF_SIG + abi_encode(["address"], [HOLDER])) == HOLDER
    assert decode_balance_of(BALANCE_OF_SIG + _dirty(HOLDER)) is None
    assert decode_balance_of(BALANCE_OF_SIG + bytes(31)) is None
    assert decode_balance_of(BALANCE_OF_SIG + bytes(33)) is None
    assert decode_balance_of(TRANSFER_SIG + abi_encode(["address"], [HOLDER])) is None
    assert decode_balance_of(b"") is None


# --- eth_sendTransaction parameters -----------------------------------------------------------


def test_params_transaction_full() -> None:
    tx = params_transaction(
        {
            "from": to_checksum_address(HOLDER),
            "to": to_checksum_address(RECIPIENT),
            "value": hex(10**18),
            "data": "0xdeadBEEF",
            "nonce": hex(9),
            "chainId": hex(31337),
            "gas": hex(21_000),
        }
    )
    assert (tx.from_, tx.to, tx.value, tx.data) == (HOLDER, RECIPIENT, 10**18, b"\xde\xad\xbe\xef")
    assert (tx.nonce, tx.chain_id, tx.gas) == (9, 31337, 21_000)


def test_params_transaction_defaults_and_input() -> None:
    tx = params_transaction({"from": HOLDER, "input": "0x0102"})
    assert (tx.to, tx.value, tx.data, tx.nonce, tx.chain_id, tx.gas) == (
        None,
        0,
        b"\x01\x02",
        None,
        None,
        None,
    )
    same = params_transaction({"from": HOLDER, "data": "0x0102", "input": "0x0102"})
    assert same.data == b"\x01\x02"


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {"to": RECIPIENT},
        {"from": None},
        {"from": HOLDER[:-2]},
        {"from": HOLDER[2:]},
        {"from": 5},
        {"from": HOLDER, "to": "0x1234"},
        {"from": HOLDER, "value": 10},
        {"from": HOLDER, "value": "10"},
        {"from": HOLDER, "value": "0x"},
        {"from": HOLDER, "value": "0xfg"},
        {"from": HOLDER, "value": "0x" + "f" * 65},
        {"from": HOLDER, "nonce": "-0x1"},
        {"from": HOLDER, "gas": "0x 10"},
        {"from": HOLDER, "chainId": 1.5},
        {"from": HOLDER, "data": "0x123"},
        {"from": HOLDER, "data": "1234"},
        {"from": HOLDER, "input": 12},
        {"from": HOLDER, "data": "0x01", "input": "0x02"},
        [HOLDER],
        None,
    ],
)
def test_params_transaction_rejects(obj: Any) -> None:
    with pytest.raises(InvalidTransaction):
        params_transaction(obj)
