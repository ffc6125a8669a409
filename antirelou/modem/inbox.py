"""What the modem announced and the main loop has not yet acted on.

The serial reader thread files notices here (and so does the main thread, for notices found
inside a command's answer); the main loop takes them. Nothing here talks to the modem.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence

from antirelou.modem.records import IncomingCall
from antirelou.unsolicited import Kind, Unsolicited, split

log = logging.getLogger("antirelou.modem")

_PDU_LINE = re.compile(r"[0-9A-Fa-f]{14,}")
# A call whose caller ID has not come yet is handled after this long anyway (seconds).
_CALLER_ID_WAIT = 1.0
# Rings still in the modem's buffer just after a rejection belong to the call just rejected.
_RINGS_AFTER_REJECTION = 3.0


class Inbox:
    """Given the event that wakes the main loop and a monotonic clock, keep the notices."""

    def __init__(self, wake: threading.Event, monotonic: Callable[[], float]) -> None:
        self.wake = wake
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._direct: list[str] = []  # PDUs of +CMT notices not yet committed
        self._direct_header = False  # a +CMT header whose PDU is in the next notice
        self._call: IncomingCall | None = None
        self._call_has_number = False
        self._rejected_at: float | None = None
        self.settings_stale = False  # a boot notice: set the SMS settings again

    def notified(self, lines: Sequence[str]) -> None:
        """Given lines the modem sent on its own (the reader thread), file what they mean."""
        lines = self.claim_direct_pdu(list(lines))
        _, notices = split(lines)
        if notices:
            self.file(notices)
        else:
            log.debug("modem notification ignored: %s", lines)

    def claim_direct_pdu(self, lines: list[str]) -> list[str]:
        """Given lines just received (a notice, or a command's answer), take the PDU of a +CMT
        whose header came earlier, if it is their first line; return the other lines.

        The header and its PDU may be split: the header as a notice, the PDU filed into the
        answer of a command sent in between.
        """
        with self._lock:
            if not (self._direct_header and lines and _PDU_LINE.fullmatch(lines[0].strip())):
                return lines
            self._direct_header = False
            self._direct.append(lines[0].strip())
        self.wake.set()
        return lines[1:]

    def file(self, notices: Sequence[Unsolicited]) -> None:
        """Note what the modem announced (from either thread); wake the loop if it matters."""
        wake = False
        with self._lock:
            for notice in notices:
                log.debug("modem notice: %s", notice.line)
                if notice.kind in (Kind.NEW_MESSAGE, Kind.STORAGE_FULL):
                    wake = True
                elif notice.kind is Kind.DIRECT:
                    if notice.pdu is None:
                        self._direct_header = True
                    else:
                        self._direct.append(notice.pdu)
                    wake = True
                elif notice.kind is Kind.BOOT:
                    self.settings_stale = wake = True
                elif notice.kind is Kind.CALL:
                    wake = self._ringing(notice) or wake
                elif notice.kind is Kind.CALL_ENDED and self._call is not None:
                    self._call = IncomingCall(self._call.caller, self._call.rang_at, True)
                    wake = True
        if wake:
            self.wake.set()

    def _ringing(self, notice: Unsolicited) -> bool:
        now = self.monotonic()
        if self._call is None:
            if self._rejected_at is not None and now - self._rejected_at < _RINGS_AFTER_REJECTION:
                return False  # the end of the call just rejected
            self._call = IncomingCall(None, now, False)
            self._call_has_number = False
        if notice.caller is not None and not self._call_has_number:
            self._call = IncomingCall(notice.caller or None, self._call.rang_at, False)
            self._call_has_number = True
        return True

    def take_direct(self) -> list[str]:
        """Return (and forget) the PDUs of +CMT notices received since the last call."""
        with self._lock:
            taken, self._direct = self._direct, []
        return taken

    def give_back_direct(self, pdus: list[str]) -> None:
        """Keep PDUs taken by take_direct that could not be committed, for the next drain."""
        with self._lock:
            self._direct = pdus + self._direct

    def take_call(self) -> IncomingCall | None:
        """Return a ringing (or just ended) call once its caller ID came or has had time to
        come, and forget it; None if there is none yet."""
        with self._lock:
            call = self._call
            if call is None:
                return None
            waited = self.monotonic() - call.rang_at
            if not (self._call_has_number or call.ended or waited >= _CALLER_ID_WAIT):
                return None
            self._call = None
            return call

    def rejecting(self) -> None:
        """Note that the call just taken is being hung up: its last rings are not a new one."""
        with self._lock:
            self._rejected_at = self.monotonic()
