"""End to end under pressure: bursts, flood mode, budgets, block list, delayed replies."""

from __future__ import annotations

import ast
import json
import sys

from conftest import query

from antirelou.cli import main as cli
from antirelou.clock import wait_until
from antirelou.config import load
from antirelou.simulator import SimulatedDongle


def replies(config) -> list[tuple]:
    return query(
        config.database,
        "SELECT m.sender, r.status, r.reason_code FROM messages m "
        "JOIN replies r ON r.message_id = m.id ORDER BY m.id",
    )


def test_burst_faster_than_sends_with_small_storage_loses_nothing(
    tmp_path, start_daemon, write_config
):
    with SimulatedDongle(str(tmp_path / "modem"), memories={"SM": 5}, send_latency=0.1) as dongle:
        config = load(write_config("flood:\n  enabled: false\n"))
        start_daemon(config.path)
        inbound = [(f"+3361000{n:04d}", f"insulte numéro {n}") for n in range(30)]
        for sender, text in inbound:
            dongle.inject(sender, text)
        assert wait_until(
            lambda: (
                len(replies(config)) == 30 and not dongle.stored() and dongle.pending_network == 0
            ),
            30,
        )
        logged = query(config.database, "SELECT sender, text FROM messages ORDER BY id")
        assert sorted(logged) == sorted(inbound)
        assert wait_until(lambda: len(dongle.sent) == 30, 30)
        assert len({sent.number for sent in dongle.sent}) == 30


def test_flood_mode_still_answers_a_genuine_first_time_sender(dongle, start_daemon, write_config):
    config = load(
        write_config("""\
        flood:
          messages_per_minute: 6
          new_numbers_per_minute: 100
          hold: 1s
        """)
    )
    start_daemon(config.path)
    for n in range(12):
        dongle.inject(f"+3361111{n % 3:04d}", f"raid {n}")
    assert wait_until(lambda: len(replies(config)) == 12)
    assert query(config.database, "SELECT COUNT(*) FROM events WHERE kind = 'flood started'") == [
        (1,)
    ]
    dongle.inject("+33699999999", "bonjour, je suis une vraie personne")
    assert wait_until(lambda: ("+33699999999", "sent", "first_message") in replies(config))
    statuses = [status for _, status, _ in replies(config)]
    assert statuses.count("sent") == 4  # three raiders before the flood, and the genuine one
    status = cli(["status", "-c", config.path])
    assert status == 0


def test_hourly_budget_spent_logs_but_does_not_answer(dongle, start_daemon, write_config):
    config = load(write_config("budgets:\n  segments_per_hour: 2\n"))
    start_daemon(config.path)
    for n in range(3):
        dongle.inject(f"+3362222{n:04d}", "message")
    assert wait_until(lambda: len(replies(config)) == 3 and len(dongle.sent) == 2)
    assert replies(config)[2][1:] == ("skipped", "budget_hour")


def test_number_blocked_from_cli_while_running_gets_no_further_reply(
    dongle, start_daemon, write_config
):
    config = load(write_config("replies:\n  delay: 2s\n"))
    start_daemon(config.path)
    dongle.inject("+33633333333", "premier message")
    assert wait_until(lambda: replies(config) == [("+33633333333", "queued", "first_message")])
    assert cli(["block", "06 33 33 33 33", "--reason", "menaces", "-c", config.path]) == 0
    dongle.inject("+33633333333", "encore")
    assert wait_until(
        lambda: [status for _, status, _ in replies(config)] == ["skipped", "skipped"], 10
    )
    assert [code for *_, code in replies(config)] == ["blocked_while_waiting", "blocked"]
    assert dongle.sent == []
    assert cli(["unblock", "+33633333333", "-c", config.path]) == 0


def test_delayed_reply_survives_a_restart_and_is_sent_once(dongle, start_daemon, write_config):
    config = load(write_config("replies:\n  delay: 2s\n"))
    first = start_daemon(config.path)
    dongle.inject("+33644444444", "salut")
    assert wait_until(lambda: [status for _, status, _ in replies(config)] == ["queued"])
    assert first.stop() == 0
    dongle.inject("+33644444444", "pendant l'arrêt")
    start_daemon(config.path)
    assert wait_until(lambda: len(dongle.sent) == 1, 10)
    assert wait_until(lambda: [status for _, status, _ in replies(config)] == ["sent", "skipped"])
    assert replies(config)[1][2] == "reply_waiting"


def test_operators_are_alerted_of_a_raid_and_never_answered(
    dongle, start_daemon, write_config, tmp_path
):
    record = tmp_path / "alerts.txt"
    script = f"import sys; open({str(record)!r}, 'a').write(repr(sys.argv[1:]) + '\\n')"
    config = load(
        write_config(f"""\
        flood:
          messages_per_minute: 5
          new_numbers_per_minute: 100
        alerts:
          numbers: ["0600000001"]
          command: [{json.dumps(sys.executable)}, "-c", {json.dumps(script)}, "--from-antirelou"]
        """)
    )
    start_daemon(config.path)
    dongle.inject("+33600000001", "c'est l'opératrice, test")
    for n in range(6):
        dongle.inject(f"+3361234{n:04d}", f"raid {n}")
    assert wait_until(lambda: "+33600000001" in [s.number for s in dongle.sent], 10)
    alert = next(s for s in dongle.sent if s.number == "+33600000001")
    assert alert.text.startswith("antirelou: flood mode on.")
    operator_reply = replies(config)[0]
    assert operator_reply == ("+33600000001", "skipped", "operator")
    assert wait_until(lambda: record.exists() and "flood mode on" in record.read_text(), 10)
    arguments = ast.literal_eval(record.read_text().splitlines()[0])
    assert arguments[0] == "--from-antirelou" and arguments[1] == "flood mode on"
    assert query(config.database, "SELECT segments FROM alerts WHERE status = 'sent'") == [(1,)]


def test_flood_hold_drops_raiders_who_insist_and_keeps_the_budget_for_others(
    dongle, start_daemon, write_config
):
    config = load(
        write_config("""\
        flood:
          messages_per_minute: 3
          new_numbers_per_minute: 100
          segments_per_hour: 1
          hold: 2s
        """)
    )
    start_daemon(config.path)
    for n in range(3):  # the third message starts flood mode
        dongle.inject(f"+3363000{n:04d}", "raid")
    dongle.inject("+33630000002", "raid encore")  # ...and its sender insists
    assert wait_until(lambda: len(dongle.sent) == 2)
    for n in range(5):  # new raider numbers that insist during the hold
        dongle.inject(f"+3364000{n:04d}", "raid")
        dongle.inject(f"+3364000{n:04d}", "raid encore")
    dongle.inject("+33699999999", "bonjour")  # one genuine sender, writing once
    assert wait_until(lambda: "+33699999999" in [s.number for s in dongle.sent], 15)
    raiders = [r for r in replies(config) if r[0].startswith(("+3364000", "+33630000002"))]
    assert not any(status == "sent" for _, status, _ in raiders)
    assert any(code == "insisted_during_hold" for _, _, code in raiders)
