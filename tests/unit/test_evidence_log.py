"""The tamper-evident log: canonical bytes, salted digests, checkpoints, and `verify` naming
the first edited, deleted, reordered or truncated record, and passing after a purge."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from dossiers import RAID, Log, build

from antirelou.evidence import canonical
from antirelou.evidence.checkpoint import Checkpoint, CheckpointError, parse
from antirelou.evidence.verify import PURGE, Content, purge_fields, verify_log
from antirelou.gsm7 import encode as gsm7_encode

# --- canonical bytes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": [True, None, "x"]}, b'{"a":[true,null,"x"],"b":1}'),
        ({"text": 'été 🔪\n"q"\u0001'}, '{"text":"été 🔪\\n\\"q\\"\\u0001"}'.encode()),
        ({"n": -(2**53) + 1}, b'{"n":-9007199254740991}'),
        ({}, b"{}"),
    ],
)
def test_canonical_json_is_rfc8785_for_its_subset(value, expected):
    assert canonical.canonical_json(value) == expected


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ({"x": 1.5}, r"\$\.x: float has no canonical form"),
        ({"é": 1}, "key 'é' is not ASCII"),
        ({"x": [2**53]}, r"\$\.x\[0\]: integer .* beyond"),
        ({"x": "\ud83d"}, "lone surrogate"),
        ({"x": datetime(2026, 1, 1, tzinfo=UTC)}, "datetime has no canonical form"),
    ],
)
def test_canonical_json_refuses_what_other_languages_would_spell_differently(value, complaint):
    with pytest.raises(canonical.CanonicalError, match=complaint):
        canonical.canonical_json(value)


def test_record_digest_is_hmac_sha256_keyed_with_the_salt_as_documented():
    salt = bytes(range(32))
    fields = {"sender": "+33612345678", "text": "salut"}
    expected = hmac.new(
        salt,
        b'{"fields":{"sender":"+33612345678","text":"salut"},"id":7,"kind":"message"}',
        hashlib.sha256,
    ).digest()
    assert canonical.record_digest(salt, "message", 7, fields) == expected
    # Another salt, another digest: the digest alone says nothing about the number.
    assert canonical.record_digest(bytes(32), "message", 7, fields) != expected
    assert (
        canonical.leaf_bytes(3, "message", 7, expected)
        == b'{"digest":"' + expected.hex().encode() + b'","id":7,"kind":"message","seq":3}'
    )
    with pytest.raises(canonical.CanonicalError, match="salt is 32 bytes"):
        canonical.record_digest(b"short", "message", 7, fields)
    with pytest.raises(canonical.CanonicalError, match="not a lowercase name"):
        canonical.record_bytes("Message", 7, fields)


# --- checkpoints ------------------------------------------------------------------------------


def test_checkpoint_text_fits_one_gsm7_sms_and_parses_back():
    checkpoint = Checkpoint(
        123456789, hashlib.sha256(b"x").digest(), datetime(2026, 12, 2, 9, 14, 59, tzinfo=UTC)
    )
    text = checkpoint.text()
    assert text == f"antirelou 123456789 {checkpoint.root.hex()} 2026-12-02T09:14Z"
    assert len(gsm7_encode(text)) <= 160
    assert parse(f"  {text}\n") == replace(checkpoint, at=datetime(2026, 12, 2, 9, 14, tzinfo=UTC))
    assert (
        checkpoint.short() == f"123456789 {checkpoint.root.hex()[:8]}…{checkpoint.root.hex()[-4:]}"
    )


@pytest.mark.parametrize(
    "text",
    ["antirelou 12 abc 2026-12-02T09:14Z", "antirelou x " + "0" * 64 + " 2026-12-02T09:14Z", ""],
)
def test_parse_says_what_a_checkpoint_looks_like(text):
    with pytest.raises(CheckpointError, match="antirelou COUNT HEAD"):
        parse(text)


# --- verify ---------------------------------------------------------------------------------


@pytest.fixture
def raid() -> Log:
    return build(RAID)[0]


def _verify(log: Log, **options):
    return verify_log(log.leaves, log.content, **options)


def test_an_untouched_log_is_intact_and_matches_its_checkpoint(raid):
    verdict = _verify(raid, checkpoints=[raid.checkpoint()], logged=raid.contents)
    assert verdict.ok, verdict.summary()
    assert verdict.size == len(raid.leaves) == 21
    assert verdict.root == raid.frontier.root()
    assert verdict.summary().startswith("INTÈGRE / INTACT: 21 enregistrements")


def test_an_edited_text_is_named(raid):
    key = ("message", 2)
    content = raid.contents[key]
    raid.contents[key] = Content(content.salt, {**content.fields, "text": "T'es super"})
    verdict = _verify(raid)
    assert (verdict.problem.what, verdict.problem.kind, verdict.problem.record_id) == (
        "altered",
        "message",
        2,
    )
    assert "modifié" in verdict.problem.message and "changed" in verdict.problem.message
    assert verdict.summary().startswith("ALTÉRÉ / ALTERED: enregistrement n° 3 (message 2)")


def test_an_edit_with_recomputed_digests_is_caught_by_the_checkpoint(raid):
    checkpoint = raid.checkpoint()
    forged = Log()
    for leaf in raid.leaves:
        fields = dict(raid.contents[(leaf.kind, leaf.record_id)].fields)
        if (leaf.kind, leaf.record_id) == ("message", 3):
            fields["text"] = "Bonne soirée"
        forged.append(leaf.kind, leaf.record_id, fields)
    assert _verify(forged).ok  # self-consistent: only a copy kept elsewhere can tell
    verdict = _verify(forged, checkpoints=[checkpoint])
    assert verdict.problem.what == "checkpoint"
    assert "les 21 premiers enregistrements" in verdict.problem.message


def test_a_deleted_message_is_named(raid):
    del raid.contents[("message", 4)]
    verdict = _verify(raid)
    assert (verdict.problem.what, verdict.problem.seq) == ("missing", 9)
    assert "sans purge" in verdict.problem.message


def test_a_deleted_leaf_is_named(raid):
    del raid.leaves[5]
    verdict = _verify(raid)
    assert (verdict.problem.what, verdict.problem.seq) == ("missing", 5)
    assert "n° 5 manque" in verdict.problem.message


def test_reordered_records_are_named(raid):
    # Two messages swap places, each taking the other's place number: ids go backwards.
    first, second = raid.leaves[1], raid.leaves[3]
    assert (first.kind, second.kind) == ("message", "message")
    raid.leaves[1] = replace(second, seq=1)
    raid.leaves[3] = replace(first, seq=3)
    verdict = _verify(raid)
    assert (verdict.problem.what, verdict.problem.seq, verdict.problem.record_id) == (
        "reordered",
        3,
        1,
    )
    assert "message 2 le précède déjà" in verdict.problem.message


def test_records_of_two_kinds_swapped_are_caught_by_the_checkpoint(raid):
    checkpoint = raid.checkpoint()
    pdu, message = raid.leaves[2], raid.leaves[3]
    assert (pdu.kind, message.kind) == ("pdu", "message")
    raid.leaves[2], raid.leaves[3] = replace(message, seq=2), replace(pdu, seq=3)
    assert _verify(raid).ok  # each record still matches its digest
    verdict = _verify(raid, checkpoints=[checkpoint])
    assert verdict.problem.what == "checkpoint"


def test_a_truncated_log_is_named(raid):
    checkpoint = raid.checkpoint()
    del raid.leaves[15:]
    verdict = _verify(raid, checkpoints=[checkpoint])
    assert (verdict.problem.what, verdict.problem.seq) == ("truncated", 15)
    assert "les n° 15 à 20 ont disparu" in verdict.problem.message


def test_a_record_added_behind_the_logs_back_is_named(raid):
    stored = [*raid.contents, ("message", 99)]
    verdict = _verify(raid, logged=stored)
    assert (verdict.problem.what, verdict.problem.record_id) == ("unlogged", 99)


def test_verify_passes_after_a_purge_and_old_checkpoints_still_hold(raid):
    before = raid.checkpoint()
    purged = {"message": [1, 2, 6], "pdu": [1, 2, 6]}
    raid.append(PURGE, 1, purge_fields(purged, rule="retention.messages", cutoff="2017-10-30"))
    for kind, ids in purged.items():
        for record_id in ids:
            del raid.contents[(kind, record_id)]  # fields and salt: unreadable afterwards
    verdict = _verify(raid, checkpoints=[before, raid.checkpoint()])
    assert verdict.ok, verdict.summary()
    assert verdict.purged == 6
    assert "dont 6 purgés" in verdict.summary()
    # A purge record lists ranges, so 20,000 purged messages stay a short record.
    fields = purge_fields({"message": [*range(1, 20001), 20005]})
    assert fields["records"] == {"message": [[1, 20000], [20005, 20005]]}
    assert len(json.dumps(fields)) < 60


def test_a_purge_covers_only_what_came_before_it(raid):
    raid.append(PURGE, 1, purge_fields({"message": [1]}))
    raid.append("message", 50, {"text": "après la purge"})
    del raid.contents[("message", 50)]
    raid.contents[(PURGE, 1)] = Content(
        raid.contents[(PURGE, 1)].salt, purge_fields({"message": [1, 50]})
    )
    verdict = _verify(raid)
    # The purge record was rewritten to cover the later deletion: its digest says so.
    assert (verdict.problem.what, verdict.problem.kind) == ("altered", PURGE)
