"""End to end, issue 9: a backlog is not a raid, and a raid defers replies rather than dropping
them. The daemon's wall clock runs faster (ScaledClock) so that an hour's budget and the calm
after a raid pass in seconds; the dongle's timings stay real, and every message is stamped by
the network at the daemon's time."""

from __future__ import annotations

from datetime import datetime, timedelta

from conftest import FAST, query

from antirelou.cli import main as cli
from antirelou.clock import ScaledClock, wait_until
from antirelou.config import load
from antirelou.simulator import SimulatedDongle


def replies(config) -> list[tuple]:
    return query(
        config.database,
        "SELECT m.sender, r.status, r.reason_code, r.in_flood, r.updated_at FROM messages m"
        " JOIN replies r ON r.message_id = m.id ORDER BY m.id",
    )


def events(config, kind: str) -> list[tuple]:
    return query(config.database, "SELECT at, detail FROM events WHERE kind = ?", (kind,))


def test_a_backlog_after_an_outage_is_answered_without_flood_mode(
    tmp_path, start_daemon, write_config, capsys
):
    # Forty people wrote once each, 3 minutes apart, while the Pi was off for two hours; the
    # SIM holds 20 of them, the network the other 20 until slots free up.
    config = load(write_config())  # the shipped flood thresholds: 20 messages, 10 new numbers
    now = datetime.now().astimezone()
    written = [now - timedelta(minutes=120 - 3 * index) for index in range(40)]
    senders = [f"+336200000{index:02}" for index in range(40)]
    with SimulatedDongle(str(tmp_path / "modem"), memories={"SM": 20}, **FAST) as dongle:
        for sender, at in zip(senders, written, strict=True):
            dongle.inject(sender, "bonjour", timestamp=at, notify=False)
        assert dongle.pending_network == 20
        start_daemon(config.path)
        # The dongle sends before the daemon records it: wait for the log too.
        assert wait_until(
            lambda: len(dongle.sent) == 40 and [row[1] for row in replies(config)] == ["sent"] * 40,
            30,
        )
    assert sorted(sent.number for sent in dongle.sent) == senders
    assert {(status, code, in_flood) for _, status, code, in_flood, _ in replies(config)} == {
        ("sent", "first_message", 0)
    }
    assert events(config, "flood started") == []
    backlog = events(config, "backlog")
    assert backlog and all("written while the service was away" in d for _, d in backlog)
    # Counted when written: at most one per 3 minutes, under every threshold.
    assert sum(int(detail.split()[0]) for _, detail in backlog) >= 36
    assert cli(["status", "-c", config.path]) == 0
    assert "backlog" in capsys.readouterr().out


def test_a_raid_defers_replies_to_people_who_write_once_and_sends_them_after_it(
    tmp_path, start_daemon, write_config
):
    # 1 real second is 2 minutes of the daemon's: the 5-minute re-check of deferred replies
    # takes 2.5 s, the calm that ends a raid (1 minute after the last hot minute) 1 s.
    config = load(
        write_config("""\
        flood:
          messages_per_minute: 5
          new_numbers_per_minute: 100
          calm_after: 1m
          hold: 1m
          segments_per_hour: 1
        """)
    )
    clock = ScaledClock(120)
    raider = "+33611110000"
    genuine = ["+33622220001", "+33622220002", "+33622220003"]
    with SimulatedDongle(str(tmp_path / "modem"), **FAST) as dongle:
        start_daemon(config.path, clock=clock)

        def write(sender: str, text: str) -> None:
            dongle.inject(sender, text, timestamp=clock.now())

        for n in range(6):
            write(raider, f"insulte {n}")
        assert wait_until(lambda: events(config, "flood started"), 10)
        for sender in genuine:
            write(sender, "bonjour, on m'a donné ce numéro")
        # During the raid, its hourly budget (1 SMS) lets one through; the others wait.
        assert wait_until(lambda: len(dongle.sent) >= 2, 10)
        assert wait_until(lambda: events(config, "flood ended"), 20)
        assert wait_until(lambda: len(dongle.sent) == 4, 20)
        # The dongle counts an SMS once it took it; the log says "sent" once that is committed.
        assert wait_until(
            lambda: sum(row[1] == "sent" for row in replies(config) if row[0] in genuine) == 3, 5
        )
    logged = replies(config)
    assert [row[1] for row in logged if row[0] in genuine] == ["sent"] * 3
    assert all(row[3] == 1 for row in logged if row[0] in genuine)
    raider_codes = [row[2] for row in logged if row[0] == raider]
    assert raider_codes[0] == "first_message"  # before the raid was seen
    # Nothing more for the raider, whichever rule says so first: its reply still waiting, or
    # sent already (a sequence of one reply is finished), or flood mode's "already answered".
    assert set(raider_codes[1:]) <= {"flood_already_answered", "reply_waiting", "sequence_finished"}
    assert [row[1] for row in logged if row[0] == raider].count("sent") == 1
    # Two of the three left after the raid ended: deferred, not dropped.
    ended_at = events(config, "flood ended")[0][0]
    after = [row for row in logged if row[0] in genuine and row[4] > ended_at]
    assert len(after) == 2
