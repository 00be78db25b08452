"""Property tests of the Merkle tree (RFC 9162): for any tree, every leaf's inclusion proof
verifies and no other leaf's does, every consistency proof between two sizes verifies and fails
against another root, and the stored-node plans agree with a recomputation from the leaves."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.audit import merkle

FAST = settings(max_examples=150, deadline=None)
leaves = st.lists(st.binary(max_size=16), min_size=1, max_size=70)


@FAST
@given(leaves, st.data())
def test_inclusion_proofs_verify_and_bind_the_leaf(data: list[bytes], draw: st.DataObject) -> None:
    tree = merkle.MemoryTree()
    for item in data:
        tree.append(item)
    size = draw.draw(st.integers(min_value=1, max_value=tree.size))
    index = draw.draw(st.integers(min_value=0, max_value=size - 1))
    root = tree.root(size)
    assert root == merkle.root_from_leaves([merkle.leaf_hash(d) for d in data[:size]])
    proof = tree.inclusion_proof(index, size)
    merkle.verify_inclusion(merkle.leaf_hash(data[index]), index, size, proof, root)
    forged = merkle.leaf_hash(data[index] + b"x")
    with pytest.raises(merkle.VerificationError):
        merkle.verify_inclusion(forged, index, size, proof, root)
    if size > 1:
        other = (index + 1) % size
        if data[other] != data[index]:
            with pytest.raises(merkle.VerificationError):
                merkle.verify_inclusion(merkle.leaf_hash(data[index]), other, size, proof, root)


@FAST
@given(leaves, st.data())
def test_consistency_proofs_verify_between_any_two_sizes(
    data: list[bytes], draw: st.DataObject
) -> None:
    tree = merkle.MemoryTree()
    for item in data:
        tree.append(item)
    second = draw.draw(st.integers(min_value=1, max_value=tree.size))
    first = draw.draw(st.integers(min_value=1, max_value=second))
    proof = tree.consistency_proof(first, second)
    merkle.verify_consistency(first, second, tree.root(first), tree.root(second), proof)
    if first < second:
        wrong = merkle.leaf_hash(b"not the first root")
        with pytest.raises(merkle.VerificationError):
            merkle.verify_consistency(first, second, wrong, tree.root(second), proof)


@FAST
@given(
    st.lists(st.binary(min_size=32, max_size=32), max_size=5),
    st.integers(0, 40),
    st.integers(1, 40),
)
def test_garbage_proofs_are_refused_not_crashing(proof: list[bytes], index: int, size: int) -> None:
    root = merkle.leaf_hash(b"r")
    try:
        merkle.verify_inclusion(merkle.leaf_hash(b"l"), index, size, proof, root)
    except merkle.VerificationError:
        return
    raise AssertionError("a random proof verified")
