"""RFC 6962 / RFC 9162 Merkle tree: hashing, storage-backed proofs and pure verification.

Storage model: once a *perfect* subtree is complete its hash is stored under (level, index).
Level 0 holds leaf hashes; node (L, i) covers leaves [i * 2**L, (i + 1) * 2**L). Stored nodes
never change as the log grows. A subtree that is not perfect (only ever on the right edge of a
tree) is the right-to-left fold of its perfect decomposition, so every root and proof needs
O(log n) stored nodes.

Proof generation is split in two so that a database can fetch all nodes in one query:

    plan = inclusion_plan(index, size)    # pure: which nodes, and how to combine them
    rows = fetch(plan.nodes)              # {(level, index): hash}, one round trip
    proof = plan.assemble(rows)

`inclusion_proof(index, size, get)` and friends do the same through a per-node getter.
Nothing in this module performs I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
"""(level, index) of a perfect subtree."""
NodeGetter = Callable[[int, int], bytes]
"""Returns the stored hash of node (level, index)."""
StoredNode = tuple[int, int, bytes]
"""(level, index, hash) as written to storage."""


class VerificationError(ValueError):
    """A proof, root, note or signature failed verification; the message names the check."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH (RFC 6962 section 2.1) of already-hashed leaves, in O(n) time and O(log n) space."""
    stack: list[tuple[int, bytes]] = []  # perfect subtrees so far, strictly decreasing levels
    for value in leaf_hashes:
        level, acc = 0, value
        while stack and stack[-1][0] == level:
            acc = node_hash(stack.pop()[1], acc)
            level += 1
        stack.append((level, acc))
    return _fold_right([value for _, value in stack]) if stack else EMPTY_ROOT


# --- planning: which stored nodes a root or proof needs -------------------------------------


@dataclass(frozen=True)
class ProofPlan:
    """The stored nodes a root or proof needs and how to combine them.

    Each group yields one output hash: the perfect subtrees of one MTH subtree, left to right,
    folded right to left (a single-node group is just that node).
    """

    groups: tuple[tuple[NodeId, ...], ...]

    @property
    def nodes(self) -> tuple[NodeId, ...]:
        """Every node to fetch, once each, in proof order."""
        return tuple(dict.fromkeys(node for group in self.groups for node in group))

    def assemble(self, hashes: Mapping[NodeId, bytes]) -> list[bytes]:
        """Combine fetched node hashes into the output hashes."""
        return [_fold_right([_lookup(hashes, node) for node in group]) for group in self.groups]

    def resolve(self, get: NodeGetter) -> list[bytes]:
        """Fetch each node through `get` (one call per node) and assemble."""
        return self.assemble({node: get(*node) for node in self.nodes})


def root_plan(size: int) -> ProofPlan:
    """One group: the perfect decomposition of [0, size). Empty for size 0."""
    _check_size(size)
    return ProofPlan((_decompose(0, size),) if size else ())


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """The audit path of leaf `index` in a tree of `size` (RFC 6962 PATH), leaf to root."""
    _check_index(index, size)
    return _plan(_inclusion_ranges(index, size))


def consistency_plan(first: int, second: int) -> ProofPlan:
    """The consistency proof from size `first` to `second` (RFC 6962 PROOF)."""
    _check_size(first)
    if second < first:
        raise ValueError(f"second size {second} is smaller than first size {first}")
    if first in (0, second):
        return ProofPlan(())
    return _plan(_consistency_ranges(first, second))


def required_nodes_for_root(size: int) -> list[NodeId]:
    return list(root_plan(size).nodes)


def required_nodes_for_inclusion(index: int, size: int) -> list[NodeId]:
    return list(inclusion_plan(index, size).nodes)


def required_nodes_for_consistency(first: int, second: int) -> list[NodeId]:
    return list(consistency_plan(first, second).nodes)


def required_nodes_for_append(start: int) -> list[NodeId]:
    """Stored nodes that appending leaves from index `start` on may read.

    Every left sibling completed by a new leaf lies either among the new nodes or in the
    perfect decomposition of [0, start), so that decomposition is all a batch must prefetch.
    """
    return list(root_plan(start).nodes)


# --- reading through a getter ----------------------------------------------------------------


def root(size: int, get: NodeGetter) -> bytes:
    """MTH of the first `size` leaves, reading popcount(size) stored nodes."""
    return root_plan(size).resolve(get)[0] if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, get: NodeGetter) -> list[bytes]:
    return inclusion_plan(index, size).resolve(get)


def consistency_proof(first: int, second: int, get: NodeGetter) -> list[bytes]:
    return consistency_plan(first, second).resolve(get)


# --- writing ---------------------------------------------------------------------------------


def nodes_to_store(index: int, leaf: bytes, get: NodeGetter) -> list[StoredNode]:
    """Entries completed by appending the leaf hash `leaf` at `index`.

    That is the leaf itself, then one parent per trailing 1-bit of `index`; each parent reads
    its stored left sibling through `get`.
    """
    if index < 0:
        raise ValueError(f"leaf index must be >= 0, got {index}")
    if len(leaf) != HASH_SIZE:
        raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf)}")
    entries: list[StoredNode] = [(0, index, leaf)]
    level, position, acc = 0, index, leaf
    while position & 1:
        acc = node_hash(get(level, position - 1), acc)
        level, position = level + 1, position >> 1
        entries.append((level, position, acc))
    return entries


def nodes_to_store_many(start: int, leaves: Sequence[bytes], get: NodeGetter) -> list[StoredNode]:
    """`nodes_to_store` for consecutive leaf hashes appended from `start` in one batch.

    Nodes created earlier in the batch are read from the batch itself, so `get` is only asked
    for nodes in `required_nodes_for_append(start)`.
    """
    created: dict[NodeId, bytes] = {}

    def lookup(level: int, position: int) -> bytes:
        found = created.get((level, position))
        return found if found is not None else get(level, position)

    entries: list[StoredNode] = []
    for offset, leaf in enumerate(leaves):
        for level, position, value in nodes_to_store(start + offset, leaf, lookup):
            created[(level, position)] = value
            entries.append((level, position, value))
    return entries


# --- pure verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2) ------------------------------


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root implied by an inclusion proof; raises VerificationError if it is malformed."""
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is outside a tree of size {size}")
    _require_hash_size(leaf_hash, "leaf hash")
    _require_proof_hashes(proof)
    fn, sn, acc = index, size - 1, leaf_hash
    for sibling in proof:
        if sn == 0:
            raise VerificationError(_length_message("inclusion", "more", len(proof)))
        if fn & 1 or fn == sn:
            acc = node_hash(sibling, acc)
            fn, sn = _skip_right_edge(fn, sn)
        else:
            acc = node_hash(acc, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError(_length_message("inclusion", "fewer", len(proof)))
    return acc


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise VerificationError unless `proof` shows `leaf_hash` at `index` under `root`."""
    _require_hash_size(root, "root")
    if root_from_inclusion_proof(leaf_hash, index, size, proof) != root:
        raise VerificationError(
            f"inclusion proof for leaf {index} does not lead to the root of the size-{size} tree"
        )


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise VerificationError unless `proof` shows tree `first` is a prefix of tree `second`."""
    _require_hash_size(first_root, "first root")
    _require_hash_size(second_root, "second root")
    _require_proof_hashes(proof)
    if not 0 <= first <= second:
        raise VerificationError(f"need 0 <= first <= second, got sizes {first} and {second}")
    if first == 0 or first == second:
        _verify_trivial_consistency(first, second, first_root, second_root, proof)
        return
    first_calc, second_calc = _roots_from_consistency_proof(first, second, first_root, proof)
    if first_calc != first_root:
        raise VerificationError(f"consistency proof does not lead to the size-{first} root")
    if second_calc != second_root:
        raise VerificationError(f"consistency proof does not lead to the size-{second} root")


def _verify_trivial_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    if proof:
        raise VerificationError(
            f"consistency proof from size {first} to {second} must be empty, got {len(proof)}"
        )
    # Stricter than RFC 9162, which leaves these cases to the caller.
    if first == 0 and first_root != EMPTY_ROOT:
        raise VerificationError("first root is not the empty-tree root for size 0")
    if first == second and first_root != second_root:
        raise VerificationError(f"two different roots for the same tree size {first}")


def _roots_from_consistency_proof(
    first: int, second: int, first_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """RFC 9162 2.1.4.2 steps 1-6 for 0 < first < second: the two roots the proof implies."""
    if not proof:
        raise VerificationError(f"consistency proof from size {first} to {second} is empty")
    # A power-of-two first tree is a node of the second tree, so its root seeds the path.
    path = [first_root, *proof] if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first_acc = second_acc = path[0]
    for node in path[1:]:
        if sn == 0:
            raise VerificationError(_length_message("consistency", "more", len(proof)))
        if fn & 1 or fn == sn:
            first_acc = node_hash(node, first_acc)
            second_acc = node_hash(node, second_acc)
            fn, sn = _skip_right_edge(fn, sn)
        else:
            second_acc = node_hash(second_acc, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError(_length_message("consistency", "fewer", len(proof)))
    return first_acc, second_acc


def _skip_right_edge(fn: int, sn: int) -> tuple[int, int]:
    """Climb past levels where the node is a lone right-edge child (no sibling hash)."""
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def _length_message(kind: str, more_or_fewer: str, count: int) -> str:
    return f"{kind} proof has {more_or_fewer} hashes than the tree sizes allow ({count} given)"


# --- in-memory tree --------------------------------------------------------------------------


class MemoryTree:
    """An append-only tree keeping the same (level, index) nodes as the database store.

    Leaf hashes live at level 0 of the node map. The reference the tests check the stored
    node plans against.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._nodes: dict[NodeId, bytes] = {}
        self._size = 0
        for value in leaf_hashes:
            self.append_leaf_hash(value)

    @property
    def size(self) -> int:
        return self._size

    @property
    def nodes(self) -> Mapping[NodeId, bytes]:
        return self._nodes

    def append(self, data: bytes) -> int:
        """Hash `data` as a leaf, append it, return its index."""
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, value: bytes) -> int:
        index = self._size
        for level, position, node in nodes_to_store(index, value, self.get):
            self._nodes[(level, position)] = node
        self._size += 1
        return index

    def get(self, level: int, index: int) -> bytes:
        try:
            return self._nodes[(level, index)]
        except KeyError:
            raise KeyError(f"no stored node at level {level}, index {index}") from None

    def root(self, size: int | None = None) -> bytes:
        return root(self._bounded(size), self.get)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self._bounded(size), self.get)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        return consistency_proof(first, self._bounded(second), self.get)

    def _bounded(self, size: int | None) -> int:
        if size is None:
            return self._size
        if not 0 <= size <= self._size:
            raise ValueError(f"size {size} is outside 0..{self._size}")
        return size


# --- helpers ---------------------------------------------------------------------------------


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """MTH of a subtree from its perfect decomposition (largest first)."""
    acc = hashes[-1]
    for value in reversed(hashes[:-1]):
        acc = node_hash(value, acc)
    return acc


def _decompose(begin: int, end: int) -> tuple[NodeId, ...]:
    """Perfect subtrees covering the MTH subtree range [begin, end), left to right.

    Callers only pass MTH subtree ranges (begin is a multiple of a power of two >= end - begin),
    so the sizes follow the binary digits of end - begin, each block stays aligned, and
    `_fold_right` of the blocks is the subtree's MTH.
    """
    nodes: list[NodeId] = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        nodes.append((level, begin >> level))
        begin += 1 << level
    return tuple(nodes)


def _plan(ranges: Iterable[tuple[int, int]]) -> ProofPlan:
    return ProofPlan(tuple(_decompose(begin, end) for begin, end in ranges))


def _split(count: int) -> int:
    """Largest power of two strictly below `count` (count >= 2): RFC 6962's k."""
    return 1 << ((count - 1).bit_length() - 1)


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges of the audit path siblings, leaf to root (RFC 6962 2.1.1 unrolled)."""
    low, high = 0, size
    siblings: list[tuple[int, int]] = []
    while high - low > 1:
        mid = low + _split(high - low)
        if index < mid:
            siblings.append((mid, high))
            high = mid
        else:
            siblings.append((low, mid))
            low = mid
    siblings.reverse()
    return siblings


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """Leaf ranges of the consistency proof for 0 < first < second (RFC 6962 2.1.2 SUBPROOF)."""
    low, high, first_is_node = 0, second, True
    tail: list[tuple[int, int]] = []
    while first != high:
        mid = low + _split(high - low)
        if first <= mid:
            tail.append((mid, high))
            high = mid
        else:
            tail.append((low, mid))
            low, first_is_node = mid, False
    # SUBPROOF(m, D[m], true) is empty: the verifier already holds that root.
    head = [] if first_is_node else [(low, high)]
    return head + tail[::-1]


def _lookup(hashes: Mapping[NodeId, bytes], node: NodeId) -> bytes:
    try:
        return hashes[node]
    except KeyError:
        raise KeyError(f"node at level {node[0]}, index {node[1]} was not fetched") from None


def _check_size(size: int) -> None:
    if size < 0:
        raise ValueError(f"tree size must be >= 0, got {size}")


def _check_index(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")


def _require_hash_size(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


def _require_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        _require_hash_size(value, f"proof hash {position}")
