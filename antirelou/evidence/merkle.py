"""An RFC 6962 Merkle tree (Certificate Transparency, §2.1; proof checks as RFC 9162 §2.1.3.2
and §2.1.4.2 word them): tree heads, inclusion and consistency proofs, and their checks.

Leaf hash = SHA-256(0x00 || data), node hash = SHA-256(0x01 || left || right); a tree of n
leaves splits at the largest power of two below n, so an unpaired right-most node moves up
unchanged. Appending is O(log n): the `Frontier` keeps one hash per perfect subtree in the
binary decomposition of n (largest first) and reports the perfect nodes each append
completes, so a store can keep them and build any proof from O(log² n) of them.
Why a Merkle tree rather than a chain: it proves that a subset belongs to the whole log
without disclosing the rest (Crosby & Wallach 2009; shared/research/evidence.md §3.1, §3.2).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

HASH_BYTES = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof was asked for sizes or an index that the tree does not have."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(count: int) -> int:
    """Return the largest power of two strictly below `count` (count >= 2)."""
    return 1 << ((count - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """Given every leaf hash, return the tree head (MTH of RFC 6962 §2.1), from scratch."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = paired + ([level[-1]] if len(level) % 2 else [])
    return level[0]


@dataclass(frozen=True)
class Node:
    """A perfect subtree: 2**level leaves from index * 2**level on, and its hash."""

    level: int
    index: int
    hash: bytes


@dataclass(frozen=True)
class Frontier:
    """The state of an append-only tree: its size and the hashes of the perfect subtrees that
    make it up, largest first (one per set bit of `size`)."""

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if len(self.hashes) != self.size.bit_count():
            raise ValueError(
                f"a frontier of {self.size} leaves has {self.size.bit_count()} hashes, "
                f"not {len(self.hashes)}"
            )

    def append(self, leaf: bytes) -> tuple[Frontier, tuple[Node, ...]]:
        """Given a leaf hash, return the frontier with it appended and the perfect nodes the
        append completed (the leaf itself first): O(log n) hashes."""
        carry, hashes = leaf, list(self.hashes)
        completed = [Node(0, self.size, leaf)]
        level = 0
        while self.size >> level & 1:
            carry = node_hash(hashes.pop(), carry)
            level += 1
            completed.append(Node(level, self.size >> level, carry))
        hashes.append(carry)
        return Frontier(self.size + 1, tuple(hashes)), tuple(completed)

    def root(self) -> bytes:
        """Return the tree head of these `size` leaves."""
        if not self.hashes:
            return EMPTY_ROOT
        head = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            head = node_hash(left, head)
        return head


class NodeSource(Protocol):
    """Where proofs read perfect subtrees from (a store's table, or a MemoryTree)."""

    def perfect_node(self, level: int, index: int) -> bytes: ...


class MemoryTree:
    """Every perfect subtree of a list of leaf hashes, built once in O(n): proofs for an
    export of many records, or for tests."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.levels = [list(leaf_hashes)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def perfect_node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        """Return the tree head of the first `size` leaves (all by default)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ProofError(f"the tree has {self.size} leaves, not {size}")
        return subtree_hash(self, 0, size) if size else EMPTY_ROOT


def subtree_hash(source: NodeSource, start: int, end: int) -> bytes:
    """Return MTH(D[start:end]) for a range that RFC 6962's recursion visits: a perfect
    aligned subtree (read) or one that ends at the tree's right edge (built from them)."""
    count = end - start
    if count & (count - 1) == 0 and start % count == 0:
        return source.perfect_node(count.bit_length() - 1, start // count)
    middle = start + _split(count)
    return node_hash(subtree_hash(source, start, middle), subtree_hash(source, middle, end))


def inclusion_proof(source: NodeSource, index: int, size: int) -> list[bytes]:
    """Given a leaf index and a tree size, return the audit path (PATH of RFC 6962 §2.1.1),
    leaf side first. Raise ProofError if the index is not in the tree."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            path.append(subtree_hash(source, middle, end))
            end = middle
        else:
            path.append(subtree_hash(source, start, middle))
            start = middle
    return path[::-1]


def consistency_proof(source: NodeSource, first: int, second: int) -> list[bytes]:
    """Given two tree sizes, return the proof that the first tree is a prefix of the second
    (PROOF of RFC 6962 §2.1.2). Raise ProofError unless 0 <= first <= second."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from {first} to {second} leaves")
    if first in (0, second):
        return []
    proof: list[bytes] = []
    start, end, whole = 0, second, True
    while True:
        count, wanted = end - start, first - start
        if wanted == count:
            if not whole:
                proof.append(subtree_hash(source, start, end))
            break
        middle = start + _split(count)
        if wanted <= middle - start:
            proof.append(subtree_hash(source, middle, end))
            end = middle
        else:
            proof.append(subtree_hash(source, start, middle))
            start, whole = middle, False
    return proof[::-1]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Given a leaf hash, its index, the tree size and an audit path, return the tree head
    they imply (RFC 9162 §2.1.3.2). Raise ProofError if the path cannot be one."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    _check_hashes([leaf, *proof])
    position, last, head = index, size - 1, leaf
    for sibling in proof:
        if last == 0:
            raise ProofError("the audit path is longer than the tree is high")
        if position & 1 or position == last:
            head = node_hash(sibling, head)
            while not position & 1 and position:
                position, last = position >> 1, last >> 1
        else:
            head = node_hash(head, sibling)
        position, last = position >> 1, last >> 1
    if last != 0:
        raise ProofError("the audit path is shorter than the tree is high")
    return head


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Return whether `proof` shows leaf hash `leaf` at `index` in the tree of `size` leaves
    whose head is `root`."""
    try:
        return root_from_inclusion(index, size, leaf, proof) == root
    except ProofError:
        return False


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Return whether `proof` shows that the tree of `first` leaves with head `first_root`
    is a prefix of the tree of `second` leaves with head `second_root` (RFC 9162 §2.1.4.2)."""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    try:
        _check_hashes(proof)
    except ProofError:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    position, last = first - 1, second - 1
    while position & 1:
        position, last = position >> 1, last >> 1
    first_head = second_head = path[0]
    for sibling in path[1:]:
        if last == 0:
            return False
        if position & 1 or position == last:
            first_head = node_hash(sibling, first_head)
            second_head = node_hash(sibling, second_head)
            while not position & 1 and position:
                position, last = position >> 1, last >> 1
        else:
            second_head = node_hash(second_head, sibling)
        position, last = position >> 1, last >> 1
    return last == 0 and first_head == first_root and second_head == second_root


def _check_hashes(hashes: Sequence[bytes]) -> None:
    for value in hashes:
        if len(value) != HASH_BYTES:
            raise ProofError(f"a hash is {HASH_BYTES} bytes, not {len(value)}")
