"""The RFC 6962 tree against Certificate Transparency's own test vectors, and its proofs
against every tree up to a few dozen leaves.

Vectors: transparency-dev/merkle (the library behind Trillian and Tessera), files
testonly/constants.go (leaf inputs, node and root hashes of trees of 1 to 8 leaves) and
proof/verify_test.go (inclusion and consistency proofs), Apache-2.0.
"""

from __future__ import annotations

import hashlib

import pytest

from antirelou.evidence import merkle

LEAF_INPUTS = [
    bytes.fromhex(text)
    for text in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657")
    + ("606162636465666768696a6b6c6d6e6f",)
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, audit path): verify_test.go lists the leaf 1-based.
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip

VECTOR_LEAVES = [merkle.leaf_hash(data) for data in LEAF_INPUTS]


def _leaves(count: int) -> list[bytes]:
    return [merkle.leaf_hash(index.to_bytes(4, "big")) for index in range(count)]


@pytest.mark.parametrize("size", range(9))
def test_root_of_matches_the_ct_vectors(size):
    assert merkle.root_of(VECTOR_LEAVES[:size]).hex() == ROOTS[size]
    assert merkle.MemoryTree(VECTOR_LEAVES).root(size).hex() == ROOTS[size]


def test_frontier_matches_the_ct_vectors_leaf_by_leaf():
    frontier = merkle.Frontier()
    assert frontier.root().hex() == ROOTS[0]
    for size, leaf in enumerate(VECTOR_LEAVES, start=1):
        frontier, _ = frontier.append(leaf)
        assert frontier.root().hex() == ROOTS[size]
    # CT's compact tree for 7 leaves holds the perfect subtrees of 4, 2 and 1 leaves.
    tree = merkle.MemoryTree(VECTOR_LEAVES)
    seven = merkle.Frontier(7, (tree.levels[2][0], tree.levels[1][2], tree.levels[0][6]))
    assert seven.root().hex() == ROOTS[7]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proof_matches_the_ct_vectors(index, size, path):
    tree = merkle.MemoryTree(VECTOR_LEAVES[:size])
    assert [node.hex() for node in merkle.inclusion_proof(tree, index, size)] == path
    proof = [bytes.fromhex(node) for node in path]
    root = bytes.fromhex(ROOTS[size])
    assert merkle.verify_inclusion(index, size, VECTOR_LEAVES[index], proof, root)


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_proof_matches_the_ct_vectors(first, second, path):
    tree = merkle.MemoryTree(VECTOR_LEAVES)
    assert [node.hex() for node in merkle.consistency_proof(tree, first, second)] == path
    proof = [bytes.fromhex(node) for node in path]
    old, new = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second])
    assert merkle.verify_consistency(first, second, old, new, proof)


def test_append_is_logarithmic_and_reports_every_perfect_node():
    leaves = _leaves(100)
    tree = merkle.MemoryTree(leaves)
    frontier, completed = merkle.Frontier(), []
    for size, leaf in enumerate(leaves, start=1):
        frontier, nodes = frontier.append(leaf)
        # One leaf, then at most one merge per level: never the whole tree.
        assert len(nodes) <= size.bit_length()
        completed += nodes
        assert frontier.root() == merkle.root_of(leaves[:size])
        assert len(frontier.hashes) == size.bit_count()
    for node in completed:
        assert tree.perfect_node(node.level, node.index) == node.hash
    assert sum(len(level) for level in tree.levels) == len(completed)


def test_frontier_refuses_a_state_that_cannot_be():
    with pytest.raises(ValueError, match="3 leaves has 2 hashes"):
        merkle.Frontier(3, (b"\x00" * 32,))


def _flip(proof: list[bytes], position: int) -> list[bytes]:
    changed = list(proof)
    changed[position] = bytes([changed[position][0] ^ 8]) + changed[position][1:]
    return changed


def test_every_inclusion_proof_up_to_33_leaves_verifies_and_no_corruption_does():
    leaves = _leaves(33)
    tree = merkle.MemoryTree(leaves)
    for size in range(1, 34):
        root = tree.root(size)
        for index in range(size):
            proof = merkle.inclusion_proof(tree, index, size)
            assert merkle.verify_inclusion(index, size, leaves[index], proof, root)
            assert not merkle.verify_inclusion(index, size, leaves[index], [*proof, root], root)
            assert not merkle.verify_inclusion(index, size * 2, leaves[index], proof, root)
            if size > 1:
                assert not merkle.verify_inclusion(index ^ 1, size, leaves[index], proof, root)
                assert not merkle.verify_inclusion(index, size, leaves[index], proof[:-1], root)
            for position in range(len(proof)):
                assert not merkle.verify_inclusion(
                    index, size, leaves[index], _flip(proof, position), root
                )


def test_every_consistency_proof_up_to_33_leaves_verifies_and_no_corruption_does():
    tree = merkle.MemoryTree(_leaves(33))
    for second in range(1, 34):
        new = tree.root(second)
        for first in range(1, second + 1):
            old = tree.root(first)
            proof = merkle.consistency_proof(tree, first, second)
            assert merkle.verify_consistency(first, second, old, new, proof)
            if first == second:
                continue
            assert not merkle.verify_consistency(first, second, new, old, proof)
            assert not merkle.verify_consistency(first, second, old, new, proof[:-1])
            assert not merkle.verify_consistency(first, second, old, new, [*proof, new])
            for position in range(len(proof)):
                assert not merkle.verify_consistency(
                    first, second, old, new, _flip(proof, position)
                )


@pytest.mark.parametrize(
    ("first", "second", "proof", "expected"),
    [
        (0, 0, [], True),
        (0, 5, [], True),
        (3, 2, [], False),
        (1, 2, [], False),
        (2, 2, [hashlib.sha256(b"").digest()], False),
    ],
)
def test_verify_consistency_edge_cases(first, second, proof, expected):
    tree = merkle.MemoryTree(_leaves(5))
    old = tree.root(min(first, 5))
    new = tree.root(min(second, 5))
    assert merkle.verify_consistency(first, second, old, new, proof) is expected


def test_proofs_refuse_what_the_tree_does_not_hold():
    tree = merkle.MemoryTree(_leaves(4))
    with pytest.raises(merkle.ProofError, match="leaf 4 is not in a tree of 4"):
        merkle.inclusion_proof(tree, 4, 4)
    with pytest.raises(merkle.ProofError, match="from 3 to 2"):
        merkle.consistency_proof(tree, 3, 2)
    assert not merkle.verify_inclusion(0, 1, b"short", [], b"short")
