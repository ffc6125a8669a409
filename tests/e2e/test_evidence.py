"""Evidence end to end on the simulated dongle: a threat is flagged, the operators are alerted
by SMS, and its reply is the one it would have had unflagged; the device block holds the SIM's
identity as each family of dongles gives it."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from conftest import FAST, query

from antirelou.clock import wait_until
from antirelou.config import load
from antirelou.modem import Modem
from antirelou.simulator import SimulatedDongle
from antirelou.simulator.profiles import PROFILES

OPERATOR = "+33600000001"
THREAT = "Je sais où tu habites. Je vais te crever 🔪"


def test_a_threat_is_flagged_and_alerted_and_answered_as_if_it_were_not(
    dongle, start_daemon, write_config
):
    config = load(write_config(f'alerts:\n  numbers: ["{OPERATOR}"]\n'))
    start_daemon(config.path)
    dongle.inject("+33611111111", "salut, on se voit quand ?")
    dongle.inject("+33633333333", THREAT)
    assert wait_until(lambda: len(dongle.sent) == 3, 20)
    flags = query(
        config.database,
        "SELECT m.sender, f.rule, f.author FROM flags f JOIN messages m ON m.id = f.message_id",
    )
    assert [(sender, author) for sender, _, author in flags] == [("+33633333333", "antirelou")] * 3
    assert {rule for _, rule, _ in flags} == {"death_threat", "weapon", "whereabouts"}
    alert = next(sent for sent in dongle.sent if sent.number == OPERATOR)
    assert alert.text == "antirelou: threat. message 2 flagged (death_threat, weapon, whereabouts)"
    replies = {sent.number: sent.text for sent in dongle.sent if sent.number != OPERATOR}
    # The same reply, the same reason, as the unflagged first-time sender beside it.
    assert replies["+33633333333"] == replies["+33611111111"] == config.replies.text
    assert query(config.database, "SELECT reason_code FROM replies ORDER BY id") == [
        ("first_message",),
        ("first_message",),
    ]


def test_the_device_block_is_recorded_at_connect(tmp_path, start_daemon, write_config):
    with SimulatedDongle(str(tmp_path / "modem"), own_number="+33757000001", **FAST):
        config = load(write_config())
        start_daemon(config.path)
        assert wait_until(lambda: query(config.database, "SELECT COUNT(*) FROM device") == [(1,)])
    assert query(
        config.database, "SELECT imei, imsi, iccid, own_number, operator, model FROM device"
    ) == [
        (
            "861234056789012",
            "208011234567890",
            "8933010319000123456",
            "+33757000001",
            "Orange F",
            "E3531",
        )
    ]


@pytest.mark.parametrize(
    "profile",
    [
        *PROFILES.values(),
        # A stick that refuses AT+CRSM: each family's own command is asked in turn.
        *(
            dataclasses.replace(profile, name=f"{name} without +CRSM", iccid_commands=commands)
            for name, profile, commands in (
                ("huawei", PROFILES["huawei"], ("^ICCID",)),
                ("zte", PROFILES["zte"], ("+ZGETICCID",)),
                ("simcom", PROFILES["simcom"], ("+CCID",)),
                ("quectel", PROFILES["quectel"], ("+QCCID",)),
            )
        ),
    ],
    ids=lambda profile: profile.name,
)
def test_each_family_gives_the_sims_identity(profile, tmp_path, write_config):
    with SimulatedDongle(str(tmp_path / "modem"), profile=profile, sms_ready_delay=0, **FAST):
        modem = Modem(load(write_config()).modem, threading.Event())
        try:
            identity = modem.open()
        finally:
            modem.close()
    assert (identity.imsi, identity.iccid, identity.own_number) == (
        "208011234567890",
        "8933010319000123456",
        "",  # this SIM does not know its number: AT+CNUM answers nothing
    )
