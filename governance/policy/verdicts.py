"""One validation of a save for all the workers of `governance serve --workers N`. Each worker
watches and loads the policy itself, but the slow part of a reload, the policy's own tests, is
run by the first worker to reach a content and its verdict kept in a directory the workers
share; the others wait for it on a file lock and take it. A worker only takes a verdict on
content it has read itself (the key is that content's hash), so it never serves what it did not
load; a verdict it cannot read, or older than MAX_AGE_S (a save undone later is tested again,
as a single process does), is no verdict: it validates again."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

# The workers reach one save within a polling interval plus one test run of each other.
MAX_AGE_S = 60.0


@dataclass(frozen=True)
class Verdict:
    ok: bool
    tests: int = 0
    result: str = "ok"  # the refusal's metric label when not ok
    message: str = ""


class SharedVerdicts:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def decide_once(self, key: str, validate: Callable[[], Verdict]) -> tuple[Verdict, bool]:
        """The verdict on `key` and whether another worker reached it: a stored one, else
        `validate()`'s, stored for the others. An exception from `validate` stores nothing."""
        name = hashlib.sha256(key.encode()).hexdigest()
        stored_at = self.directory / f"{name}.json"
        with open(self.directory / f"{name}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released by the kernel if the holder dies
            try:
                stored = _read(stored_at)
                if stored is not None:
                    return stored, True
                verdict = validate()
                _write(stored_at, verdict)
                return verdict, False
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _read(path: Path) -> Verdict | None:
    try:
        if time.time() - path.stat().st_mtime > MAX_AGE_S:
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
        verdict = Verdict(**doc)
    except (OSError, ValueError, TypeError):
        return None
    fields_ok = isinstance(verdict.ok, bool) and isinstance(verdict.tests, int)
    return verdict if fields_ok and isinstance(verdict.message, str) else None


def _write(path: Path, verdict: Verdict) -> None:
    staged = path.with_suffix(f".{os.getpid()}.tmp")
    with contextlib.suppress(OSError):  # not stored: the others validate themselves
        staged.write_text(json.dumps(asdict(verdict)), encoding="utf-8")
        os.replace(staged, path)
