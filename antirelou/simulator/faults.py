"""Faults a test can inject into the simulated dongle's answers, and broken PDUs.

A Fault plugs in at four points of the serving thread: on_command (answer a command instead
of the dongle), extra_delay (answer it late), on_answer (change one command's whole answer)
and on_write (change any bytes on their way to the host). The faults SimulatedDongle arms by
name (fail_next, slow_next, garbage_inside_next, noise_inside_next) are the Matching ones
here.
"""

from __future__ import annotations

from datetime import datetime

from antirelou.simulator.network_pdu import encode_deliver_raw

MALFORMED_KINDS = ("truncated", "odd-length", "not-hex", "wrong-type", "bad-length")


class Fault:
    """Base of injectable faults: override any hook; set `spent` to be removed.

    Hooks run on the simulator's thread, in the order the faults were set.
    """

    spent = False

    def on_command(self, line: str) -> str | None:
        """Given a command line, return a final result line to answer instead, or None."""
        return None

    def extra_delay(self, line: str) -> float:
        """Given a command line, return the extra seconds to wait before answering it."""
        return 0.0

    def on_answer(self, line: str, data: bytes) -> bytes:
        """Given a command line and its whole answer as bytes (information lines and final
        result), return the bytes to write instead.
        """
        return data

    def on_write(self, data: bytes) -> bytes:
        """Given bytes about to reach the host, return the bytes to write instead."""
        return data

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Matching(Fault):
    """A fault for the next `count` commands that start with a prefix."""

    def __init__(self, command_prefix: str, count: int) -> None:
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        self.prefix = command_prefix.upper()
        self.left = count

    def _take(self, line: str) -> bool:
        """Given a command line, return whether it matches, using up one of the count."""
        if self.spent or not line.upper().startswith(self.prefix):
            return False
        self.left -= 1
        self.spent = self.left == 0
        return True


class FailNext(Matching):
    """Answer the matching commands with a given final result line."""

    def __init__(self, command_prefix: str, error: str, count: int = 1) -> None:
        super().__init__(command_prefix, count)
        self.error = error

    def on_command(self, line: str) -> str | None:
        return self.error if self._take(line) else None

    def __repr__(self) -> str:
        return f"fail_next({self.prefix!r}, {self.error!r}, count={self.left})"


class SlowNext(Matching):
    """Answer the matching commands some seconds late."""

    def __init__(self, command_prefix: str, seconds: float, count: int = 1) -> None:
        super().__init__(command_prefix, count)
        self.seconds = seconds

    def extra_delay(self, line: str) -> float:
        return self.seconds if self._take(line) else 0.0

    def __repr__(self) -> str:
        return f"slow_next({self.prefix!r}, {self.seconds:g}, count={self.left})"


class GarbageInside(Matching):
    """Insert bytes in the middle of the next matching command's answer."""

    def __init__(self, command_prefix: str, data: bytes) -> None:
        super().__init__(command_prefix, 1)
        self.data = bytes(data)

    def on_answer(self, line: str, data: bytes) -> bytes:
        return insert_inside(data, self.data) if self._take(line) else data

    def __repr__(self) -> str:
        return f"garbage_inside_next({self.prefix!r}, {self.data!r})"


class NoiseInside(Matching):
    """Put an unsolicited line after the first line of the next matching command's answer."""

    def __init__(self, command_prefix: str, line: str) -> None:
        super().__init__(command_prefix, 1)
        self.line = line

    def on_answer(self, line: str, data: bytes) -> bytes:
        return insert_after_first_line(data, self.line) if self._take(line) else data

    def __repr__(self) -> str:
        return f"noise_inside_next({self.prefix!r}, {self.line!r})"


def insert_after_first_line(data: bytes, line: str) -> bytes:
    """Given an answer ("\r\n<line>\r\n…") and an unsolicited line, return the answer with
    the line, framed, after its first line (e.g. between a +CMGL: header and its PDU).
    """
    end = data.find(b"\r\n", 2)
    if end < 0:
        return data + f"\r\n{line}\r\n".encode("latin-1")
    return data[:end] + f"\r\n{line}".encode("latin-1") + data[end:]


def insert_inside(data: bytes, inserted: bytes) -> bytes:
    """Given an answer and bytes, return the answer with the bytes in the middle of its
    longest line (the first of equals).
    """
    position = longest_start = longest_length = 0
    for line in data.split(b"\r\n"):
        if len(line) > longest_length:
            longest_start, longest_length = position, len(line)
        position += len(line) + 2
    middle = longest_start + longest_length // 2
    return data[:middle] + inserted + data[middle:]


def malformed_pdu(kind: str, smsc: str, moment: datetime) -> str:
    """Given a kind of damage (see MALFORMED_KINDS), an SMSC and a time, return a broken
    receive-storage PDU (hex, SMSC field first). Raise ValueError for an unknown kind.
    """
    sender = "+33612345678"
    text = f"Broken on purpose ({kind}), never decodable"  # GSM 7-bit: one septet each
    valid = encode_deliver_raw(sender, text, timestamp=moment, smsc=smsc)
    if kind == "truncated":
        return valid[: len(valid) // 4 * 2]  # whole octets: only the second half is missing
    if kind == "odd-length":
        return valid[:-1]
    if kind == "not-hex":
        middle = len(valid) // 4 * 2
        return valid[:middle] + "ZG" + valid[middle + 2 :]
    if kind == "wrong-type":
        # An SMS-STATUS-REPORT (as a modem files with CNMI ds=2) built from the DELIVER's
        # own fields: SMSC, recipient address, service centre time as discharge time too.
        octets = bytes.fromhex(valid)
        smsc_size = 1 + octets[0]
        tpdu = octets[smsc_size:]
        address_size = 2 + (tpdu[1] + 1) // 2
        address = tpdu[1 : 1 + address_size]
        timestamp = tpdu[1 + address_size + 2 : 1 + address_size + 9]
        report = bytes([0x06, 0x2A]) + address + timestamp + timestamp + b"\x00"
        return (octets[:smsc_size] + report).hex().upper()
    if kind == "bad-length":
        return encode_deliver_raw(
            sender, text, timestamp=moment, smsc=smsc, user_data_length=len(text) + 40
        )
    raise ValueError(f"unknown malformed PDU kind {kind!r}; one of {', '.join(MALFORMED_KINDS)}")
