"""Intake on a real SQLite file: memory follows the database."""

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from antirelou.config import loads
from antirelou.flood import FloodDetector
from antirelou.intake import commit_direct, commit_listing
from antirelou.listing import Listing, StoredPdu
from antirelou.simulator.network_pdu import encode_deliver
from antirelou.store import Store, StoreError, Transaction

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
CONFIG = loads(
    "modem:\n  port: /dev/x\ndatabase: /tmp/x.db\n"
    "flood:\n  messages_per_minute: 3\n  new_numbers_per_minute: 3\n"
)


def _listing(count: int) -> Listing:
    entries = tuple(
        StoredPdu(slot, 0, encode_deliver(f"+3361234567{slot}", "salut", NOW)[0])
        for slot in range(1, count + 1)
    )
    return Listing("SM", entries, clean=True)


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "log.db")) as opened:
        yield opened


def _flood_events(store: Store) -> list[str]:
    return [row[0] for row in store.read("SELECT kind FROM events WHERE kind LIKE 'flood%'")]


def test_commit_listing_that_rolls_back_leaves_the_flood_detector_as_it_was(store, monkeypatch):
    original = Transaction.insert_reply
    calls = []

    def failing_third(self, **fields):
        calls.append(fields["message_id"])
        if len(calls) == 3:
            raise sqlite3.OperationalError("disk I/O error")
        return original(self, **fields)

    monkeypatch.setattr(Transaction, "insert_reply", failing_third)
    detector = FloodDetector(CONFIG.flood)
    with pytest.raises(StoreError, match="disk I/O error"):
        commit_listing(store, _listing(3), CONFIG, NOW, detector)
    assert not detector.active and detector.rates(NOW) == (0, 0)
    assert store.read("SELECT COUNT(*) FROM messages")[0][0] == 0
    assert _flood_events(store) == []

    # The retry counts each message once, and the start of the raid is in the log with them.
    monkeypatch.setattr(Transaction, "insert_reply", original)
    result = commit_listing(store, _listing(3), CONFIG, NOW, detector)
    assert [transition.started for transition in result.transitions] == [True]
    assert result.flood.active and result.flood.rates(NOW) == (3, 3)
    assert not detector.active  # the caller adopts result.flood, after the commit
    assert _flood_events(store) == ["flood started"]


def test_commit_listing_records_reason_codes_beside_sentences(store):
    result = commit_listing(store, _listing(1), CONFIG, NOW, FloodDetector(CONFIG.flood))
    assert [logged.decision.code.value for logged in result.logged] == ["first_message"]
    assert store.read("SELECT reason, reason_code FROM replies")[0][:] == (
        "first message",
        "first_message",
    )


def test_commit_direct_logs_a_pdu_delivered_again_once(store):
    [pdu] = encode_deliver("+33612345678", "flash", NOW)
    first = commit_direct(store, [pdu], CONFIG, NOW)
    again = commit_direct(store, [pdu], CONFIG, NOW)  # the network retried: no AT+CNMA came
    assert len(first.logged) == 1 and again.logged == []
    [other] = encode_deliver("+33687654321", "autre", NOW)
    assert len(commit_direct(store, [other], CONFIG, NOW).logged) == 1
    assert store.read("SELECT COUNT(*) FROM messages")[0][0] == 2
    # Only the latest batch is kept for comparison; nothing direct is ever deleted from a slot.
    assert store.read("SELECT COUNT(*) FROM pdus WHERE on_modem = 1")[0][0] == 1


def _written(times: list[datetime]) -> Listing:
    entries = tuple(
        StoredPdu(slot, 0, encode_deliver(f"+336123456{slot:02}", "salut", at)[0])
        for slot, at in enumerate(times, start=1)
    )
    return Listing("SM", entries, clean=True)


def test_a_backlog_received_at_once_is_logged_as_a_backlog_and_answered_without_flood_mode(store):
    # Forty people wrote once each, 3 minutes apart, while the Pi was off for two hours.
    written = [NOW - timedelta(minutes=120 - 3 * index) for index in range(40)]
    detector = FloodDetector(CONFIG.flood)  # a raid is 3 messages or 3 new numbers a minute
    result = commit_listing(store, _written(written), CONFIG, NOW, detector)
    assert result.transitions == [] and not result.flood.active
    assert sorted(result.late) == written[:37]  # the last three arrived within 10 minutes
    assert [logged.decision.reply for logged in result.logged] == [True] * 40
    assert not any(logged.decision.in_flood for logged in result.logged)
    events = store.read("SELECT kind, detail FROM events")
    assert [kind for kind, _ in events] == ["backlog"]
    assert events[0][1].startswith("37 messages written while the service was away")


@pytest.mark.parametrize(
    ("stamp", "reason"),
    [
        (NOW + timedelta(days=365), "a time stamp in the future"),
        (NOW - timedelta(days=30), "an absurdly old time stamp"),
    ],
)
def test_a_time_stamp_we_cannot_believe_counts_at_receipt(store, stamp, reason):
    result = commit_listing(store, _written([stamp] * 3), CONFIG, NOW, FloodDetector(CONFIG.flood))
    assert [t.started for t in result.transitions] == [True], reason
    assert result.late == []


def test_a_network_clock_a_little_ahead_of_ours_is_not_a_backlog(store):
    ahead = [NOW + timedelta(seconds=50)] * 2
    result = commit_listing(store, _written(ahead), CONFIG, NOW, FloodDetector(CONFIG.flood))
    assert result.transitions == [] and result.late == []
    assert result.flood.rates(NOW) == (2, 2)  # counted at our receipt, as live messages


def test_a_flag_changes_nothing_about_the_reply(tmp_path):
    threat = [("+33633333333", "Je vais te buter, je sais où tu habites 🔪")] * 3 + [
        ("+33644444444", "t'es mort")
    ]
    decided = {}
    for enabled in (True, False):
        config = loads(
            f"modem:\n  port: /dev/x\ndatabase: {tmp_path}/{enabled}.db\n"
            f"flags:\n  enabled: {str(enabled).lower()}\n"
        )
        entries = tuple(
            StoredPdu(slot, 0, encode_deliver(sender, text, NOW)[0])
            for slot, (sender, text) in enumerate(threat, start=1)
        )
        with Store(config.database) as store:
            result = commit_listing(store, Listing("SM", entries, clean=True), config, NOW)
            decided[enabled] = store.read(
                "SELECT recipient, text, status, reason_code, segments, due_at FROM replies"
            )
        assert all(bool(logged.flags) == enabled for logged in result.logged)
    assert [tuple(row) for row in decided[True]] == [tuple(row) for row in decided[False]]
