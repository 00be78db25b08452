from __future__ import annotations

import os
import random

import pytest

from governance.domain import records
from governance.domain.records import DecisionRecord, canonical_json, new_ulid

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def reference_ulid(ms: int, randomness: int) -> str:
    """The ULID spec, digit by digit: 48-bit time then 80 random bits, base32, MSB first."""
    value = (ms << 80) | randomness
    return "".join(CROCKFORD[(value >> (5 * (25 - i))) & 31] for i in range(26))


def test_ulid_time_prefix_matches_the_spec_example() -> None:
    # The ULID specification's example: time 1469918176385 encodes as 01ARYZ6S41.
    assert new_ulid(1469918176385)[:10] == "01ARYZ6S41"


def test_ulid_matches_reference_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    for _ in range(500):
        ms, rnd = rng.randrange(2**48), rng.randrange(2**80)
        monkeypatch.setattr(os, "urandom", lambda n, r=rnd: r.to_bytes(n, "big"))
        assert records.new_ulid(ms) == reference_ulid(ms, rnd)


def test_ulids_sort_by_time() -> None:
    assert new_ulid(1_000) < new_ulid(1_001) < new_ulid(2**47)
    assert len(new_ulid()) == 26 and set(new_ulid()) <= set(CROCKFORD)


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert (
        canonical_json({"b": 1, "a": [1, {"d": "é", "c": None}]})
        == '{"a":[1,{"c":null,"d":"é"}],"b":1}'.encode()
    )
    rec = DecisionRecord(
        id="X",
        time="t",
        ledger="main",
        method="m",
        kind="read",
        subject={"org": "o"},
        input={"z": 1, "a": 2},
        result={},
        outcome="allow",
        revision="r",
        latency_us=1,
    )
    assert DecisionRecord.from_json(rec.to_json()) == rec
    assert rec.canonical_bytes().startswith(b'{"amount_usd":0.0,"cross_border":false,')
