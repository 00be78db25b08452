"""Merkle tree tests.

Known answers come from transparency-dev/merkle (testonly/constants.go, testonly/reference_test.go,
proof/verify_test.go, proof/proof_test.go, rfc6962/rfc6962_test.go), whose leaves and roots are the
google/certificate-transparency merkle_tree_test vectors. The property tests compare against a
naive recursive implementation written here straight from RFC 6962 section 2.1.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence

import pytest

from governance.audit import merkle
from governance.audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    NodeId,
    VerificationError,
    consistency_plan,
    consistency_proof,
    inclusion_plan,
    inclusion_proof,
    leaf_hash,
    node_hash,
    nodes_to_store,
    nodes_to_store_many,
    required_nodes_for_append,
    required_nodes_for_consistency,
    required_nodes_for_inclusion,
    required_nodes_for_root,
    root_from_inclusion_proof,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]

# RootHashes(), indexed by tree size.
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# NodeHashes(): every perfect subtree of the 8-leaf tree, by level then index.
NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]

# (0-based index, size, proof) from reference_test.go; verify_test.go's vectors (1-based there)
# are the same proofs for (0, 8), (5, 8), (2, 3) and (1, 5).
INCLUSION_VECTORS: list[tuple[int, int, list[bytes]]] = [
    (0, 1, []),
    (0, 2, [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7")]),
    (1, 2, [h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")]),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

# (first, second, proof) from reference_test.go and verify_test.go.
CONSISTENCY_VECTORS: list[tuple[int, int, list[bytes]]] = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


@pytest.fixture(scope="module")
def tree() -> MemoryTree:
    t = MemoryTree()
    for data in LEAVES:
        t.append(data)
    return t


# --- hashing ---------------------------------------------------------------------------------


def test_hash_primitives_match_rfc6962_vectors() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    assert leaf_hash(b"") == ROOTS[1]
    assert leaf_hash(b"L123456") == h(
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456") == h(
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("size", range(9))
def test_root_from_leaves_matches_known_roots(size: int) -> None:
    assert root_from_leaves([leaf_hash(d) for d in LEAVES[:size]]) == ROOTS[size]


def test_stored_nodes_are_exactly_the_reference_perfect_subtrees(tree: MemoryTree) -> None:
    expected = {
        (level, index): value
        for level, row in enumerate(NODE_HASHES)
        for index, value in enumerate(row)
    }
    assert dict(tree.nodes) == expected


@pytest.mark.parametrize("size", range(9))
def test_root_of_every_past_size_from_stored_nodes(tree: MemoryTree, size: int) -> None:
    assert tree.root(size) == ROOTS[size]


# --- known proofs ----------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_vectors(tree: MemoryTree, index: int, size: int, proof: list[bytes]) -> None:
    assert tree.inclusion_proof(index, size) == proof
    leaf = leaf_hash(LEAVES[index])
    assert root_from_inclusion_proof(leaf, index, size, proof) == ROOTS[size]
    verify_inclusion(leaf, index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY_VECTORS)
def test_consistency_vectors(tree: MemoryTree, first: int, second: int, proof: list[bytes]) -> None:
    assert tree.consistency_proof(first, second) == proof
    verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)


def _reference_groups(
    ids: Sequence[NodeId], rehash: tuple[int, int] | None = None
) -> tuple[tuple[NodeId, ...], ...]:
    """proof_test.go lists node IDs, with the right-edge ones in [begin, end) listed bottom-up
    and hashed together; our plan groups list them left to right."""
    if rehash is None:
        return tuple((node,) for node in ids)
    begin, end = rehash
    return (
        *((node,) for node in ids[:begin]),
        tuple(reversed(ids[begin:end])),
        *((node,) for node in ids[end:]),
    )


# (size, index, node IDs, rehash range) from proof_test.go TestInclusion.
INCLUSION_NODE_VECTORS: list[tuple[int, int, list[NodeId], tuple[int, int] | None]] = [
    (1, 0, [], None),
    (2, 0, [(0, 1)], None),
    (2, 1, [(0, 0)], None),
    (3, 1, [(0, 0), (0, 2)], None),
    (7, 0, [(0, 1), (1, 1), (0, 6), (1, 2)], (2, 4)),
    (7, 1, [(0, 0), (1, 1), (0, 6), (1, 2)], (2, 4)),
    (7, 2, [(0, 3), (1, 0), (0, 6), (1, 2)], (2, 4)),
    (7, 3, [(0, 2), (1, 0), (0, 6), (1, 2)], (2, 4)),
    (7, 4, [(0, 5), (0, 6), (2, 0)], None),
    (7, 5, [(0, 4), (0, 6), (2, 0)], None),
    (7, 6, [(1, 2), (2, 0)], None),
    (4, 2, [(0, 3), (1, 0)], None),
    (5, 3, [(0, 2), (1, 0), (0, 4)], None),
    (6, 3, [(0, 2), (1, 0), (1, 2)], None),
    (6, 4, [(0, 5), (2, 0)], None),
    (15, 10, [(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)], (2, 4)),
    (31, 24, [(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)], (2, 4)),
    (95, 81, [(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)], (3, 6)),
]

# (size1, size2, node IDs, rehash range) from proof_test.go TestConsistency.
CONSISTENCY_NODE_VECTORS: list[tuple[int, int, list[NodeId], tuple[int, int] | None]] = [
    (1, 2, [(0, 1)], None),
    (1, 4, [(0, 1), (1, 1)], None),
    (1, 6, [(0, 1), (1, 1), (1, 2)], None),
    (2, 3, [(0, 2)], None),
    (2, 8, [(1, 1), (2, 1)], None),
    (3, 7, [(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)], (3, 5)),
    (4, 7, [(0, 6), (1, 2)], (0, 2)),
    (5, 7, [(0, 4), (0, 5), (0, 6), (2, 0)], None),
    (6, 7, [(1, 2), (0, 6), (2, 0)], None),
    (7, 8, [(0, 6), (0, 7), (1, 2), (2, 0)], None),
    *((n, n, [], None) for n in (1, 2, 3, 4, 5, 7, 8)),
    (2, 4, [(1, 1)], None),
    (3, 5, [(0, 2), (0, 3), (1, 0), (0, 4)], None),
    (3, 6, [(0, 2), (0, 3), (1, 0), (1, 2)], None),
    (4, 6, [(1, 2)], None),
    (1, 7, [(0, 1), (1, 1), (0, 6), (1, 2)], (2, 4)),
    (10, 15, [(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)], (2, 4)),
    (24, 31, [(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)], (1, 4)),
    (
        81,
        95,
        [(0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)],
        (4, 7),
    ),
]


@pytest.mark.parametrize(("size", "index", "ids", "rehash"), INCLUSION_NODE_VECTORS)
def test_inclusion_plan_reads_the_reference_storage_nodes(
    size: int, index: int, ids: list[NodeId], rehash: tuple[int, int] | None
) -> None:
    assert inclusion_plan(index, size).groups == _reference_groups(ids, rehash)


@pytest.mark.parametrize(("first", "second", "ids", "rehash"), CONSISTENCY_NODE_VECTORS)
def test_consistency_plan_reads_the_reference_storage_nodes(
    first: int, second: int, ids: list[NodeId], rehash: tuple[int, int] | None
) -> None:
    assert consistency_plan(first, second).groups == _reference_groups(ids, rehash)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 1), (2, 1), (8, 7), (-1, 3)])
def test_inclusion_plan_rejects_bad_arguments(index: int, size: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        inclusion_plan(index, size)


@pytest.mark.parametrize(("first", "second"), [(5, 0), (9, 8), (-1, 3)])
def test_consistency_plan_rejects_bad_arguments(first: int, second: int) -> None:
    with pytest.raises(ValueError, match="size"):
        consistency_plan(first, second)


# --- naive reference, RFC 6962 section 2.1 ---------------------------------------------------


def ref_mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = ref_split(n)
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = ref_split(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = ref_split(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True) if 0 < m < len(d) else []


MAX_SIZE = 70
DATA = [b"leaf-%d" % i for i in range(MAX_SIZE)]


@pytest.fixture(scope="module")
def big_tree() -> MemoryTree:
    t = MemoryTree()
    for data in DATA:
        t.append(data)
    return t


@pytest.fixture(scope="module")
def ref_roots() -> list[bytes]:
    return [ref_mth(DATA[:n]) for n in range(MAX_SIZE + 1)]


def test_roots_match_reference_for_every_size(big_tree: MemoryTree, ref_roots: list[bytes]) -> None:
    for n in range(MAX_SIZE + 1):
        assert big_tree.root(n) == ref_roots[n], n
        assert root_from_leaves([leaf_hash(x) for x in DATA[:n]]) == ref_roots[n], n


def test_inclusion_matches_reference_for_every_index_and_size(
    big_tree: MemoryTree, ref_roots: list[bytes]
) -> None:
    for size in range(1, MAX_SIZE + 1):
        for index in range(size):
            proof = big_tree.inclusion_proof(index, size)
            assert proof == ref_path(index, DATA[:size]), (index, size)
            verify_inclusion(leaf_hash(DATA[index]), index, size, proof, ref_roots[size])


def test_consistency_matches_reference_for_every_size_pair(
    big_tree: MemoryTree, ref_roots: list[bytes]
) -> None:
    for second in range(MAX_SIZE + 1):
        for first in range(second + 1):
            proof = big_tree.consistency_proof(first, second)
            assert proof == ref_proof(first, DATA[:second]), (first, second)
            verify_consistency(first, second, ref_roots[first], ref_roots[second], proof)


# --- mutations -------------------------------------------------------------------------------

InclusionArgs = tuple[bytes, int, int, list[bytes], bytes]
ConsistencyArgs = tuple[int, int, bytes, bytes, list[bytes]]


def _flip(proof: list[bytes], position: int) -> list[bytes]:
    changed = list(proof)
    changed[position] = bytes([changed[position][0] ^ 0x08]) + changed[position][1:]
    return changed


def _swap(proof: list[bytes]) -> list[bytes]:
    return [proof[1], proof[0], *proof[2:]]


def inclusion_mutations(args: InclusionArgs) -> dict[str, InclusionArgs]:
    """Changes that must always fail. A different size can legitimately verify (an inclusion
    proof binds the size only through the root), so size changes are tested on vectors."""
    leaf, index, size, proof, root = args
    out: dict[str, InclusionArgs] = {
        "wrong leaf": (leaf_hash(b"WrongLeaf"), index, size, proof, root),
        "wrong root": (leaf, index, size, proof, SOME_HASH),
        "empty-tree root": (leaf, index, size, proof, EMPTY_ROOT),
        "index + 1": (leaf, index + 1, size, proof, root),
        "index - 1": (leaf, index - 1, size, proof, root),
        "index ^ 2": (leaf, index ^ 2, size, proof, root),
        "extended proof": (leaf, index, size, [*proof, SOME_HASH], root),
        "extended by root": (leaf, index, size, [*proof, root], root),
        "prepended hash": (leaf, index, size, [SOME_HASH, *proof], root),
        "short hash": (leaf, index, size, [*proof[:-1], proof[-1][:31]] if proof else [b""], root),
    }
    for position in range(len(proof)):
        out[f"flipped bit in proof[{position}]"] = (leaf, index, size, _flip(proof, position), root)
    if proof:
        out["truncated proof"] = (leaf, index, size, proof[:-1], root)
    if len(proof) > 1:
        out["swapped proof order"] = (leaf, index, size, _swap(proof), root)
        out["reversed proof"] = (leaf, index, size, proof[::-1], root)
    return out


def consistency_mutations(args: ConsistencyArgs) -> dict[str, ConsistencyArgs]:
    """Changes that must always fail for a non-trivial proof (0 < first < second)."""
    first, second, root1, root2, proof = args
    out: dict[str, ConsistencyArgs] = {
        "first - 1": (first - 1, second, root1, root2, proof),
        "first + 1": (first + 1, second, root1, root2, proof),
        "wrong first root": (first, second, SOME_HASH, root2, proof),
        "wrong second root": (first, second, root1, SOME_HASH, proof),
        "swapped roots": (first, second, root2, root1, proof),
        "empty proof": (first, second, root1, root2, []),
        "truncated proof": (first, second, root1, root2, proof[:-1]),
        "extended proof": (first, second, root1, root2, [*proof, SOME_HASH]),
        "extended by root1": (first, second, root1, root2, [*proof, root1]),
        "extended by root2": (first, second, root1, root2, [*proof, root2]),
        "prepended root1": (first, second, root1, root2, [root1, *proof]),
        "prepended proof[0]": (first, second, root1, root2, [proof[0], *proof]),
    }
    for position in range(len(proof)):
        out[f"flipped bit in proof[{position}]"] = (
            first,
            second,
            root1,
            root2,
            _flip(proof, position),
        )
    if len(proof) > 1:
        out["swapped proof order"] = (first, second, root1, root2, _swap(proof))
    return out


def _failures(
    verify: Callable[..., None], mutations: Mapping[str, tuple[object, ...]]
) -> list[str]:
    """Names of mutations that wrongly verified."""
    accepted = []
    for name, args in mutations.items():
        try:
            verify(*args)
        except VerificationError:
            continue
        accepted.append(name)
    return accepted


@pytest.mark.parametrize(("index", "size", "proof"), [v for v in INCLUSION_VECTORS if v[1] > 1])
def test_named_inclusion_mutations_fail_on_vectors(
    index: int, size: int, proof: list[bytes]
) -> None:
    args: InclusionArgs = (leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])
    mutations: dict[str, tuple[object, ...]] = {**inclusion_mutations(args)}
    mutations["size * 2"] = (args[0], index, size * 2, proof, ROOTS[size])
    mutations["size // 2"] = (args[0], index, size // 2, proof, ROOTS[size])
    assert _failures(verify_inclusion, mutations) == []


@pytest.mark.parametrize(("first", "second", "proof"), [v for v in CONSISTENCY_VECTORS if v[2]])
def test_named_consistency_mutations_fail_on_vectors(
    first: int, second: int, proof: list[bytes]
) -> None:
    args: ConsistencyArgs = (first, second, ROOTS[first], ROOTS[second], proof)
    mutations: dict[str, tuple[object, ...]] = {**consistency_mutations(args)}
    mutations["first ^ 2"] = (first ^ 2, second, ROOTS[first], ROOTS[second], proof)
    mutations["second * 2"] = (first, second * 2, ROOTS[first], ROOTS[second], proof)
    mutations["second // 2"] = (first, second // 2, ROOTS[first], ROOTS[second], proof)
    assert _failures(verify_consistency, mutations) == []


def test_inclusion_mutations_fail_for_every_index_and_size(
    big_tree: MemoryTree, ref_roots: list[bytes]
) -> None:
    for size in range(1, MAX_SIZE + 1):
        for index in range(size):
            proof = big_tree.inclusion_proof(index, size)
            args: InclusionArgs = (leaf_hash(DATA[index]), index, size, proof, ref_roots[size])
            assert _failures(verify_inclusion, inclusion_mutations(args)) == [], args[1:3]


def test_consistency_mutations_fail_for_every_size_pair(
    big_tree: MemoryTree, ref_roots: list[bytes]
) -> None:
    for second in range(2, MAX_SIZE + 1):
        for first in range(1, second):
            proof = big_tree.consistency_proof(first, second)
            args: ConsistencyArgs = (first, second, ref_roots[first], ref_roots[second], proof)
            failures = _failures(verify_consistency, consistency_mutations(args))
            assert failures == [], (first, second)


def test_an_inclusion_proof_binds_the_size_only_through_the_root() -> None:
    # Documents why size +/- 1 is not a blanket mutation above: leaf 0's path in a 3-leaf tree
    # has the same shape as in a 4-leaf tree, so it verifies against the 3-leaf root at size 4.
    proof = ref_path(0, DATA[:3])
    verify_inclusion(leaf_hash(DATA[0]), 0, 4, proof, ref_mth(DATA[:3]))
    with pytest.raises(VerificationError):
        verify_inclusion(leaf_hash(DATA[0]), 0, 4, proof, ref_mth(DATA[:4]))


def test_root_from_inclusion_proof_rejects_wrong_proof_lengths() -> None:
    index, size, proof = INCLUSION_VECTORS[-1]
    leaf = leaf_hash(LEAVES[index])
    with pytest.raises(VerificationError, match="more hashes"):
        root_from_inclusion_proof(leaf, index, size, [*proof, SOME_HASH])
    with pytest.raises(VerificationError, match="fewer hashes"):
        root_from_inclusion_proof(leaf, index, size, proof[:-1])


def test_consistency_reports_wrong_proof_lengths() -> None:
    first, second, proof = CONSISTENCY_VECTORS[2]
    with pytest.raises(VerificationError, match="more hashes"):
        verify_consistency(first, second, ROOTS[first], ROOTS[second], [*proof, SOME_HASH])
    with pytest.raises(VerificationError, match="fewer hashes"):
        verify_consistency(first, second, ROOTS[first], ROOTS[second], proof[:-1])


# --- edge cases from verify_test.go ----------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_inclusion_rejects_bad_leaf_or_root_with_empty_proof(index: int, size: int) -> None:
    for leaf, root in [(SOME_HASH, b""), (b"", EMPTY_ROOT), (SOME_HASH, EMPTY_ROOT)]:
        with pytest.raises(VerificationError):
            verify_inclusion(leaf, index, size, [], root)


def test_single_leaf_tree_root_is_the_leaf_hash() -> None:
    leaf = leaf_hash(b"data")
    verify_inclusion(leaf, 0, 1, [], leaf)
    for bad_leaf, bad_root in [(leaf, b""), (b"", leaf), (b"", b"")]:
        with pytest.raises(VerificationError, match="32 bytes"):
            verify_inclusion(bad_leaf, 0, 1, [], bad_root)


ROOT_A, ROOT_B = leaf_hash(b"don't care 1"), leaf_hash(b"don't care 2")


@pytest.mark.parametrize(
    ("first", "second", "root1", "root2", "proof", "ok"),
    [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (0, 1, EMPTY_ROOT, ROOT_B, [], True),
        (1, 1, ROOT_B, ROOT_B, [], True),
        (0, 0, ROOT_A, ROOT_A, [], False),  # size 0 has exactly one root
        (0, 1, ROOT_A, ROOT_B, [], False),
        (1, 1, ROOT_A, ROOT_B, [], False),
        (1, 0, ROOT_A, ROOT_B, [], False),  # time travel
        (2, 1, ROOT_A, ROOT_B, [], False),
        (1, 2, ROOT_A, ROOT_B, [], False),  # empty proof
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),  # non-empty trivial proof
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    ],
)
def test_trivial_consistency_cases(
    first: int, second: int, root1: bytes, root2: bytes, proof: list[bytes], ok: bool
) -> None:
    if ok:
        verify_consistency(first, second, root1, root2, proof)
    else:
        with pytest.raises(VerificationError):
            verify_consistency(first, second, root1, root2, proof)


# --- storage access --------------------------------------------------------------------------


class CountingStore:
    """Synthetic node hashes for a tree of `size`; counts reads and rejects any node that is
    not a complete perfect subtree of that tree."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.reads: list[NodeId] = []

    def get(self, level: int, index: int) -> bytes:
        assert level >= 0 and index >= 0 and (index + 1) << level <= self.size, (level, index)
        self.reads.append((level, index))
        return hashlib.sha256(b"%d/%d" % (level, index)).digest()


N = 10**6
READ_BOUND = 2 * math.ceil(math.log2(N))


@pytest.mark.parametrize("index", [0, 1, 2**19 - 1, 2**19, 500_000, 654_321, N - 2, N - 1])
def test_inclusion_reads_at_most_2_log_n_nodes_at_a_million(index: int) -> None:
    store = CountingStore(N)
    proof = inclusion_proof(index, N, store.get)
    assert len(proof) == len(ref_path_shape(index, N))
    assert len(store.reads) <= READ_BOUND
    assert len(set(store.reads)) == len(store.reads)  # nothing fetched twice


@pytest.mark.parametrize(("first", "second"), [(1, N), (N - 1, N), (2**19, N), (777_777, N)])
def test_consistency_reads_at_most_2_log_n_nodes_at_a_million(first: int, second: int) -> None:
    store = CountingStore(second)
    consistency_proof(first, second, store.get)
    assert 0 < len(store.reads) <= READ_BOUND


def test_root_reads_one_node_per_set_bit() -> None:
    store = CountingStore(N)
    merkle.root(N, store.get)
    assert len(store.reads) == bin(N).count("1")


def ref_path_shape(index: int, size: int) -> list[tuple[int, int]]:
    """RFC 6962 PATH over leaf ranges only, so it runs at a million leaves."""
    if size == 1:
        return []
    k = ref_split(size)
    if index < k:
        return [*ref_path_shape(index, k), (k, size)]
    return [*ref_path_shape(index - k, size - k), (0, k)]


def test_batch_plan_gives_the_same_proofs_as_the_getter(big_tree: MemoryTree) -> None:
    for size in range(1, 40):
        fetched = {node: big_tree.get(*node) for node in required_nodes_for_root(size)}
        assert merkle.root_plan(size).assemble(fetched) == [big_tree.root(size)]
        for index in range(size):
            nodes = required_nodes_for_inclusion(index, size)
            fetched = {node: big_tree.get(*node) for node in nodes}
            assert inclusion_plan(index, size).assemble(fetched) == big_tree.inclusion_proof(
                index, size
            )
        for first in range(size + 1):
            nodes = required_nodes_for_consistency(first, size)
            fetched = {node: big_tree.get(*node) for node in nodes}
            assert consistency_plan(first, size).assemble(fetched) == big_tree.consistency_proof(
                first, size
            )


def test_assemble_names_a_node_missing_from_the_batch(big_tree: MemoryTree) -> None:
    with pytest.raises(KeyError, match="level 0, index 1"):
        inclusion_plan(0, 8).assemble({})


def test_appending_reads_one_left_sibling_per_completed_parent() -> None:
    store: dict[NodeId, bytes] = {}
    reads: list[NodeId] = []

    def get(level: int, position: int) -> bytes:
        reads.append((level, position))
        return store[(level, position)]

    for index, data in enumerate(DATA):
        reads.clear()
        entries = nodes_to_store(index, leaf_hash(data), get)
        trailing_ones = (index ^ (index + 1)).bit_length() - 1
        assert len(reads) == trailing_ones
        assert [(lv, ix) for lv, ix, _ in entries] == [
            (lv, index >> lv) for lv in range(trailing_ones + 1)
        ]
        store.update(((lv, ix), value) for lv, ix, value in entries)
    assert store[(6, 0)] == ref_mth(DATA[:64])


@pytest.mark.parametrize("start", [0, 1, 5, 8, 13, 31])
def test_batch_append_reads_only_the_prefetched_frontier(start: int, big_tree: MemoryTree) -> None:
    stored = {
        (lv, ix): value for (lv, ix), value in big_tree.nodes.items() if (ix + 1) << lv <= start
    }
    allowed = set(required_nodes_for_append(start))
    reads: list[NodeId] = []

    def get(level: int, position: int) -> bytes:
        reads.append((level, position))
        return stored[(level, position)]

    leaves = [leaf_hash(d) for d in DATA[start:]]
    entries = nodes_to_store_many(start, leaves, get)
    assert set(reads) <= allowed
    stored.update(((lv, ix), value) for lv, ix, value in entries)
    assert stored == dict(big_tree.nodes)


def test_nodes_to_store_rejects_a_leaf_that_is_not_a_hash() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        nodes_to_store(0, b"raw entry", lambda _lv, _ix: b"")


def test_memory_tree_refuses_sizes_beyond_its_leaves(tree: MemoryTree) -> None:
    with pytest.raises(ValueError, match="outside"):
        tree.inclusion_proof(0, 9)
    with pytest.raises(ValueError, match="outside"):
        tree.root(9)
