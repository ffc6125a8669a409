"""The AT command set of a simulated dongle (3GPP TS 27.005 / 27.007, PDU mode only).

Pure: `execute(state, line)` answers one command line from a ModemState and changes it, with
no pty and no thread; `accept_pdu` answers the PDU that follows an AT+CMGS prompt. Each
command has a handler in HANDLERS, called as handler(state, kind, arguments) where kind is
"action" (AT+X), "read" (AT+X?), "test" (AT+X=?) or "set" (AT+X=<arguments>); a handler
refuses a command by raising Refused with the final result line. Where families differ,
the handlers read the knobs of the state's Profile (see profiles; research in modems.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from antirelou.simulator.calls import REJECTED
from antirelou.simulator.network_pdu import Submit, decode_submit, tpdu_length
from antirelou.simulator.sim_identity import VENDOR_ICCID, imsi, own_number, restricted_sim_access
from antirelou.simulator.state import PIN_ATTEMPTS, ModemState, PendingSubmit
from antirelou.simulator.storage import DELETED_BY_FLAG, STAT_REC_READ, STAT_REC_UNREAD, View

__all__ = ["Answer", "Refused", "accept_pdu", "execute", "is_send", "split_command", "tpdu_length"]

_CME_TEXT = {
    3: "operation not allowed",
    4: "operation not supported",
    11: "SIM PIN required",
    12: "SIM PUK required",
    16: "incorrect password",
    50: "Incorrect parameters",
    100: "unknown",
}
_COMMAND = re.compile(r"([+^$%][A-Z0-9]+|&[A-Z]|[A-Z]?)(.*)", re.IGNORECASE | re.DOTALL)
# Commands a SIM must be unlocked for (+CME ERROR: 11 before AT+CPIN).
_NEEDS_SIM = {"+CSCA", "+CSMP", "+CPMS", "+CNMI", "+CMGL", "+CMGR", "+CMGD", "+CMGS"}
_NEEDS_SIM |= {"+CIMI", "+CNUM", "+CRSM", *VENDOR_ICCID}
# Commands that fail until the SMS service is ready after a boot (research §4.3: Calypso
# answers 314 to CPMS, CMGL and CNMI; SIM800L and A7670E answer ERROR to AT+CMGF).
_NEEDS_SMS_SERVICE = {"+CPMS", "+CNMI", "+CMGL", "+CMGR", "+CMGD", "+CMGS", "+CMGF", "+CSMS"}


@dataclass
class Answer:
    """The answer to a command line: information lines, then the final result line."""

    lines: list[str] = field(default_factory=list)
    final: str = "OK"


class Refused(Exception):
    """A handler refuses the command; `final` is the result line to answer."""

    def __init__(self, final: str) -> None:
        super().__init__(final)
        self.final = final


Handler = Callable[[ModemState, str, str], Answer | None]


def execute(state: ModemState, line: str) -> Answer | None:
    """Given a modem state and a command line starting with "AT", carry the command out and
    return its answer; return None when it is an AT+CMGS that now waits for its PDU (write
    the "> " prompt; state.pending_submit says how long a TPDU it expects).
    """
    name, rest = split_command(line[2:])
    try:
        return _dispatch(state, name, rest)
    except Refused as refusal:
        return Answer(final=refusal.final)


def split_command(body: str) -> tuple[str, str]:
    """Given a command line without its "AT", return (command name in capitals, the rest)."""
    match = _COMMAND.match(body)
    name, rest = (match.group(1), match.group(2)) if match else ("", body)
    return name.upper(), rest.strip()


def is_send(line: str) -> bool:
    """Given a command line, return whether it sends a message (AT+CMGS=<length>), whose
    failure and delay a network gives after the PDU, not after the command.
    """
    name, rest = split_command(line[2:])
    return name == "+CMGS" and rest.startswith("=") and rest != "=?"


def accept_pdu(
    state: ModemState, pdu_hex: str, expected_length: int | None, now: datetime
) -> Answer:
    """Given the PDU the host typed after the prompt, the TPDU length its AT+CMGS announced
    and the time, "send" it: record it and return +CMGS with its reference, or the
    +CMS ERROR a modem gives for a PDU that does not match or decode.
    """
    try:
        submit = _decode_pdu(state, pdu_hex, expected_length)
    except Refused as refusal:
        return Answer(final=refusal.final)
    reference = state.message_reference
    state.message_reference = (reference + 1) % 256
    state.sent.record(submit, reference, now)
    return Answer([f"+CMGS: {reference}"])


def _decode_pdu(state: ModemState, pdu_hex: str, expected_length: int | None) -> Submit:
    if tpdu_length(pdu_hex) != expected_length:
        raise Refused(_cms(state, 304))
    try:
        submit = decode_submit(pdu_hex)
    except ValueError:
        raise Refused(_cms(state, 304)) from None
    if not submit.number:
        raise Refused(_cms(state, 304))
    return submit


def _dispatch(state: ModemState, name: str, rest: str) -> Answer | None:
    handler = HANDLERS.get(name)
    if handler is None:
        raise Refused(_unknown(state))
    if name in _NEEDS_SIM and rest not in ("=?",):
        _require_sim(state)
    if name in _NEEDS_SMS_SERVICE and rest != "=?" and not state.sms_ready():
        raise Refused("ERROR" if name == "+CMGF" else _cms(state, state.profile.not_ready_error))
    if rest == "?":
        return handler(state, "read", "")
    if rest == "=?":
        return handler(state, "test", "")
    if rest.startswith("="):
        return handler(state, "set", rest[1:])
    if rest and name not in ("E", "Z", "&F", "I", "H", ""):
        raise Refused("ERROR")
    return handler(state, "action", rest)


# --- result codes and arguments --------------------------------------------------------------


def _cme(state: ModemState, code: int) -> str:
    if state.cmee == 0:
        return "ERROR"
    if state.cmee == 2 and code in _CME_TEXT:
        return f"+CME ERROR: {_CME_TEXT[code]}"
    return f"+CME ERROR: {code}"


def _unknown(state: ModemState) -> str:
    # Some Huawei sticks answer COMMAND NOT SUPPORT instead of ERROR (research §4.1).
    return _cme(state, 100) if state.cmee else state.profile.unknown_command


def _cms(state: ModemState, code: int) -> str:
    return f"+CMS ERROR: {code}" if state.cmee else "ERROR"


def _require_sim(state: ModemState) -> None:
    if state.pin_attempts_left == 0:
        raise Refused(_cme(state, 12))
    if state.sim_locked:
        raise Refused(_cme(state, 11))


def _arguments(text: str) -> list[str]:
    """Split AT parameters on commas outside quotes; strip the quotes."""
    values, current, quoted = [], [], False
    for character in text:
        if character == '"':
            quoted = not quoted
        elif character == "," and not quoted:
            values.append("".join(current).strip())
            current = []
        else:
            current.append(character)
    values.append("".join(current).strip())
    return values


def _integer(text: str, allowed: Iterable[int], error: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise Refused(error) from None
    if value not in allowed:
        raise Refused(error)
    return value


def _refuse_syntax() -> Answer:
    raise Refused("ERROR")


# --- handlers ------------------------------------------------------------------------------


def _constant(value: Callable[[ModemState], str]) -> Handler:
    def handler(state: ModemState, kind: str, arguments: str) -> Answer:
        return Answer() if kind == "test" else Answer([value(state)])

    return handler


def _sim_answer(answer: Callable[[ModemState], list[str]]) -> Handler:
    def handler(state: ModemState, kind: str, arguments: str) -> Answer:
        return Answer() if kind == "test" else Answer(answer(state))

    return handler


def _iccid_command(name: str) -> Handler:
    """The handler of one of the ICCID commands, answered only by the families that have it."""

    def handler(state: ModemState, kind: str, arguments: str) -> Answer:
        if name not in state.profile.iccid_commands:
            raise Refused(_unknown(state))
        if kind == "test":
            return Answer()
        if name == "+CRSM":
            if kind != "set":
                raise Refused("ERROR")
            return Answer(restricted_sim_access(state, _arguments(arguments)))
        wanted, answer = VENDOR_ICCID[name]
        if kind != wanted:
            raise Refused("ERROR")
        return Answer([answer(state)])

    return handler


def _reset(state: ModemState, kind: str, arguments: str) -> Answer:
    state.reset_profile()
    return Answer()


def _set_echo(state: ModemState, kind: str, arguments: str) -> Answer:
    if arguments not in ("", "0", "1"):
        raise Refused("ERROR")
    state.echo = arguments == "1"
    return Answer()


def _identify(state: ModemState, kind: str, arguments: str) -> Answer:
    return Answer(
        [
            f"Manufacturer: {state.manufacturer}",
            f"Model: {state.model}",
            f"Revision: {state.profile.revision}",
            f"IMEI: {state.imei}",
            "+GCAP: +CGSM,+DS,+ES",
        ]
    )


def _cmee_command(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "read":
        return Answer([f"+CMEE: {state.cmee}"])
    if kind == "test":
        return Answer(["+CMEE: (0-2)"])
    state.cmee = _integer(arguments or "0", range(3), _cme(state, 50))
    return Answer()


def _functionality_command(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "read":
        return Answer([f"+CFUN: {state.functionality}"])
    if kind == "test":
        return Answer(["+CFUN: (0,1,4),(0-1)"])
    values = _arguments(arguments)
    level = _integer(values[0], (0, 1, 4), _cme(state, 50))
    reset = len(values) > 1 and _integer(values[1], (0, 1), _cme(state, 50)) == 1
    if reset:
        state.power_on(booting=True)  # storage kept; the volatile settings and PIN reset
        return Answer()
    if level == 1 and state.functionality != 1 and not state.sim_locked:
        state.unlocked_at = state.clock()  # registration starts over
    state.functionality = level
    return Answer()


def _list_commands(state: ModemState, kind: str, arguments: str) -> Answer:
    # One per line, as Huawei does; gsmmodem reads any answer of more than two lines so.
    return Answer([name for name in HANDLERS if name.startswith("+")])


def _pin_command(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "test":
        return Answer()
    if kind == "read":
        if state.pin_attempts_left == 0:
            return Answer(["+CPIN: SIM PUK"])
        return Answer(["+CPIN: SIM PIN" if state.sim_locked else "+CPIN: READY"])
    if kind != "set":
        raise Refused("ERROR")
    if state.pin_attempts_left == 0:
        raise Refused(_cme(state, 12))
    if not state.sim_locked:
        raise Refused(_cme(state, 3))
    values = _arguments(arguments)
    if values and values[0] == state.pin:
        state.sim_locked = False
        state.pin_attempts_left = PIN_ATTEMPTS
        state.unlocked_at = state.clock()
        return Answer()
    state.pin_attempts_left -= 1
    raise Refused(_cme(state, 16))


def _signal_quality(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "test":
        return Answer(["+CSQ: (0-31,99),(0-7,99)"])
    signal = state.signal if state.functionality == 1 else 99
    return Answer([f"+CSQ: {signal},99"])


def _registration(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "read":
        return Answer([f"+CREG: {state.registration_reports},{state.registration_status()}"])
    if kind == "test":
        return Answer(["+CREG: (0-2)"])
    state.registration_reports = _integer(arguments or "0", range(3), _cme(state, 50))
    return Answer()


def _operator_command(state: ModemState, kind: str, arguments: str) -> Answer:
    names = {0: state.operator, 1: state.operator.split()[0], 2: "20801"}
    if kind == "read":
        if state.registration_status() != 1:
            return Answer(["+COPS: 0"])
        return Answer([f'+COPS: 0,{state.network_format},"{names[state.network_format]}",2'])
    if kind == "test":
        return Answer([f'+COPS: (2,"{names[0]}","{names[1]}","{names[2]}",2),,(0-4),(0-2)'])
    values = _arguments(arguments)
    mode = _integer(values[0] or "0", range(5), _cme(state, 50))
    if mode == 3 and len(values) > 1:
        state.network_format = _integer(values[1], range(3), _cme(state, 50))
    return Answer()


def _character_set_command(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "read":
        return Answer([f'+CSCS: "{state.character_set}"'])
    if kind == "test":
        return Answer(['+CSCS: ("IRA","GSM","UCS2")'])
    values = _arguments(arguments)
    if not values or values[0] not in ("IRA", "GSM", "UCS2"):
        raise Refused(_cme(state, 50))
    state.character_set = values[0]
    return Answer()


def _message_format(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "read":
        return Answer(["+CMGF: 0"])
    if kind == "test":
        return Answer(["+CMGF: (0)"])
    if arguments.strip() not in ("", "0"):
        raise Refused(_cms(state, 303))  # PDU mode only
    return Answer()


def _service_centre(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "read":
        return Answer([f'+CSCA: "{state.smsc}",{state.smsc_type}'])
    if kind == "test":
        return Answer()
    values = _arguments(arguments)
    if not values or not re.fullmatch(r"\+?[0-9]{1,20}", values[0]):
        raise Refused(_cms(state, 304))
    state.smsc = values[0]
    state.smsc_type = 145 if values[0].startswith("+") else 129
    return Answer()


def _text_parameters(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "read":
        return Answer([f"+CSMP: {state.csmp}"])
    if kind == "set":
        state.csmp = arguments
    return Answer()


def _preferred_storage(state: ModemState, kind: str, arguments: str) -> Answer:
    storage = state.storage
    groups = state.profile.groups(list(storage.storages))
    if kind == "test":
        listed = ",".join("(" + ",".join(f'"{name}"' for name in group) + ")" for group in groups)
        return Answer([f"+CPMS: {listed}"])
    if kind == "read":
        fields = [f'"{name}",{_counts(state, name)}' for name in state.memories]
        return Answer(["+CPMS: " + ",".join(fields).replace(",", state.profile.cpms_separator)])
    values = _arguments(arguments)
    # The Huawei E3372-325 answers ERROR to fewer than three parameters (research §1.3).
    if len(values) < state.profile.cpms_parameters_required:
        raise Refused("ERROR")
    if not values or len(values) > 3:
        raise Refused(_cms(state, 302))
    chosen = list(state.memories)
    for position, value in enumerate(values):
        if value == "":
            continue  # an empty parameter keeps the current memory
        if value not in groups[position] or not storage.has(value):
            raise Refused(_cms(state, 302))
        chosen[position] = value
    state.memories = chosen
    state.release_network_queue()
    return Answer(["+CPMS: " + ",".join(_counts(state, name) for name in chosen)])


def _counts(state: ModemState, memory: str) -> str:
    view = state.storage.view(memory)
    return f"{len(view.slots)},{view.capacity}"


def _indications(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "read":
        return Answer(["+CNMI: " + ",".join(map(str, state.new_message_indications))])
    if kind == "test":
        return Answer(["+CNMI: (0-3),(0-3),(0-3),(0-2),(0,1)"])
    values = [value or "0" for value in _arguments(arguments)]
    if not 1 <= len(values) <= 5:
        raise Refused(_cms(state, 302))
    numbers = [_integer(value, range(4), _cms(state, 302)) for value in values]
    current = list(state.new_message_indications)
    current[: len(numbers)] = numbers
    state.new_message_indications = tuple(current)
    state.hand_over_routed()  # what waited for the host to listen
    return Answer()


def _list_messages(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "test":
        return Answer(["+CMGL: (0-4)"])
    stat = _integer(arguments or "0", range(5), _cms(state, 302))
    lines = []
    for index, slot in state.memory(0).entries():
        if stat == 4 or slot.stat == stat:
            lines.append(f"+CMGL: {index},{slot.stat},,{tpdu_length(slot.pdu)}")
            lines.append(slot.pdu)
            if slot.stat == STAT_REC_UNREAD:
                slot.stat = STAT_REC_READ  # listing reads them, as real modems do
    return Answer(lines)


def _read_message(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind != "set":
        return Answer() if kind == "test" else _refuse_syntax()
    storage = state.memory(0)
    slot = storage.get(_index(state, storage, arguments))
    if slot is None:
        raise Refused(_cms(state, 321))
    answer = Answer([f"+CMGR: {slot.stat},,{tpdu_length(slot.pdu)}", slot.pdu])
    if slot.stat == STAT_REC_UNREAD:
        slot.stat = STAT_REC_READ
    return answer


def _index(state: ModemState, storage: View, text: str) -> int:
    """Given a storage and an index as typed, return it; refuse one outside the storage."""
    index = _integer(text, range(100_000), _cms(state, 321))
    if not storage.has_index(index):
        raise Refused(_cms(state, 321))
    return index


def _delete_messages(state: ModemState, kind: str, arguments: str) -> Answer:
    storage = state.memory(0)
    if kind == "test":
        used = ",".join(str(index) for index, _ in storage.entries())
        return Answer([f"+CMGD: ({used}),(0-4)"])
    if kind != "set":
        return _refuse_syntax()
    values = _arguments(arguments)
    if not 1 <= len(values) <= 2:
        raise Refused(_cms(state, 302))
    flag = _integer(values[1] or "0", range(5), _cms(state, 302)) if len(values) > 1 else 0
    if flag == 0:
        storage.remove(_index(state, storage, values[0]))
    else:
        # With a delflag the index is ignored (but must still be a number).
        _integer(values[0] or "0", range(10_000), _cms(state, 302))
        doomed = DELETED_BY_FLAG[flag]
        for index in [i for i, slot in storage.entries() if slot.stat in doomed]:
            storage.remove(index)
    state.release_network_queue()
    return Answer()


def _send_message(state: ModemState, kind: str, arguments: str) -> Answer | None:
    if kind == "test":
        return Answer()
    if kind != "set":
        return _refuse_syntax()
    length = _integer(arguments.split(",")[0], range(1, 165), _cms(state, 304))
    if state.registration_status() != 1:
        raise Refused(_cms(state, 331))  # no network service
    state.pending_submit = PendingSubmit(length)
    return None


def _service_level(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "read":
        return Answer([f"+CSMS: {state.service_level},1,1,1"])
    if kind == "test":
        return Answer(["+CSMS: (0,1)"])
    state.service_level = _integer(arguments or "0", (0, 1), _cms(state, 302))
    return Answer(["+CSMS: 1,1,1"])


def _acknowledge(state: ModemState, kind: str, arguments: str) -> Answer:
    if kind == "test":
        return Answer(["+CNMA: (0-2)"])
    # Quectel EC25: a second AT+CNMA gives 340, no acknowledgement expected (research §2.3).
    if not state.awaiting_ack:
        raise Refused(_cms(state, 340))
    state.awaiting_ack = False
    state.hand_over_routed()  # the next +CMT waited for this one's (research §2.3, Telit)
    return Answer()


def _hang_up(state: ModemState, kind: str, arguments: str) -> Answer:
    # AT+CHUP ends a single call (research §5: chan_dongle, smstools).
    state.end_call(REJECTED, "AT+CHUP")
    return Answer()


def _hang_up_ath(state: ModemState, kind: str, arguments: str) -> Answer:
    # Huawei E1550: ATH answers OK but leaves the call ringing until AT+CVHU=0 (research §5).
    if not state.profile.ath_needs_cvhu or state.hang_up_control == 0:
        state.end_call(REJECTED, "ATH")
    return Answer()


def _setting(read_name: str, attribute: str, allowed: range, reading: str = "{}") -> Handler:
    """Return a handler for an n-valued setting kept in ModemState.<attribute>."""

    def handler(state: ModemState, kind: str, arguments: str) -> Answer:
        if kind == "read":
            value = int(getattr(state, attribute))
            return Answer([f"{read_name}: {reading.format(value)}"])
        if kind == "test":
            return Answer([f"{read_name}: ({allowed.start}-{allowed.stop - 1})"])
        value = _integer(_arguments(arguments)[0] or "0", allowed, _cme(state, 50))
        setattr(state, attribute, type(getattr(state, attribute))(value))
        return Answer()

    return handler


HANDLERS: dict[str, Handler] = {
    "": lambda state, kind, arguments: Answer(),
    "Z": _reset,
    "&F": _reset,
    "E": _set_echo,
    "I": _identify,
    "+CMEE": _cmee_command,
    "+CFUN": _functionality_command,
    "+CGMI": _constant(lambda state: state.manufacturer),
    "+CGMM": _constant(lambda state: state.model),
    "+CGMR": _constant(lambda state: state.profile.revision),
    "+CGSN": _constant(lambda state: state.imei),
    "+CIMI": _sim_answer(imsi),
    "+CNUM": _sim_answer(own_number),
    **{name: _iccid_command(name) for name in ("+CRSM", *VENDOR_ICCID)},
    "+CLAC": _list_commands,
    "+CPIN": _pin_command,
    "+CSQ": _signal_quality,
    "+CREG": _registration,
    "+COPS": _operator_command,
    "+CSCS": _character_set_command,
    "+CMGF": _message_format,
    "+CSCA": _service_centre,
    "+CSMP": _text_parameters,
    "+CPMS": _preferred_storage,
    "+CNMI": _indications,
    "+CMGL": _list_messages,
    "+CMGR": _read_message,
    "+CMGD": _delete_messages,
    "+CMGS": _send_message,
    "+CSMS": _service_level,
    "+CNMA": _acknowledge,
    "+CHUP": _hang_up,
    "H": _hang_up_ath,
    "+CLIP": _setting("+CLIP", "caller_id", range(2), "{},1"),
    "+CRC": _setting("+CRC", "extended_ring", range(2)),
    "+CVHU": _setting("+CVHU", "hang_up_control", range(2)),
}
