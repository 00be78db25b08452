"""Locks between the worker processes of one gateway on a SQLite log (`governance serve
--workers N`): advisory `flock` locks on files beside the database. PostgreSQL logs use the
server's advisory locks instead (governance/audit/sqlstore.py, quota.py).

A lock is held on an open file description, so two stores opened in one process exclude each
other as two processes do; the kernel drops a lock when its holder dies."""

from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PERSON_LOCKS = 256  # persons hash onto this many lock files


def sqlite_path(url: str) -> Path | None:
    """The database file of a `sqlite:///path` URL; None for any other database."""
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///") :].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


class FileLock:
    """One lock file; `held()` waits for it, `try_acquire()` does not."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _open(self) -> int:
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def held(self) -> Iterator[None]:
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def try_acquire(self) -> int | None:
        """The descriptor holding the lock, or None while another holder has it."""
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    @staticmethod
    def release(fd: int) -> None:
        os.close(fd)


def beside(database: Path, name: str) -> FileLock:
    return FileLock(database.with_name(f"{database.name}.{name}.lock"))


def person_lock(database: Path, person: str) -> FileLock:
    return beside(database, f"person-{zlib.crc32(person.encode()) % PERSON_LOCKS}")
