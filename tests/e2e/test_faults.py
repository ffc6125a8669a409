"""The fault suite: the service keeps running through what a dongle in a cupboard does."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import FAST, query

from antirelou.clock import wait_until
from antirelou.config import load
from antirelou.simulator import MALFORMED_KINDS, SimulatedDongle


def logged(config) -> list[tuple]:
    return query(config.database, "SELECT sender, text FROM messages ORDER BY id")


def events(config, kind: str) -> int:
    return query(config.database, "SELECT COUNT(*) FROM events WHERE kind = ?", (kind,))[0][0]


@pytest.fixture
def config(write_config):
    return load(write_config())


def test_unplug_and_replug_loses_nothing(dongle, start_daemon, config):
    start_daemon(config.path)
    dongle.inject("+33611111111", "avant")
    assert wait_until(lambda: len(dongle.sent) == 1)
    dongle.unplug()
    dongle.inject("+33622222222", "pendant")  # lands on the SIM while unplugged
    assert wait_until(lambda: events(config, "modem lost") >= 1)
    dongle.replug()
    dongle.inject("+33633333333", "après")
    assert wait_until(lambda: len(logged(config)) == 3 and len(dongle.sent) == 3, 20)
    assert [text for _, text in logged(config)] == ["avant", "pendant", "après"]
    assert not dongle.stored()


def test_hung_modem_is_reset_and_service_resumes(dongle, start_daemon, config):
    runner = start_daemon(config.path)
    dongle.hang(None)
    dongle.inject("+33611111111", "pendant le blocage", notify=False)
    runner.daemon.wake.set()
    assert wait_until(lambda: events(config, "modem lost") >= 1, 10)
    dongle.unhang()
    assert wait_until(lambda: logged(config) == [("+33611111111", "pendant le blocage")], 20)
    assert wait_until(lambda: len(dongle.sent) == 1, 10)


def test_repeated_timeouts_reopen_the_port_and_never_reset_the_modem(dongle, start_daemon, config):
    # AT+CFUN=1,1 puts some sticks back in CD-ROM mode (modems.md §8): closing and reopening
    # the port is the cure, as many times as it takes.
    runner = start_daemon(config.path)
    dongle.slow_next("AT+CMGL", 3.5, count=3)  # AT+CMGL's time-out is 2s + wire time
    runner.daemon.wake.set()
    assert wait_until(lambda: events(config, "modem lost") >= 3, 40)
    dongle.inject("+33611111111", "après les délais dépassés")
    assert wait_until(lambda: len(dongle.sent) == 1, 30)
    assert not any(command.startswith("AT+CFUN=1,1") for command in dongle.command_log)
    assert events(config, "modem reset") == 0


def test_garbage_and_invalid_utf8_do_not_stop_the_reader(dongle, start_daemon, config):
    start_daemon(config.path)
    dongle.garbage(b"\xff\xfe\x80 bruit \xc3\x28\r\n")
    dongle.inject("+33611111111", "après le bruit")
    assert wait_until(lambda: len(dongle.sent) == 1)
    dongle.garbage_inside_next("AT+CMGL", b"\xff\x00\x9c")
    dongle.inject("+33622222222", "ligne abîmée")
    # The damaged copy is logged (raw, flagged) and the PDU kept on the modem for one more
    # listing, which brings the clean copy: damage on the wire loses nothing.
    assert wait_until(
        lambda: ("+33622222222", "ligne abîmée") in logged(config) and not dongle.stored(), 10
    )
    damaged = query(config.database, "SELECT COUNT(*) FROM messages WHERE error IS NOT NULL")
    assert damaged == [(1,)]
    assert wait_until(lambda: [s.number for s in dongle.sent].count("+33622222222") == 1)


@pytest.mark.parametrize("command", ["AT+CMGL", "AT+CMGD"])
def test_modem_errors_on_read_or_delete_delete_nothing_uncommitted(
    dongle, start_daemon, config, command
):
    start_daemon(config.path)
    dongle.fail_next(command, "+CMS ERROR: 500", count=2)
    dongle.inject("+33611111111", "malgré l'erreur")
    assert wait_until(
        lambda: logged(config) == [("+33611111111", "malgré l'erreur")] and not dongle.stored(), 20
    )
    assert wait_until(lambda: len(dongle.sent) == 1, 10)


def test_send_timeout_is_marked_unknown_and_never_resent(dongle, start_daemon, write_config):
    config = load(write_config(modem_extra="send_timeout: 5s\n"))
    start_daemon(config.path)
    dongle.slow_next("AT+CMGS", 7)
    dongle.inject("+33611111111", "salut")
    assert wait_until(
        lambda: query(config.database, "SELECT status FROM replies") == [("unknown",)], 20
    )
    dongle.inject("+33622222222", "et moi ?")
    assert wait_until(lambda: len(logged(config)) == 2, 20)
    assert wait_until(lambda: [s.number for s in dongle.sent].count("+33622222222") == 1, 20)
    assert [s.number for s in dongle.sent].count("+33611111111") <= 1


def test_storage_full_notice_triggers_an_immediate_drain(tmp_path, start_daemon, write_config):
    with SimulatedDongle(str(tmp_path / "modem"), memories={"SM": 3}) as dongle:
        config = load(write_config())
        start_daemon(config.path)
        for n in range(3):
            dongle.inject(f"+3361111{n:04d}", f"n{n}", notify=False)
        dongle.storage_full_notice()
        assert wait_until(lambda: len(logged(config)) == 3, 5)


def test_malformed_pdus_are_logged_raw_and_flagged(dongle, start_daemon, config):
    start_daemon(config.path)
    for kind in MALFORMED_KINDS:
        dongle.inject_malformed(kind)
    dongle.inject("+33611111111", "un vrai message")
    assert wait_until(
        lambda: len(logged(config)) == len(MALFORMED_KINDS) + 1 and not dongle.stored(), 10
    )
    flagged = query(config.database, "SELECT COUNT(*) FROM messages WHERE error IS NOT NULL")
    assert flagged[0][0] == len(MALFORMED_KINDS)
    # A damaged message whose sender is still readable is answered like any other.
    assert wait_until(
        lambda: sorted(s.number for s in dongle.sent) == ["+33611111111", "+33612345678"]
    )


def test_modem_reboot_is_detected_and_set_up_again(tmp_path, start_daemon, write_config):
    with SimulatedDongle(str(tmp_path / "modem"), pin="4321") as dongle:
        config = load(write_config(modem_extra='pin: "4321"\n'))
        start_daemon(config.path)
        dongle.reboot()
        dongle.inject("+33611111111", "après le redémarrage")
        assert wait_until(lambda: len(dongle.sent) == 1, 20)
        assert events(config, "modem lost") >= 1


def test_database_not_writable_keeps_messages_on_the_modem(dongle, start_daemon, config):
    runner = start_daemon(config.path)
    # SQLite's own I/O cannot be made to fail from outside while it holds the file open;
    # a write lock held by another connection is the same failure seen from the daemon.
    blocker = sqlite3.connect(config.database, timeout=10)
    blocker.execute("BEGIN EXCLUSIVE")
    dongle.inject("+33611111111", "pendant la panne")
    runner.daemon.wake.set()
    try:
        assert wait_until(lambda: runner.daemon.state == "database error", 20)
        assert len(dongle.stored()) == 1  # nothing deleted that is not committed
    finally:
        blocker.rollback()
        blocker.close()
    assert wait_until(
        lambda: logged(config) == [("+33611111111", "pendant la panne")] and not dongle.stored(), 30
    )
    assert wait_until(lambda: runner.daemon.state == "running", 10)


@pytest.fixture(params=["generic", "huawei", "zte", "simcom", "quectel"])
def family(request, tmp_path):
    with SimulatedDongle(
        str(tmp_path / "modem"), profile=request.param, sms_ready_delay=0.3, **FAST
    ) as dongle:
        yield dongle


def test_messages_held_by_the_network_during_an_unplug_land_on_the_sim_and_are_logged_once(
    family, start_daemon, config
):
    start_daemon(config.path)
    family.inject("+33611111111", "avant")
    assert wait_until(lambda: len(logged(config)) == 1, 20)
    family.unplug()
    family.inject("+33622222222", "pendant 1")  # held by the network: the dongle is away
    family.inject("+33644444444", "pendant 2")
    family.replug()  # settings back to power-up: new messages land on the SIM
    family.inject("+33655555555", "après")
    assert wait_until(lambda: len(logged(config)) == 4, 40)
    texts = sorted(text for _, text in logged(config))
    assert texts == ["après", "avant", "pendant 1", "pendant 2"]
    memories = {"SM", "ME"} & set(family.profile.capacities)
    assert wait_until(lambda: all(not family.stored_in(memory) for memory in memories), 10)
