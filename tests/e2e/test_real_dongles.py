"""What real dongles do that a careful daemon must survive (modems.md), on the simulated dongle:
every storage read, messages handed over in +CMT notices, boot notices, calls, a slow start."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import FAST, query

from antirelou.clock import wait_until
from antirelou.config import load
from antirelou.simulator import SimulatedDongle
from antirelou.simulator.network_pdu import encode_deliver

SM_SMALL_ME_LARGE = {"SM": 10, "ME": 50}  # after power-up every storage is the first, SM


@pytest.fixture
def two_storages(tmp_path):
    with SimulatedDongle(str(tmp_path / "modem"), memories=SM_SMALL_ME_LARGE, **FAST) as dongle:
        yield dongle


def logged(config) -> list[tuple]:
    return query(config.database, "SELECT sender, text FROM messages ORDER BY id")


def test_messages_waiting_on_the_sim_are_logged_though_new_ones_go_to_the_phone_memory(
    two_storages, start_daemon, write_config
):
    # Waiting on the SIM since before the service started (the dongle's power-up storage).
    two_storages.preload([("+33611111111", "sur la SIM"), ("+33622222222", "aussi")])
    config = load(write_config())
    runner = start_daemon(config.path)
    assert wait_until(lambda: len(logged(config)) == 2)
    assert two_storages.stored_in("SM") == {}
    assert runner.daemon.modem.receive_storage == "ME"
    two_storages.inject("+33633333333", "dans la mémoire du téléphone")
    assert wait_until(lambda: len(logged(config)) == 3)
    assert two_storages.stored_in("ME") == {}
    # Every AT+CPMS sets all three storages, new messages always going to ME.
    settings = [
        line
        for line in two_storages.command_log
        if line.startswith("AT+CPMS=") and line != "AT+CPMS=?"
    ]
    assert settings and all(line.count(",") == 2 for line in settings)


def test_a_message_handed_over_in_a_cmt_notice_is_logged_once(dongle, start_daemon, write_config):
    config = load(write_config())
    start_daemon(config.path)
    [pdu] = encode_deliver("+33644444444", "flash", datetime(2026, 3, 8, 12, tzinfo=UTC))
    length = len(pdu) // 2 - 1 - int(pdu[:2], 16)  # TPDU length: the SMSC field left out
    dongle.garbage(f"\r\n+CMT: ,{length}\r\n{pdu}\r\n".encode())
    assert wait_until(lambda: logged(config) == [("+33644444444", "flash")])
    assert wait_until(lambda: len(dongle.sent) == 1)


def test_a_boot_notice_sets_the_sms_settings_again(dongle, start_daemon, write_config):
    config = load(write_config())
    start_daemon(config.path)
    before = sum(line.startswith("AT+CNMI=") for line in dongle.command_log)
    dongle.garbage(b"\r\nSMS DONE\r\n")
    assert dongle.wait_for(
        lambda: sum(line.startswith("AT+CNMI=") for line in dongle.command_log) > before, 10
    )
    dongle.inject("+33666666666", "après le redémarrage")
    assert wait_until(lambda: logged(config) == [("+33666666666", "après le redémarrage")])


def test_sms_service_not_ready_after_boot_is_waited_for_without_resetting(
    dongle, start_daemon, write_config
):
    dongle.fail_next("AT+CMGF", "+CMS ERROR: 314", count=2)  # SIM busy, just after a boot
    config = load(write_config())
    runner = start_daemon(config.path, wait_ready=False)
    assert wait_until(lambda: runner.daemon.state == "waiting for SMS service", 10)
    assert runner.daemon.ready.wait(30)
    dongle.inject("+33677777777", "enfin prêt")
    assert wait_until(lambda: logged(config) == [("+33677777777", "enfin prêt")], 15)
    assert not any(line.startswith("AT+CFUN=1,1") for line in dongle.command_log)


def calls(config) -> list[tuple]:
    return query(
        config.database,
        "SELECT m.sender, r.status, r.reason_code FROM messages m"
        " JOIN replies r ON r.message_id = m.id WHERE m.kind = 'call' ORDER BY m.id",
    )


def test_a_ringing_call_is_hung_up_at_once_and_logged(dongle, start_daemon, write_config):
    config = load(write_config())
    start_daemon(config.path)
    dongle.garbage(b'\r\nRING\r\n\r\n+CLIP: "+33688888888",145,,,,0\r\n')
    assert dongle.wait_for(
        lambda: any(line in ("AT+CHUP", "ATH") for line in dongle.command_log), 5
    )
    assert wait_until(lambda: calls(config) == [("+33688888888", "skipped", "call_not_answered")])
    assert dongle.sent == []


def test_a_call_without_caller_id_is_logged_as_such(dongle, start_daemon, write_config):
    config = load(write_config())
    start_daemon(config.path)
    dongle.garbage(b'\r\nRING\r\n\r\n+CLIP: "",128,"",0\r\n')
    assert wait_until(lambda: calls(config) == [(None, "skipped", "not_a_number")])


def test_a_storage_that_cannot_be_listed_does_not_keep_the_others_from_being_read(
    two_storages, start_daemon, write_config
):
    # Some sticks offer a storage whose listing they refuse (modems.md §1.3): the message on
    # the SIM is still logged, in the same pass, without taking the modem for lost.
    two_storages.preload([("+33618181818", "sur la SIM")])
    two_storages.fail_next("AT+CMGL", "+CMS ERROR: 320", count=1)  # the phone memory's listing
    config = load(write_config())
    start_daemon(config.path)
    assert wait_until(lambda: logged(config) == [("+33618181818", "sur la SIM")])
    events = query(config.database, "SELECT COUNT(*) FROM events WHERE kind = 'modem lost'")
    assert events == [(0,)]
