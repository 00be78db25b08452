"""One contract for the decision-log store, run against SQLite and PostgreSQL (`store_url`):
append order, leaves, roots and proofs, checkpoints, filters, scopes. The quota store has its
own (test_quota_contract.py)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from governance.audit import merkle
from governance.audit.sqlstore import SqlLog, StoredCheckpoint, filter_clause
from governance.audit.views import EVERYTHING, AuditScope, parse_filter
from governance.domain.records import DecisionRecord
from tests.audit.conftest import sample_record


@pytest.fixture
def store(store_url: str) -> Iterator[SqlLog]:
    log = SqlLog(store_url)
    yield log
    log.close()


def leaf_of(record: DecisionRecord) -> bytes:
    return merkle.leaf_hash(record.canonical_bytes())


def fill(store: SqlLog, records: list[DecisionRecord], batches: list[int]) -> None:
    start = 0
    for size in batches:
        store.append_batch(records[start : start + size])
        start += size
    assert start == len(records)


class QueryCounter:
    """Counts SQL statements an engine executes."""

    def __init__(self, store: SqlLog) -> None:
        self.statements: list[str] = []
        event.listen(store.engine, "before_cursor_execute", self._seen)
        self.store = store

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def close(self) -> None:
        event.remove(self.store.engine, "before_cursor_execute", self._seen)


# ---- appends -------------------------------------------------------------------------------


def test_append_assigns_gap_free_indices_in_append_order(store: SqlLog) -> None:
    records = [sample_record(i) for i in range(180)]
    assert store.append_batch([]) == []
    assert store.append_batch(records[:1]) == [0]
    assert store.append_batch(records[1:8]) == list(range(1, 8))
    assert store.append_batch(records[8:]) == list(range(8, 180))
    assert store.size() == 180
    leaves = store.leaves(limit=1000)
    assert [index for index, _, _ in leaves] == list(range(180))
    for (_, body, stored_hash), record in zip(leaves, records, strict=True):
        assert body.encode() == record.canonical_bytes()  # the leaf data is the canonical JSON
        # RFC 6962 leaf: SHA-256(0x00 || canonical JSON), computed here without merkle.py
        assert stored_hash == hashlib.sha256(b"\x00" + record.canonical_bytes()).digest()
    assert store.nodes([(0, 5)]) == {(0, 5): leaf_of(records[5])}


def test_duplicate_id_fails_the_whole_batch_and_leaves_no_gap(store: SqlLog) -> None:
    records = [sample_record(i) for i in range(5)]
    store.append_batch(records[:3])
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        store.append_batch([records[3], records[0]])  # records[0] is already stored
    assert store.append_batch([records[3], records[4]]) == [3, 4]
    tree = merkle.MemoryTree(leaf_of(r) for r in records)
    assert store.root() == tree.root()


def test_records_of_an_unsure_append_are_stored_once(store: SqlLog) -> None:
    """A connection lost during COMMIT leaves it unknown whether a batch was stored: appended
    again with its ids as `unsure`, the stored records answer their index and only the others
    are appended."""
    records = [sample_record(i) for i in range(6)]
    store.append_batch(records[:3])  # committed, though the caller saw the append fail
    unsure = [r.id for r in records[1:3]] + [records[3].id]
    assert store.append_batch(records[1:5], unsure) == [1, 2, 3, 4]
    assert store.append_batch(records[5:], [records[5].id]) == [5]
    assert [i for i, _, _ in store.leaves()] == list(range(6))
    tree = merkle.MemoryTree(leaf_of(r) for r in records)
    assert store.root() == tree.root()


def test_appends_from_two_store_instances_keep_one_tree(store_url: str, store: SqlLog) -> None:
    """A second writer on the same database (another replica, a restarted process): each
    instance must notice the other's appends instead of trusting its cached right edge."""
    other = SqlLog(store_url)
    try:
        records = [sample_record(i) for i in range(40)]
        for i in range(0, 40, 5):
            (store if i % 10 else other).append_batch(records[i : i + 5])
        tree = merkle.MemoryTree(leaf_of(r) for r in records)
        assert store.root() == other.root() == tree.root()
        assert [i for i, _, _ in store.leaves()] == list(range(40))
    finally:
        other.close()


# ---- roots and proofs ----------------------------------------------------------------------


def test_roots_and_proofs_match_an_independent_tree(store: SqlLog) -> None:
    records = [sample_record(i) for i in range(77)]
    fill(store, records, [1, 2, 13, 16, 45])
    leaves = [leaf_of(r) for r in records]
    tree = merkle.MemoryTree(leaves)
    assert store.root(0) == merkle.EMPTY_ROOT
    for size in (1, 2, 3, 16, 17, 64, 76, 77):
        root = store.root(size)
        assert root == merkle.root_from_leaves(leaves[:size])
        for index in {0, size // 2, size - 1}:
            proof = store.inclusion_proof(index, size)
            assert proof == tree.inclusion_proof(index, size)
            merkle.verify_inclusion(leaves[index], index, size, proof, root)
        for first in (1, size // 3, size - 1, size):
            proof = store.consistency_proof(first, size)
            merkle.verify_consistency(first, size, store.root(first), root, proof)
    assert store.root() == tree.root()


def test_a_proof_is_one_query_reading_log_n_nodes(store: SqlLog) -> None:
    records = [sample_record(i) for i in range(1000)]
    fill(store, records, [500, 500])
    counter = QueryCounter(store)
    try:
        proof = store.inclusion_proof(637, 1000)
        assert len(counter.statements) == 1
        assert "merkle_nodes" in counter.statements[0]
        assert len(proof) <= math.ceil(math.log2(1000))
        counter.statements.clear()
        store.consistency_proof(333, 1000)
        store.root(999)
        assert len(counter.statements) == 2
    finally:
        counter.close()


def test_proof_beyond_the_stored_tree_is_refused(store: SqlLog) -> None:
    store.append_batch([sample_record(i) for i in range(10)])
    with pytest.raises(LookupError, match="not stored"):
        store.inclusion_proof(3, 20)
    with pytest.raises(ValueError, match="outside"):
        store.inclusion_proof(10, 10)


# ---- checkpoints ---------------------------------------------------------------------------


def test_checkpoints_are_stored_in_size_order(store: SqlLog) -> None:
    assert store.latest_checkpoint() is None
    for size in (10, 30, 20):
        store.add_checkpoint(StoredCheckpoint(size, bytes([size]) * 32, f"note {size}\n", "t"))
    assert [cp.size for cp in store.checkpoints()] == [10, 20, 30]
    assert [cp.size for cp in store.checkpoints(up_to=25)] == [10, 20]
    latest = store.latest_checkpoint()
    assert latest == StoredCheckpoint(30, bytes([30]) * 32, "note 30\n", "t")
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        store.add_checkpoint(StoredCheckpoint(20, bytes(32), "again\n", "t"))
    assert store.writable()


def test_signer_lock_admits_one_holder(store_url: str, store: SqlLog) -> None:
    other = SqlLog(store_url)
    try:
        with store.signer_lock() as first:
            assert first
            with other.signer_lock() as second:
                # Another session is refused: an advisory lock on PostgreSQL, a lock file
                # beside the database on SQLite (workers share one database).
                assert second is False
        with other.signer_lock() as after_release:
            assert after_release
    finally:
        other.close()


# ---- filters and scopes --------------------------------------------------------------------

RECORDS = [sample_record(i) for i in range(60)] + [
    sample_record(60, jurisdictions=["DE", "eu"], org="euro-de"),
    sample_record(61, outcome="deny", reason="KYCXREQUIRED"),  # bait for an unescaped LIKE _
]


@pytest.fixture
def filled(store: SqlLog) -> SqlLog:
    store.append_batch(RECORDS)
    return store


def select_ids(store: SqlLog, scope: AuditScope = EVERYTHING, /, **params: str) -> list[str]:
    where = filter_clause(parse_filter(params), scope)
    return [d.record()["id"] for d in store.decisions(where, limit=1000)]


def expect(predicate: Callable[[DecisionRecord], bool]) -> list[str]:
    return [r.id for r in RECORDS if predicate(r)]


@pytest.mark.parametrize(
    ("params", "predicate"),
    [
        ({"subject": "user3"}, lambda r: r.subject["sub"] == "user3"),
        ({"org": "panda-cn"}, lambda r: r.org == "panda-cn"),
        ({"outcome": "deny"}, lambda r: r.outcome == "deny"),
        ({"method": "eth_getBalance"}, lambda r: r.method == "eth_getBalance"),
        ({"jurisdiction": "CN"}, lambda r: "CN" in r.jurisdictions),
        ({"jurisdiction": "EU"}, lambda r: "eu" in r.jurisdictions),
        ({"reason": "KYC_REQUIRED"}, lambda r: "KYC_REQUIRED" in r.reason_codes),
        ({"since": "2026-01-01T00:30:00Z"}, lambda r: r.time >= "2026-01-01T00:30:00"),
        ({"until": "2026-01-01T09:10:00+09:00"}, lambda r: r.time < "2026-01-01T00:10:00"),
        (
            {"org": "acme-us", "outcome": "allow", "since": "2026-01-01T00:05:00.5Z"},
            lambda r: (
                r.org == "acme-us"
                and r.outcome == "allow"
                and r.time >= "2026-01-01T00:05:00.500000Z"
            ),
        ),
    ],
)
def test_filters_select_exactly_the_matching_records(
    filled: SqlLog, params: dict[str, str], predicate: Callable[[DecisionRecord], bool]
) -> None:
    wanted = expect(predicate)
    assert wanted, "the sample must contain matches"
    assert select_ids(filled, **params) == wanted


def test_scopes_follow_the_roles(filled: SqlLog) -> None:
    auditor = AuditScope.for_roles(["auditor"], "acme-us", "US")
    regulator = AuditScope.for_roles(["regulator"], "ministry", "CN")
    both = AuditScope.for_roles(["compliance_officer", "regulator"], "euro-de", "CN")
    assert auditor is not None and regulator is not None and both is not None
    assert AuditScope.for_roles(["trader"], "acme-us", "US") is None
    assert select_ids(filled, auditor) == expect(lambda r: r.org == "acme-us")
    assert select_ids(filled, regulator) == expect(lambda r: "CN" in r.jurisdictions)
    assert select_ids(filled, both) == expect(
        lambda r: r.org == "euro-de" or "CN" in r.jurisdictions
    )
    eu_regulator = AuditScope.for_roles(["regulator"], "esma", "EU")
    assert eu_regulator is not None
    assert select_ids(filled, eu_regulator) == [RECORDS[60].id]
    assert select_ids(filled, auditor, outcome="deny") == expect(
        lambda r: r.org == "acme-us" and r.outcome == "deny"
    )
    for record in RECORDS:  # the SQL and the Python form of a scope agree
        doc = record.to_json()
        assert auditor.admits(doc) == (record.org == "acme-us")
        assert regulator.admits(doc) == ("CN" in record.jurisdictions)


def test_keyset_pages_cover_everything_once(filled: SqlLog) -> None:
    seen: list[int] = []
    after = -1
    while True:
        page = filled.decisions(None, after, 7)
        seen += [d.leaf_index for d in page]
        if len(page) < 7:
            break
        after = page[-1].leaf_index
    assert seen == list(range(len(RECORDS)))
    assert [d.leaf_index for d in filled.decisions(None, 10, 100, before=15)] == [11, 12, 13, 14]


def test_lookup_by_id(filled: SqlLog) -> None:
    found = filled.decision(RECORDS[17].id)
    assert found is not None and found.leaf_index == 17
    assert found.leaf_hash == leaf_of(RECORDS[17])
    assert found.record() == RECORDS[17].to_json()
    assert filled.record(RECORDS[17].id) == (17, RECORDS[17].to_json())
    assert filled.decision("01NOTTHERE0000000000000000") is None
    assert filled.leaf_id(17) == RECORDS[17].id
