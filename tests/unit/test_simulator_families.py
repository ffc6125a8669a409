"""Tests for the simulator's dongle profiles, with no pty: the modem state and its AT
command set as each family behaves (research in ../shared/research/modems.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from antirelou.modem.records import parse_iccid, parse_imsi, parse_own_number
from antirelou.simulator.calls import MISSED, REJECTED
from antirelou.simulator.commands import execute, tpdu_length
from antirelou.simulator.network_pdu import encode_deliver
from antirelou.simulator.profiles import PROFILES, profile_named
from antirelou.simulator.state import ModemState
from antirelou.simulator.storage import MessageStorage

WHEN = datetime(2026, 3, 8, 12, 30, 15, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _state(name: str, *, memories: dict[str, int] | None = None, **settings) -> ModemState:
    profile = profile_named(name)
    storage = MessageStorage(
        memories or profile.capacities,
        index_base=profile.index_base,
        full_line=profile.storage_full_line,
    )
    settings.setdefault("plugged", True)
    return ModemState(storage, profile=profile, **settings)


def _answer(state: ModemState, line: str) -> tuple[list[str], str]:
    answer = execute(state, line)
    assert answer is not None
    return answer.lines, answer.final


def _pdu(text: str, message_class: int | None = None) -> str:
    return encode_deliver("+33612345678", text, WHEN, message_class=message_class)[0]


def _outbox(state: ModemState) -> list[str]:
    lines = [line for data in state.outbox for line in data.decode().split("\r\n") if line]
    state.outbox.clear()
    return lines


def test_profile_named_refuses_an_unknown_family():
    with pytest.raises(ValueError, match="one of generic, huawei, zte, simcom, quectel"):
        profile_named("nokia")


@pytest.mark.parametrize(
    ("name", "line", "lines", "final"),
    [
        ("huawei", "AT+CPMS=?", ['+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")'], "OK"),
        ("huawei", "AT+CPMS?", ['+CPMS: "SM",0,20,"SM",0,20,"SM",0,20'], "OK"),
        ("huawei", 'AT+CPMS="SM"', [], "ERROR"),  # only the 3-parameter form (§1.3)
        ("huawei", 'AT+CPMS="SM","SM"', [], "ERROR"),
        ("huawei", 'AT+CPMS="ME","ME","ME"', ["+CPMS: 0,23,0,23,0,23"], "OK"),
        ("huawei", 'AT+CPMS="SM","SM","SM","SM"', [], "ERROR"),
        ("zte", "AT+CPMS?", ['+CPMS: "ME", 0, 100, "ME", 0, 100, "ME", 0, 100'], "OK"),
        ("zte", 'AT+CPMS="SM"', ["+CPMS: 0,50,0,100,0,100"], "OK"),
        ("simcom", "AT+CPMS=?", ['+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")'], "OK"),
        ("simcom", 'AT+CPMS="SR","ME","ME"', ["+CPMS: 0,0,0,23,0,23"], "OK"),
        ("simcom", 'AT+CPMS="ME","SR","ME"', [], "ERROR"),  # SR is a mem1 storage only
        (
            "quectel",
            "AT+CPMS=?",
            ['+CPMS: ("SM","ME","MT"),("SM","ME","MT"),("SM","ME","MT")'],
            "OK",
        ),
        ("quectel", 'AT+CPMS="MT","MT","MT"', ["+CPMS: 0,305,0,305,0,305"], "OK"),
        ("generic", 'AT+CPMS="MT","MT","MT"', [], "ERROR"),  # no ME, so no MT
    ],
)
def test_execute_cpms_per_profile(name, line, lines, final):
    assert _answer(_state(name), line) == (lines, final)


@pytest.mark.parametrize(
    ("name", "first_index", "notice"),
    [
        ("generic", 0, '+CMTI: "SM",0'),
        ("huawei", 0, '+CMTI: "SM",0'),
        ("zte", 1, '+CMTI: "ME",1'),
        ("simcom", 1, '+CMTI: "SM",1'),
        ("quectel", 0, '+CMTI: "SM",0'),
    ],
)
def test_deliver_goes_to_boot_mem3_from_the_index_base(name, first_index, notice):
    state = _state(name)
    execute(state, "AT+CNMI=2,1,0,0,0")
    assert state.deliver(_pdu("one"), True) == first_index
    assert _outbox(state) == [notice]
    assert _answer(state, "AT+CMGL=4")[0][0].startswith(f"+CMGL: {first_index},0,,")


def test_deliver_follows_mem3_not_mem1():
    state = _state("huawei")
    execute(state, "AT+CNMI=2,1,0,0,0")
    execute(state, 'AT+CPMS="SM","SM","ME"')
    assert state.deliver(_pdu("one"), True) == 0
    assert _outbox(state) == ['+CMTI: "ME",0']
    assert _answer(state, "AT+CMGL=4") == ([], "OK")  # mem1 is SM: nothing there
    assert _answer(state, "AT+CPMS?") == (['+CPMS: "SM",0,20,"SM",0,20,"ME",1,23'], "OK")


def test_combined_storage_fills_me_then_sm_and_lists_both():
    state = _state("quectel", memories={"SM": 2, "ME": 2})
    _answer(state, "AT+CNMI=2,1,0,0,0")
    _answer(state, 'AT+CPMS="MT","MT","MT"')
    pdus = [_pdu(text) for text in ("one", "two", "three")]
    assert [state.deliver(pdu, True) for pdu in pdus] == [0, 1, 2]
    assert _outbox(state) == ['+CMTI: "MT",0', '+CMTI: "MT",1', '+CMTI: "MT",2']
    assert list(state.storage.storages["SM"].slots) == [0]  # MT 2 is the SIM's slot 0
    lines, _ = _answer(state, "AT+CMGL=4")
    assert lines[::2] == [f"+CMGL: {index},0,,{tpdu_length(pdus[index])}" for index in range(3)]
    assert _answer(state, "AT+CMGR=2")[0][1] == pdus[2]
    assert _answer(state, "AT+CMGD=2") == ([], "OK")
    assert _answer(state, "AT+CPMS?") == (['+CPMS: "MT",2,4,"MT",2,4,"MT",2,4'], "OK")


def test_class_two_goes_to_the_sim_whatever_mem3():
    state = _state("zte")  # mem3 ME at power-up
    execute(state, "AT+CNMI=2,1,0,0,0")
    assert state.deliver(_pdu("sim only", 2), True, 2) == 1
    assert _outbox(state) == ['+CMTI: "SM",1']
    assert list(state.storage.storages["SM"].slots) == [1]


def test_class_zero_is_handed_over_as_cmt_and_never_stored():
    state = _state("huawei")
    pdu = _pdu("flash", 0)
    assert state.deliver(pdu, True, 0) is None
    assert _outbox(state) == []  # CNMI mode 0 after power-up: the network keeps it
    _answer(state, "AT+CNMI=2,1,0,0,0")
    assert _outbox(state) == [f"+CMT: ,{tpdu_length(pdu)}", pdu]
    assert not any(storage.slots for storage in state.storage.storages.values())


@pytest.mark.parametrize(
    ("name", "cnmi", "message_class", "routed", "notice"),
    [
        ("huawei", "2,2", None, True, None),
        ("huawei", "2,2", 1, True, None),
        ("huawei", "2,2", 2, False, '+CMTI: "SM",0'),  # class 2 is stored even so (§2.2)
        ("huawei", "2,3", None, False, '+CMTI: "SM",0'),
        ("huawei", "2,3", 3, True, None),
        ("huawei", "0,2", None, False, None),  # mode 0: no indications at all
        ("huawei", "2,1", None, False, '+CMTI: "SM",0'),
        ("generic", "2,2", None, False, None),  # before profiles mt=2 stored silently
    ],
)
def test_cnmi_mt_routes_messages_as_cmt(name, cnmi, message_class, routed, notice):
    state = _state(name)
    _answer(state, f"AT+CNMI={cnmi},0,0,0")
    pdu = _pdu("routed?", message_class)
    index = state.deliver(pdu, True, message_class)
    expected = [f"+CMT: ,{tpdu_length(pdu)}", pdu] if routed else [notice] if notice else []
    assert _outbox(state) == expected
    assert (index is None) is routed


def test_cmt_waits_for_cnma_with_service_level_one():
    state = _state("quectel")
    _answer(state, "AT+CNMI=2,1,0,0,0")
    assert _answer(state, "AT+CSMS=1") == (["+CSMS: 1,1,1"], "OK")
    first, second = _pdu("first", 0), _pdu("second", 0)
    state.deliver(first, True, 0)
    state.deliver(second, True, 0)
    assert _outbox(state) == [f"+CMT: ,{tpdu_length(first)}", first]  # the next waits
    assert _answer(state, "AT+CNMA") == ([], "OK")
    assert _outbox(state) == [f"+CMT: ,{tpdu_length(second)}", second]
    assert _answer(state, "AT+CNMA") == ([], "OK")
    _answer(state, "AT+CMEE=1")
    assert _answer(state, "AT+CNMA") == ([], "+CMS ERROR: 340")  # §2.3: nothing expected


@pytest.mark.parametrize("name", ["simcom", "generic"])
def test_cmt_needs_no_cnma_where_the_profile_does_not_acknowledge(name):
    state = _state(name)
    _answer(state, "AT+CNMI=2,1,0,0,0")
    _answer(state, "AT+CSMS=1")
    state.deliver(_pdu("first", 0), True, 0)
    state.deliver(_pdu("second", 0), True, 0)
    assert len(_outbox(state)) == 4
    assert _answer(state, "AT+CNMA") == ([], "ERROR")


def test_sim_of_capacity_zero_is_offered_but_holds_nothing():
    state = _state("huawei", memories={"SM": 0, "ME": 23})
    assert _answer(state, "AT+CPMS=?")[0] == ['+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")']
    assert _answer(state, "AT+CPMS?")[0] == ['+CPMS: "SM",0,0,"SM",0,0,"SM",0,0']
    assert state.deliver(_pdu("nowhere"), True) is None  # the network keeps it
    _answer(state, 'AT+CPMS="ME","ME","ME"')
    assert list(state.storage.storages["ME"].slots) == [0]  # delivered once ME is mem3


def test_network_holds_while_unplugged_and_delivers_to_the_reverted_mem3():
    state = _state("zte")
    _answer(state, 'AT+CPMS="SM","SM","SM"')
    state.plugged, state.unplugged = False, True
    assert state.deliver(_pdu("held"), True) is None
    state.power_on(booting=True)
    state.plugged, state.unplugged = True, False
    state.release_network_queue()
    assert state.memories == ["ME", "ME", "ME"]
    assert list(state.storage.storages["ME"].slots) == [1]
    assert _outbox(state) == []  # CNMI reverted too: no +CMTI


def test_power_on_reverts_volatile_settings():
    state = _state("huawei")
    _answer(state, 'AT+CPMS="ME","ME","ME"')
    _answer(state, "AT+CNMI=2,1,0,2,0")
    state.power_on(booting=True)
    assert (state.memories, state.new_message_indications) == (["SM"] * 3, (0, 0, 0, 0, 0))


@pytest.mark.parametrize(
    ("name", "ready_lines"),
    [
        ("simcom", ["SMS DONE", "PB DONE"]),
        ("quectel", ["+CPIN: READY", "+QIND: SMS DONE"]),
        ("huawei", []),
    ],
)
def test_sms_commands_fail_until_the_service_is_ready(name, ready_lines):
    clock = FakeClock()
    state = _state(name, clock=clock, sms_ready_delay=5.0)
    state.power_on(booting=True)
    assert _answer(state, "AT+CMGF=0") == ([], "ERROR")
    assert _answer(state, "AT+CMGL=4") == ([], "ERROR")
    _answer(state, "AT+CMEE=1")
    assert _answer(state, "AT+CMGL=4") == ([], "+CMS ERROR: 314")
    assert _answer(state, "AT+CPMS?") == ([], "+CMS ERROR: 314")
    assert _answer(state, "AT") == ([], "OK")
    assert state.tick() == 1005.0
    assert _outbox(state) == []
    clock.now = 1005.0
    assert state.tick() is None
    assert _outbox(state) == ready_lines
    assert _answer(state, "AT+CMGL=4") == ([], "OK")


@pytest.mark.parametrize(
    ("name", "cmee", "final"),
    [("huawei", 0, "COMMAND NOT SUPPORT"), ("huawei", 1, "+CME ERROR: 100"), ("zte", 0, "ERROR")],
)
def test_unknown_command_error_style(name, cmee, final):
    state = _state(name)
    _answer(state, f"AT+CMEE={cmee}")
    assert _answer(state, "AT+NOPE") == ([], final)


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("huawei", ["huawei", "E173", "11.126.85.00.00"]),
        ("zte", ["ZTE CORPORATION", "MF190", "BD_VOCMF710MV1.0.0B03"]),
        ("simcom", ["SIMCOM INCORPORATED", "SIMCOM_SIM7600G-H", "LE20B05SIM7600G22"]),
        ("quectel", ["Quectel", "EC25", "EC25EFAR06A10M4G"]),
    ],
)
def test_identity_per_profile(name, lines):
    state = _state(name)
    assert [_answer(state, line)[0][0] for line in ("AT+CGMI", "AT+CGMM", "AT+CGMR")] == lines


@pytest.mark.parametrize(
    ("setup", "number", "lines"),
    [
        ([], "+33611111111", ["RING"]),
        (["AT+CRC=1"], "+33611111111", ["+CRING: VOICE"]),
        (["AT+CLIP=1"], "+33611111111", ["RING", '+CLIP: "+33611111111",145,,,,0']),
        (["AT+CLIP=1"], "0611111111", ["RING", '+CLIP: "0611111111",129,,,,0']),
        (["AT+CRC=1", "AT+CLIP=1"], None, ["+CRING: VOICE", '+CLIP: "",128,,,,1']),
    ],
)
def test_call_rings_per_crc_and_clip(setup, number, lines):
    clock = FakeClock()
    state = _state("zte", clock=clock)
    for line in setup:
        _answer(state, line)
    state.ring(number, ring_every=1.0, ring_for=30.0)
    assert state.tick() == 1001.0
    assert _outbox(state) == lines
    clock.now = 1000.5
    state.tick()
    assert _outbox(state) == []  # not yet time for the next ring
    clock.now = 1001.0
    state.tick()
    assert _outbox(state) == lines


@pytest.mark.parametrize(
    ("name", "setup", "command", "ended", "notices"),
    [
        ("huawei", [], "AT+CHUP", "AT+CHUP", ["^CEND:1,0,104,16"]),
        ("huawei", [], "ATH", None, []),  # E1550: ATH does nothing before AT+CVHU=0
        ("huawei", ["AT+CVHU=0"], "ATH", "ATH", ["^CEND:1,0,104,16"]),
        ("quectel", [], "ATH", "ATH", []),
        ("simcom", [], "AT+CHUP", "AT+CHUP", []),
    ],
)
def test_call_ended_by_the_host(name, setup, command, ended, notices):
    state = _state(name)
    for line in setup:
        _answer(state, line)
    record = state.ring("+33611111111", ring_every=1.0, ring_for=30.0)
    state.tick()
    _outbox(state)
    assert _answer(state, command) == ([], "OK")
    assert (record.outcome, record.command) == ((REJECTED, ended) if ended else (None, None))
    assert (state.call is None) is bool(ended)
    assert _outbox(state) == notices


def test_call_not_answered_is_missed_after_ring_for():
    clock = FakeClock()
    state = _state("huawei", clock=clock)
    record = state.ring(None, ring_every=1.0, ring_for=2.5)
    clock.now = 1002.5
    assert state.tick() is None
    assert (record.number, record.outcome, record.command) == (None, MISSED, None)
    assert record.ended is not None and record.ended >= record.started
    assert _outbox(state) == ["^CEND:1,0,104,16"]


def test_chup_without_a_call_is_ok():
    assert _answer(_state("generic"), "AT+CHUP") == ([], "OK")


def test_periodic_noise_cycles_through_the_profile_lines():
    clock = FakeClock()
    state = _state("huawei", clock=clock, noise_every=10.0, signal=17)
    seen = []
    for step in range(1, 6):
        clock.now = 1000.0 + 10 * step
        state.tick()
        seen.extend(_outbox(state))
    assert [line.split(":")[0] for line in seen] == [
        "^RSSI",
        "^MODE",
        "^SRVST",
        "^DSFLOWRPT",
        "^RSSI",
    ]
    assert seen[0] == "^RSSI:17"


def test_every_profile_offers_its_boot_memories():
    for profile in PROFILES.values():
        storages = list(profile.capacities)
        groups = profile.groups(storages)
        assert all(
            memory in group for memory, group in zip(profile.boot(storages), groups, strict=True)
        )


# --- the SIM's identity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line", "answer"),
    [
        ("generic", "AT+CIMI", ["208011234567890"]),
        ("generic", "AT+CRSM=176,12258,0,0,10", ['+CRSM: 144,0,"983310309100103254F6"']),
        ("generic", "AT+CRSM=176,28480,0,0,0", ['+CRSM: 106,130,""']),  # not EF_ICCID
        ("huawei", "AT^ICCID?", ["^ICCID: 983310309100103254F6"]),
        ("zte", "AT+ZGETICCID", ["+ZGETICCID: 8933010319000123456"]),
        ("simcom", "AT+CICCID", ["+ICCID: 8933010319000123456F"]),
        ("simcom", "AT+CCID", ["8933010319000123456"]),
        ("quectel", "AT+QCCID", ["+QCCID: 8933010319000123456F"]),
    ],
)
def test_each_family_answers_its_identity_commands_and_our_parsers_read_them(name, line, answer):
    lines, final = _answer(_state(name), line)
    assert (lines, final) == (answer, "OK")
    if "ICCID" in line or "CCID" in line or "12258" in line:
        assert parse_iccid(lines) == "8933010319000123456"


def test_an_iccid_command_of_another_family_is_unknown_and_cnum_says_the_number_if_known():
    assert _answer(_state("huawei"), "AT+QCCID") == ([], "COMMAND NOT SUPPORT")
    assert _answer(_state("generic"), "AT+CNUM") == ([], "OK")  # the SIM does not know it
    lines, _ = _answer(_state("generic", own_number="+33757000001"), "AT+CNUM")
    assert lines == ['+CNUM: "","+33757000001",145']
    assert parse_own_number(lines) == "+33757000001"
    assert _answer(_state("generic", pin="1234"), "AT+CIMI")[1] == "ERROR"  # SIM locked


@pytest.mark.parametrize(
    ("lines", "iccid"),
    [
        (['+CRSM: 144,0,"98231420326409614067"'], "89324102234690160476"),  # ModemManager's
        (["^ICCID: 984402003576012594F9"], "8944200053671052499"),
        (["+QCCID: 898604B2012290748345"], "898604B2012290748345"),  # CMCC's hex digits
        (['+CRSM: 106,130,""'], ""),
        (["ERROR"], ""),
        (["12345678901234567890"], ""),  # not "89": not an ICCID
    ],
)
def test_parse_iccid(lines, iccid):
    assert parse_iccid(lines) == iccid


def test_parse_own_number_and_imsi():
    assert parse_own_number(['+CNUM: ,"33612345678",145']) == "+33612345678"
    assert parse_own_number(['+CNUM: "Moi","0612345678",129']) == "0612345678"
    assert parse_own_number(['+CNUM: "","",129']) == ""
    assert parse_imsi(["+CIMI: 208011234567890"]) == "208011234567890"
    assert parse_imsi(["ERROR"]) == ""
