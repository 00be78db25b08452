"""PostgreSQL across processes: gap-free leaf order with concurrent appenders, and one signer at
a time (advisory locks). Each test starts from a fresh database on the session's cluster."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from governance.audit import merkle
from governance.audit.checkpointer import Checkpointer
from governance.audit.sqlstore import SqlLog
from governance.audit.verify import LogVerifier, NoteEntry, check_levels, leaf_from_store
from governance.config import AuditConfig
from tests.audit.conftest import sample_record
from tests.conftest import ROOT

pytestmark = pytest.mark.postgres

WORKERS = 4
PER_WORKER = 200

APPENDER = """
import random, sys
from governance.audit.sqlstore import SqlLog
from tests.audit.conftest import sample_record
url, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = SqlLog(url)
rng = random.Random(worker)
records = [sample_record(worker * 100_000 + i, sub=f"w{worker}") for i in range(count)]
store.size()  # connected
print("ready", flush=True)
sys.stdin.readline()  # all workers start together
done = 0
while done < count:
    size = rng.choice([1, 1, 2, 3, 5, 8, 13])
    store.append_batch(records[done : done + size])
    done += size
print(",".join(r.id for r in records))
"""

LOCK_HOLDER = """
import sys
from governance.audit.sqlstore import SqlLog
store = SqlLog(sys.argv[1])
with store.signer_lock() as got:
    print("locked" if got else "refused", flush=True)
    sys.stdin.read()  # hold the lock until the test closes our stdin
"""


def python(script: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_four_processes_append_gap_free_and_the_tree_recomputes(pg_url: str) -> None:
    SqlLog(pg_url).close()  # create the tables before the race
    procs = [python(APPENDER, pg_url, str(w), str(PER_WORKER)) for w in range(WORKERS)]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    ids: dict[int, list[str]] = {}
    for worker, proc in enumerate(procs):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        ids[worker] = out.strip().split(",")
    store = SqlLog(pg_url)
    try:
        rows = list(store.iter_rows())
        assert [r.leaf_index for r in rows] == list(range(WORKERS * PER_WORKER))
        position = {r.columns["id"]: r.leaf_index for r in rows}
        for worker_ids in ids.values():  # each appender's records, in its own order
            indices = [position[i] for i in worker_ids]
            assert indices == sorted(indices)
        subs = [r.columns["sub"] for r in rows]
        switches = sum(1 for a, b in itertools.pairwise(subs) if a != b)
        assert switches > 2 * WORKERS, "appends barely interleaved; the test proves little"
        leaves = [merkle.leaf_hash(r.body.encode()) for r in rows]
        assert [r.leaf_hash for r in rows] == leaves == [r.node for r in rows]
        assert store.root() == merkle.root_from_leaves(leaves)
        assert list(check_levels(len(leaves), store.iter_level)) == []
        for index in random.Random(7).sample(range(len(leaves)), 20):
            proof = store.inclusion_proof(index, len(leaves))
            merkle.verify_inclusion(leaves[index], index, len(leaves), proof, store.root())
    finally:
        store.close()


def test_signer_lock_held_by_another_process_blocks_signing(pg_url: str, tmp_path: Path) -> None:
    store = SqlLog(pg_url)
    holder = python(LOCK_HOLDER, pg_url)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "locked"
        store.append_batch([sample_record(i) for i in range(5)])
        checkpointer = Checkpointer(store, AuditConfig(), tmp_path / "k.key")
        assert asyncio.run(checkpointer.checkpoint_now()) is None
        assert store.latest_checkpoint() is None
        holder.stdin.close()
        holder.wait(30)
        signed = asyncio.run(checkpointer.checkpoint_now())
        assert signed is not None and signed.size == 5
    finally:
        holder.kill()
        holder.wait(10)
        store.close()


def test_concurrent_signers_produce_one_consistent_chain(pg_url: str, tmp_path: Path) -> None:
    """Three replicas race to sign while a fourth appends: every checkpoint verifies and each
    extends the previous."""
    key = tmp_path / "k.key"
    settings = AuditConfig(checkpoint_every=1, checkpoint_seconds=0.05)
    stores = [SqlLog(pg_url) for _ in range(4)]
    signers = [Checkpointer(s, settings, key) for s in stores[1:]]
    stop = threading.Event()
    errors: list[BaseException] = []

    def sign(checkpointer: Checkpointer) -> None:
        while not stop.is_set():
            try:
                checkpointer.sign_pending()
            except BaseException as exc:  # collected for the assertion below
                errors.append(exc)
                return

    threads = [threading.Thread(target=sign, args=(c,)) for c in signers]
    for thread in threads:
        thread.start()
    try:
        for i in range(0, 300, 3):
            stores[0].append_batch([sample_record(i + k) for k in range(3)])
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    signers[0].sign_pending()
    assert errors == []
    checkpoints = stores[0].checkpoints()
    assert len(checkpoints) > 3 and checkpoints[-1].size == 300
    entries = [NoteEntry(cp.size, cp.note, cp.root) for cp in checkpoints]
    signer = signers[0].signer
    verifier = LogVerifier(entries, signer.public_key, signer.name)
    for row in stores[0].iter_rows():
        verifier.add(leaf_from_store(row))
    report = verifier.finish()
    assert report.ok, [str(p) for p in report.problems]
    assert report.checkpoints == len(checkpoints)
    for store in stores:
        store.close()
