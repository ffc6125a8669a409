"""The tamper-evident log in a real SQLite file: appended with each row, O(log n) per record,
and `verify` naming an edited text, a deleted message, a reordered record, a truncated log
and a row added behind its back, and passing after a purge."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from evidence_log import START, THREAT, config_for, receive, tamper

from antirelou.evidence.canonical import leaf_bytes
from antirelou.evidence.checkpoint import Checkpoint
from antirelou.evidence.merkle import Frontier, leaf_hash, root_of
from antirelou.store import MIGRATIONS, Store, ledger
from antirelou.store.ledger import extends, verify_store
from antirelou.store.purge import purge

TEXTS = [
    ("+33611111111", "Salut c'est Kevin du bar"),
    ("+33622222222", "T'es qu'une salope"),
    ("+33633333333", THREAT),
    ("+33611111111", "Réponds stp 😡"),
    ("+33644444444", "Dernier message"),
]
LATER = START + timedelta(hours=1)


@pytest.fixture
def filled(tmp_path):
    config = config_for(str(tmp_path / "log.db"))
    with Store(config.database) as store:
        receive(store, config, TEXTS)
        with store.transaction() as tx:
            tx.keep_checkpoint(tx.head(LATER), "daily")
        yield store, config


def _verdict(store: Store, trusted=()):
    return verify_store(store, list(trusted), LATER)


def test_every_row_is_logged_once_and_the_tree_is_kept_in_log_n(filled):
    store, _ = filled
    leaves = list(ledger.leaves(store._db))
    kinds = [leaf.kind for leaf in leaves]
    # Each message: its PDU, itself, its reply's decision; the threat also its three flags
    # (death threat, weapon, whereabouts).
    assert kinds.count("pdu") == kinds.count("message") == kinds.count("reply") == 5
    assert kinds.count("flag") == 3
    hashes = [leaf_hash(leaf_bytes(*_key(leaf))) for leaf in leaves]
    head = ledger.head(store._db)
    assert head.size == len(leaves) and head.root() == root_of(hashes)
    # Only the perfect subtrees above the leaves are kept: n - popcount(n) of them.
    nodes = store.read("SELECT COUNT(*) FROM ledger_nodes")[0][0]
    assert nodes == len(leaves) - len(leaves).bit_count()
    verdict = _verdict(store)
    assert verdict.ok, verdict.summary()
    assert verdict.size == len(leaves)


def _key(leaf):
    return leaf.seq, leaf.kind, leaf.record_id, leaf.digest


def test_verify_names_an_edited_text(filled):
    store, config = filled
    tamper(config.database, "UPDATE messages SET text = 'Bonne soirée' WHERE id = 3")
    problem = _verdict(store).problem
    assert (problem.what, problem.kind, problem.record_id) == ("altered", "message", 3)
    assert "modifié" in problem.message


def test_verify_names_a_deleted_message(filled):
    store, config = filled
    tamper(config.database, "DELETE FROM messages WHERE id = 2")
    problem = _verdict(store).problem
    assert (problem.what, problem.kind, problem.record_id) == ("missing", "message", 2)


def test_verify_names_a_reordered_record(filled):
    store, config = filled
    first, second = (
        row[0]
        for row in store.read(
            "SELECT seq FROM ledger WHERE kind = 'message' AND record_id IN (1, 4)"
        )
    )
    tamper(
        config.database,
        ("UPDATE ledger SET seq = -1 WHERE seq = ?", (first,)),
        ("UPDATE ledger SET seq = ? WHERE seq = ?", (first, second)),
        ("UPDATE ledger SET seq = ? WHERE seq = -1", (second,)),
    )
    problem = _verdict(store).problem
    assert problem.what == "reordered" and problem.kind == "message"


def _truncate_last_message(store: Store, database: str, *, checkpoints: bool) -> None:
    """Remove the last message with every record of it, and make the tree whole again: what
    a careful forger does. Only a checkpoint made before can tell."""
    last = store.read("SELECT MAX(id) FROM messages")[0][0]
    first_seq = store.read(
        "SELECT MIN(seq) FROM ledger WHERE kind = 'pdu' AND record_id IN"
        " (SELECT id FROM pdus WHERE message_id = ?)",
        (last,),
    )[0][0]
    kept = [leaf for leaf in ledger.leaves(store._db) if leaf.seq < first_seq]
    frontier = Frontier()
    for leaf in kept:
        frontier, _ = frontier.append(leaf_hash(leaf_bytes(*_key(leaf))))
    statements: list = [
        (
            "DELETE FROM reply_events WHERE reply_id IN"
            " (SELECT id FROM replies WHERE message_id = ?)",
            (last,),
        ),
        ("DELETE FROM replies WHERE message_id = ?", (last,)),
        ("DELETE FROM pdus WHERE message_id = ?", (last,)),
        ("DELETE FROM messages WHERE id = ?", (last,)),
        ("DELETE FROM ledger WHERE seq >= ?", (first_seq,)),
        (
            "UPDATE ledger_head SET size = ?, frontier = ?",
            (frontier.size, b"".join(frontier.hashes)),
        ),
    ]
    if not checkpoints:
        statements.append("DELETE FROM checkpoints")
    tamper(database, *statements)


def test_verify_names_a_truncated_log_from_a_checkpoint_written_before(filled):
    store, config = filled
    _truncate_last_message(store, config.database, checkpoints=True)
    problem = _verdict(store).problem
    assert problem.what == "truncated" and "ont disparu" in problem.message


def test_a_truncated_log_whose_checkpoints_were_deleted_is_caught_by_one_kept_off_the_pi(filled):
    store, config = filled
    sent_by_sms = store.last_checkpoint("daily")
    _truncate_last_message(store, config.database, checkpoints=False)
    assert _verdict(store).ok  # self-consistent: nothing on the Pi can tell any more
    problem = _verdict(store, [sent_by_sms]).problem
    assert problem.what == "truncated"


def test_verify_names_a_message_added_behind_the_logs_back(filled):
    store, config = filled
    tamper(
        config.database,
        "INSERT INTO messages (sender, sender_kind, text, received_at, parts, parts_expected)"
        " VALUES ('+33699999999', 'phone', 'fausse preuve', '2026-03-08T12:00:30.000+00:00', 1, 1)",
    )
    problem = _verdict(store).problem
    assert problem.what == "unlogged" and problem.record_id == 6


def test_verify_passes_after_a_purge_and_counts_what_it_removed(filled):
    store, config = filled
    plan = purge(store, config.retention, START + timedelta(days=200), "camille", "purge")
    assert plan.messages  # all of them but the threatener's series
    verdict = _verdict(store)
    assert verdict.ok, verdict.summary()
    assert verdict.purged == len(plan.messages) + len(plan.pdus) + len(plan.reply_events)
    assert "purgés selon la conservation" in verdict.summary()


def test_a_checkpoint_extends_the_one_before_by_a_proof_from_the_stored_tree(filled):
    store, config = filled
    before = store.last_checkpoint("daily")
    receive(store, config, [("+33655555555", "encore")], LATER)
    with store.transaction() as tx:
        after = tx.head(LATER)
    assert extends(store, before, after)
    forged = Checkpoint(before.size, bytes(32), before.at)
    assert not extends(store, forged, after)
    assert not extends(store, after, Checkpoint(after.size + 5, after.root, after.at))


def test_upgrading_a_version_7_file_logs_what_it_held(tmp_path):
    path = str(tmp_path / "old.db")
    old = sqlite3.connect(path)
    for script in MIGRATIONS[:7]:
        for statement in filter(str.strip, script.split(";")):
            old.execute(statement)
    old.execute("PRAGMA user_version = 7")
    old.execute(
        "INSERT INTO messages (sender, sender_kind, text, received_at, parts, parts_expected)"
        " VALUES ('+33611111111', 'phone', 'avant', '2026-01-01T10:00:00.000+00:00', 1, 1)"
    )
    old.execute(
        "INSERT INTO replies (message_id, recipient, text, status, reason, created_at, updated_at)"
        " VALUES (1, '+33611111111', 'non', 'sent', 'first message', '2026-01-01T10:00:00.000'"
        ", '2026-01-01T10:00:05.000')"
    )
    old.execute("INSERT INTO blocked VALUES ('+33622222222', 'relou', '2026-01-01T11:00:00.000')")
    old.commit()
    old.close()
    with Store(path) as store:
        kinds = sorted(leaf.kind for leaf in ledger.leaves(store._db))
        assert kinds == ["block", "message", "reply"]
        assert verify_store(store, [], LATER).ok
    assert (tmp_path / "old.db.v7.bak").exists()
