"""Lines a modem sends on its own (unsolicited result codes), told apart from answers.

Real dongles write them anywhere: between two commands, inside a command's answer, between a
`+CMGL:` header and its PDU (modems.md §4, §9: python-gsmmodem files any line that arrives
while a command waits into that command's answer). `split` takes them out of an answer so that
it parses as if they were not there, and says what each one means for the daemon. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    NEW_MESSAGE = "new message"  # +CMTI: look in the storages
    STORAGE_FULL = "storage full"  # ^SMMEMFULL, +SMS FULL, +CIEV: empty every storage now
    DIRECT = "direct message"  # +CMT: the PDU is in the notice itself, stored nowhere
    BOOT = "boot"  # the modem (re)started, or its SMS service just became ready
    CALL = "call"  # RING, +CRING, +CLIP: a voice call is ringing
    CALL_ENDED = "call ended"  # ^CEND, NO CARRIER, MISSED_CALL
    NOISE = "noise"  # signal, network mode, data counters...: nothing to do


@dataclass(frozen=True)
class Unsolicited:
    kind: Kind
    line: str
    pdu: str | None = None  # DIRECT: the PDU line that followed the +CMT header
    caller: str | None = None  # +CLIP: the number ("" when hidden)


# Prefix -> meaning, from what real firmware sends (modems.md §2, §4, §5, §8). Order matters
# only where one prefix starts another: "+CMTI" before "+CMT", "+CRING" before "RING".
_PREFIXES: tuple[tuple[str, Kind], ...] = (
    ("+CMTI:", Kind.NEW_MESSAGE),
    ("+CMT:", Kind.DIRECT),
    ("^SMMEMFULL", Kind.STORAGE_FULL),  # Huawei (§8)
    ("+SMS FULL", Kind.STORAGE_FULL),  # SIMCom A7670 (§8)
    ("+CIEV:", Kind.STORAGE_FULL),  # indicator events: some report "smsfull"; a listing is cheap
    ("^BOOT", Kind.BOOT),  # Huawei, also repeated every ~30 s as a heartbeat (§4.1)
    ("RDY", Kind.BOOT),  # SIMCom, Quectel (§4.3)
    ("SMS DONE", Kind.BOOT),  # SIMCom (§4.3)
    ("+QIND: SMS DONE", Kind.BOOT),  # Quectel (§4.3)
    ("SMS Ready", Kind.BOOT),  # SIM800 (§4.3)
    ("*ATREADY", Kind.BOOT),  # SIMCom A7670 (§4.3)
    ("+CRING:", Kind.CALL),  # with AT+CRC=1 (§5)
    ("RING", Kind.CALL),
    ("+CLIP:", Kind.CALL),
    ("^CEND:", Kind.CALL_ENDED),  # Huawei (§5)
    ("NO CARRIER", Kind.CALL_ENDED),
    ("MISSED_CALL", Kind.CALL_ENDED),  # SIM7600 (§5)
    ("^ORIG:", Kind.NOISE),
    ("^CONF:", Kind.NOISE),
    ("^CONN:", Kind.NOISE),
    ("^", Kind.NOISE),  # every other Huawei notice: ^RSSI, ^MODE, ^SRVST, ^DSFLOWRPT… (§4.1)
    ("+ZPAS", Kind.NOISE),  # ZTE (§4.2)
    ("+ZUSIMR", Kind.NOISE),
    ("+ZDONR", Kind.NOISE),
    ("+ZPSTM", Kind.NOISE),
    ("+ZEND", Kind.NOISE),
    ("+QIND:", Kind.NOISE),  # Quectel's other indications
    ("PB DONE", Kind.NOISE),  # SIMCom: phone book loaded, after SMS DONE (§4.3)
    ("APP RDY", Kind.NOISE),  # Quectel BG96 (§4.3)
    ("Call Ready", Kind.NOISE),  # SIM800 (§4.3)
    ("+CPIN:", Kind.NOISE),  # "+CPIN: READY" at boot (§4.3)
    ("+CREG:", Kind.NOISE),
    ("+CGREG:", Kind.NOISE),
    ("+CEREG:", Kind.NOISE),
    ("+CGEV:", Kind.NOISE),
    ("+CSQ:", Kind.NOISE),  # ZTE MF626 sends it unasked (§4.2)
    ("+CIND:", Kind.NOISE),
    ("+CDSI:", Kind.NOISE),  # status reports: we ask for none (§1.4)
    ("*RADIOPOWER", Kind.NOISE),
)
_CLIP = re.compile(r'^\+CLIP:\s*"([^"]*)"')
# One match per line instead of a loop over the prefixes: a listing of 30 messages has 61
# lines, read at every drain of a raid. Alternatives are tried in _PREFIXES' order.
_ANY_PREFIX = re.compile("|".join(f"({re.escape(prefix)})" for prefix, _ in _PREFIXES))
_KIND_OF_GROUP = {index: kind for index, (_, kind) in enumerate(_PREFIXES, start=1)}


def classify(line: str) -> Kind | None:
    """Given one line from the modem, return what kind of unsolicited code it is, or None if
    it is not one (an answer line)."""
    match = _ANY_PREFIX.match(line.strip())
    return None if match is None else _KIND_OF_GROUP[match.lastindex]


def split(lines: Sequence[str], command: str = "") -> tuple[list[str], list[Unsolicited]]:
    """Given lines received while `command` waited (or with no command: notices alone),
    return (the answer's own lines, the unsolicited codes among them, in order).

    A line naming the command's own result (`+CPIN:` for AT+CPIN?, `+CSQ:` for AT+CSQ…) is the
    answer, not a notice. A `+CMT:` header takes the line after it as its PDU.
    """
    own = _result_prefix(command)
    answer: list[str] = []
    found: list[Unsolicited] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        kind = None if own and line.strip().startswith(own) else classify(line)
        if kind is None:
            answer.append(line)
        elif kind is Kind.DIRECT:
            pdu = lines[index + 1].strip() if index + 1 < len(lines) else None
            found.append(Unsolicited(kind, line.strip(), pdu=pdu or None))
            index += 1 if pdu else 0
        else:
            match = _CLIP.match(line.strip())
            found.append(Unsolicited(kind, line.strip(), caller=match.group(1) if match else None))
        index += 1
    return answer, found


def _result_prefix(command: str) -> str | None:
    """Given "AT+CPIN?" return "+CPIN:"; None for commands with no named result."""
    match = re.match(r"^AT([+^$%][A-Z0-9]+)", command.strip(), re.IGNORECASE)
    return f"{match.group(1).upper()}:" if match else None
