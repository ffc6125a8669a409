"""Tests for antirelou.simulator: a pty dongle that pyserial and gsmmodem drive as hardware."""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

import pytest
import serial
from at_client import TIMEOUT, AtClient
from gsmmodem.exceptions import CmeError, IncorrectPinError, PinRequiredError
from gsmmodem.modem import GsmModem

from antirelou.pdu import decode_deliver, encode_submit, join_parts
from antirelou.simulator import Fault, SimulatedDongle, serve_forever
from antirelou.simulator.network_pdu import encode_deliver


@pytest.fixture
def link(tmp_path) -> str:
    return str(tmp_path / "modem")


@pytest.fixture
def dongle(link) -> Iterator[SimulatedDongle]:
    with SimulatedDongle(link) as simulated:
        yield simulated


def _client(dongle: SimulatedDongle) -> AtClient:
    client = AtClient(serial.Serial(dongle.port, timeout=TIMEOUT))
    assert client.command("ATE0")[-1] == "OK"
    assert client.command("AT+CMEE=1") == ["OK"]
    return client


@pytest.fixture
def client(dongle) -> Iterator[AtClient]:
    at_client = _client(dongle)
    yield at_client
    at_client.connection.close()


def _gsm_modem(port: str) -> GsmModem:
    modem = GsmModem(port, smsReceivedCallbackFunc=None, requestDelivery=False)
    modem.timeout = 0.1  # its reader polls this often, so close() returns quickly
    return modem


def _listing(client: AtClient, stat: int = 4) -> dict[int, tuple[int, str]]:
    lines = client.command(f"AT+CMGL={stat}")
    assert lines[-1] == "OK"
    entries = {}
    for header, pdu in zip(lines[:-1:2], lines[1:-1:2], strict=True):
        index, status, _, length = header.removeprefix("+CMGL: ").split(",")
        assert int(length) == max(0, len(pdu) // 2 - 1 - int(pdu[:2], 16))
        entries[int(index)] = (int(status), pdu)
    return entries


def _messages(pdus: list[str]) -> list[tuple[str | None, str]]:
    """Decode listed PDUs and join concatenated parts: [(sender, text)] in arrival order."""
    singles, groups, order = [], defaultdict(list), []
    for pdu in pdus:
        part = decode_deliver(pdu)
        assert part.error is None, part.error
        if part.concat is None:
            singles.append(part)
            order.append(("single", len(singles) - 1))
            continue
        key = (part.sender, part.concat.reference)
        if key not in groups:
            order.append(("group", key))
        groups[key].append(part)
    result = []
    for kind, key in order:
        if kind == "single":
            result.append((singles[key].sender, singles[key].text))
        else:
            parts = sorted(groups[key], key=lambda part: part.concat.sequence)
            assert len(parts) == parts[0].concat.total
            result.append((parts[0].sender, join_parts(parts)))
    return result


# --- gsmmodem drives it as hardware ----------------------------------------------------------


def test_connect_gsmmodem_succeeds(dongle):
    modem = _gsm_modem(dongle.port)
    try:
        modem.connect()
        assert modem.manufacturer == "huawei"
        assert modem.imei == "861234056789012"
        assert modem.networkName == "Orange F"
        assert modem.signalStrength == 20
    finally:
        modem.close()
    log = dongle.command_log
    for command in (
        "ATZ",
        "ATE0",
        "AT+CMEE=1",
        "AT+CPIN?",
        "AT+CLAC",
        "AT+CMGF=0",
        'AT+CPMS="SM","SM","SM"',
        "AT+CNMI=2,1,0,2",
    ):
        assert command in log


def test_connect_gsmmodem_unlocks_pin(link):
    with SimulatedDongle(link, pin="4321") as dongle:
        modem = _gsm_modem(dongle.port)
        try:
            modem.connect(pin="4321")
        finally:
            modem.close()
        assert 'AT+CPIN="4321"' in dongle.command_log


def test_connect_gsmmodem_wrong_pin_fails(link):
    with SimulatedDongle(link, pin="4321") as dongle:
        modem = _gsm_modem(dongle.port)
        try:
            with pytest.raises((IncorrectPinError, CmeError)):
                modem.connect(pin="0000")
        finally:
            modem.close()


def test_connect_gsmmodem_without_pin_fails(link):
    with SimulatedDongle(link, pin="4321") as dongle:
        modem = _gsm_modem(dongle.port)
        try:
            with pytest.raises(PinRequiredError):
                modem.connect()
        finally:
            modem.close()


def test_send_sms_gsmmodem_records_sent_messages(dongle):
    modem = _gsm_modem(dongle.port)
    try:
        modem.connect()
        modem.sendSms("+33611111111", "Merci, bien reçu.")
        modem.sendSms("0611111111", "ça marche ê")
        modem.sendSms("+33622222222", "long " * 50)
    finally:
        modem.close()
    sent = dongle.sent
    assert [(message.number, message.text) for message in sent] == [
        ("+33611111111", "Merci, bien reçu."),
        ("0611111111", "ça marche ê"),
        ("+33622222222", "long " * 50),
    ]
    assert len(sent[2].segments) == 2
    assert len(dongle.sent_segments) == 4
    assert [message.references for message in sent] == [[0], [1], [2, 3]]


def test_list_stored_sms_gsmmodem_reads_injected_messages(dongle):
    dongle.inject("+33612345678", "Salut")
    modem = _gsm_modem(dongle.port)
    try:
        modem.connect()
        [message] = modem.listStoredSms()
    finally:
        modem.close()
    assert (message.number, message.text) == ("+33612345678", "Salut")


# --- listing, reading, deleting --------------------------------------------------------------


def test_cmgl_lists_injected_messages_exactly(dongle, client):
    injected = [
        ("+33612345678", "Plain GSM-7 with escapes: [€] {~} ^|\\"),
        ("0612345678", "Accents hors GSM : ê ç œ, et un emoji 😀👍🏽"),
        ("36179", "Trois parties. " * 25),
        ("FreeMobile", "Votre code de confirmation est 123456"),
        ("+33698765432", "Émojis sur deux SMS " + "🎉" * 40),
    ]
    for sender, text in injected:
        dongle.inject(sender, text)
    entries = _listing(client)
    assert len(entries) == 1 + 1 + 3 + 1 + 2
    assert _messages([pdu for _, pdu in entries.values()]) == injected


def test_cmgl_marks_unread_as_read(dongle, client):
    dongle.inject("+33612345678", "one")
    dongle.inject("+33612345678", "two")
    assert [stat for stat, _ in _listing(client, 0).values()] == [0, 0]
    assert _listing(client, 0) == {}
    assert [stat for stat, _ in _listing(client, 1).values()] == [1, 1]
    assert [stat for stat, _ in dongle.stored().values()] == [1, 1]


def test_cmgl_one_command_for_the_whole_storage(dongle, client):
    dongle.preload([("+33612345678", f"message {number}") for number in range(5)])
    _listing(client)
    assert [line for line in dongle.command_log if "CMG" in line] == ["AT+CMGL=4"]


def test_cmgr_reads_and_marks_read(dongle, client):
    [index] = dongle.inject("+33612345678", "read me")
    lines = client.command(f"AT+CMGR={index}")
    assert lines[0] == f"+CMGR: 0,,{len(lines[1]) // 2 - 8}"
    assert decode_deliver(lines[1]).text == "read me"
    assert lines[2] == "OK"
    assert dongle.stored()[index][0] == 1


def test_cmgr_empty_slot_is_cms_321(dongle, client):
    assert client.command("AT+CMGR=5") == ["+CMS ERROR: 321"]


def test_inject_uses_lowest_free_index_from_zero(dongle):
    assert dongle.inject("+33612345678", "a") == [0]
    assert dongle.inject("+33612345678", "b" * 200) == [1, 2]


def test_inject_pdu_stores_malformed_pdu_as_is(dongle, client):
    index = dongle.inject_pdu("0791FFFF")
    assert _listing(client) == {index: (0, "0791FFFF")}
    assert dongle.stored()[index] == (1, "0791FFFF")


@pytest.mark.parametrize(
    ("command", "left"),
    [
        ("AT+CMGD=1", {0, 2, 3}),
        ("AT+CMGD=1,0", {0, 2, 3}),
        ("AT+CMGD=0,1", {2, 3}),  # all READ
        ("AT+CMGD=0,2", {2, 3}),  # READ and SENT (no sent messages stored here)
        ("AT+CMGD=0,3", {2, 3}),
        ("AT+CMGD=7,4", set()),  # everything; the index is ignored with a flag
    ],
)
def test_cmgd_flags(dongle, client, command, left):
    dongle.preload([("+33612345678", "read one"), ("+33612345678", "read two")])
    _listing(client)  # marks 0 and 1 read
    dongle.preload([("+33612345678", "unread one"), ("+33612345678", "unread two")])
    assert client.command(command) == ["OK"]
    assert set(dongle.stored()) == left


def test_cmgd_bad_flag_is_refused(dongle, client):
    assert client.command("AT+CMGD=0,5")[-1].startswith("+CMS ERROR")


# --- sending ---------------------------------------------------------------------------------


def test_cmgs_records_concatenated_message_once_complete(dongle, client):
    text = "Réponse automatique : " + "bla " * 40 + "😀"
    pdus = encode_submit("+33612345678", text, 9, concat_reference=42)
    assert len(pdus) == 3
    for position, pdu in enumerate(pdus):
        assert client.send_pdu(pdu.hex, pdu.tpdu_length) == [f"+CMGS: {position}", "OK"]
        if position < 2:
            assert dongle.sent == []
    [message] = dongle.sent
    assert (message.number, message.text, message.references) == ("+33612345678", text, [0, 1, 2])
    assert [segment.concat.sequence for segment in message.segments] == [1, 2, 3]


def test_cmgs_wrong_length_is_refused(dongle, client):
    [pdu] = encode_submit("+33612345678", "hello", 0)
    assert client.send_pdu(pdu.hex, pdu.tpdu_length + 1) == ["+CMS ERROR: 304"]
    assert dongle.sent_segments == []


def test_cmgs_garbage_pdu_is_refused(dongle, client):
    assert client.send_pdu("00FF", 1) == ["+CMS ERROR: 304"]


def test_cmgs_escape_cancels(dongle, client):
    assert client.command("AT+CMGS=18") == ["> "]
    client.connection.write(b"0001\x1b")
    assert client.read_answer() == ["OK"]
    assert dongle.sent_segments == []
    assert client.command("AT") == ["OK"]


def test_cmgs_waits_send_latency(link):
    with SimulatedDongle(link, send_latency=(0.2, 0.3), seed=1) as dongle:
        client = _client(dongle)
        [pdu] = encode_submit("+33612345678", "slow", 0)
        started = time.monotonic()
        assert client.send_pdu(pdu.hex, pdu.tpdu_length)[-1] == "OK"
        assert time.monotonic() - started >= 0.2
        client.connection.close()


def test_message_reference_wraps_after_255(dongle, client):
    [pdu] = encode_submit("+33612345678", "x", 0)
    answers = [client.send_pdu(pdu.hex, pdu.tpdu_length)[0] for _ in range(257)]
    assert answers[254:] == ["+CMGS: 254", "+CMGS: 255", "+CMGS: 0"]


# --- notifications and storage full ----------------------------------------------------------


def test_cmti_sent_when_cnmi_enables_it(dongle, client):
    dongle.inject("+33612345678", "silent")  # CNMI not set yet: no notice
    assert client.command("AT+CNMI=2,1,0,0,0") == ["OK"]
    [index] = dongle.inject("+33612345678", "loud")
    assert client.read_line() == ""
    assert client.read_line() == f'+CMTI: "SM",{index}'
    assert client.command("AT") == ["OK"]  # nothing else was pending


def test_storage_full_queues_and_loses_nothing(link):
    with SimulatedDongle(link, memories={"SM": 3}) as dongle:
        client = _client(dongle)
        assert client.command("AT+CNMI=2,1,0,0,0") == ["OK"]
        texts = [f"message {number}" for number in range(5)]
        indexes = [dongle.inject("+33612345678", text) for text in texts]
        assert indexes == [[0], [1], [2], [], []]
        assert dongle.pending_network == 2
        notices = [client.read_line() for _ in range(2 * 4)]
        assert [line for line in notices if line] == [
            '+CMTI: "SM",0',
            '+CMTI: "SM",1',
            '+CMTI: "SM",2',
            '^SMMEMFULL: "SM"',
        ]
        received = [decode_deliver(pdu).text for _, pdu in _listing(client).values()]
        assert client.command("AT+CMGD=0,4") == ["OK"]
        assert dongle.wait_for(lambda: dongle.pending_network == 0, TIMEOUT)
        # The queued messages arrive as soon as there is room, announced like any other.
        assert [client.read_line() for _ in range(4)] == ["", '+CMTI: "SM",0', "", '+CMTI: "SM",1']
        received += [decode_deliver(pdu).text for _, pdu in _listing(client).values()]
        assert received == texts
        client.connection.close()


def test_storage_full_notice_when_preloaded_storage_overflows(link):
    with SimulatedDongle(link, memories={"SM": 1}) as dongle:
        dongle.preload([("+33612345678", "first")])
        client = _client(dongle)
        dongle.inject("+33612345678", "second")
        assert [client.read_line(), client.read_line()] == ["", '^SMMEMFULL: "SM"']
        assert dongle.pending_network == 1
        client.connection.close()


def test_cpms_selects_storage_and_reports_counts(link):
    with SimulatedDongle(link, memories={"SM": 30, "ME": 300}) as dongle:
        client = _client(dongle)
        assert client.command("AT+CPMS=?")[0] == '+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")'
        assert client.command('AT+CPMS="ME","ME","ME"')[0] == "+CPMS: 0,300,0,300,0,300"
        dongle.inject("+33612345678", "into ME")
        assert set(dongle.stored_in("ME")) == {0} and dongle.stored_in("SM") == {}
        assert client.command("AT+CPMS?")[0] == '+CPMS: "ME",1,300,"ME",1,300,"ME",1,300'
        assert client.command('AT+CPMS="XX"') == ["+CMS ERROR: 302"]
        client.connection.close()


# --- AT behaviour ----------------------------------------------------------------------------


def test_echo_on_at_start_and_after_atz(dongle):
    connection = serial.Serial(dongle.port, timeout=TIMEOUT)
    client = AtClient(connection)
    assert client.command("AT") == ["AT\r", "OK"]
    assert client.command("ATE0") == ["ATE0\r", "OK"]
    assert client.command("AT") == ["OK"]
    assert client.command("ATZ") == ["OK"]
    assert client.command("AT") == ["AT\r", "OK"]
    connection.close()


def test_sim_commands_need_pin(link):
    with SimulatedDongle(link, pin="1111") as dongle:
        client = _client(dongle)
        assert client.command("AT+CPIN?") == ["+CPIN: SIM PIN", "OK"]
        assert client.command("AT+CMGL=4") == ["+CME ERROR: 11"]
        assert client.command('AT+CPIN="2222"') == ["+CME ERROR: 16"]
        assert client.command('AT+CPIN="1111"') == ["OK"]
        assert client.command("AT+CPIN?") == ["+CPIN: READY", "OK"]
        assert client.command("AT+CMGL=4") == ["OK"]
        client.connection.close()


def test_three_wrong_pins_need_puk(link):
    with SimulatedDongle(link, pin="1111") as dongle:
        client = _client(dongle)
        for _ in range(3):
            assert client.command('AT+CPIN="0000"') == ["+CME ERROR: 16"]
        assert client.command("AT+CPIN?") == ["+CPIN: SIM PUK", "OK"]
        assert client.command('AT+CPIN="1111"') == ["+CME ERROR: 12"]
        client.connection.close()


def test_reboot_resets_settings_and_keeps_storage(link):
    with SimulatedDongle(link, pin="1111", memories={"SM": 5, "ME": 5}) as dongle:
        client = _client(dongle)
        assert client.command('AT+CPIN="1111"') == ["OK"]
        assert client.command('AT+CPMS="ME","ME","ME"')[-1] == "OK"
        dongle.inject("+33612345678", "kept")
        assert client.command("AT+CFUN=1,1") == ["OK"]
        assert client.command("AT") == ["AT\r", "OK"]  # echo back on
        assert client.command("ATE0") == ["ATE0\r", "OK"]
        assert client.command("AT+CPIN?") == ["+CPIN: SIM PIN", "OK"]
        assert client.command('AT+CPIN="1111"') == ["OK"]
        assert client.command("AT+CPMS?")[0].startswith('+CPMS: "SM",0,5')
        assert len(dongle.stored_in("ME")) == 1
        client.connection.close()


def test_registration_delay_reports_searching_then_registered(link):
    with SimulatedDongle(link, registration_delay=0.3) as dongle:
        client = _client(dongle)
        assert client.command("AT+CREG?")[0] == "+CREG: 0,2"
        assert client.command("AT+COPS?")[0] == "+COPS: 0"
        [pdu] = encode_submit("+33612345678", "too early", 0)
        assert client.command(f"AT+CMGS={pdu.tpdu_length}") == ["+CMS ERROR: 331"]
        deadline = time.monotonic() + TIMEOUT
        while client.command("AT+CREG?")[0] != "+CREG: 0,1":
            assert time.monotonic() < deadline
        assert client.command("AT+COPS?")[0] == '+COPS: 0,0,"Orange F",2'
        client.connection.close()


def test_unknown_command_is_error(dongle, client):
    assert client.command("AT+NOPE") == ["+CME ERROR: 100"]
    assert client.command("AT+CMEE=0") == ["OK"]
    assert client.command("AT+NOPE") == ["ERROR"]
    assert client.command("AT+CMGF=1") == ["ERROR"]


def test_identity_commands(dongle, client):
    assert client.command("AT+CGMI") == ["huawei", "OK"]
    assert client.command("AT+CGMM") == ["E3531", "OK"]
    assert client.command("AT+CGSN") == ["861234056789012", "OK"]
    assert client.command("AT+CSQ") == ["+CSQ: 20,99", "OK"]
    assert client.command("AT+CFUN?") == ["+CFUN: 1", "OK"]
    assert client.command("AT+CSCA?") == ['+CSCA: "+33695000695",145', "OK"]
    assert client.command("AT+CMGF?") == ["+CMGF: 0", "OK"]
    assert "+CMGL" in client.command("AT+CLAC")


def test_command_latency_delays_answers(link):
    with SimulatedDongle(link, command_latency=0.05) as dongle:
        client = _client(dongle)
        started = time.monotonic()
        for _ in range(3):
            client.command("AT")
        assert time.monotonic() - started >= 0.15
        client.connection.close()


def test_baudrate_throttles_big_listing(link):
    with SimulatedDongle(link, baudrate=9600) as dongle:
        dongle.preload([("+33612345678", "Un message de taille moyenne, " * 2)] * 6)
        client = _client(dongle)
        started = time.monotonic()
        lines = client.command("AT+CMGL=4", timeout=10)
        elapsed = time.monotonic() - started
        wire_bytes = sum(len(line) + 2 for line in lines)
        assert wire_bytes > 600
        # 9600 baud is 960 bytes/s; the lower bound leaves room for any scheduling.
        assert elapsed >= 0.8 * wire_bytes / 960
        client.connection.close()


# --- faults ----------------------------------------------------------------------------------


def test_fail_next_answers_error_once(dongle, client):
    dongle.fail_next("AT+CSQ", "+CMS ERROR: 500")
    assert client.command("AT+CSQ") == ["+CMS ERROR: 500"]
    assert client.command("AT+CSQ") == ["+CSQ: 20,99", "OK"]


def test_fail_next_cmgs_refuses_after_the_pdu(dongle, client):
    dongle.fail_next("AT+CMGS", "+CMS ERROR: 500")
    [pdu] = encode_submit("+33612345678", "refused", 0)
    assert client.send_pdu(pdu.hex, pdu.tpdu_length) == ["+CMS ERROR: 500"]
    assert dongle.sent_segments == []
    assert client.send_pdu(pdu.hex, pdu.tpdu_length) == ["+CMGS: 0", "OK"]


def test_garbage_arrives_between_answers(dongle, client):
    dongle.garbage(b"\xff\x00junk\r\n")
    assert client.read_line() == "\xff\x00junk"
    assert client.command("AT") == ["OK"]


def test_set_fault_can_rewrite_output(dongle, client):
    class Shout(Fault):
        def on_write(self, data: bytes) -> bytes:
            return data.replace(b"OK", b"KO")

    dongle.set_fault(Shout())
    client.connection.write(b"AT\r")
    assert client.read_line() == "" and client.read_line() == "KO"
    dongle.clear_faults()
    assert client.command("AT") == ["OK"]


# --- life cycle ------------------------------------------------------------------------------


def test_symlink_created_and_removed(link):
    dongle = SimulatedDongle(link).start()
    target = os.readlink(link)
    assert target.startswith("/dev/pts/") or target.startswith("/dev/tty")
    assert dongle.port == link
    dongle.stop()
    assert not os.path.lexists(link)


def test_symlink_replaces_existing_link(link, tmp_path):
    os.symlink(str(tmp_path / "elsewhere"), link)
    with SimulatedDongle(link) as dongle:
        assert os.readlink(link) == dongle._port.slave_path
    assert not os.path.lexists(link)


def test_refuses_to_replace_regular_file(link):
    with open(link, "w") as handle:
        handle.write("not a link")
    with pytest.raises(FileExistsError):
        SimulatedDongle(link).start()


def test_port_without_link_is_slave_path():
    with SimulatedDongle() as dongle:
        assert dongle.port.startswith("/dev/")
        with serial.Serial(dongle.port, timeout=TIMEOUT) as connection:
            assert AtClient(connection).command("AT") == ["AT\r", "OK"]


def test_wait_for_times_out_false(dongle):
    assert dongle.wait_for(lambda: dongle.pending_network > 0, 0.05) is False


def test_serve_forever_stops_on_event(link):
    dongle = SimulatedDongle(link)
    stop = threading.Event()
    server = threading.Thread(target=serve_forever, args=(dongle, stop))
    server.start()
    assert dongle.wait_for(lambda: dongle.running and os.path.lexists(link), TIMEOUT)
    stop.set()
    server.join(TIMEOUT)
    assert not server.is_alive()
    assert not os.path.lexists(link)


def test_inject_concat_reference_differs_between_messages(dongle):
    dongle.inject("+33612345678", "a" * 200)
    dongle.inject("+33612345678", "a" * 200)
    references = {decode_deliver(pdu).concat.reference for _, pdu in dongle.stored().values()}
    assert len(references) == 2


def test_inject_pdu_round_trips_through_storage(dongle, client):
    pdus = encode_deliver("+33612345678", "direct " * 30, datetime(2026, 1, 1))  # noqa: DTZ001 - naive is what is tested
    for pdu in pdus:
        dongle.inject_pdu(pdu)
    assert [pdu for _, pdu in _listing(client).values()] == pdus
