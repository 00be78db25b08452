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


def test_ulid_matches_reference_encoding() -> None:
    rng = random.Random(7)
    for _ in range(500):
        ms, rnd = rng.randrange(2**48), rng.randrange(2**80)
        assert records.encode_ulid(ms, rnd) == reference_ulid(ms, rnd)


def test_ulid_randomness_is_drawn_from_the_pool_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    draws: list[int] = []

    def urandom(n: int) -> bytes:
        draws.append(n)
        return bytes(range(256)) * (n // 256)

    monkeypatch.setattr(os, "urandom", urandom)
    entropy = records.Entropy()
    monkeypatch.setattr(records, "_ENTROPY", entropy)
    first, second = records.new_ulid(0), records.new_ulid(0)
    assert first == reference_ulid(0, int.from_bytes(bytes(range(10)), "big"))
    assert second == reference_ulid(0, int.from_bytes(bytes(range(10, 20)), "big"))
    for _ in range(records.Entropy.DRAW // 10):
        records.new_ulid(0)
    assert draws == [records.Entropy.DRAW, records.Entropy.DRAW]  # one call per 409 ids


def test_ulids_of_one_millisecond_differ_across_threads_and_forks() -> None:
    import threading

    found: list[str] = []

    def many() -> None:
        found.extend(new_ulid(5) for _ in range(2_000))

    threads = [threading.Thread(target=many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == len(found) == 8_000
    new_ulid(5)  # the pool now holds bytes a forked child must not reuse
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child writes its next id and exits at once
        os.write(write, new_ulid(5).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    theirs = os.read(read, 64).decode()
    os.close(read)
    assert theirs != new_ulid(5)


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
