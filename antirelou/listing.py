"""What the modem's storage holds, as AT+CMGL lists it: pure parsing, no serial port.

Shared by the modem (which reads the answer), intake (which commits it) and the store (which
remembers which slot held which PDU).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger("antirelou.modem")

_CMGL = re.compile(r"^\+CMGL:\s*([0-9]{1,6}),\s*([0-9]{1,3})")
# Notifications that mean "new messages are waiting": +CMTI (27.005), +CMT (direct delivery),
# and storage-full notices (Huawei ^SMMEMFULL, +CIEV). They may fall between listing lines.
WAKE_PREFIXES = ("+CMTI", "+CMT", "^SMMEMFULL", "+CIEV")


@dataclass(frozen=True)
class StoredPdu:
    """One slot of the modem's storage as AT+CMGL listed it."""

    slot: int
    status: int
    pdu: str


@dataclass(frozen=True)
class Listing:
    """One AT+CMGL answer. `clean` is False if any line could not be parsed."""

    storage: str
    entries: tuple[StoredPdu, ...]
    clean: bool


def parse_listing(storage: str, lines: Sequence[str]) -> Listing:
    """Given the answer lines of AT+CMGL in PDU mode, return the listing.

    Never raises: a line that fits nowhere makes the listing unclean, so that
    nothing is deleted in bulk on its account.
    """
    entries: list[StoredPdu] = []
    clean = True
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        match = _CMGL.match(line)
        if match:
            following = lines[index + 1].strip() if index + 1 < len(lines) else ""
            if following and not following.startswith("+CMGL") and following != "OK":
                entries.append(StoredPdu(int(match.group(1)), int(match.group(2)), following))
                index += 2
                continue
            clean = False
            log.warning("AT+CMGL gave slot %s without its PDU", match.group(1))
        elif line and line != "OK" and not line.startswith(WAKE_PREFIXES):
            clean = False
            log.warning("unexpected line in AT+CMGL answer: %r", line)
        index += 1
    return Listing(storage, tuple(entries), clean)
