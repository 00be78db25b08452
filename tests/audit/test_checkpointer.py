"""The checkpointer on both backends: when it signs, what it signs, and when it refuses."""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, update

from governance.audit import merkle
from governance.audit.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from governance.audit.checkpointer import Checkpointer, CheckpointRefused
from governance.audit.sqlstore import D, N, SqlLog, StoredCheckpoint
from governance.config import AuditConfig
from tests.audit.conftest import sample_record
from tests.conftest import wait_for_async

ORIGIN = "governance.test/decisions"


@pytest.fixture
def store(store_url: str) -> Iterator[SqlLog]:
    log = SqlLog(store_url)
    yield log
    log.close()


def make(store: SqlLog, tmp_path: Path, every: int = 1000, seconds: float = 60.0) -> Checkpointer:
    settings = AuditConfig(origin=ORIGIN, checkpoint_every=every, checkpoint_seconds=seconds)
    return Checkpointer(store, settings, tmp_path / "signing.key")


def append(store: SqlLog, start: int, count: int) -> None:
    store.append_batch([sample_record(i) for i in range(start, start + count)])


def check_signed(cp: StoredCheckpoint, checkpointer: Checkpointer, store: SqlLog) -> None:
    signer = checkpointer.signer
    parsed = verify_checkpoint(cp.note, signer.name, signer.public_key, ORIGIN)
    assert (parsed.size, parsed.root) == (cp.size, cp.root)
    assert cp.root == store.root(cp.size)


def test_key_is_generated_private_with_its_public_half(store: SqlLog, tmp_path: Path) -> None:
    checkpointer = make(store, tmp_path)
    key = tmp_path / "signing.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (tmp_path / "signing.key.pub").read_text().startswith("-----BEGIN PUBLIC KEY")
    again = make(store, tmp_path)  # an existing key is reused, never replaced
    assert again.signer.vkey == checkpointer.signer.vkey
    assert checkpointer.signer.vkey.startswith(f"{ORIGIN}+{checkpointer.signer.key_id}+")


async def test_checkpoint_now_signs_the_current_tree_once(store: SqlLog, tmp_path: Path) -> None:
    checkpointer = make(store, tmp_path)
    assert await checkpointer.checkpoint_now() is None  # an empty log has nothing to sign
    append(store, 0, 13)
    first = await checkpointer.checkpoint_now()
    assert first is not None and first.size == 13
    check_signed(first, checkpointer, store)
    assert await checkpointer.checkpoint_now() is None  # nothing new
    append(store, 13, 20)
    second = await checkpointer.checkpoint_now()
    assert second is not None and second.size == 33
    check_signed(second, checkpointer, store)
    assert [cp.size for cp in store.checkpoints()] == [13, 33]


async def test_signs_every_n_records(store: SqlLog, tmp_path: Path) -> None:
    checkpointer = make(store, tmp_path, every=50, seconds=3600)
    await checkpointer.start()
    try:
        append(store, 0, 30)
        await asyncio.sleep(0.6)
        assert store.latest_checkpoint() is None  # 30 < 50 and the hour has not passed
        append(store, 30, 30)
        await wait_for_async(lambda: store.latest_checkpoint() is not None)
        latest = store.latest_checkpoint()
        assert latest is not None and latest.size == 60
        check_signed(latest, checkpointer, store)
    finally:
        await checkpointer.stop()


async def test_signs_after_t_seconds(store: SqlLog, tmp_path: Path) -> None:
    checkpointer = make(store, tmp_path, every=1_000_000, seconds=0.5)
    await checkpointer.start()
    try:
        append(store, 0, 3)
        await wait_for_async(lambda: store.latest_checkpoint() is not None, timeout=5)
        latest = store.latest_checkpoint()
        assert latest is not None and latest.size == 3
    finally:
        await checkpointer.stop()


async def test_stop_signs_a_final_checkpoint(store: SqlLog, tmp_path: Path) -> None:
    checkpointer = make(store, tmp_path, every=1_000_000, seconds=3600)
    await checkpointer.start()
    append(store, 0, 7)
    await checkpointer.stop()
    latest = store.latest_checkpoint()
    assert latest is not None and latest.size == 7
    check_signed(latest, checkpointer, store)


def rewrite_old_node(store: SqlLog, first: int, second: int) -> None:
    """Overwrite a stored node that the consistency proof first -> second reads for the part
    of the tree that was already signed."""
    old_part = [(lv, ix) for lv, ix in merkle.consistency_plan(first, second).nodes
                if (ix + 1) << lv <= first]  # fmt: skip
    level, idx = old_part[0]
    with store.engine.begin() as conn:
        conn.execute(update(N).where(N.c.level == level, N.c.idx == idx).values(hash=bytes(32)))


async def test_refuses_when_signed_history_was_rewritten(
    store: SqlLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    checkpointer = make(store, tmp_path)
    append(store, 0, 10)
    assert await checkpointer.checkpoint_now() is not None
    append(store, 10, 10)
    rewrite_old_node(store, 10, 20)
    with caplog.at_level(logging.CRITICAL), pytest.raises(CheckpointRefused, match="size 20"):
        await checkpointer.checkpoint_now()
    assert any(r.levelno == logging.CRITICAL for r in caplog.records)
    assert checkpointer.last_error is not None and "not consistent" in checkpointer.last_error
    assert [cp.size for cp in store.checkpoints()] == [10]


async def test_refuses_after_a_forged_previous_checkpoint(store: SqlLog, tmp_path: Path) -> None:
    checkpointer = make(store, tmp_path)
    append(store, 0, 12)
    forged = Checkpoint(ORIGIN, 12, store.root(12))
    note = sign_checkpoint(forged, ORIGIN, Ed25519PrivateKey.generate())  # not our key
    store.add_checkpoint(StoredCheckpoint(12, forged.root, note, "2026-01-01T00:00:00Z"))
    append(store, 12, 3)
    with pytest.raises(CheckpointRefused, match="signed checkpoint 12"):
        await checkpointer.checkpoint_now()
    assert [cp.size for cp in store.checkpoints()] == [12]


async def test_refuses_when_records_were_deleted(store: SqlLog, tmp_path: Path) -> None:
    checkpointer = make(store, tmp_path)
    append(store, 0, 8)
    assert await checkpointer.checkpoint_now() is not None
    with store.engine.begin() as conn:
        conn.execute(delete(D).where(D.c.leaf_index >= 6))
    with pytest.raises(CheckpointRefused, match="fewer than the signed 8"):
        await checkpointer.checkpoint_now()


async def test_the_loop_survives_a_refusal(store: SqlLog, tmp_path: Path) -> None:
    checkpointer = make(store, tmp_path, every=1, seconds=0.2)
    append(store, 0, 10)
    assert await checkpointer.checkpoint_now() is not None
    append(store, 10, 10)
    rewrite_old_node(store, 10, 20)
    await checkpointer.start()
    await wait_for_async(lambda: checkpointer.last_error is not None)
    assert checkpointer.periodic.running
    await checkpointer.stop()  # the final attempt is refused too, and stop still returns
    assert [cp.size for cp in store.checkpoints()] == [10]


def test_bad_settings_are_rejected(store: SqlLog, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="checkpoint_every"):
        make(store, tmp_path, every=0)
