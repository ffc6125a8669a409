"""Tests for the simulated dongle's hardware faults: unplug/replug, hang, garbage, failing and
slow answers, storage-full notices, malformed PDUs, reboot, and the faults log.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator

import pytest
import serial
from at_client import TIMEOUT, AtClient, connect
from gsmmodem.modem import GsmModem

from antirelou.pdu import decode_deliver, encode_submit
from antirelou.simulator import MALFORMED_KINDS, SimulatedDongle


@pytest.fixture
def link(tmp_path) -> str:
    return str(tmp_path / "modem")


@pytest.fixture
def dongle(link) -> Iterator[SimulatedDongle]:
    with SimulatedDongle(link) as simulated:
        yield simulated


@pytest.fixture
def client(dongle) -> Iterator[AtClient]:
    at_client = connect(dongle.port)
    yield at_client
    at_client.close()


def _listing(client: AtClient) -> dict[int, str]:
    """Given a client, return index -> PDU of everything AT+CMGL=4 lists."""
    lines = client.command("AT+CMGL=4")
    assert lines[-1] == "OK"
    return {
        int(header.removeprefix("+CMGL: ").split(",")[0]): pdu
        for header, pdu in zip(lines[:-1:2], lines[1:-1:2], strict=True)
    }


def _texts(pdus: Iterator[str] | list[str]) -> list[str]:
    return [decode_deliver(pdu).text for pdu in pdus]


def _read_exactly(connection: serial.Serial, count: int, timeout: float = TIMEOUT) -> bytes:
    connection.timeout = timeout
    return connection.read(count)


# --- unplug / replug -------------------------------------------------------------------------


def test_unplug_old_port_read_fails(dongle, client):
    dongle.unplug()
    with pytest.raises((serial.SerialException, OSError)):
        client.connection.read(1)


def test_unplug_old_port_write_fails(dongle, client):
    dongle.unplug()
    with pytest.raises((serial.SerialException, OSError)):
        client.connection.write(b"AT\r")


def test_unplug_removes_link_and_keeps_running(dongle, link, client):
    dongle.unplug()
    assert not os.path.lexists(link)
    assert dongle.running and not dongle.plugged
    dongle.unplug()  # already out: nothing happens
    assert not dongle.plugged


def test_replug_lists_messages_from_before_and_during_unplug(dongle, link, client):
    old_target = os.readlink(link)
    assert client.command("AT+CNMI=2,1,0,0,0") == ["OK"]
    dongle.inject("+33611111111", "before the unplug")
    assert client.read_until("+CMTI") == ['+CMTI: "SM",0']
    dongle.unplug()
    assert dongle.inject("+33622222222", "while unplugged") == [1]
    dongle.replug()
    assert os.readlink(link) != old_target  # the old pty is still held open by the host
    fresh = connect(link, echo_off=False)
    try:
        # Echo is on again and nothing came before: no notice for the unplugged delivery.
        assert fresh.command("AT") == ["AT\r", "OK"]
        assert fresh.command("ATE0") == ["ATE0\r", "OK"]
        assert _texts(_listing(fresh).values()) == ["before the unplug", "while unplugged"]
    finally:
        fresh.close()


def test_replug_works_several_times_in_a_row(dongle, link):
    expected = []
    for round_number in range(3):
        connection = connect(link)
        dongle.inject("+33611111111", f"round {round_number}")
        expected.append(f"round {round_number}")
        dongle.unplug()
        with pytest.raises((serial.SerialException, OSError)):
            connection.connection.read(1)
        connection.close()
        dongle.replug()
    # Replugging while plugged swaps the pty behind a link that never goes missing.
    connection = connect(link)
    dongle.replug()
    assert os.path.islink(link)
    with pytest.raises((serial.SerialException, OSError)):
        connection.connection.write(b"AT\r")
    connection.close()
    fresh = connect(link)
    try:
        assert _texts(_listing(fresh).values()) == expected
    finally:
        fresh.close()


def test_replug_asks_pin_again(link):
    with SimulatedDongle(link, pin="1111") as dongle:
        client = connect(link)
        assert client.command('AT+CPIN="1111"') == ["OK"]
        dongle.unplug()
        client.close()
        dongle.replug()
        client = connect(link)
        try:
            assert client.command("AT+CPIN?") == ["+CPIN: SIM PIN", "OK"]
            assert client.command("AT+CMGL=4") == ["+CME ERROR: 11"]
        finally:
            client.close()


def test_replug_gsmmodem_lists_stored_messages(dongle, link):
    dongle.inject("+33611111111", "before")
    dongle.unplug()
    dongle.inject("+33622222222", "during")
    dongle.replug()
    modem = GsmModem(link, smsReceivedCallbackFunc=None, requestDelivery=False)
    modem.timeout = 0.1  # its reader polls this often, so close() returns quickly
    try:
        modem.connect()
        messages = modem.listStoredSms()
    finally:
        modem.close()
    assert [(message.number, message.text) for message in messages] == [
        ("+33611111111", "before"),
        ("+33622222222", "during"),
    ]


def test_unplug_before_start_is_refused(link):
    with pytest.raises(RuntimeError):
        SimulatedDongle(link).unplug()
    with pytest.raises(RuntimeError):
        SimulatedDongle(link).replug()


def test_stop_while_unplugged_cleans_up(link):
    dongle = SimulatedDongle(link).start()
    dongle.unplug()
    dongle.stop()
    assert not dongle.running and not os.path.lexists(link)


# --- hang ------------------------------------------------------------------------------------


def test_hang_swallows_commands_until_unhang(dongle, client):
    dongle.hang(None)
    client.connection.write(b"AT+CSQ\r")
    assert _read_exactly(client.connection, 100, timeout=0.3) == b""
    dongle.unhang()
    # The swallowed command is never answered: the next answer is the next command's.
    assert client.command("AT+CGMI") == ["huawei", "OK"]
    assert "AT+CSQ" not in dongle.command_log


def test_hang_infinity_is_until_unhang(dongle, client):
    dongle.hang(float("inf"))
    assert client.answer_or_none("AT", 0.3) is None
    dongle.unhang()
    assert client.command("AT") == ["OK"]


def test_hang_ends_by_itself(dongle, client):
    started = time.monotonic()
    dongle.hang(0.5)
    assert client.answer_or_none("AT", 0.2) is None
    deadline = started + TIMEOUT
    while (answer := client.answer_or_none("AT+CGMM", 0.2)) is None:
        assert time.monotonic() < deadline
    assert answer == ["E3531", "OK"]
    assert time.monotonic() - started >= 0.5


def test_hang_holds_notices_until_it_ends(dongle, client):
    dongle.hang(None)
    dongle.storage_full_notice()
    assert _read_exactly(client.connection, 100, timeout=0.3) == b""
    dongle.unhang()
    assert client.read_until("^SMMEMFULL") == ['^SMMEMFULL: "SM"']


def test_hang_negative_is_refused(dongle):
    with pytest.raises(ValueError):
        dongle.hang(-1)


# --- garbage ---------------------------------------------------------------------------------


def test_garbage_invalid_utf8_arrives_exactly(dongle, client):
    junk = b"\xff\xfe\x80 not utf-8 \xc3\x28\r\n"
    dongle.garbage(junk)
    assert _read_exactly(client.connection, len(junk)) == junk
    assert client.command("AT") == ["OK"]


def test_garbage_inside_next_corrupts_only_next_matching_answer(dongle, client):
    dongle.inject("+33612345678", "a message long enough to be the longest line")
    [(_, pdu)] = dongle.stored().values()
    length = len(pdu) // 2 - 1 - int(pdu[:2], 16)
    dongle.garbage_inside_next("AT+CMGL", b"\xff\xfe\x80")
    assert client.command("AT+CSQ") == ["+CSQ: 20,99", "OK"]  # not a match: untouched
    middle = len(pdu) // 2
    broken = pdu[:middle] + "\xff\xfe\x80" + pdu[middle:]
    assert client.command("AT+CMGL=4") == [f"+CMGL: 0,0,,{length}", broken, "OK"]
    assert client.command("AT+CMGL=4") == [f"+CMGL: 0,1,,{length}", pdu, "OK"]


# --- failing and slow answers ----------------------------------------------------------------


@pytest.mark.parametrize("error", ["+CMS ERROR: 500", "+CME ERROR: 100", "ERROR"])
@pytest.mark.parametrize("command", ["AT+CMGL=4", "AT+CMGR=0", "AT+CMGD=0"])
def test_fail_next_count_answers_error_that_many_times(dongle, client, command, error):
    dongle.inject("+33612345678", "still here")
    dongle.fail_next(command.split("=")[0], error, count=2)
    assert client.command(command) == [error]
    assert client.command(command) == [error]
    third = client.command(command)
    assert third[-1] == "OK"
    if command.startswith("AT+CMGD"):
        assert dongle.stored() == {}  # the refused ones did nothing, the third one deleted
    else:
        assert decode_deliver(third[1]).text == "still here"


def test_fail_next_count_cmgs_refuses_after_each_pdu(dongle, client):
    dongle.fail_next("AT+CMGS", "+CMS ERROR: 500", count=2)
    [pdu] = encode_submit("+33612345678", "refused", 0)
    assert client.send_pdu(pdu.hex, pdu.tpdu_length) == ["+CMS ERROR: 500"]
    assert client.send_pdu(pdu.hex, pdu.tpdu_length) == ["+CMS ERROR: 500"]
    assert client.send_pdu(pdu.hex, pdu.tpdu_length) == ["+CMGS: 0", "OK"]
    assert len(dongle.sent_segments) == 1


def test_fail_next_zero_count_is_refused(dongle):
    with pytest.raises(ValueError):
        dongle.fail_next("AT", "ERROR", count=0)


def test_slow_next_delays_count_answers(dongle, client):
    dongle.slow_next("AT+CSQ", 0.2, count=2)
    durations = []
    for _ in range(3):
        started = time.monotonic()
        assert client.command("AT+CSQ") == ["+CSQ: 20,99", "OK"]
        durations.append(time.monotonic() - started)
    assert durations[0] >= 0.2 and durations[1] >= 0.2
    assert durations[2] < 0.2


def test_slow_next_cmgs_delays_answer_to_pdu(dongle, client):
    dongle.slow_next("AT+CMGS", 0.3)
    [pdu] = encode_submit("+33612345678", "slow", 0)
    started = time.monotonic()
    assert client.command(f"AT+CMGS={pdu.tpdu_length}") == ["> "]
    assert time.monotonic() - started < 0.3  # the prompt is not delayed
    client.connection.write(pdu.hex.encode("ascii") + b"\x1a")
    assert client.read_answer() == ["+CMGS: 0", "OK"]
    assert time.monotonic() - started >= 0.3


def test_slow_next_infinite_is_refused(dongle):
    with pytest.raises(ValueError):
        dongle.slow_next("AT", float("inf"))


# --- notices and malformed PDUs --------------------------------------------------------------


def test_storage_full_notice_written_now(dongle, client):
    dongle.storage_full_notice()
    assert [client.read_line(), client.read_line()] == ["", '^SMMEMFULL: "SM"']
    assert client.command("AT") == ["OK"]


def _broken_as_expected(kind: str, pdu: str) -> bool:
    """Given a malformed kind and the PDU listed for it, return whether it has that damage."""
    hexadecimal = re.fullmatch(r"[0-9A-F]*", pdu) is not None
    if kind == "odd-length":
        return hexadecimal and len(pdu) % 2 == 1
    if kind == "not-hex":
        return not hexadecimal and len(pdu) % 2 == 0
    if not hexadecimal or len(pdu) % 2:
        return False
    octets = bytes.fromhex(pdu)
    first_octet = octets[1 + octets[0]]
    if kind == "wrong-type":
        return first_octet & 0x03 == 0x02  # SMS-STATUS-REPORT
    return first_octet & 0x03 == 0x00  # 'truncated', 'bad-length': a DELIVER, cut short


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("truncated", "truncated"),
        ("odd-length", "odd number of hex digits"),
        ("not-hex", "not hexadecimal"),
        ("wrong-type", "not an SMS-DELIVER"),
        ("bad-length", "user data truncated"),
    ],
)
def test_inject_malformed_is_listed_and_undecodable(dongle, client, kind, error):
    index = dongle.inject_malformed(kind)
    listed = _listing(client)
    assert listed == {index: dongle.stored()[index][1]}
    assert _broken_as_expected(kind, listed[index])
    decoded = decode_deliver(listed[index])
    assert decoded.text is None and error in decoded.error


def test_inject_malformed_covers_every_kind(dongle, client):
    indexes = [dongle.inject_malformed(kind) for kind in MALFORMED_KINDS]
    assert sorted(_listing(client)) == indexes == list(range(len(MALFORMED_KINDS)))


def test_inject_malformed_unknown_kind_is_refused(dongle):
    with pytest.raises(ValueError):
        dongle.inject_malformed("cosmic-ray")


# --- reboot ----------------------------------------------------------------------------------


def test_reboot_resets_settings_asks_pin_and_keeps_storage(link):
    with SimulatedDongle(link, pin="1111", memories={"SM": 5, "ME": 5}) as dongle:
        client = connect(link)
        assert client.command('AT+CPIN="1111"') == ["OK"]
        assert client.command('AT+CPMS="ME","ME","ME"')[-1] == "OK"
        dongle.inject("+33612345678", "kept across the reboot")
        dongle.reboot()
        assert client.read_until("^BOOT")[-1].startswith("^BOOT")
        assert client.command("AT") == ["AT\r", "OK"]  # echo back on
        assert client.command("AT+CPIN?") == ["AT+CPIN?\r", "+CPIN: SIM PIN", "OK"]
        assert client.command("AT+CMEE=1") == ["AT+CMEE=1\r", "OK"]
        assert client.command("AT+CMGL=4") == ["AT+CMGL=4\r", "+CME ERROR: 11"]
        assert client.command('AT+CPIN="1111"') == ['AT+CPIN="1111"\r', "OK"]
        assert client.command("AT+CPMS?")[1].startswith('+CPMS: "SM",0,5')
        assert client.command("AT+CNMI?")[1] == "+CNMI: 0,0,0,0,0"
        assert len(dongle.stored_in("ME")) == 1
        client.close()


def test_reboot_swallows_input_then_boots(dongle, client):
    started = time.monotonic()
    dongle.reboot(silence=0.3)
    client.connection.write(b"AT+CSQ\r")
    # Nothing but the boot line comes: the command sent during the silence is lost.
    lines = client.read_until("^BOOT")
    assert len(lines) == 1 and lines[0].startswith("^BOOT")
    assert time.monotonic() - started >= 0.3
    assert client.command("AT") == ["AT\r", "OK"]
    assert "AT+CSQ" not in dongle.command_log


# --- faults log and thread safety ------------------------------------------------------------


def test_faults_log_records_every_fault_in_order(dongle):
    dongle.garbage(b"\xff")
    dongle.fail_next("AT+CMGL", "+CMS ERROR: 500", count=2)
    dongle.slow_next("AT+CMGR", 0.1)
    dongle.storage_full_notice()
    dongle.inject_malformed("truncated")
    dongle.hang(0.01)
    dongle.unhang()
    dongle.reboot(silence=0.01)
    dongle.unplug()
    dongle.replug()
    log = dongle.faults_log
    times = [moment for moment, _ in log]
    assert times == sorted(times)
    words = [description.split()[0].split("(")[0] for _, description in log]
    assert words == [
        "garbage",
        "fail_next",
        "slow_next",
        "storage_full_notice",
        "inject_malformed",
        "hang",
        "unhang",
        "reboot",
        "unplug",
        "replug",
    ]


def test_faults_log_records_when_armed_faults_fire(dongle, client):
    dongle.fail_next("AT+CSQ", "ERROR")
    client.command("AT+CSQ")
    assert dongle.faults_log[-1][1] == "fired: AT+CSQ answered ERROR"


def test_faults_from_another_thread_while_serving(dongle, link):
    stop = threading.Event()
    served = []  # every read holding a complete OK answer

    def hammer() -> None:
        """Keep a host busy listing, reconnecting whenever the device goes away."""
        connection = None
        while not stop.is_set():
            try:
                if connection is None:
                    if not dongle.wait_for(lambda: dongle.plugged, 0.1):
                        continue
                    connection = serial.Serial(link, timeout=0.05)
                connection.write(b"AT+CMGL=4\r")
                if b"OK\r\n" in connection.read(4096):
                    served.append(time.monotonic())
            except (serial.SerialException, OSError):
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()

    host = threading.Thread(target=hammer)
    host.start()
    try:
        for round_number in range(5):
            dongle.inject("+33611111111", f"plugged {round_number}")
            dongle.garbage(b"\xff\xfe")
            dongle.fail_next("AT+CMGL", "+CMS ERROR: 500")
            dongle.slow_next("AT+CMGL", 0.01)
            dongle.garbage_inside_next("AT+CMGL", b"\x80")
            dongle.storage_full_notice()
            dongle.inject_malformed("not-hex")
            dongle.hang(0.02)
            dongle.reboot(silence=0.02)
            dongle.unplug()
            dongle.inject("+33622222222", f"unplugged {round_number}")
            dongle.replug()
            # The host finds the new device and is served again (each command notifies).
            served_before = len(served)
            assert dongle.wait_for(lambda count=served_before: len(served) > count, TIMEOUT)
    finally:
        stop.set()
        host.join(TIMEOUT)
    assert not host.is_alive()
    dongle.clear_faults()  # the last round's may still be armed
    client = connect(link)
    try:
        pdus = list(_listing(client).values())
    finally:
        client.close()
    assert len(pdus) == 15
    texts = [text for text in _texts(pdus) if text is not None]
    assert sorted(texts) == sorted(
        [f"plugged {number}" for number in range(5)]
        + [f"unplugged {number}" for number in range(5)]
    )
