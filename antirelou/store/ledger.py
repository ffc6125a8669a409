"""The tamper-evident log as the store keeps it: what each kind of record is (the exact fields
hashed, read from its row, one query per kind) and the stored Merkle tree.

One place for each record's shape: `Transaction._append` hashes what `record_fields` reads
right after the row is written, and `verify` reads it the same way, so that any later change
to a row (an edited text, a moved PDU) changes what is read, and no longer matches its digest.
Only what never changes after the record is written is hashed: a reply's current status
lives in `replies`, its decision and each outcome are `reply_events`, each one a record.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from antirelou.evidence.canonical import leaf_bytes
from antirelou.evidence.checkpoint import Checkpoint
from antirelou.evidence.merkle import (
    HASH_BYTES,
    Frontier,
    ProofError,
    consistency_proof,
    leaf_hash,
    verify_consistency,
)
from antirelou.evidence.verify import PURGE, Content, LeafRow, Verdict, verify_log
from antirelou.store.schema import CURRENT_FLAG

if TYPE_CHECKING:
    from antirelou.store.database import Store

# kind -> (table, the fields hashed: column names, or "name AS column" where they differ).
# A column added to a table is not hashed unless it is added here, with a new kind name:
# renaming what a kind hashes would make every record of it look altered.
RECORDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdu": ("pdus", ("pdu", "storage", "received_at")),
    "message": (
        "messages",
        (
            "kind",
            "sender_received AS sender",
            "sender AS number",
            "sender_kind",
            "text",
            "smsc_time",
            "received_at",
            "parts",
            "parts_expected",
            "encoding",
            "error",
        ),
    ),
    "reply": (
        "reply_events",
        (
            "reply_id AS reply",
            "at",
            "status",
            "reason_code",
            "reason",
            "segments_sent",
            "error",
        ),
    ),
    "flag": ("flags", ("message_id AS message", "rule", "reason", "matched", "at", "author")),
    "unflag": ("unflags", ("flag_id AS flag", "at", "author")),
    "block": ("block_events", ("at", "number", "action", "reason", "author")),
    "access": ("access", ("at", "command", "user", "covered")),
    "device": (
        "device",
        (
            "at",
            "imei",
            "imsi",
            "iccid",
            "own_number",
            "operator",
            "manufacturer",
            "model",
            "firmware",
            "software_version",
            "clock_synchronised",
        ),
    ),
    PURGE: ("purges", ("at", "fields")),
}

# The flags a message still has (ids).
CURRENT_FLAGS = f"SELECT f.id FROM flags f WHERE f.message_id = ? AND {CURRENT_FLAG} ORDER BY f.id"  # noqa: S608 - constants only

# What a reply's decision adds to its first event: to whom, what, at what cost.
_DECISION = "SELECT message_id, recipient, text, segments, step, in_flood FROM replies WHERE id = ?"


def _select(kind: str) -> str:
    table, columns = RECORDS[kind]
    return f"SELECT {', '.join(columns)} FROM {table} WHERE id = ?"  # noqa: S608 - constants only


_SELECTS = {kind: _select(kind) for kind in RECORDS}


def record_fields(db: sqlite3.Connection, kind: str, record_id: int) -> dict | None:
    """Given a record's kind and id, return the fields its digest covers, read from its row
    now; None if the row is gone."""
    cursor = db.execute(_SELECTS[kind], (record_id,))
    row = cursor.fetchone()
    if row is None:
        return None
    names = [column[0] for column in cursor.description]
    fields = dict(zip(names, row, strict=True))
    if kind == "message":
        fields["pdus"] = [
            pdu_id
            for (pdu_id,) in db.execute(
                "SELECT id FROM pdus WHERE message_id = ? ORDER BY id", (record_id,)
            )
        ]
    elif kind == "reply":
        # The decision, once: the first event of a reply. Later ones say only what changed.
        first = db.execute(
            "SELECT MIN(id) FROM reply_events WHERE reply_id = ?", (fields["reply"],)
        ).fetchone()[0]
        if first == record_id:
            decided = db.execute(_DECISION, (fields["reply"],)).fetchone()
            if decided is not None:
                fields.update(
                    zip(
                        ("message", "recipient", "text", "segments", "step", "in_flood"),
                        decided,
                        strict=True,
                    )
                )
    elif kind == PURGE:
        fields = json.loads(fields["fields"]) | {"at": fields["at"]}
    return fields


def record_content(db: sqlite3.Connection, kind: str, record_id: int) -> Content | None:
    """Given a logged record, return its salt and fields as stored now; None when its salt or
    its row is gone (purged, or deleted behind the log's back: `verify` tells which)."""
    row = db.execute(
        "SELECT salt FROM ledger WHERE kind = ? AND record_id = ?", (kind, record_id)
    ).fetchone()
    if row is None or row[0] is None or kind not in RECORDS:
        return None
    fields = record_fields(db, kind, record_id)
    return None if fields is None else Content(bytes(row[0]), fields)


def stored_ids(db: sqlite3.Connection) -> Iterator[tuple[str, int]]:
    """Return (kind, id) of every row a record is made from: each must be in the log."""
    for kind, (table, _) in RECORDS.items():
        for (record_id,) in db.execute(f"SELECT id FROM {table}"):  # noqa: S608 - constants only
            yield kind, record_id


def logged_ids(db: sqlite3.Connection) -> Iterator[tuple[str, int]]:
    """Return (kind, id) of every record in the log."""
    yield from db.execute("SELECT kind, record_id FROM ledger")


def leaves(db: sqlite3.Connection) -> Iterator[LeafRow]:
    """Return the log's leaves in order."""
    for seq, kind, record_id, digest in db.execute(
        "SELECT seq, kind, record_id, digest FROM ledger ORDER BY seq"
    ):
        yield LeafRow(seq, kind, record_id, bytes(digest))


def head(db: sqlite3.Connection) -> Frontier:
    """Return the tree as the last append left it (an empty one before the first)."""
    row = db.execute("SELECT size, frontier FROM ledger_head WHERE id = 1").fetchone()
    if row is None:
        return Frontier()
    blob = bytes(row[1])
    hashes = tuple(blob[i : i + HASH_BYTES] for i in range(0, len(blob), HASH_BYTES))
    return Frontier(row[0], hashes)


def write_head(db: sqlite3.Connection, frontier: Frontier) -> None:
    db.execute(
        "INSERT INTO ledger_head (id, size, frontier) VALUES (1, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET size = excluded.size, frontier = excluded.frontier",
        (frontier.size, b"".join(frontier.hashes)),
    )


def checkpoints(db: sqlite3.Connection) -> list[Checkpoint]:
    """Return every checkpoint written to the database, oldest first."""
    return [
        Checkpoint(size, bytes(root), datetime.fromisoformat(at))
        for size, root, at in db.execute("SELECT size, root, at FROM checkpoints ORDER BY id")
    ]


def verify_stored(db: sqlite3.Connection, trusted: Sequence[Checkpoint], now: datetime) -> Verdict:
    """Walk the whole log (inside one read transaction) and return the verdict: every record
    against its digest, every leaf in its place, every row in the log, and the tree against
    each checkpoint written down, the `trusted` ones (kept off the Pi) and the stored head."""
    frontier = head(db)
    known = [*checkpoints(db), *trusted, Checkpoint(frontier.size, frontier.root(), now)]
    return verify_log(
        leaves(db),
        lambda kind, record_id: record_content(db, kind, record_id),
        [checkpoint for checkpoint in known if checkpoint.size > 0],
        stored_ids(db),
    )


def verify_store(store: Store, trusted: Sequence[Checkpoint], now: datetime) -> Verdict:
    """Given the store, return `verify_stored`'s verdict on one state of the log."""
    with store.snapshot():
        return verify_stored(store._db, trusted, now)


class StoredTree:
    """The tree's perfect subtrees as the store keeps them, for proofs (merkle.NodeSource):
    a leaf from its row in `ledger`, anything above from `ledger_nodes`."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def perfect_node(self, level: int, index: int) -> bytes:
        if level == 0:
            row = self._db.execute(
                "SELECT seq, kind, record_id, digest FROM ledger WHERE seq = ?", (index,)
            ).fetchone()
            if row is not None:
                seq, kind, record_id, digest = row
                return leaf_hash(leaf_bytes(seq, kind, record_id, bytes(digest)))
        else:
            row = self._db.execute(
                "SELECT hash FROM ledger_nodes WHERE level = ? AND position = ?", (level, index)
            ).fetchone()
            if row is not None:
                return bytes(row[0])
        raise ProofError(f"the log has no node {index} at level {level}")


def extends(store: Store, earlier: Checkpoint, later: Checkpoint) -> bool:
    """Return whether the stored tree proves (RFC 6962 consistency proof, O(log² n) nodes)
    that the log of checkpoint `later` extends that of `earlier`."""
    with store.snapshot():
        try:
            proof = consistency_proof(StoredTree(store._db), earlier.size, later.size)
        except ProofError:  # a size beyond the tree, a node that is gone
            return False
    return verify_consistency(earlier.size, later.size, earlier.root, later.root, proof)
