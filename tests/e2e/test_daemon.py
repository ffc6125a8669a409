"""End to end: simulated dongle on a pty ↔ pyserial ↔ gsmmodem ↔ daemon ↔ SQLite."""

from __future__ import annotations

import threading

from conftest import query

from antirelou import exits
from antirelou.clock import wait_until
from antirelou.config import load
from antirelou.intake import commit_listing
from antirelou.modem import Modem
from antirelou.simulator import SimulatedDongle
from antirelou.store import Store

REPLY = "Si une femme dit non, inutile d'insister."
LONG = ("Tu crois que tu peux m'ignorer ? Reponds-moi. " * 9).strip()  # GSM-7, 3 segments


def messages(config) -> list[tuple]:
    return query(
        config.database,
        "SELECT m.sender, m.text, m.parts, r.status, r.reason_code "
        "FROM messages m JOIN replies r ON r.message_id = m.id "
        "ORDER BY m.id",
    )


def settled(config, dongle, count: int) -> bool:
    rows = query(
        config.database,
        "SELECT COUNT(*), SUM(r.status IN ('queued', 'sending')) "
        "FROM messages m JOIN replies r ON r.message_id = m.id",
    )
    return rows[0][0] == count and not rows[0][1] and not dongle.stored()


def test_daemon_logs_every_encoding_exactly_and_answers_each_number_once(
    dongle, start_daemon, write_config
):
    config = load(write_config())
    start_daemon(config.path)
    inbound = [
        ("+33611111111", "Prix: 5€ [promo] {ok} ~^|\\"),
        ("+33622222222", "Ça va ? Une œuvre, être déçue, ç’est « non »."),
        ("+33633333333", "Réponds 😡👍🏽"),
        ("+33644444444", LONG),
    ]
    for sender, text in inbound:
        dongle.inject(sender, text)
    assert wait_until(lambda: settled(config, dongle, 4) and len(dongle.sent) == 4)
    rows = messages(config)
    assert [(sender, text) for sender, text, *_ in rows] == inbound
    assert rows[3][2] == 3  # the long one came in three parts and is one message
    assert sorted(sent.number for sent in dongle.sent) == sorted(s for s, _ in inbound)
    assert {sent.text for sent in dongle.sent} == {REPLY}


def test_daemon_never_answers_names_short_codes_or_premium_ranges(
    dongle, start_daemon, write_config
):
    config = load(write_config())
    start_daemon(config.path)
    dongle.inject("Orange", "Votre facture est disponible.")
    dongle.inject("36179", "Envoyez GAGNE au 36179")
    dongle.inject("+33899123456", "Appelez vite")
    assert wait_until(lambda: settled(config, dongle, 3))
    codes = [code for *_, status, code in messages(config) if status == "skipped"]
    assert codes == ["alphanumeric", "short_code", "never_reply_prefix"]
    assert dongle.sent == []


def test_daemon_answers_repeated_sender_once_within_cooldown(dongle, start_daemon, write_config):
    config = load(write_config())
    start_daemon(config.path)
    for text in ("Réponds", "Allez", "Pourquoi tu réponds pas"):
        dongle.inject("0655555555", text)
    assert wait_until(lambda: settled(config, dongle, 3))
    statuses = [status for *_, status, _ in messages(config)]
    assert statuses.count("sent") == 1 and statuses.count("skipped") == 2
    assert [sent.number for sent in dongle.sent] == ["+33655555555"]


def test_daemon_keeps_receiving_while_a_reply_is_being_sent(tmp_path, start_daemon, write_config):
    with SimulatedDongle(str(tmp_path / "modem"), send_latency=0.6) as dongle:
        config = load(write_config())
        start_daemon(config.path)
        dongle.inject("+33611111111", "premier")
        assert dongle.wait_for(lambda: any(c.startswith("AT+CMGS") for c in dongle.command_log), 10)
        dongle.inject("+33622222222", "pendant l'envoi")
        assert wait_until(lambda: settled(config, dongle, 2) and len(dongle.sent) == 2)
    assert [text for _, text, *_ in messages(config)] == ["premier", "pendant l'envoi"]


def test_daemon_drains_messages_left_on_the_sim_at_start(dongle, start_daemon, write_config):
    dongle.preload([("+33611111111", "pendant que tu dormais"), ("Free", "Info conso")])
    config = load(write_config())
    start_daemon(config.path)
    assert wait_until(lambda: settled(config, dongle, 2))
    assert [text for _, text, *_ in messages(config)] == ["pendant que tu dormais", "Info conso"]


def test_daemon_lists_once_instead_of_reading_each_slot(dongle, start_daemon, write_config):
    dongle.preload([(f"+336{n:08d}", f"message {n}") for n in range(20)])
    config = load(write_config("flood:\n  enabled: false\n"))
    start_daemon(config.path)
    assert wait_until(lambda: settled(config, dongle, 20))
    log = dongle.command_log
    assert not any(command.startswith("AT+CMGR") for command in log)
    assert sum(command == "AT+CMGD=1,1" for command in log) >= 1
    assert not any(command.startswith("AT+CMGD=") and command != "AT+CMGD=1,1" for command in log)


def test_daemon_crash_between_commit_and_delete_logs_nothing_twice(
    dongle, start_daemon, write_config
):
    dongle.preload([("+33611111111", "un"), ("+33622222222", "deux"), ("+33633333333", LONG)])
    config = load(write_config())
    # What a daemon killed right after its commit leaves: committed, still on the SIM.
    modem = Modem(config.modem, threading.Event())
    modem.open()
    with Store(config.database) as store:
        commit_listing(store, modem.list_storage(modem.readable[0]), config, store_now())
    modem.close()
    assert len(dongle.stored()) == 5
    start_daemon(config.path)
    assert wait_until(lambda: settled(config, dongle, 3) and len(dongle.sent) == 3)
    assert [text for _, text, *_ in messages(config)] == ["un", "deux", LONG]
    assert len(dongle.sent) == 3


def store_now():
    from antirelou.clock import SystemClock

    return SystemClock().now()


def test_daemon_logs_an_undecodable_pdu_with_its_raw_form(dongle, start_daemon, write_config):
    config = load(write_config())
    start_daemon(config.path)
    dongle.inject_pdu("07913396050036F5040B913316325476F80000621")
    assert wait_until(lambda: settled(config, dongle, 1))
    ((sender, text, error, raw),) = query(
        config.database,
        "SELECT m.sender, m.text, m.error, p.pdu FROM messages m "
        "JOIN pdus p ON p.message_id = m.id",
    )
    assert error and text is None
    assert raw == "07913396050036F5040B913316325476F80000621"
    assert dongle.sent == []


def test_daemon_unlocks_sim_with_configured_pin(tmp_path, start_daemon, write_config):
    with SimulatedDongle(str(tmp_path / "modem"), pin="4321") as dongle:
        config = load(write_config(modem_extra='pin: "4321"'))
        start_daemon(config.path)
        dongle.inject("+33611111111", "salut")
        assert wait_until(lambda: len(dongle.sent) == 1)


def test_daemon_exits_78_without_retrying_a_wrong_pin(tmp_path, start_daemon, write_config):
    with SimulatedDongle(str(tmp_path / "modem"), pin="4321") as dongle:
        runner = start_daemon(write_config(modem_extra='pin: "1111"'), wait_ready=False)
        runner.thread.join(10)
        assert runner.exit_code == exits.CONFIG
        assert sum(command.startswith('AT+CPIN="') for command in dongle.command_log) == 1


def test_daemon_exits_78_when_sim_wants_a_pin_and_none_is_configured(
    tmp_path, start_daemon, write_config
):
    with SimulatedDongle(str(tmp_path / "modem"), pin="4321"):
        runner = start_daemon(write_config(), wait_ready=False)
        runner.thread.join(10)
        assert runner.exit_code == exits.CONFIG


def test_daemon_retries_a_refused_send_and_sends_it_once(dongle, start_daemon, write_config):
    config = load(
        write_config("""\
        replies:
          retry:
            attempts: 3
            backoff: 1s
        """)
    )
    dongle.fail_next("AT+CMGS", "+CMS ERROR: 500")
    start_daemon(config.path)
    dongle.inject("+33611111111", "salut")
    assert wait_until(lambda: len(dongle.sent) == 1, 10)
    assert wait_until(
        lambda: query(config.database, "SELECT status, attempts FROM replies") == [("sent", 2)]
    )


def test_a_confirmed_delete_is_noted_once_the_storage_lists_empty(
    dongle, start_daemon, write_config
):
    from conftest import query

    from antirelou.clock import wait_until
    from antirelou.config import load

    config = load(write_config())
    start_daemon(config.path)
    dongle.inject("+33611112222", "bonjour")
    assert wait_until(lambda: query(config.database, "SELECT COUNT(*) FROM messages") == [(1,)])
    # The next poll lists the storage empty: the delete it confirmed is written down.
    assert wait_until(
        lambda: query(config.database, "SELECT COUNT(*) FROM pdus WHERE on_modem = 1") == [(0,)]
    )
