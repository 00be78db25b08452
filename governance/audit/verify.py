"""Offline verification of a decision log (docs/design.md section 6): pure, no I/O.

Feed every leaf in order to a LogVerifier, then `finish()`:

- each record's leaf hash is recomputed from its canonical JSON and compared with the hash
  stored beside it, with the stored level-0 Merkle node, and its copied filter columns with
  the record (so a query cannot be steered by editing a column);
- leaf indices must run 0, 1, 2, ... without gaps;
- every checkpoint's Ed25519 signature (and origin) is checked, its signed root compared with
  the root recomputed from the records at its size, and a consistency proof built from the
  recomputed tree is verified between it and the previous checkpoint.

`check_levels` checks the stored interior Merkle nodes (what proofs are served from) against
their stored children. Memory stays O(checkpoints x log n): the tree is streamed along its
right edge and only the nodes consistency proofs need are kept.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from governance.audit import merkle
from governance.audit.checkpoint import Checkpoint, verify_checkpoint
from governance.audit.merkle import NodeId, VerificationError
from governance.audit.views import derived_columns, stored_record
from governance.domain.records import canonical_json

MAX_PROBLEMS = 100


@dataclass(frozen=True)
class Leaf:
    """One record as a store or an export holds it."""

    index: int
    id: str
    body: bytes | None  # canonical JSON; None when the export withheld content (view-masked)
    leaf_hash: bytes | None  # the hash stored beside the record, if any
    columns: Mapping[str, str] | None = None  # a database's copied filter columns
    check_node: bool = False  # a database also stores the level-0 node ...
    node: bytes | None = None  # ... and this is it (None: missing)


@dataclass(frozen=True)
class NoteEntry:
    """A stored checkpoint: its size and root as stored beside the signed note."""

    size: int
    note: str
    root: bytes | None = None


@dataclass(frozen=True)
class Problem:
    message: str
    leaf_index: int | None = None
    record_id: str | None = None
    checkpoint_size: int | None = None

    def __str__(self) -> str:
        if self.checkpoint_size is not None:
            return f"checkpoint size {self.checkpoint_size}: {self.message}"
        if self.leaf_index is not None:
            name = self.record_id or "unknown"
            return f"record leaf {self.leaf_index} (id {name}): {self.message}"
        return self.message


@dataclass(frozen=True)
class Report:
    size: int
    root: bytes
    checkpoints: int  # checkpoints whose signature verified
    latest_checkpoint: int  # size of the latest checkpoint (0: none)
    withheld: int  # records whose content the export withheld (checked by hash only)
    problems: tuple[Problem, ...] = field(default=())
    total_problems: int = 0

    @property
    def ok(self) -> bool:
        return self.total_problems == 0

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


@dataclass(frozen=True)
class _Signed:
    entry: NoteEntry
    checkpoint: Checkpoint | None
    error: str | None


class LogVerifier:
    def __init__(
        self,
        checkpoints: Sequence[NoteEntry],
        public_key: Ed25519PublicKey,
        key_name: str,
        origin: str | None = None,
    ) -> None:
        self._signed = [
            _check_signature(e, public_key, key_name, origin)
            for e in sorted(checkpoints, key=lambda e: e.size)
        ]
        valid = [s.checkpoint for s in self._signed if s.checkpoint is not None]
        self._root_sizes = {cp.size for cp in valid}
        self._wanted = _consistency_nodes([cp.size for cp in valid])
        self._edge: dict[int, tuple[int, bytes]] = {}  # level -> newest (index, hash)
        self._kept: dict[NodeId, bytes] = {}
        self._roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}
        self._problems: list[Problem] = []
        self._total = 0
        self._matched = 0
        self.size = 0
        self.withheld = 0

    def add(self, leaf: Leaf) -> None:
        if leaf.index < self.size:
            self._problem(leaf, f"leaf index repeats or goes backwards (expected {self.size})")
            return
        if leaf.index > self.size:
            last = leaf.index - 1
            gap = str(last) if last == self.size else f"{self.size}..{last}"
            message = f"missing (deleted?); the next record is leaf {leaf.index}, id {leaf.id}"
            self._report(Problem(f"leaf {gap} {message}", leaf_index=self.size))
        value = self._leaf_value(leaf)
        if leaf.check_node and leaf.node != value:
            where = f"stored Merkle node (0, {leaf.index})"
            self._problem(leaf, f"record's leaf hash differs from {where}: altered or moved")
        self._append(value)

    def finish(self, extra: Iterable[Problem] = ()) -> Report:
        for problem in extra:
            self._report(problem)
        self._check_checkpoints()
        latest = max((s.checkpoint.size for s in self._signed if s.checkpoint), default=0)
        return Report(
            size=self.size,
            root=self._roots.get(self.size) or self._root_now(),
            checkpoints=sum(1 for s in self._signed if s.checkpoint is not None),
            latest_checkpoint=latest,
            withheld=self.withheld,
            problems=tuple(sorted(self._problems, key=_order)),
            total_problems=self._total,
        )

    # ---- leaves --------------------------------------------------------------------------

    def _leaf_value(self, leaf: Leaf) -> bytes:
        if leaf.body is None:
            self.withheld += 1
            if leaf.leaf_hash is None:
                self._problem(leaf, "neither content nor leaf hash given")
                return merkle.EMPTY_ROOT
            return leaf.leaf_hash
        value = merkle.leaf_hash(leaf.body)
        if leaf.leaf_hash is not None and leaf.leaf_hash != value:
            self._problem(leaf, "content does not match its stored leaf hash: record altered")
        self._check_columns(leaf)
        return value

    def _check_columns(self, leaf: Leaf) -> None:
        try:
            derived = derived_columns(orjson.loads(leaf.body or b""))
        except (orjson.JSONDecodeError, TypeError, AttributeError) as exc:
            self._problem(leaf, f"content is not a decision record: {exc}")
            return
        for name, stored in (leaf.columns or {"id": leaf.id}).items():
            if derived.get(name) != stored:
                said = derived.get(name)
                self._problem(leaf, f"column {name} {stored!r} differs from the record's {said!r}")

    def _append(self, value: bytes) -> None:
        index = self.size
        for level, position, node in merkle.nodes_to_store(index, value, self._edge_get):
            self._edge[level] = (position, node)
            if (level, position) in self._wanted:
                self._kept[(level, position)] = node
        self.size += 1
        if self.size in self._root_sizes:
            self._roots[self.size] = self._root_now()

    def _edge_get(self, level: int, position: int) -> bytes:
        return self._edge[level][1]  # nodes_to_store only asks for the newest left sibling

    def _root_now(self) -> bytes:
        if self.size == 0:
            return merkle.EMPTY_ROOT
        edge = {(level, pos): value for level, (pos, value) in self._edge.items()}
        return merkle.root_plan(self.size).assemble(edge)[0]

    # ---- checkpoints ---------------------------------------------------------------------

    def _check_checkpoints(self) -> None:
        previous: Checkpoint | None = None
        self._matched = 0  # largest checkpoint size whose signed root recomputes
        for signed in self._signed:
            entry, cp = signed.entry, signed.checkpoint
            if cp is None:
                self._report(Problem(str(signed.error), checkpoint_size=entry.size))
                continue
            for message in self._checkpoint_problems(entry, cp, previous):
                self._report(Problem(message, checkpoint_size=entry.size))
            previous = cp

    def _checkpoint_problems(
        self, entry: NoteEntry, cp: Checkpoint, previous: Checkpoint | None
    ) -> Iterator[str]:
        if cp.size != entry.size:
            yield f"stored as size {entry.size} but its signed note says {cp.size}"
        if entry.root is not None and entry.root != cp.root:
            yield "stored root differs from the root in its signed note"
        if cp.size > self.size:
            yield f"signs {cp.size} records but the log holds {self.size}: records deleted"
            return
        if self._roots[cp.size] != cp.root:
            yield (
                f"signed root {_b64(cp.root)} is not the root recomputed from the records "
                f"({_b64(self._roots[cp.size])}); the difference lies in leaves "
                f"{self._matched}..{cp.size - 1}"
            )
        else:
            self._matched = max(self._matched, cp.size)
        if previous is not None:
            yield from self._consistency(previous, cp)

    def _consistency(self, previous: Checkpoint, cp: Checkpoint) -> Iterator[str]:
        try:
            proof = merkle.consistency_plan(previous.size, cp.size).assemble(self._kept)
            merkle.verify_consistency(previous.size, cp.size, previous.root, cp.root, proof)
        except (ValueError, KeyError) as exc:  # VerificationError is a ValueError
            yield f"not consistent with the previous checkpoint (size {previous.size}): {exc}"

    # ---- problems ------------------------------------------------------------------------

    def _problem(self, leaf: Leaf, message: str) -> None:
        self._report(Problem(message, leaf_index=leaf.index, record_id=leaf.id))

    def _report(self, problem: Problem) -> None:
        self._total += 1
        if len(self._problems) < MAX_PROBLEMS:
            self._problems.append(problem)


def check_levels(
    size: int, read_level: Callable[[int], Iterable[tuple[int, bytes]]]
) -> Iterator[Problem]:
    """Every stored node (L, i), L >= 1, of a size-`size` tree must hash its two stored
    children. Streams two levels at a time; nodes past `size` are ignored (the log may be
    growing while it is verified). Only the lowest bad node of a path is reported: its
    ancestors then mismatch as a consequence."""
    level, bad = 1, set[int]()
    while size >> level:
        bad_here: set[int] = set()
        children = _dense(read_level(level - 1), 2 * (size >> level))
        for idx, found in enumerate(_dense(read_level(level), size >> level)):
            left, right = next(children), next(children)
            expected = None if left is None or right is None else merkle.node_hash(left, right)
            if found is not None and found == expected:
                continue
            bad_here.add(idx)
            if 2 * idx not in bad and 2 * idx + 1 not in bad:
                yield _node_problem(level, idx, "is missing" if found is None else None)
        level, bad = level + 1, bad_here


def _node_problem(level: int, idx: int, what: str | None) -> Problem:
    first, last = idx << level, ((idx + 1) << level) - 1
    what = what or "does not hash its stored children"
    return Problem(
        f"Merkle node ({level}, {idx}) covering leaves {first}..{last} {what}", leaf_index=first
    )


def entry_from_export(line: bytes) -> Leaf | NoteEntry:
    """One line of a jsonl export; raises ValueError naming what is wrong with it."""
    doc: Any = orjson.loads(line)
    if not isinstance(doc, dict):
        raise ValueError("line is not a JSON object")
    if "checkpoint" in doc:
        cp = doc["checkpoint"]
        return NoteEntry(int(cp["size"]), str(cp["note"]), _unb64(cp.get("root")))
    if "leaf_index" not in doc or "id" not in doc:
        raise ValueError("not a jsonl export record (no leaf_index/id): use --format jsonl")
    withheld = bool(doc.get("view_masked"))
    body = None if withheld else canonical_json(stored_record(doc))
    return Leaf(int(doc["leaf_index"]), str(doc["id"]), body, _unb64(doc.get("leaf_hash")))


class StoredLeaf(Protocol):
    """What a database stores per leaf (sqlstore.StoredRow)."""

    @property
    def leaf_index(self) -> int: ...

    @property
    def leaf_hash(self) -> bytes: ...

    @property
    def body(self) -> str: ...

    @property
    def columns(self) -> Mapping[str, str]: ...

    @property
    def node(self) -> bytes | None: ...


def leaf_from_store(row: StoredLeaf) -> Leaf:
    return Leaf(
        row.leaf_index,
        row.columns.get("id", ""),
        row.body.encode(),
        row.leaf_hash,
        row.columns,
        check_node=True,
        node=row.node,
    )


def _check_signature(
    entry: NoteEntry, public_key: Ed25519PublicKey, key_name: str, origin: str | None
) -> _Signed:
    try:
        return _Signed(entry, verify_checkpoint(entry.note, key_name, public_key, origin), None)
    except VerificationError as exc:
        return _Signed(entry, None, f"signature check failed: {exc}")


def _consistency_nodes(sizes: Sequence[int]) -> set[NodeId]:
    wanted: set[NodeId] = set()
    for first, second in itertools.pairwise(sizes):
        if first <= second:
            wanted.update(merkle.consistency_plan(first, second).nodes)
    return wanted


def _dense(nodes: Iterable[tuple[int, bytes]], count: int) -> Iterator[bytes | None]:
    """Hashes of indices 0..count-1 from an ascending (index, hash) stream, None for gaps."""
    expected = 0
    for idx, value in nodes:
        if idx >= count:
            break
        if idx < expected:
            continue
        while expected < idx:
            yield None
            expected += 1
        yield value
        expected += 1
    while expected < count:
        yield None
        expected += 1


def _order(problem: Problem) -> tuple[int, int]:
    if problem.checkpoint_size is not None:
        return (1, problem.checkpoint_size)
    return (0, problem.leaf_index if problem.leaf_index is not None else -1)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _unb64(value: Any) -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{str(value)[:20]!r} is not base64") from None
