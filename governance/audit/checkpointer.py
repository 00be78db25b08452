"""Signs checkpoints of the decision log: every `checkpoint_every` records or
`checkpoint_seconds`, whichever comes first, and once more on stop.

Before signing size N it verifies, from the stored Merkle nodes, a consistency proof from the
latest *signed* checkpoint to N. If that fails the log's history was changed after it was
signed: it refuses, logs at CRITICAL and keeps refusing (CheckpointRefused) until an operator
looks. One process signs at a time: the store's signer lock (a PostgreSQL advisory lock);
another replica that finds the lock taken just skips that round. Key name = log origin.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from governance.audit.checkpoint import (
    Checkpoint,
    generate_key_file,
    key_id,
    load_private_key,
    sign_checkpoint,
    verifier_key,
    verify_checkpoint,
    write_public_key,
)
from governance.audit.merkle import VerificationError, verify_consistency
from governance.audit.sqlstore import SqlLog, StoredCheckpoint
from governance.audit.views import TIME_FORMAT
from governance.tasks import Periodic

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2  # how often the loop looks at the log size; the query is one index lookup


class CheckpointSettings(Protocol):
    """The AuditConfig values the checkpointer uses."""

    @property
    def origin(self) -> str: ...

    @property
    def checkpoint_every(self) -> int: ...

    @property
    def checkpoint_seconds(self) -> float: ...


class CheckpointRefused(RuntimeError):
    """The log is not consistent with its latest signed checkpoint; nothing was signed."""


@dataclass(frozen=True)
class Signer:
    """An Ed25519 key under a signed-note key name."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def vkey(self) -> str:
        """C2SP verifier key string: <name>+<key id>+<base64 key>."""
        return verifier_key(self.name, self.public_key)

    @property
    def key_id(self) -> str:
        return key_id(self.name, self.public_key).hex()

    @property
    def public_pem(self) -> str:
        return self.public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode(
            "ascii"
        )


def load_signer(key_path: Path, origin: str, *, create: bool = True) -> Signer:
    """The signing key at `key_path`; with `create`, a missing key is generated (and its public
    half written beside it as KEY.pub) so a fresh deployment signs from the start."""
    if create and not key_path.exists():
        generate_key_file(key_path)
        public = key_path.with_suffix(key_path.suffix + ".pub")
        if not public.exists():
            write_public_key(public, load_private_key(key_path).public_key())
        log.warning("generated checkpoint signing key %s (public key %s)", key_path, public)
    return Signer(origin, load_private_key(key_path))


class Checkpointer:
    def __init__(self, store: SqlLog, settings: CheckpointSettings, key_path: Path) -> None:
        if settings.checkpoint_every < 1 or settings.checkpoint_seconds <= 0:
            raise ValueError("audit.checkpoint_every and audit.checkpoint_seconds must be > 0")
        self.store = store
        self.origin = settings.origin
        self.every = settings.checkpoint_every
        self.seconds = settings.checkpoint_seconds
        self.signer = load_signer(key_path, settings.origin)
        self.last_error: str | None = None
        self.signed = 0
        self.periodic = Periodic(min(POLL_SECONDS, self.seconds / 2), self._round)
        self._last_attempt = time.monotonic()
        self._async_lock = asyncio.Lock()
        self._thread_lock = threading.Lock()  # sign_pending may also be called from threads

    async def start(self) -> None:
        if not self.periodic.running:
            self._last_attempt = time.monotonic()
        self.periodic.start()

    async def stop(self) -> None:
        """Stops the loop and signs a final checkpoint over everything recorded so far."""
        await self.periodic.stop()
        try:
            await self.checkpoint_now()
        except Exception as exc:  # stop must not fail the shutdown; the error is logged
            log.error("final checkpoint not signed: %s", exc)

    async def checkpoint_now(self) -> StoredCheckpoint | None:
        """Signs the current log size. None when there is nothing new or another process holds
        the signer lock; raises CheckpointRefused when the log contradicts its last checkpoint."""
        async with self._async_lock:
            return await asyncio.to_thread(self.sign_pending)

    def sign_pending(self) -> StoredCheckpoint | None:
        with self._thread_lock, self.store.signer_lock() as mine:
            if not mine:
                return None
            return self._sign_locked()

    async def _round(self) -> None:
        try:
            pending = await asyncio.to_thread(self._pending)
            overdue = time.monotonic() - self._last_attempt >= self.seconds
            if pending >= self.every or (pending > 0 and overdue):
                self._last_attempt = time.monotonic()
                await self.checkpoint_now()
        except CheckpointRefused:
            self._last_attempt = time.monotonic()  # logged; retried every checkpoint_seconds
        except Exception as exc:  # the database may be down for a while; keep trying
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("checkpoint round failed: %s", self.last_error)

    def _pending(self) -> int:
        latest = self.store.latest_checkpoint()
        return self.store.size() - (latest.size if latest else 0)

    def _sign_locked(self) -> StoredCheckpoint | None:
        previous = self.store.latest_checkpoint()
        size = self.store.size()
        if previous is not None and size < previous.size:
            self._refuse(size, f"the log has {size} records, fewer than the signed {previous.size}")
        if size == 0 or (previous is not None and size == previous.size):
            return None
        root = self.store.root(size)
        if previous is not None:
            self._check_consistent(previous, size, root)
        note = sign_checkpoint(
            Checkpoint(self.origin, size, root), self.signer.name, self.signer.private_key
        )
        stored = StoredCheckpoint(size, root, note, datetime.now(UTC).strftime(TIME_FORMAT))
        self.store.add_checkpoint(stored)
        self.signed += 1
        self.last_error = None
        return stored

    def _check_consistent(self, previous: StoredCheckpoint, size: int, root: bytes) -> None:
        """The new tree must extend the one the previous note signed (its root, not the row's)."""
        try:
            signed = verify_checkpoint(
                previous.note, self.signer.name, self.signer.public_key, self.origin
            )
            if signed.size != previous.size:
                raise VerificationError(f"its note says size {signed.size}")
            proof = self.store.consistency_proof(previous.size, size)
            verify_consistency(previous.size, size, signed.root, root, proof)
        except (VerificationError, LookupError) as exc:
            self._refuse(size, f"not consistent with signed checkpoint {previous.size}: {exc}")

    def _refuse(self, size: int, why: str) -> NoReturn:
        message = f"REFUSING to sign checkpoint of size {size}: {why}"
        self.last_error = message
        log.critical(message)
        raise CheckpointRefused(message)
