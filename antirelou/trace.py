"""A record of the AT exchange with a dongle, safe to send to the developers.

`antirelou check --trace FILE` writes one line per command and answer line, with the time,
so that a dongle we have never seen can be taught to the simulator. Phone numbers, identity
numbers, PINs and message contents are masked: an SMS is shown by its structure (type,
sender kind, encoding, length, parts), never by its text or sender. Pure but for the file.
"""

from __future__ import annotations

import os
import re
import threading
import time
from typing import TextIO

from antirelou.pdu import decode_deliver

_PIN = re.compile(r"(AT\+C(?:PIN|LCK|PWD|PIN2)=)[^\r\n]*", re.IGNORECASE)
_DIGITS = re.compile(r"\d{6,}")
_PDU = re.compile(r"^[0-9A-Fa-f]{20,}$")
_KEPT_DIGITS = 4  # a country code or an operator's MCC: not personal, useful to read a trace


def mask(line: str) -> str:
    """Given one line sent to or received from the modem, return it with nothing personal:
    PINs replaced, digit runs of 6 or more cut to their first 4, PDUs described."""
    text = line.rstrip("\r\n")
    if _PDU.match(text.strip()):
        return _describe_pdu(text.strip())
    text = _PIN.sub(lambda match: match.group(1) + '"****"', text)
    return _DIGITS.sub(
        lambda match: match.group()[:_KEPT_DIGITS] + "x" * (len(match.group()) - _KEPT_DIGITS), text
    )


def _describe_pdu(pdu: str) -> str:
    decoded = decode_deliver(pdu)
    octets = len(pdu) // 2
    if decoded.error is not None:
        return f"<PDU, {octets} octets, not a readable SMS-DELIVER: {decoded.error}>"
    if decoded.sender_alphanumeric:
        sender = "a name"
    elif decoded.sender and decoded.sender.startswith("+"):
        sender = "an international number"
    else:
        sender = "a national number or short code"
    parts = f", part {decoded.concat.sequence} of {decoded.concat.total}" if decoded.concat else ""
    return (
        f"<PDU SMS-DELIVER, {octets} octets, from {sender}, {decoded.encoding}, "
        f"{len(decoded.text or '')} characters{parts}>"
    )


class TraceFile:
    """Given a path, write the masked exchange there (mode 0600: it is still about a SIM)."""

    def __init__(self, path: str) -> None:
        descriptor = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        self._file: TextIO = os.fdopen(descriptor, "w", encoding="utf-8")
        self._started = time.monotonic()
        self._lock = threading.Lock()  # the reader thread and the main thread both record
        self.path = path

    def note(self, text: str) -> None:
        """Write a comment line (what the probe is doing)."""
        self._write("#", text)

    def record(self, direction: str, line: str) -> None:
        """Record one line: direction ">" is sent to the modem, "<" received from it."""
        self._write(direction, mask(line))

    def _write(self, marker: str, text: str) -> None:
        elapsed = time.monotonic() - self._started
        with self._lock:
            self._file.write(f"{elapsed:8.3f} {marker} {text}\n")
            self._file.flush()

    def close(self) -> None:
        self._file.close()
