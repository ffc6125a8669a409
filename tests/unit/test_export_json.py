"""The JSON export is complete and verifiable on its own: verify_export redoes every digest
and the tree head from the file alone, and names what was changed in it."""

from __future__ import annotations

import json

import pytest
from dossiers import RAID, build

from antirelou.evidence.checkpoint import Checkpoint
from antirelou.evidence.verify import verify_export
from antirelou.export import render
from antirelou.export.json_format import export_document


@pytest.fixture
def exported():
    log, dossier = build(RAID)
    return log, dossier, json.loads(render(dossier, "json").decode("utf-8"))


def test_an_export_round_trips_and_verifies(exported):
    log, dossier, document = exported
    verdict = verify_export(document)
    assert verdict.ok, verdict.summary()
    assert verdict.root == log.frontier.root() == dossier.checkpoint.root
    assert document["checkpoint"]["text"] == dossier.checkpoint.text()
    assert document == export_document(dossier)


def test_an_export_keeps_every_text_exactly_and_what_a_constat_lists(exported):
    _, dossier, document = exported
    texts = [message["text"] for message in document["messages"]]
    assert texts == [text or None for _, text in RAID]
    third = document["messages"][2]
    assert third["sender"] == "0633333333" and third["sender_e164"] == "+33633333333"
    assert third["smsc_time"] == "2017-10-30T15:20:56+01:00"  # the network's own offset
    assert third["received_at"] == "2017-10-30T14:21:00.000+00:00"
    assert third["received_local"] == "2017-10-30 15:21:00 +01:00"
    assert third["smsc"] == "+33695000695"
    assert [flag["rule"] for flag in third["flags"]] == ["weapon", "whereabouts"]
    assert third["pdus"][0]["hex"] == dossier.messages[2].pdus[0].hex
    assert third["reply"]["status"] == "sent"
    assert document["device"]["imei"] == "356938035643809"
    assert document["senders"][0] == {
        "sender": "+33611111111",
        "sender_kind": "phone",
        "messages": 2,
        "calls": 0,
        "first_seen": "2017-10-30T14:07:00.000+00:00",
        "last_seen": "2017-10-30T14:42:00.000+00:00",
        "replies": 2,
        "flagged": 0,
    }
    assert len(document["log"]["leaves"]) == dossier.checkpoint.size
    assert "RFC 6962" in document["log"]["algorithm"]


def _edit_record(document, kind, record_id, **fields):
    for record in document["log"]["records"]:
        if (record["kind"], record["id"]) == (kind, record_id):
            record["fields"].update(fields)


@pytest.mark.parametrize(
    ("edit", "what", "where"),
    [
        # The text shown to a reader, changed alone.
        (lambda d: d["messages"][1].update(text="T'es gentille"), "altered", "message 2"),
        # The hashed record changed too: its digest no longer matches.
        (
            lambda d: (
                d["messages"][1].update(text="T'es gentille"),
                _edit_record(d, "message", 2, text="T'es gentille"),
            ),
            "altered",
            "message 2",
        ),
        (lambda d: d["messages"][2].update(sender="+33699999999"), "altered", "message 3"),
        (
            lambda d: d["messages"][2].update(received_at="2017-10-30T18:00:00.000+00:00"),
            "altered",
            "message 3",
        ),
        (lambda d: d["messages"][2]["pdus"][0].update(hex="00"), "altered", "pdu 3"),
        # A message added to what a reader sees, with no record behind it.
        (
            lambda d: d["messages"].append({**d["messages"][0], "id": 77, "seq": None}),
            "unbacked",
            "message 77",
        ),
        # A leaf removed: the tree no longer has the checkpoint's size.
        (lambda d: d["log"]["leaves"].pop(), "malformed", "is not leaf #20"),
        (lambda d: d["log"]["leaves"].append(["pdu", 99, "00" * 32]), "malformed", "22 leaves"),
        # Another head: the leaves no longer rebuild it.
        (lambda d: d["checkpoint"].update(root="00" * 32), "checkpoint", "21 premiers"),
        (lambda d: d.pop("log"), "malformed", "'log'"),
    ],
)
def test_verify_export_names_what_was_changed(exported, edit, what, where):
    _, _, document = exported
    edit(document)
    verdict = verify_export(json.loads(json.dumps(document)))
    assert not verdict.ok
    assert verdict.problem.what == what
    assert where in verdict.problem.message


def test_verify_export_checks_an_earlier_checkpoint_kept_off_the_pi(exported):
    log, _, document = exported
    tree_at_five = build(RAID[:2])[0]  # another log: its head differs
    sms = Checkpoint(5, tree_at_five.frontier.root(), log.checkpoint().at)
    verdict = verify_export(document, [sms])
    assert verdict.problem.what == "checkpoint"
    assert "5 premiers" in verdict.problem.message
    honest = Checkpoint(5, _root_of_first(document, 5), log.checkpoint().at)
    assert verify_export(document, [honest]).ok


def _root_of_first(document, count):
    from antirelou.evidence.canonical import leaf_bytes
    from antirelou.evidence.merkle import leaf_hash, root_of

    return root_of(
        [
            leaf_hash(leaf_bytes(seq, kind, record_id, bytes.fromhex(digest)))
            for seq, (kind, record_id, digest) in enumerate(document["log"]["leaves"][:count])
        ]
    )
