"""Every address a JSON-RPC value carries, wherever it sits (docs/read-scope.md, "Found
addresses").

Two kinds of finding:
- an *address field*: a string (or object key) that is exactly `0x` + 40 hex digits, at any
  depth; it counts whether or not the directory knows it (as `from`/`to` always did);
- an *embedded address*: an address of the entity directory found inside a longer hex blob
  (topics, `data`, `input`, return data, trace output), at any offset, word-aligned or packed.
  Only directory addresses count here: a 20-byte window of calldata or a small number padded
  to 32 bytes is not a person, and only the directory can say whose data an address is.

Fields that hold hashes or signature values are skipped: they cannot carry an address."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from governance.domain.reference import AddressIndex

_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")

# Members that only ever hold hashes, bloom filters or signature parts.
SKIPPED_FIELDS: Final = frozenset(
    {
        "hash",
        "blockHash",
        "transactionHash",
        "parentHash",
        "sha3Uncles",
        "stateRoot",
        "transactionsRoot",
        "receiptsRoot",
        "withdrawalsRoot",
        "parentBeaconBlockRoot",
        "requestsHash",
        "logsBloom",
        "mixHash",
        "r",
        "s",
        "v",
        "yParity",
        "blobVersionedHashes",
    }
)


def is_address(value: str) -> bool:
    return (
        len(value) == 42
        and value[0] == "0"
        and value[1] in "xX"
        and _HEX_DIGITS.issuperset(value[2:])
    )


def scan(value: Any, index: AddressIndex) -> tuple[str, ...]:
    """Lower-case addresses found in `value`, in order of discovery, without duplicates."""
    return Scanner(index).scan(value)


class Scanner:
    """Scans the items of one answer. The items of a large answer repeat the same strings (an
    event's topic, the few holders of a token): each distinct string is examined once."""

    def __init__(self, index: AddressIndex) -> None:
        self.index = index
        self._fields: dict[str, str | None] = {}  # 42-character string -> address or None
        self._blobs: dict[str, tuple[str, ...]] = {}  # longer string -> directory addresses

    def scan(self, value: Any) -> tuple[str, ...]:
        found: dict[str, None] = {}
        blobs: list[str] = []
        self._walk(value, found, blobs)
        for blob in blobs:
            for address in self._embedded(blob):
                found[address] = None
        return tuple(found)

    def _embedded(self, blob: str) -> tuple[str, ...]:
        known = self._blobs.get(blob)
        if known is None:
            known = self._blobs[blob] = tuple(self.index.embedded(blob))
        return known

    def _field(self, text: str) -> str | None:
        if text in self._fields:
            return self._fields[text]
        address = self._fields[text] = text.lower() if is_address(text) else None
        return address

    def _walk(self, value: Any, found: dict[str, None], blobs: list[str]) -> None:
        # Strings are handled in the loop (no call per member): this runs on every read answer.
        members: Iterable[Any]
        if isinstance(value, dict):
            for key in value:
                if len(key) == 42 and is_address(key):  # state overrides, prestate traces
                    found[key.lower()] = None
            members = [m for k, m in value.items() if k not in SKIPPED_FIELDS]
        elif isinstance(value, list):
            members = value
        elif isinstance(value, str):
            members = (value,)
        else:
            return
        for member in members:
            if type(member) is str:
                size = len(member)
                if size == 42:
                    address = self._field(member)
                    if address is not None:
                        found[address] = None
                elif size > 42:
                    blobs.append(member)
            elif member is not None:
                self._walk(member, found, blobs)
