"""Decoding of what a write asks the ledger to do: signed raw transactions (legacy, EIP-2930,
EIP-1559) with sender recovery, and eth_sendTransaction parameters.

Everything is strict and fails closed: input a node might interpret differently from us
(non-canonical RLP, trailing bytes, high-s signatures) raises InvalidTransaction instead of
being guessed at. RLP is decoded here rather than with pyrlp because the signing payload is
rebuilt from the raw byte spans of the fields, which avoids a decode/re-encode round trip.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import coincurve
from eth_hash.auto import keccak

from governance.errors import InvalidTransaction
from governance.ledger.abi import TokenCall, decode_balance_of, decode_erc20_call, selector

__all__ = [
    "SignedTx",
    "TokenCall",
    "UnsignedTx",
    "decode_balance_of",
    "decode_erc20_call",
    "decode_raw_transaction",
    "params_transaction",
    "selector",
]

# secp256k1 group order; s above half of it is malleable and rejected since EIP-2.
_SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_N: Final = _SECP256K1_N // 2
_UINT64_BITS: Final = 64
_UINT256_BITS: Final = 256
_HEX: Final = re.compile(r"[0-9a-fA-F]*")
_ADDRESS_HEX: Final = re.compile(r"0[xX][0-9a-fA-F]{40}")

# Field count of each supported envelope (signature included).
_FIELD_COUNT: Final = {0: 9, 1: 11, 2: 12}

Span = tuple[int, int]


@dataclass(frozen=True)
class SignedTx:
    tx_type: int
    chain_id: int | None
    nonce: int
    sender: str
    to: str | None
    value: int
    data: bytes
    gas: int
    hash: str


@dataclass(frozen=True)
class UnsignedTx:
    """eth_sendTransaction parameters, for a node that holds the key."""

    from_: str
    to: str | None
    value: int
    data: bytes
    nonce: int | None
    chain_id: int | None
    gas: int | None


# --- raw transactions -------------------------------------------------------------------------


def decode_raw_transaction(raw: str) -> SignedTx:
    """Decodes the 0x hex argument of eth_sendRawTransaction and recovers its sender."""
    buf = _hex_bytes(raw, "raw transaction")
    if not buf:
        raise InvalidTransaction("empty raw transaction")
    first = buf[0]
    if first >= 0xC0:
        return _decode_legacy(buf)
    if first in (1, 2):
        return _decode_typed(buf, first)
    if first in (3, 4):
        raise InvalidTransaction(f"unsupported transaction type 0x{first:02x}")
    if first < 0x80:
        raise InvalidTransaction(f"unknown transaction type 0x{first:02x}")
    raise InvalidTransaction("malformed transaction: expected an RLP list or a type byte")


def _decode_legacy(buf: bytes) -> SignedTx:
    # [nonce, gasPrice, gas, to, value, data, v, r, s]
    spans = _fields(buf, 0, 0)
    v = _uint(buf, spans[6], "v", _UINT256_BITS)
    unsigned = buf[spans[0][0] : spans[5][1]]
    if v in (27, 28):
        chain_id, parity, payload = None, v - 27, _rlp_list(unsigned)
    elif v >= 35:
        # EIP-155: the chain id is signed as if it were fields 6..8 = [chainId, 0, 0].
        chain_id, parity = (v - 35) // 2, (v - 35) % 2
        payload = _rlp_list(unsigned + _rlp_uint(chain_id) + b"\x80\x80")
    else:
        raise InvalidTransaction(f"invalid legacy signature v={v}")
    _uint(buf, spans[1], "gasPrice", _UINT256_BITS)
    return _signed(buf, 0, chain_id, spans, (0, 2, 3, 4, 5), parity, spans[7:9], payload)


def _decode_typed(buf: bytes, tx_type: int) -> SignedTx:
    # 1: [chainId, nonce, gasPrice, gas, to, value, data, accessList, yParity, r, s]
    # 2: [chainId, nonce, maxPriorityFee, maxFee, gas, to, value, data, accessList, yParity, r, s]
    spans = _fields(buf, 1, tx_type)
    chain_id = _uint(buf, spans[0], "chainId", _UINT256_BITS)
    fee_count = 1 if tx_type == 1 else 2
    for i in range(2, 2 + fee_count):
        _uint(buf, spans[i], "fee", _UINT256_BITS)
    gas_at = 2 + fee_count
    _check_access_list(buf, spans[gas_at + 4])
    parity = _uint(buf, spans[gas_at + 5], "yParity", _UINT256_BITS)
    if parity > 1:
        raise InvalidTransaction(f"invalid yParity {parity}")
    payload = bytes([tx_type]) + _rlp_list(buf[spans[0][0] : spans[gas_at + 4][1]])
    basics = (1, gas_at, gas_at + 1, gas_at + 2, gas_at + 3)
    return _signed(buf, tx_type, chain_id, spans, basics, parity, spans[-2:], payload)


def _fields(buf: bytes, offset: int, tx_type: int) -> list[Span]:
    spans = _list_items(buf, offset, len(buf), top_level=True)
    expected = _FIELD_COUNT[tx_type]
    if len(spans) != expected:
        raise InvalidTransaction(
            f"type {tx_type} transaction must have {expected} fields, got {len(spans)}"
        )
    return spans


def _signed(
    buf: bytes,
    tx_type: int,
    chain_id: int | None,
    spans: list[Span],
    basics: tuple[int, int, int, int, int],
    parity: int,
    rs: list[Span],
    payload: bytes,
) -> SignedTx:
    """Builds the value from the field positions `basics` = (nonce, gas, to, value, data)."""
    nonce_at, gas_at, to_at, value_at, data_at = basics
    nonce = _uint(buf, spans[nonce_at], "nonce", _UINT64_BITS)
    gas = _uint(buf, spans[gas_at], "gas", _UINT64_BITS)
    to = _to(buf, spans[to_at])
    value = _uint(buf, spans[value_at], "value", _UINT256_BITS)
    data = _string(buf, spans[data_at], "data")
    r = _uint(buf, rs[0], "r", _UINT256_BITS)
    s = _uint(buf, rs[1], "s", _UINT256_BITS)
    # Recovery last: it is the expensive step, so cheap structural errors are found first.
    sender = _recover(keccak(payload), r, s, parity)
    return SignedTx(
        tx_type, chain_id, nonce, sender, to, value, data, gas, "0x" + keccak(buf).hex()
    )


def _recover(msg_hash: bytes, r: int, s: int, parity: int) -> str:
    if not 0 < r < _SECP256K1_N:
        raise InvalidTransaction("invalid signature: r out of range")
    if not 0 < s <= _HALF_N:
        raise InvalidTransaction("invalid signature: s is zero or in the upper half of the curve")
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([parity])
    try:
        public = coincurve.PublicKey.from_signature_and_message(signature, msg_hash, hasher=None)
    except (ValueError, TypeError) as exc:
        raise InvalidTransaction("invalid signature: public key cannot be recovered") from exc
    return "0x" + keccak(public.format(compressed=False)[1:])[-20:].hex()


def _to(buf: bytes, span: Span) -> str | None:
    to = _string(buf, span, "to")
    if not to:
        return None
    if len(to) != 20:
        raise InvalidTransaction(f"'to' must be 20 bytes or empty, got {len(to)}")
    return "0x" + to.hex()


def _check_access_list(buf: bytes, span: Span) -> None:
    """[[address, [storageKey, ...]], ...]; validated so a malformed one is not forwarded."""
    for entry in _list_items(buf, *span, name="accessList"):
        parts = _list_items(buf, *entry, name="accessList entry")
        if len(parts) != 2 or len(_string(buf, parts[0], "accessList address")) != 20:
            raise InvalidTransaction("malformed accessList entry")
        for key in _list_items(buf, *parts[1], name="storageKeys"):
            if len(_string(buf, key, "storage key")) != 32:
                raise InvalidTransaction("malformed accessList storage key")


# --- RLP --------------------------------------------------------------------------------------


def _item(buf: bytes, pos: int, end: int) -> tuple[bool, int, int]:
    """(is_list, payload_start, payload_end) of the item at `pos`, rejecting non-canonical
    encodings so that one transaction has exactly one byte representation."""
    if pos >= end:
        raise InvalidTransaction("malformed RLP: truncated")
    prefix = buf[pos]
    if prefix < 0x80:
        return False, pos, pos + 1
    is_list = prefix >= 0xC0
    short = prefix - (0xC0 if is_list else 0x80)
    if short <= 55:
        start, length = pos + 1, short
    else:
        size = short - 55
        start = pos + 1 + size
        length_bytes = buf[pos + 1 : start]
        if len(length_bytes) != size or start > end:
            raise InvalidTransaction("malformed RLP: truncated length")
        if length_bytes[0] == 0:
            raise InvalidTransaction("malformed RLP: length with leading zero")
        length = int.from_bytes(length_bytes, "big")
        if length <= 55:
            raise InvalidTransaction("malformed RLP: long form used for a short item")
    if start + length > end:
        raise InvalidTransaction("malformed RLP: truncated")
    if not is_list and length == 1 and buf[start] < 0x80:
        raise InvalidTransaction("malformed RLP: single byte not encoded as itself")
    return is_list, start, start + length


def _list_items(
    buf: bytes, pos: int, end: int, *, top_level: bool = False, name: str = "transaction"
) -> list[Span]:
    """Spans (including each element's own header) of the elements of the list at `pos`."""
    is_list, start, stop = _item(buf, pos, end)
    if not is_list:
        raise InvalidTransaction(f"malformed RLP: {name} is not a list")
    if top_level and stop != end:
        raise InvalidTransaction(f"malformed RLP: {end - stop} trailing bytes after transaction")
    spans: list[Span] = []
    while start < stop:
        _, _, item_end = _item(buf, start, stop)
        spans.append((start, item_end))
        start = item_end
    return spans


def _string(buf: bytes, span: Span, name: str) -> bytes:
    is_list, start, stop = _item(buf, *span)
    if is_list:
        raise InvalidTransaction(f"malformed transaction: '{name}' must be a byte string")
    return buf[start:stop]


def _uint(buf: bytes, span: Span, name: str, bits: int) -> int:
    raw = _string(buf, span, name)
    if raw[:1] == b"\x00":
        raise InvalidTransaction(f"malformed transaction: '{name}' has leading zero bytes")
    if len(raw) * 8 > bits:
        raise InvalidTransaction(f"malformed transaction: '{name}' exceeds {bits} bits")
    return int.from_bytes(raw, "big")


def _rlp_list(payload: bytes) -> bytes:
    return _rlp_length(len(payload), 0xC0) + payload


def _rlp_uint(value: int) -> bytes:
    if value == 0:
        return b"\x80"
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    if len(raw) == 1 and raw[0] < 0x80:
        return raw
    return _rlp_length(len(raw), 0x80) + raw


def _rlp_length(length: int, offset: int) -> bytes:
    if length <= 55:
        return bytes([offset + length])
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(size)]) + size


# --- eth_sendTransaction ----------------------------------------------------------------------


def params_transaction(obj: Mapping[str, Any]) -> UnsignedTx:
    """Reads the transaction object of eth_sendTransaction (hex quantities and data)."""
    if not isinstance(obj, Mapping):
        raise InvalidTransaction("transaction parameter must be an object")
    sender = _param_address(obj.get("from"), "from")
    if sender is None:
        raise InvalidTransaction("transaction parameter has no 'from'")
    return UnsignedTx(
        from_=sender,
        to=_param_address(obj.get("to"), "to"),
        value=_quantity(obj.get("value"), "value") or 0,
        data=_param_data(obj),
        nonce=_quantity(obj.get("nonce"), "nonce"),
        chain_id=_quantity(obj.get("chainId"), "chainId"),
        gas=_quantity(obj.get("gas"), "gas"),
    )


def _param_address(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _ADDRESS_HEX.fullmatch(value):
        raise InvalidTransaction(f"'{name}' is not a 20-byte hex address")
    return value.lower()


def _quantity(value: object, name: str) -> int | None:
    """A JSON-RPC hex QUANTITY; a JSON number is refused because nodes refuse it too."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidTransaction(f"'{name}' must be a hex quantity string")
    digits = _strip_0x(value, name)
    if not digits or not _HEX.fullmatch(digits):
        raise InvalidTransaction(f"'{name}' is not a hex quantity: {value[:80]!r}")
    number = int(digits, 16)
    if number.bit_length() > _UINT256_BITS:
        raise InvalidTransaction(f"'{name}' exceeds 256 bits")
    return number


def _param_data(obj: Mapping[str, Any]) -> bytes:
    data, input_ = obj.get("data"), obj.get("input")
    decoded = [_hex_bytes(v, n) for v, n in ((data, "data"), (input_, "input")) if v is not None]
    # Geth refuses both when they differ; we must not decide on one and forward the other.
    if len(decoded) == 2 and decoded[0] != decoded[1]:
        raise InvalidTransaction("both 'data' and 'input' are set and differ")
    return decoded[0] if decoded else b""


def _hex_bytes(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidTransaction(f"{name} must be a 0x hex string")
    digits = _strip_0x(value, name)
    # fullmatch first: bytes.fromhex would silently accept embedded whitespace.
    if len(digits) % 2 or not _HEX.fullmatch(digits):
        raise InvalidTransaction(f"{name} is not valid even-length hex")
    return bytes.fromhex(digits)


def _strip_0x(value: str, name: str) -> str:
    if value[:2] not in ("0x", "0X"):
        raise InvalidTransaction(f"{name} must start with 0x")
    return value[2:]
