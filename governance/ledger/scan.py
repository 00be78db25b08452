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


# The members of an `eth_getLogs` entry as nodes send them.
_LOG_MEMBERS: Final = frozenset(
    {
        "address",
        "topics",
        "data",
        "blockHash",
        "blockNumber",
        "blockTimestamp",
        "transactionHash",
        "transactionIndex",
        "logIndex",
        "removed",
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
        self._strings: dict[str, tuple[str, ...]] = {}  # string of 42+ characters -> addresses

    def scan(self, value: Any) -> tuple[str, ...]:
        if type(value) is dict and value.keys() == _LOG_MEMBERS:
            flat = self._log(value)
            if flat is not None:
                return flat
        found: dict[str, None] = {}
        if isinstance(value, str):
            if len(value) >= 42:
                found.update(dict.fromkeys(self._in_string(value)))
        else:
            self._walk(value, found)
        return tuple(found)

    def _log(self, log: dict[str, Any]) -> tuple[str, ...] | None:
        """A log with exactly the members nodes send (most items of a large answer): its
        non-hash members read directly, without the walk's per-key checks (no member name is
        address-sized). None when a member is not of a log's JSON types: the walk decides
        such a log."""
        topics = log["topics"]
        if type(topics) is not list or type(log["removed"]) is not bool:
            return None
        found: dict[str, None] = {}
        strings = self._strings
        scalars = (log["data"], log["blockNumber"], log["blockTimestamp"], log["transactionIndex"])
        for text in (log["address"], *topics, *scalars, log["logIndex"]):
            if type(text) is str:
                if len(text) >= 42:
                    known = strings.get(text)
                    for address in self._in_string(text) if known is None else known:
                        found[address] = None
            elif text is not None:
                return None
        return tuple(found)

    def _in_string(self, text: str) -> tuple[str, ...]:
        known = self._strings.get(text)
        if known is None:
            if len(text) == 42:
                known = (text.lower(),) if is_address(text) else ()
            else:
                known = tuple(self.index.embedded(text))
            self._strings[text] = known
        return known

    def _walk(self, value: Any, found: dict[str, None]) -> None:
        # The hot path of every read answer: strings are handled inline in both loops (a call
        # per member costs a tenth of the scan).
        strings = self._strings
        if isinstance(value, dict):
            for key, member in value.items():
                if len(key) == 42 and is_address(key):  # state overrides, prestate traces
                    found[key.lower()] = None
                if key in SKIPPED_FIELDS:
                    continue
                if type(member) is str:
                    if len(member) >= 42:
                        known = strings.get(member)
                        for address in self._in_string(member) if known is None else known:
                            found[address] = None
                elif isinstance(member, (dict, list)):
                    self._walk(member, found)
                elif isinstance(member, str):  # a str subclass
                    found.update(dict.fromkeys(self.scan(str(member))))
        elif isinstance(value, list):
            for member in value:
                if type(member) is str:
                    if len(member) >= 42:
                        known = strings.get(member)
                        for address in self._in_string(member) if known is None else known:
                            found[address] = None
                elif isinstance(member, (dict, list)):
                    self._walk(member, found)
                elif isinstance(member, str):
                    found.update(dict.fromkeys(self.scan(str(member))))
