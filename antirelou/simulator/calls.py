"""Incoming voice calls on the simulated dongle: what rings, and how each call ended.

A call rings (RING, or +CRING: VOICE after AT+CRC=1, with +CLIP after AT+CLIP=1) every
`ring_every` seconds until the host hangs up (AT+CHUP, or ATH where the profile lets it) or
`ring_for` seconds pass and the caller gives up (research §5). Pure: the modem state calls
`due` with the time and writes what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

REJECTED, MISSED = "rejected", "missed"


@dataclass
class CallRecord:
    """One incoming call: who (None: no caller ID), when it started, when and how it ended
    ("rejected" by `command`, or "missed"; None while it rings).
    """

    number: str | None
    started: datetime
    ended: datetime | None = None
    outcome: str | None = None
    command: str | None = None


@dataclass
class Ringing:
    """The call ringing now and its timing, on the modem's monotonic clock."""

    record: CallRecord
    ring_every: float
    gives_up_at: float
    next_ring: float


def ring_lines(number: str | None, *, extended: bool, caller_id: bool) -> list[str]:
    """Given the caller (None: withheld) and the AT+CRC and AT+CLIP settings, return the
    lines one ring writes (research §5: Huawei `+CRING: VOICE` and
    `+CLIP: "+1234567890",145,,,,0`).
    """
    lines = ["+CRING: VOICE" if extended else "RING"]
    if caller_id:
        if number is None:
            # 27.007 +CLIP: empty number, type 128, CLI validity 1 (withheld by the caller).
            lines.append('+CLIP: "",128,,,,1')
        else:
            number_type = 145 if number.startswith("+") else 129
            lines.append(f'+CLIP: "{number}",{number_type},,,,0')
    return lines
