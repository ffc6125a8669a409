"""Rejected calls in the log, on a real SQLite file: history, raids, the optional SMS answer."""

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from antirelou.calls import IncomingCall, commit_call
from antirelou.config import CallsConfig, RepliesConfig, loads
from antirelou.flood import FloodDetector
from antirelou.intake import commit_listing
from antirelou.listing import Listing, StoredPdu
from antirelou.reasons import Reason
from antirelou.simulator.network_pdu import encode_deliver
from antirelou.store import Store, StoreError, Transaction

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
RANG = NOW - timedelta(seconds=3)
CONFIG = loads(
    "modem:\n  port: /dev/x\ndatabase: /tmp/x.db\n"
    "flood:\n  messages_per_minute: 3\n  new_numbers_per_minute: 3\n"
    'alerts:\n  numbers: ["+33600000001"]\n'
)
ANSWERING = replace(CONFIG, calls=CallsConfig(reply=True, text="Pas d'appels."))


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "log.db")) as opened:
        yield opened


def _call(caller: str | None, at: datetime = RANG) -> IncomingCall:
    return IncomingCall(caller, at)


def _rows(store: Store) -> list[tuple]:
    return [
        tuple(row)
        for row in store.read(
            "SELECT m.kind, m.sender, m.sender_kind, m.text, m.received_at, r.status,"
            " r.reason_code, r.text FROM messages m JOIN replies r ON r.message_id = m.id"
            " ORDER BY m.id"
        )
    ]


def test_commit_call_logs_the_caller_and_when_it_rang(store):
    result = commit_call(store, _call("0612345678"), CONFIG, NOW)
    assert _rows(store) == [
        (
            "call",
            "+33612345678",
            "phone",
            None,
            "2026-03-08T11:59:57.000+00:00",
            "skipped",
            "call_not_answered",
            None,
        )
    ]
    [logged] = result.logged
    assert logged.kind == "call" and logged.sender.e164 == "+33612345678"
    assert logged.text is None and logged.decision.code is Reason.CALL_NOT_ANSWERED
    assert logged.decision.reason == "calls are not answered by SMS (calls.reply: false)"


def test_commit_call_logs_a_hidden_number_as_such(store):
    result = commit_call(store, _call(None), ANSWERING, NOW)
    assert _rows(store)[0][:3] == ("call", None, "invalid")
    assert not result.logged[0].decision.reply
    assert result.logged[0].decision.code is Reason.NOT_A_NUMBER


def test_commit_call_counts_for_raid_detection_adopted_only_after_the_commit(store):
    detector = FloodDetector(CONFIG.flood)
    for caller in ("+33611111111", "+33622222222"):
        detector = commit_call(store, _call(caller), CONFIG, NOW, detector).flood
    result = commit_call(store, _call("+33633333333"), CONFIG, NOW, detector)
    assert [transition.started for transition in result.transitions] == [True]
    assert result.flood.active and result.flood.rates(NOW) == (3, 3)
    assert not detector.active and detector.rates(NOW) == (2, 2)  # the caller's, untouched
    assert [row[0] for row in store.read("SELECT kind FROM events")] == ["flood started"]


def test_commit_call_that_rolls_back_leaves_the_flood_detector_alone(store, monkeypatch):
    detector = FloodDetector(replace(CONFIG.flood, messages_per_minute=1))

    def failing(self, **fields):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Transaction, "insert_reply", failing)
    with pytest.raises(StoreError, match="disk I/O error"):
        commit_call(store, _call("+33611111111"), CONFIG, NOW, detector)
    assert not detector.active and detector.rates(NOW) == (0, 0)
    assert store.read("SELECT COUNT(*) FROM messages")[0][0] == 0
    assert store.read("SELECT COUNT(*) FROM events")[0][0] == 0


def test_commit_call_from_an_operator_is_never_answered_nor_counted_as_a_raid(store):
    detector = FloodDetector(replace(CONFIG.flood, messages_per_minute=1))
    result = commit_call(store, _call("0600000001"), ANSWERING, NOW, detector)
    assert result.logged[0].decision.code is Reason.OPERATOR
    assert not result.flood.active and result.flood.rates(NOW) == (0, 0)
    assert _rows(store)[0][5] == "skipped"


def test_a_caller_who_then_writes_is_not_new(store):
    called = commit_call(store, _call("+33611111111"), CONFIG, NOW, FloodDetector(CONFIG.flood))
    pdu = encode_deliver("+33611111111", "salut", NOW)[0]
    listing = Listing("SM", (StoredPdu(1, 0, pdu),), clean=True)
    result = commit_listing(store, listing, CONFIG, NOW, called.flood)
    assert result.flood.rates(NOW) == (2, 1)  # two contacts, one new number
    assert store.seen_before("+33611111111")


def test_a_call_after_a_message_is_writing_again(store):
    """During a flood hold, a raider who calls is insisting: the held reply is dropped."""
    pdu = encode_deliver("+33611111111", "salut", NOW)[0]
    listing = Listing("SM", (StoredPdu(1, 0, pdu),), clean=True)
    [message] = commit_listing(store, listing, CONFIG, NOW).logged
    assert not store.wrote_again("+33611111111", message.message_id)
    commit_call(store, _call("+33611111111", NOW + timedelta(seconds=30)), CONFIG, NOW)
    assert store.wrote_again("+33611111111", message.message_id)


def test_commit_call_queues_one_answer_when_calls_reply_then_skips_within_the_cooldown(store):
    first = commit_call(store, _call("+33611111111"), ANSWERING, NOW).logged[0]
    assert first.decision.reply and first.decision.code is Reason.FIRST_MESSAGE
    assert _rows(store)[0][5:] == ("queued", "first_message", "Pas d'appels.")
    assert store.next_due_reply(NOW).text == "Pas d'appels."  # the reply queue sends it

    waiting = commit_call(store, _call("+33611111111"), ANSWERING, NOW).logged[0]
    assert waiting.decision.code is Reason.REPLY_WAITING

    reply = store.next_due_reply(NOW)
    with store.transaction() as tx:
        tx.mark_sending(reply.id, NOW, 1)
        tx.mark_sent(reply.id, NOW, [1])
    sequence = replace(ANSWERING, replies=RepliesConfig(sequence=(("un",), ("deux",))))
    later = NOW + timedelta(hours=1)
    again = commit_call(store, _call("+33611111111", later), sequence, later).logged[0]
    assert not again.decision.reply and again.decision.code is Reason.COOLDOWN
    assert [row[5] for row in _rows(store)] == ["sent", "skipped", "skipped"]
