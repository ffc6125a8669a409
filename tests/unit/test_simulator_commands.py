"""Tests for the simulated dongle's AT command set, with no pty: commands in, answers out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from antirelou.pdu import encode_submit
from antirelou.simulator.commands import Answer, accept_pdu, execute, is_send, tpdu_length
from antirelou.simulator.network_pdu import encode_deliver
from antirelou.simulator.state import ModemState
from antirelou.simulator.storage import STAT_REC_READ, STAT_REC_UNREAD, MessageStorage

WHEN = datetime(2026, 3, 8, 12, 30, 15, tzinfo=UTC)


def _state(**settings) -> ModemState:
    memories = settings.pop("memories", {"SM": 5})
    return ModemState(MessageStorage(memories), **settings)


def _run(state: ModemState, *lines: str) -> list[Answer | None]:
    return [execute(state, line) for line in lines]


def _answer(state: ModemState, line: str) -> tuple[list[str], str]:
    answer = execute(state, line)
    assert answer is not None
    return answer.lines, answer.final


def _store(state: ModemState, *texts: str) -> list[int | None]:
    return [state.deliver(encode_deliver("+33612345678", text, WHEN)[0], True) for text in texts]


# --- plain commands ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "lines", "final"),
    [
        ("AT", [], "OK"),
        ("ATE0", [], "OK"),
        ("ATE2", [], "ERROR"),
        ("AT+CGMI", ["huawei"], "OK"),
        ("AT+CGMM=?", [], "OK"),
        ("AT+CSQ", ["+CSQ: 20,99"], "OK"),
        ("AT+CMEE?", ["+CMEE: 0"], "OK"),
        ("AT+CMEE=3", [], "ERROR"),
        ("AT+CMGF=0", [], "OK"),
        ("AT+CMGF=1", [], "ERROR"),
        ("AT+CREG?", ["+CREG: 0,1"], "OK"),
        ("AT+COPS?", ['+COPS: 0,0,"Orange F",2'], "OK"),
        ("AT+CSCA?", ['+CSCA: "+33695000695",145'], "OK"),
        ("AT+CNMI?", ["+CNMI: 0,0,0,0,0"], "OK"),
        ("AT+CSMS?", ["+CSMS: 0,1,1,1"], "OK"),
        ("AT+CSMS=1", ["+CSMS: 1,1,1"], "OK"),
        ("AT+CSMS=2", [], "ERROR"),
        ("AT+CNMA", [], "ERROR"),  # no +CMT to acknowledge
        ("AT+CLIP?", ["+CLIP: 0,1"], "OK"),
        ("AT+CLIP=1", [], "OK"),
        ("AT+CRC?", ["+CRC: 0"], "OK"),
        ("AT+CVHU?", ["+CVHU: 0"], "OK"),
        ("AT+CVHU=2", [], "ERROR"),
        ("AT+CHUP", [], "OK"),
        ("ATH", [], "OK"),
        ("ATH1", [], "OK"),
        ("AT+NOPE", [], "ERROR"),
        ("AT+CSQ junk", [], "ERROR"),
    ],
)
def test_execute_answers_plain_commands(line, lines, final):
    assert _answer(_state(), line) == (lines, final)


@pytest.mark.parametrize(
    ("cmee", "line", "final"),
    [
        ("0", "AT+NOPE", "ERROR"),
        ("1", "AT+NOPE", "+CME ERROR: 100"),
        ("2", "AT+NOPE", "+CME ERROR: unknown"),
        ("1", "AT+CMGF=1", "+CMS ERROR: 303"),
        ("2", "AT+CMGR=9", "+CMS ERROR: 321"),
        ("1", "AT+CPIN=1234", "+CME ERROR: 3"),
        ("2", "AT+CPIN=1234", "+CME ERROR: operation not allowed"),
    ],
)
def test_execute_error_format_follows_cmee(cmee, line, final):
    state = _state()
    _run(state, f"AT+CMEE={cmee}")
    assert _answer(state, line) == ([], final)


def test_execute_reset_restores_the_profile_only():
    state = _state()
    _run(state, "ATE0", "AT+CMEE=2", "AT+CNMI=2,1", "AT+CPMS=,,", "ATZ")
    assert (state.echo, state.cmee, state.new_message_indications) == (True, 0, (0, 0, 0, 0, 0))


# --- PIN --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "answers"),
    [
        (["AT+CPIN?"], [(["+CPIN: SIM PIN"], "OK")]),
        (["AT+CMGL=4"], [([], "+CME ERROR: 11")]),
        (["AT+CPIN=1234", "AT+CPIN?"], [([], "OK"), (["+CPIN: READY"], "OK")]),
        (["AT+CPIN=1234", "AT+CPIN=1234"], [([], "OK"), ([], "+CME ERROR: 3")]),
        (
            ["AT+CPIN=0000", "AT+CPIN=0000", "AT+CPIN?"],
            [([], "+CME ERROR: 16"), ([], "+CME ERROR: 16"), (["+CPIN: SIM PIN"], "OK")],
        ),
        (
            ["AT+CPIN=0000"] * 3 + ["AT+CPIN?", "AT+CPIN=1234", "AT+CMGL=4"],
            [([], "+CME ERROR: 16")] * 3
            + [(["+CPIN: SIM PUK"], "OK"), ([], "+CME ERROR: 12"), ([], "+CME ERROR: 12")],
        ),
        (
            ["AT+CPIN=0000", "AT+CPIN=1234", "AT+CPIN=0000"],
            [([], "+CME ERROR: 16"), ([], "OK"), ([], "+CME ERROR: 3")],
        ),
    ],
)
def test_execute_pin_and_tries(lines, answers):
    state = _state(pin="1234")
    _run(state, "AT+CMEE=1")
    assert [_answer(state, line) for line in lines] == answers


def test_execute_right_pin_gives_back_every_try():
    state = _state(pin="1234")
    _run(state, "AT+CPIN=0000", "AT+CPIN=0000", "AT+CPIN=1234")
    assert state.pin_attempts_left == 3
    assert not state.sim_locked
    assert _answer(state, "AT+CREG?") == (["+CREG: 0,1"], "OK")


def test_execute_registration_waits_for_the_delay():
    now = [100.0]
    state = _state(registration_delay=5.0, clock=lambda: now[0])
    assert _answer(state, "AT+CREG?") == (["+CREG: 0,2"], "OK")
    assert _answer(state, "AT+COPS?") == (["+COPS: 0"], "OK")
    now[0] = 105.0
    assert _answer(state, "AT+CREG?") == (["+CREG: 0,1"], "OK")


# --- storage ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "lines", "final"),
    [
        ("AT+CPMS=?", ['+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")'], "OK"),
        ("AT+CPMS?", ['+CPMS: "SM",2,5,"SM",2,5,"SM",2,5'], "OK"),
        ('AT+CPMS="ME"', ["+CPMS: 0,3,2,5,2,5"], "OK"),
        ('AT+CPMS="ME","ME","ME"', ["+CPMS: 0,3,0,3,0,3"], "OK"),
        ('AT+CPMS=,"ME"', ["+CPMS: 2,5,0,3,2,5"], "OK"),
        ('AT+CPMS="XX"', [], "+CMS ERROR: 302"),
        ("AT+CPMS=", ["+CPMS: 2,5,2,5,2,5"], "OK"),
        ('AT+CPMS="SM","SM","SM","SM"', [], "+CMS ERROR: 302"),
    ],
)
def test_execute_cpms(line, lines, final):
    state = _state(memories={"SM": 5, "ME": 3})
    _store(state, "one", "two")
    _run(state, "AT+CMEE=1")
    assert _answer(state, line) == (lines, final)


def test_execute_cmgl_lists_and_marks_read():
    state = _state()
    first, second = _store(state, "one", "two")
    pdus = {index: state.receive_storage.slots[index].pdu for index in (first, second)}
    lengths = {index: tpdu_length(pdu) for index, pdu in pdus.items()}
    assert _answer(state, "AT+CMGL=1") == ([], "OK")
    assert _answer(state, "AT+CMGL=0") == (
        [f"+CMGL: 0,0,,{lengths[0]}", pdus[0], f"+CMGL: 1,0,,{lengths[1]}", pdus[1]],
        "OK",
    )
    assert [slot.stat for slot in state.receive_storage.slots.values()] == [STAT_REC_READ] * 2
    assert _answer(state, "AT+CMGL=0") == ([], "OK")
    assert len(_answer(state, "AT+CMGL=4")[0]) == 4
    assert _answer(state, "AT+CMGL=5") == ([], "ERROR")


def test_execute_cmgr_reads_one_and_marks_it_read():
    state = _state()
    [index] = _store(state, "one")
    pdu = state.receive_storage.slots[index].pdu
    assert _answer(state, f"AT+CMGR={index}") == ([f"+CMGR: 0,,{tpdu_length(pdu)}", pdu], "OK")
    assert _answer(state, f"AT+CMGR={index}")[0][0].startswith("+CMGR: 1,")
    assert _answer(state, "AT+CMGR=3") == ([], "ERROR")


@pytest.mark.parametrize(
    ("line", "left", "final"),
    [
        ("AT+CMGD=0", [1, 2], "OK"),
        ("AT+CMGD=4", [0, 1, 2], "OK"),  # an empty slot: nothing to do, still OK
        ("AT+CMGD=0,0", [1, 2], "OK"),
        ("AT+CMGD=0,1", [2], "OK"),  # read ones only
        ("AT+CMGD=,2", [2], "OK"),
        ("AT+CMGD=9,3", [2], "OK"),  # with a flag the index is ignored
        ("AT+CMGD=0,4", [], "OK"),  # unread too
        ("AT+CMGD=5", [0, 1, 2], "+CMS ERROR: 321"),
        ("AT+CMGD=0,5", [0, 1, 2], "+CMS ERROR: 302"),
        ("AT+CMGD=x,1", [0, 1, 2], "+CMS ERROR: 302"),
        ("AT+CMGD=1,1,1", [0, 1, 2], "+CMS ERROR: 302"),
    ],
)
def test_execute_cmgd_flags(line, left, final):
    state = _state()
    _store(state, "one", "two")
    _run(state, "AT+CMGL=0", "AT+CMEE=1")  # 0 and 1 now read
    _store(state, "three")
    assert _answer(state, line) == ([], final)
    assert sorted(state.receive_storage.slots) == left


def test_execute_cmgd_lets_the_network_deliver_what_it_held():
    state = _state(memories={"SM": 2}, plugged=True)
    _run(state, "AT+CNMI=2,1")
    assert _store(state, "one", "two", "three") == [0, 1, None]
    assert list(state.outbox) == [
        b'\r\n+CMTI: "SM",0\r\n',
        b'\r\n+CMTI: "SM",1\r\n',
        b'\r\n^SMMEMFULL: "SM"\r\n',
    ]
    state.outbox.clear()
    execute(state, "AT+CMGD=0")
    assert not state.storage.network_queue
    assert list(state.outbox) == [b'\r\n+CMTI: "SM",0\r\n', b'\r\n^SMMEMFULL: "SM"\r\n']
    assert state.receive_storage.slots[0].stat == STAT_REC_UNREAD


def test_deliver_tells_nobody_while_unplugged():
    state = _state(memories={"SM": 1}, plugged=False)
    _run(state, "AT+CNMI=2,1")
    assert _store(state, "one", "two") == [0, None]
    assert not state.outbox
    assert not state.receive_storage.full_reported  # told once someone is there


# --- sending ----------------------------------------------------------------------------------


def test_execute_cmgs_prompts_then_accept_pdu_sends():
    state = _state()
    [pdu] = encode_submit("+33612345678", "hello", 0)
    assert execute(state, f"AT+CMGS={pdu.tpdu_length}") is None
    assert state.pending_submit is not None
    assert state.pending_submit.length == pdu.tpdu_length
    answer = accept_pdu(state, pdu.hex, state.pending_submit.length, WHEN)
    assert (answer.lines, answer.final) == (["+CMGS: 0"], "OK")
    [message] = state.sent.messages
    assert (message.number, message.text, message.references) == ("+33612345678", "hello", [0])
    assert state.message_reference == 1


def test_accept_pdu_joins_concatenated_parts():
    state = _state()
    pdus = encode_submit("+33612345678", "x" * 200, 7, concat_reference=3)
    answers = [accept_pdu(state, pdu.hex, pdu.tpdu_length, WHEN).lines for pdu in pdus]
    assert answers == [["+CMGS: 0"], ["+CMGS: 1"]]
    [message] = state.sent.messages
    assert (message.text, message.references, len(state.sent.segments)) == ("x" * 200, [0, 1], 2)


@pytest.mark.parametrize(
    ("pdu_hex", "length", "final"),
    [
        ("0011000B913316325476F80000AA0568656C6C6F", 99, "+CMS ERROR: 304"),  # wrong length
        ("00FFFF", 2, "+CMS ERROR: 304"),  # does not decode
    ],
)
def test_accept_pdu_refuses_what_does_not_match(pdu_hex, length, final):
    state = _state()
    _run(state, "AT+CMEE=1")
    answer = accept_pdu(state, pdu_hex, length, WHEN)
    assert (answer.lines, answer.final) == ([], final)
    assert state.sent.segments == []


@pytest.mark.parametrize(
    ("setup", "line", "final"),
    [
        ([], "AT+CMGS=0", "+CMS ERROR: 304"),
        ([], "AT+CMGS=165", "+CMS ERROR: 304"),
        (["AT+CFUN=0"], "AT+CMGS=20", "+CMS ERROR: 331"),
        ([], "AT+CMGS", "ERROR"),
    ],
)
def test_execute_cmgs_errors(setup, line, final):
    state = _state()
    _run(state, "AT+CMEE=1", *setup)
    assert _answer(state, line) == ([], final)
    assert state.pending_submit is None


@pytest.mark.parametrize(
    ("line", "sends"),
    [("AT+CMGS=20", True), ("at+cmgs=20", True), ("AT+CMGS=?", False), ("AT+CMGL=4", False)],
)
def test_is_send(line, sends):
    assert is_send(line) is sends


def test_power_on_keeps_storage_and_pin_tries_and_resets_the_rest():
    state = _state(pin="1234")
    _store(state, "kept")
    _run(state, "AT+CPIN=0000", "AT+CPIN=1234", "ATE0", 'AT+CSCA="+33600000000"', "AT+CMGS=20")
    execute(state, "AT+CFUN=1,1")
    assert (state.sim_locked, state.echo, state.pending_submit) == (True, True, None)
    assert state.pin_attempts_left == 3
    assert list(state.receive_storage.slots) == [0]
    assert _answer(state, "AT+CPIN=1234") == ([], "OK")
    assert _answer(state, "AT+CSCA?") == (['+CSCA: "+33600000000",145'], "OK")
