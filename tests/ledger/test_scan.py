from __future__ import annotations

from typing import Any

import pytest

from governance.domain.reference import AddressIndex
from governance.ledger.scan import scan

KNOWN = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"
OTHER = "0x90f79bf6eb2c4f870365e785982e1f101e93b906"
INDEX = AddressIndex([KNOWN, OTHER])


def test_address_fields_count_known_or_not() -> None:
    unknown = "0x" + "ab" * 20
    assert scan({"a": [{"b": unknown.upper().replace("0X", "0x")}]}, INDEX) == (unknown,)
    assert scan({unknown: {"balance": "0x1"}}, INDEX) == (unknown,)  # keys too


def test_directory_addresses_inside_blobs_at_any_offset() -> None:
    word = "0x" + "00" * 12 + KNOWN[2:]
    packed = "0xa9059cbb" + "01" + KNOWN[2:] + OTHER[2:].upper() + "07"  # not word-aligned
    assert scan({"topics": ["0x" + "dd" * 32, word]}, INDEX) == (KNOWN,)
    assert set(scan({"input": packed}, INDEX)) == {KNOWN, OTHER}
    assert scan({"data": "0x" + "00" * 12 + "ab" * 20}, INDEX) == ()  # unknown: not a party


def test_hash_members_are_skipped() -> None:
    assert scan({"hash": "0x" + "00" * 12 + KNOWN[2:], "r": KNOWN}, INDEX) == ()


def test_large_directories_use_windows() -> None:
    many = AddressIndex([KNOWN] + [f"0x{i:040x}" for i in range(1, 200)])
    assert scan("0xff" + KNOWN[2:] + "00", many) == (KNOWN,)


def test_subclasses_of_json_types_are_scanned_too() -> None:
    """The fast path checks exact types; anything else must still be looked into."""

    class Text(str):
        pass

    class Mapping(dict):  # type: ignore[type-arg]
        pass

    value = Mapping(outer=[Text(KNOWN), Mapping(data=Text("0x" + "00" * 12 + OTHER[2:]))])
    assert scan(value, INDEX) == (KNOWN, OTHER)


_FOUND = [KNOWN, OTHER.upper().replace("0X", "0x"), "0x" + "ab" * 20,
          "0x" + "00" * 12 + KNOWN[2:], "0xdead" + OTHER[2:] + "beef"]  # fmt: skip
_ODD = [None, True, 7, {"a": KNOWN}, [KNOWN], "x" * 60]


def _log(**members: Any) -> dict[str, Any]:
    log: dict[str, Any] = {
        "address": "0x" + "12" * 20, "topics": ["0x" + "dd" * 32, "0x" + "00" * 32],
        "data": "0x", "blockHash": "0x" + "34" * 32, "blockNumber": "0x1",
        "blockTimestamp": "0x2", "transactionHash": "0x" + "56" * 32,
        "transactionIndex": "0x0", "logIndex": "0x0", "removed": False,
    }  # fmt: skip
    return {**log, **members}


@pytest.mark.parametrize("member", sorted(_log()))
def test_a_log_read_member_by_member_finds_what_the_walk_finds(member: str) -> None:
    """Logs with the usual members take a shortcut; inside a list they are walked. Every
    member, holding an address or a value of another type, gives both the same."""
    for value in [*_FOUND, *_ODD, [*_FOUND, None]]:
        log = _log(**{member: value})
        assert set(scan(log, INDEX)) == set(scan([log], INDEX)), (member, value)
