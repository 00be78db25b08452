"""ERC-20 calldata: the three calls that move or authorise tokens, and balanceOf for reads.

Decoding is strict on purpose: the gateway decides on what the call would do, so calldata that
a standard ABI encoder would not produce (short, long, dirty address words) is refused rather
than interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from governance.errors import InvalidTransaction

TRANSFER: Final = bytes.fromhex("a9059cbb")  # transfer(address,uint256)
TRANSFER_FROM: Final = bytes.fromhex("23b872dd")  # transferFrom(address,address,uint256)
APPROVE: Final = bytes.fromhex("095ea7b3")  # approve(address,uint256)
BALANCE_OF: Final = bytes.fromhex("70a08231")  # balanceOf(address)

_WORD: Final = 32
_ADDRESS_PAD: Final = bytes(12)


@dataclass(frozen=True)
class TokenCall:
    """A decoded ERC-20 call: `holder`'s tokens move to (or are approved for) `recipient`."""

    call: str
    token: str
    holder: str
    recipient: str
    amount: int


def selector(data: bytes) -> str | None:
    """The 4-byte function selector as "0x" + 8 hex digits, or None when there is none."""
    if len(data) < 4:
        return None
    return "0x" + data[:4].hex()


def decode_erc20_call(to: str | None, sender: str, data: bytes) -> TokenCall | None:
    """Decodes transfer / transferFrom / approve calldata sent to token contract `to`.

    Returns None for any other selector, for no calldata and for contract creation (whose data
    is init code, not a call). Raises InvalidTransaction when a known selector carries
    malformed arguments.
    """
    if to is None or len(data) < 4:
        return None
    token, sel = to.lower(), data[:4]
    if sel == TRANSFER:
        recipient, amount = _words(data, 2, "transfer")
        return TokenCall(
            "transfer", token, sender.lower(), _address(recipient, "to"), _uint(amount)
        )
    if sel == APPROVE:
        spender, amount = _words(data, 2, "approve")
        return TokenCall(
            "approve", token, sender.lower(), _address(spender, "spender"), _uint(amount)
        )
    if sel == TRANSFER_FROM:
        holder, recipient, amount = _words(data, 3, "transferFrom")
        return TokenCall(
            "transferFrom",
            token,
            _address(holder, "from"),
            _address(recipient, "to"),
            _uint(amount),
        )
    return None


def decode_balance_of(data: bytes) -> str | None:
    """The address a balanceOf(address) call queries, or None if `data` is not such a call.

    Never raises: it serves the read side, where unparseable calldata simply names nobody.
    """
    if len(data) != 4 + _WORD or data[:4] != BALANCE_OF:
        return None
    word = data[4:]
    if word[:12] != _ADDRESS_PAD:
        return None
    return "0x" + word[12:].hex()


def _words(data: bytes, count: int, call: str) -> list[bytes]:
    args = data[4:]
    if len(args) != count * _WORD:
        raise InvalidTransaction(
            f"malformed {call} calldata: expected {count * _WORD} bytes of arguments, "
            f"got {len(args)}"
        )
    return [args[i : i + _WORD] for i in range(0, len(args), _WORD)]


def _address(word: bytes, name: str) -> str:
    if word[:12] != _ADDRESS_PAD:
        raise InvalidTransaction(
            f"malformed ERC-20 argument '{name}': address word has nonzero upper bytes"
        )
    return "0x" + word[12:].hex()


def _uint(word: bytes) -> int:
    return int.from_bytes(word, "big")
