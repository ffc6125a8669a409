"""Two rules of the service loop, end to end on the simulated dongle: in-memory state changes
only after the commit that justifies it, and a bug of ours ends in one critical line, exit 70."""

from __future__ import annotations

import logging
import sqlite3

from conftest import query

from antirelou import exits
from antirelou.clock import wait_until
from antirelou.config import load
from antirelou.sender import ReplySender
from antirelou.store import Transaction

FLOOD_AT_3 = """\
flood:
  messages_per_minute: 3
  new_numbers_per_minute: 3
alerts:
  numbers: ["+33600000001"]
"""


def test_a_rolled_back_intake_leaves_flood_mode_off_then_counts_each_message_once(
    dongle, start_daemon, write_config, monkeypatch
):
    config = load(write_config(FLOOD_AT_3))
    original = Transaction.insert_reply
    calls = []

    def disk_fails_once(self, **fields):
        calls.append(fields["message_id"])
        if len(calls) == 3:  # the third message's reply: the whole listing rolls back
            raise sqlite3.OperationalError("disk I/O error")
        return original(self, **fields)

    monkeypatch.setattr(Transaction, "insert_reply", disk_fails_once)
    for number in ("+33611111111", "+33622222222", "+33633333333"):
        dongle.inject(number, "raid", notify=False)
    runner = start_daemon(config.path)
    daemon = runner.daemon
    assert wait_until(lambda: query(config.database, "SELECT COUNT(*) FROM messages")[0][0] == 3)
    # One raid, started once, with its event and its alert; each message counted once.
    kinds = [row[0] for row in query(config.database, "SELECT kind FROM events ORDER BY id")]
    assert kinds.count("flood started") == 1
    assert wait_until(
        lambda: (
            query(config.database, "SELECT COUNT(*) FROM alerts WHERE kind = 'flood mode on'")[0][0]
            == 1
        )
    )
    assert daemon.flood.active
    assert daemon.flood.rates(daemon.clock.now()) == (3, 3)
    assert len(calls) == 6  # 2 before the failure, then the retry's 3 (+ the failing one)


def test_an_unexpected_failure_in_the_loop_is_one_critical_line_and_exit_70(
    dongle, start_daemon, write_config, monkeypatch, caplog
):
    def bug(self):
        raise ValueError("a bug of ours")

    monkeypatch.setattr(ReplySender, "send_one_due", bug)
    caplog.set_level(logging.INFO, logger="antirelou")
    runner = start_daemon(write_config(), wait_ready=False)
    runner.thread.join(15)
    assert not runner.thread.is_alive()
    assert runner.exit_code == exits.SOFTWARE
    critical = [record for record in caplog.records if record.levelno >= logging.CRITICAL]
    assert len(critical) == 1
    line = critical[0].getMessage()
    assert "ValueError: a bug of ours" in line and "\n" not in line
    assert "test_memory_follows_database.py" in line  # where it was raised
    assert critical[0].exc_info is None  # no traceback at that level
