"""What changed at a policy location, per kind: a directory (its files' names, sizes and mtimes,
then its content hash), a bundle file (mtime, size, inode, then the bytes' hash) and a bundle
URL (its ETag). The reloader polls these; governance/policy/watch.py wakes it on file events."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from governance.keys import VerificationKey
from governance.policy.bundle import (
    fetch_bundle,
    is_url,
    load_policy_source_any,
    read_bundle,
    read_bundle_file,
)
from governance.policy.source import PolicySource, PolicySourceError


@dataclass(frozen=True)
class Loaded:
    source: PolicySource
    content_id: str  # changes whenever any byte of the policy changes


class Watcher(Protocol):
    def poll(self, force: bool) -> Loaded | None:
        """The current source, or None when a cheap check shows nothing changed."""
        ...


class DirectoryWatcher:
    def __init__(self, root: Path, key: VerificationKey | None) -> None:
        self.root = root
        self.key = key
        self._stat: tuple[tuple[str, int, int], ...] | None = None

    def poll(self, force: bool) -> Loaded | None:
        stat = _tree_stat(self.root)
        if stat == self._stat and not force:
            return None
        self._stat = stat  # taken before reading: a write racing the read shows up next poll
        source = load_policy_source_any(self.root, self.key)
        return Loaded(source, source.revision)  # a directory's revision is its content hash


class BundleFileWatcher:
    def __init__(self, path: Path, key: VerificationKey | None) -> None:
        self.path = path
        self.key = key
        self._stat: tuple[int, int, int] | None = None

    def poll(self, force: bool) -> Loaded | None:
        try:
            s = self.path.stat()
        except OSError as exc:
            raise PolicySourceError(f"{self.path}: {exc}") from exc
        stat = (s.st_mtime_ns, s.st_size, s.st_ino)
        if stat == self._stat and not force:
            return None
        self._stat = stat
        raw = read_bundle_file(self.path)
        source = read_bundle(raw, self.key, str(self.path))
        return Loaded(source, hashlib.sha256(raw).hexdigest())


class UrlWatcher:
    def __init__(self, url: str, key: VerificationKey | None) -> None:
        self.url = url
        self.key = key
        self._etag: str | None = None

    def poll(self, force: bool) -> Loaded | None:
        fetched = fetch_bundle(self.url, None if force else self._etag)
        if fetched.raw is None:
            return None
        self._etag = fetched.etag
        source = read_bundle(fetched.raw, self.key, self.url)
        return Loaded(source, hashlib.sha256(fetched.raw).hexdigest())


def _tree_stat(root: Path) -> tuple[tuple[str, int, int], ...]:
    out = []
    for path in sorted(root.rglob("*")):
        try:
            s = path.stat()
        except OSError:  # removed between listing and stat: the next poll sees it
            continue
        if path.is_file():
            out.append((path.relative_to(root).as_posix(), s.st_size, s.st_mtime_ns))
    return tuple(out)


def make_watcher(location: str | Path, key: VerificationKey | None) -> Watcher:
    text = str(location)
    if is_url(text):
        return UrlWatcher(text, key)
    path = Path(location)
    return DirectoryWatcher(path, key) if path.is_dir() else BundleFileWatcher(path, key)
