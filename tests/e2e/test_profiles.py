"""The service end to end against each family of real dongles the simulator plays
(antirelou/simulator/profiles.py, built from modems.md): receive, long messages, replies,
messages waiting at start, an unplug with messages held by the network, flash and SIM-class
messages, a noisy listing, an incoming call."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import FAST, query

from antirelou.clock import wait_until
from antirelou.config import load
from antirelou.simulator import SimulatedDongle
from antirelou.simulator.network_pdu import encode_deliver, tpdu_length

FAMILIES = ["generic", "huawei", "zte", "simcom", "quectel"]
LONG = ("Tu crois que tu peux m'ignorer ? Reponds-moi. " * 5).strip()  # GSM-7, 2 segments


@pytest.fixture(params=FAMILIES)
def family(request, tmp_path):
    with SimulatedDongle(
        str(tmp_path / "modem"), profile=request.param, sms_ready_delay=0.3, **FAST
    ) as dongle:
        yield dongle


def logged(config) -> list[tuple]:
    return query(
        config.database, "SELECT sender, text FROM messages WHERE kind = 'sms' ORDER BY id"
    )


def nothing_left(dongle: SimulatedDongle) -> bool:
    memories = {"SM", "ME"} & set(dongle.profile.capacities)
    return all(not dongle.stored_in(memory) for memory in memories)


def test_receive_long_message_reply_and_empty_storages(family, start_daemon, write_config):
    config = load(write_config())
    start_daemon(config.path)
    family.inject("+33611111111", "salut")
    family.inject("+33622222222", LONG)
    assert wait_until(
        lambda: (
            sorted(logged(config)) == sorted([("+33611111111", "salut"), ("+33622222222", LONG)])
        ),
        20,
    )
    assert wait_until(lambda: len(family.sent) == 2, 20)
    assert wait_until(lambda: nothing_left(family), 10)


@pytest.mark.parametrize("name", FAMILIES)
def test_a_message_waiting_at_start_is_logged(name, tmp_path, start_daemon, write_config):
    with SimulatedDongle(
        str(tmp_path / "modem"), profile=name, sms_ready_delay=0.3, **FAST
    ) as dongle:
        dongle.preload([("+33633333333", "attendait")])
        config = load(write_config())
        start_daemon(config.path)
        assert wait_until(lambda: logged(config) == [("+33633333333", "attendait")], 20)
        assert wait_until(lambda: nothing_left(dongle), 10)


def test_flash_and_sim_class_messages_are_logged(family, start_daemon, write_config):
    config = load(write_config())
    start_daemon(config.path)
    family.inject("+33666666666", "flash", message_class=0)
    family.inject("+33677777777", "classe 2", message_class=2)
    assert wait_until(
        lambda: sorted(logged(config)) == [("+33666666666", "flash"), ("+33677777777", "classe 2")],
        20,
    )


def test_noise_inside_a_listing_loses_nothing_and_deletes_in_bulk(
    family, start_daemon, write_config
):
    config = load(write_config())
    runner = start_daemon(config.path)
    family.preload([("+33688888888", "un"), ("+33699999999", "deux")])
    family.noise_inside_next("AT+CMGL", "^RSSI:7")
    runner.daemon.wake.set()
    assert wait_until(lambda: len(logged(config)) == 2, 20)
    assert wait_until(lambda: nothing_left(family), 10)


def test_an_incoming_call_is_rejected_and_logged(family, start_daemon, write_config):
    config = load(write_config())
    start_daemon(config.path)
    family.call("+33612121212", ring_every=0.2, ring_for=10)
    assert wait_until(lambda: family.calls[-1].outcome is not None, 10)
    assert family.calls[-1].outcome == "rejected"
    assert wait_until(
        lambda: (
            query(config.database, "SELECT sender FROM messages WHERE kind = 'call'")
            == [("+33612121212",)]
        ),
        10,
    )


def test_a_direct_message_inside_a_listing_is_logged_and_the_listing_kept_clean(
    family, start_daemon, write_config
):
    config = load(write_config())
    runner = start_daemon(config.path)
    [pdu] = encode_deliver("+33613131313", "au milieu", datetime(2026, 3, 8, 12, tzinfo=UTC))
    family.preload([("+33614141414", "stocké")])
    family.noise_inside_next("AT+CMGL", f"+CMT: ,{tpdu_length(pdu)}\r\n{pdu}")
    runner.daemon.wake.set()
    assert wait_until(
        lambda: (
            sorted(logged(config)) == [("+33613131313", "au milieu"), ("+33614141414", "stocké")]
        ),
        20,
    )
    assert wait_until(lambda: nothing_left(family), 10)


@pytest.mark.parametrize("name", ["huawei", "quectel"])
def test_an_esim_without_sms_storage_works(name, tmp_path, start_daemon, write_config):
    link = str(tmp_path / "modem")
    with SimulatedDongle(link, profile=name, sim_capacity=0, sms_ready_delay=0.3, **FAST) as dongle:
        config = load(write_config())
        runner = start_daemon(config.path)
        assert runner.daemon.modem.readable == ["ME"]
        dongle.inject("+33615151515", "eSIM")
        assert wait_until(lambda: logged(config) == [("+33615151515", "eSIM")], 20)


def test_a_dongle_that_reboots_is_set_up_again_and_loses_nothing(
    family, start_daemon, write_config
):
    config = load(write_config())
    start_daemon(config.path)
    family.inject("+33616161616", "avant")
    assert wait_until(lambda: len(logged(config)) == 1 and len(family.sent) == 1, 20)
    family.reboot()  # settings back to power-up, SMS service late, boot lines
    family.inject("+33617171717", "après le redémarrage")
    assert wait_until(lambda: len(logged(config)) == 2, 40)
    assert wait_until(lambda: nothing_left(family), 10)
    assert not any(line.startswith("AT+CFUN=1,1") for line in family.command_log)
