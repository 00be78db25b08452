"""`governance audit verify`: a clean log passes; an altered field, a deleted row, two swapped
rows, a rewritten tree and forged checkpoints are each detected and named, in a database (both
backends) and in a jsonl export."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, select, update

from governance import cli
from governance.audit import merkle
from governance.audit.checkpoint import Checkpoint, sign_checkpoint
from governance.audit.checkpointer import Checkpointer
from governance.audit.sqlstore import D, N, SqlLog, StoredCheckpoint
from governance.audit.verify import LogVerifier, NoteEntry, entry_from_export
from governance.audit.views import AuditScope, checkpoint_line, jsonl_line, view_item
from governance.config import AuditConfig
from governance.domain.records import canonical_json
from tests.audit.conftest import sample_record

ORIGIN = "governance.test/decisions"
SIZES = (20, 35, 50)
TRAVEL = {"originator": {"name": "Jane Doe"}, "beneficiary": {"name": "Wang Fang"}}


@dataclass
class SignedLog:
    url: str
    store: SqlLog
    public_key: Path
    checkpointer: Checkpointer
    tmp: Path

    def ids(self) -> list[str]:
        return [str(r.columns["id"]) for r in self.store.iter_rows()]


@pytest.fixture
def log(store_url: str, tmp_path: Path) -> Iterator[SignedLog]:
    store = SqlLog(store_url)
    settings = AuditConfig(origin=ORIGIN)
    checkpointer = Checkpointer(store, settings, tmp_path / "signing.key")
    start = 0
    for size in SIZES:
        records = [
            sample_record(i, travel_rule=TRAVEL if i % 6 == 0 else None) for i in range(start, size)
        ]
        store.append_batch(records)
        assert checkpointer.sign_pending() is not None
        start = size
    store.append_batch([sample_record(i) for i in range(50, 53)])  # not yet checkpointed
    yield SignedLog(store_url, store, tmp_path / "signing.key.pub", checkpointer, tmp_path)
    store.close()


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["audit", "verify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def verify_db(capsys: pytest.CaptureFixture[str], log: SignedLog) -> tuple[int, str]:
    code, _, err = verify(capsys, "--db", log.url, "--public-key", str(log.public_key))
    return code, err


def first_failure(err: str) -> str:
    return err.splitlines()[0]


def export(capsys: pytest.CaptureFixture[str], log: SignedLog) -> Path:
    target = log.tmp / "export.jsonl"
    assert cli.main(["audit", "export", "--db", log.url, "--out", str(target)]) == 0
    capsys.readouterr()
    return target


# ---- a clean log ---------------------------------------------------------------------------


def test_a_clean_database_verifies(capsys: pytest.CaptureFixture[str], log: SignedLog) -> None:
    code, out, err = verify(capsys, "--db", log.url, "--public-key", str(log.public_key))
    assert code == 0, err
    assert "records:     53" in out
    assert "3 validly signed, latest size 50" in out
    assert "3 records after the latest checkpoint" in out
    assert "OK" in out


def test_a_clean_export_verifies_with_a_pem_or_a_vkey(
    capsys: pytest.CaptureFixture[str], log: SignedLog
) -> None:
    target = export(capsys, log)
    code, out, err = verify(capsys, "--export", str(target), "--public-key", str(log.public_key))
    assert code == 0, err
    vkey = log.tmp / "vkey.txt"
    vkey.write_text(log.checkpointer.signer.vkey + "\n")
    code, out, err = verify(
        capsys, "--export", str(target), "--public-key", str(vkey), "--origin", ORIGIN
    )
    assert code == 0, err
    assert "OK" in out


def test_a_wrong_origin_or_key_is_named(capsys: pytest.CaptureFixture[str], log: SignedLog) -> None:
    code, _, err = verify(
        capsys, "--db", log.url, "--public-key", str(log.public_key), "--origin", "other/log"
    )
    assert code == 1
    assert first_failure(err).startswith("FAILED: checkpoint size 20: signature check failed")
    stranger = log.tmp / "stranger.pub"
    stranger.write_text(
        Checkpointer(log.store, AuditConfig(origin=ORIGIN), log.tmp / "s.key").signer.public_pem
    )
    code, _, err = verify(capsys, "--db", log.url, "--public-key", str(stranger))
    assert code == 1 and "checkpoint size 20: signature check failed" in err


# ---- tampering with the database -----------------------------------------------------------


def rewrite_record(log: SignedLog, index: int, change: dict[str, object]) -> str:
    with log.store.engine.begin() as conn:
        body = conn.execute(select(D.c.record).where(D.c.leaf_index == index)).scalar_one()
        doc = orjson.loads(body) | change
        conn.execute(
            update(D).where(D.c.leaf_index == index).values(record=canonical_json(doc).decode())
        )
    return str(doc["id"])


def test_an_altered_field_is_named(capsys: pytest.CaptureFixture[str], log: SignedLog) -> None:
    record_id = rewrite_record(log, 7, {"outcome": "allow"})  # 7 was a denial
    code, err = verify_db(capsys, log)
    assert code == 1
    failure = first_failure(err)
    assert failure.startswith(f"FAILED: record leaf 7 (id {record_id}):")
    assert "altered" in failure


def test_an_altered_filter_column_is_named(
    capsys: pytest.CaptureFixture[str], log: SignedLog
) -> None:
    """Editing a copied column would hide a record from an org's auditors without touching
    the hashed record."""
    record_id = log.ids()[11]
    with log.store.engine.begin() as conn:
        conn.execute(update(D).where(D.c.leaf_index == 11).values(org="elsewhere"))
    code, err = verify_db(capsys, log)
    assert code == 1
    assert first_failure(err).startswith(f"FAILED: record leaf 11 (id {record_id}): column org")


def test_a_deleted_row_is_named(capsys: pytest.CaptureFixture[str], log: SignedLog) -> None:
    ids = log.ids()
    with log.store.engine.begin() as conn:
        conn.execute(delete(D).where(D.c.leaf_index == 23))
    code, err = verify_db(capsys, log)
    assert code == 1
    failure = first_failure(err)
    assert failure.startswith("FAILED: record leaf 23 ")
    assert f"missing (deleted?); the next record is leaf 24, id {ids[24]}" in failure
    assert "checkpoint size 35" in err  # the signed tree no longer recomputes


def test_a_deleted_last_row_is_caught_by_the_checkpoint(
    capsys: pytest.CaptureFixture[str], log: SignedLog
) -> None:
    with log.store.engine.begin() as conn:
        conn.execute(delete(D).where(D.c.leaf_index >= 49))
    code, err = verify_db(capsys, log)
    assert code == 1
    assert first_failure(err).startswith("FAILED: checkpoint size 50: signs 50 records")


def test_swapped_rows_are_named(capsys: pytest.CaptureFixture[str], log: SignedLog) -> None:
    ids = log.ids()
    with log.store.engine.begin() as conn:
        for old, new in ((12, -1), (13, 12), (-1, 13)):
            conn.execute(update(D).where(D.c.leaf_index == old).values(leaf_index=new))
    code, err = verify_db(capsys, log)
    assert code == 1
    failure = first_failure(err)
    assert failure.startswith(f"FAILED: record leaf 12 (id {ids[13]}):")
    assert "altered or moved" in failure


def test_a_consistently_rewritten_tree_is_caught_by_the_signatures(
    capsys: pytest.CaptureFixture[str], log: SignedLog
) -> None:
    """The attacker edits a record and recomputes its leaf hash and every Merkle node, but
    cannot sign: the checkpoints name the break."""
    rewrite_record(log, 30, {"latency_us": 1})
    with log.store.engine.begin() as conn:
        bodies = conn.execute(select(D.c.record).order_by(D.c.leaf_index)).scalars().all()
        leaves = [merkle.leaf_hash(b.encode()) for b in bodies]
        conn.execute(update(D).where(D.c.leaf_index == 30).values(leaf_hash=leaves[30]))
        conn.execute(delete(N))
        tree = merkle.MemoryTree(leaves)
        rows = [{"level": lv, "idx": ix, "hash": h} for (lv, ix), h in tree.nodes.items()]
        conn.execute(insert(N), rows)
    code, err = verify_db(capsys, log)
    assert code == 1
    failure = first_failure(err)
    assert failure.startswith("FAILED: checkpoint size 35: signed root")
    assert "checkpoint size 50" in err
    assert "checkpoint size 20" not in err  # the tree up to 20 is unchanged


def test_a_rewritten_interior_node_is_named(
    capsys: pytest.CaptureFixture[str], log: SignedLog
) -> None:
    with log.store.engine.begin() as conn:
        conn.execute(update(N).where(N.c.level == 2, N.c.idx == 3).values(hash=bytes(32)))
    code, err = verify_db(capsys, log)
    assert code == 1
    ids = log.ids()
    assert first_failure(err) == (
        f"FAILED: record leaf 12 (id {ids[12]}): Merkle node (2, 3) covering leaves 12..15 "
        "does not hash its stored children"
    )


def add_forged(log: SignedLog, size: int, root: bytes, key: Ed25519PrivateKey) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, size, root), ORIGIN, key)
    log.store.add_checkpoint(StoredCheckpoint(size, root, note, "2026-01-01T00:00:00Z"))


def test_a_checkpoint_signed_by_another_key_is_named(
    capsys: pytest.CaptureFixture[str], log: SignedLog
) -> None:
    add_forged(log, 45, log.store.root(45), Ed25519PrivateKey.generate())
    code, err = verify_db(capsys, log)
    assert code == 1
    assert first_failure(err).startswith("FAILED: checkpoint size 45: signature check failed")


def test_a_validly_signed_wrong_root_is_named(
    capsys: pytest.CaptureFixture[str], log: SignedLog
) -> None:
    add_forged(log, 45, bytes(32), log.checkpointer.signer.private_key)  # e.g. a signer bug
    code, err = verify_db(capsys, log)
    assert code == 1
    failure = first_failure(err)
    assert failure.startswith("FAILED: checkpoint size 45: signed root AAAA")
    assert "is not the root recomputed from the records" in failure
    assert "checkpoint size 45: not consistent with the previous checkpoint (size 35)" in err
    assert "checkpoint size 50: not consistent with the previous checkpoint (size 45)" in err


# ---- tampering with an export --------------------------------------------------------------


Edit = Callable[[list[bytes]], list[bytes]]


def test_export_tampering_is_named(capsys: pytest.CaptureFixture[str], log: SignedLog) -> None:
    original = export(capsys, log).read_bytes()
    target = log.tmp / "export.jsonl"
    ids = log.ids()

    def check(edit: Edit, expected: str) -> None:
        target.write_bytes(b"".join(edit(original.splitlines(keepends=True))))
        code, _, err = verify(capsys, "--export", str(target), "--public-key", str(log.public_key))
        assert code == 1, expected
        assert first_failure(err).startswith(f"FAILED: {expected}"), err

    def altered(lines: list[bytes]) -> list[bytes]:
        doc = orjson.loads(lines[9]) | {"outcome": "allow", "method": "eth_call"}
        return [*lines[:9], orjson.dumps(doc) + b"\n", *lines[10:]]

    def forged(lines: list[bytes]) -> list[bytes]:
        root = merkle.EMPTY_ROOT
        note = sign_checkpoint(Checkpoint(ORIGIN, 45, root), ORIGIN, Ed25519PrivateKey.generate())
        return [*lines, checkpoint_line(45, root, note, "2026-01-01T00:00:00Z")]

    def swapped(lines: list[bytes]) -> list[bytes]:
        """Records 6 and 7 trade places, each relabelled with the other's leaf index."""
        six, seven = orjson.loads(lines[6]), orjson.loads(lines[7])
        six["leaf_index"], seven["leaf_index"] = 7, 6
        return [*lines[:6], orjson.dumps(seven) + b"\n", orjson.dumps(six) + b"\n", *lines[8:]]

    check(altered, f"record leaf 9 (id {ids[9]}): content does not match")
    check(lambda lines: lines[:4] + lines[5:], "record leaf 4 (id unknown): leaf 4 missing")
    # Without the database's stored nodes only the signatures can tell, down to a range.
    check(swapped, "checkpoint size 20: signed root")
    assert "the difference lies in leaves 0..19" in capsys_err(capsys, target, log)
    check(
        lambda lines: [*lines[:6], lines[7], lines[6], *lines[8:]],
        f"record leaf 6 (id unknown): leaf 6 missing (deleted?); the next record is leaf 7, "
        f"id {ids[7]}",
    )
    check(forged, "checkpoint size 45: signature check failed")


def capsys_err(capsys: pytest.CaptureFixture[str], target: Path, log: SignedLog) -> str:
    return verify(capsys, "--export", str(target), "--public-key", str(log.public_key))[2]


def test_export_lines_of_another_format_are_rejected(
    capsys: pytest.CaptureFixture[str], log: SignedLog
) -> None:
    target = log.tmp / "opa.jsonl"
    assert (
        cli.main(["audit", "export", "--db", log.url, "--format", "opa", "--out", str(target)]) == 0
    )
    code, _, err = verify(capsys, "--export", str(target), "--public-key", str(log.public_key))
    assert code == 2
    assert "line 1: not a jsonl export record" in err


# ---- view-masked records -------------------------------------------------------------------


def test_view_masked_records_verify_by_their_leaf_hash(log: SignedLog) -> None:
    """An auditor's view hides travel-rule data; the leaf hash still ties it to the tree, and
    a changed hash breaks the signed root."""
    auditor = AuditScope(orgs=("acme-us",))
    rows = list(log.store.decisions(None, -1, 1000))
    lines = [jsonl_line(view_item(r.leaf_index, r.leaf_hash, r.record(), auditor)) for r in rows]
    lines += [checkpoint_line(cp.size, cp.root, cp.note, cp.time) for cp in log.store.checkpoints()]
    masked = [
        orjson.loads(line) for line in lines if b'"view_masked":["/input/travel_rule"]' in line
    ]
    assert masked and all(item["input"]["travel_rule"] == "masked" for item in masked)

    def run(entries: list[object]) -> LogVerifier:
        notes = [e for e in entries if isinstance(e, NoteEntry)]
        signer = log.checkpointer.signer
        verifier = LogVerifier(notes, signer.public_key, signer.name, ORIGIN)
        for entry in entries:
            if not isinstance(entry, NoteEntry):
                verifier.add(entry)  # type: ignore[arg-type]
        return verifier

    entries: list[object] = [entry_from_export(line) for line in lines]
    report = run(entries).finish()
    assert report.ok and report.withheld == len(masked)
    index = int(masked[0]["leaf_index"])
    bad = orjson.loads(lines[index]) | {"leaf_hash": base64.b64encode(bytes(32)).decode()}
    entries[index] = entry_from_export(orjson.dumps(bad))
    report = run(entries).finish()
    assert not report.ok
    assert report.first is not None and report.first.checkpoint_size is not None
