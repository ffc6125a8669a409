"""What a simulated dongle says about its SIM: IMSI, ICCID and own number, as real ones do.

Handlers in the shape of simulator.commands (handler(state, kind, arguments)); commands adds
them to its table. Sources: 3GPP TS 27.007 (+CIMI §5.6, +CNUM §7.1, +CRSM §8.18) and what
ModemManager reads back (src/mm-base-sim.c: AT+CIMI, AT+CRSM=176,12258,0,0,10 for EF_ICCID;
src/mm-modem-helpers.c: `+CNUM: ,"+34600000002",145`); the families' ICCID commands are in
profiles (iccid_commands), each with its source.
"""

from __future__ import annotations

from collections.abc import Callable

from antirelou.simulator.state import ModemState

# EF_ICCID (2FE2 = 12258), read whole: READ BINARY (176) of its 10 bytes.
_READ_ICCID = ("176", "12258", "0", "0", "10")
_OK, _FILE_NOT_FOUND = "144,0", "106,130"  # status words 9000 and 6A82


def _padded(iccid: str) -> str:
    """The 20 digits the SIM stores: a 19-digit ICCID gets a filler F."""
    return iccid if len(iccid) == 20 else iccid + "F"


def _swapped(iccid: str) -> str:
    """As EF_ICCID holds it: each pair of digits swapped (ETSI TS 102 221 §13.2)."""
    digits = _padded(iccid)
    return "".join(digits[i + 1] + digits[i] for i in range(0, 20, 2))


def imsi(state: ModemState) -> list[str]:
    """AT+CIMI: the IMSI alone on its line."""
    return [state.imsi]


def own_number(state: ModemState) -> list[str]:
    """AT+CNUM: one line per number the SIM knows, none when it knows none."""
    if not state.own_number:
        return []
    kind = 145 if state.own_number.startswith("+") else 129
    return [f'+CNUM: "","{state.own_number}",{kind}']


def restricted_sim_access(state: ModemState, arguments: list[str]) -> list[str]:
    """AT+CRSM=176,12258,0,0,10: EF_ICCID's bytes, swapped; any other file is not found."""
    if tuple(arguments[:5]) == _READ_ICCID:
        return [f'+CRSM: {_OK},"{_swapped(state.iccid)}"']
    return [f'+CRSM: {_FILE_NOT_FOUND},""']


# Each family's own ICCID command, with how it answers (the command without "AT", its kind).
VENDOR_ICCID: dict[str, tuple[str, Callable[[ModemState], str]]] = {
    # Huawei: "^ICCID: " then the digits as the SIM file holds them, swapped.
    "^ICCID": ("read", lambda state: f"^ICCID: {_swapped(state.iccid)}"),
    "+QCCID": ("action", lambda state: f"+QCCID: {_padded(state.iccid)}"),
    "+CICCID": ("action", lambda state: f"+ICCID: {_padded(state.iccid)}"),
    "+CCID": ("action", lambda state: state.iccid),
    "+ZGETICCID": ("action", lambda state: f"+ZGETICCID: {state.iccid}"),
}
