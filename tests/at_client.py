"""A plain pyserial AT host for the simulator's tests: no gsmmodem in between."""

from __future__ import annotations

import re
import time

import serial

# Final result lines, Huawei's COMMAND NOT SUPPORT, and the send prompt ("> ", or a bare ">"
# on its own line as SIMCom writes it).
FINAL = re.compile(r"^(OK|ERROR|COMMAND NOT SUPPORT|\+CM[ES] ERROR: .*|> ?)$")
TIMEOUT = 5.0


class AtClient:
    """A plain pyserial host: write a command, read lines up to the final result."""

    def __init__(self, connection: serial.Serial) -> None:
        self.connection = connection

    def read_line(self, timeout: float = TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        data = b""
        while not data.endswith(b"\r\n"):
            if data == b"> ":
                return "> "
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no complete line, got {data!r}")
            self.connection.timeout = remaining
            data += self.connection.read(1)
        return data[:-2].decode("latin-1")

    def read_answer(self, timeout: float = TIMEOUT) -> list[str]:
        lines = []
        while True:
            line = self.read_line(timeout)
            if line:
                lines.append(line)
            if FINAL.match(line):
                return lines

    def command(self, line: str, timeout: float = TIMEOUT) -> list[str]:
        self.connection.write(line.encode("latin-1") + b"\r")
        return self.read_answer(timeout)

    def send_pdu(self, pdu_hex: str, tpdu_length: int) -> list[str]:
        """Send one SMS the way gsmmodem does: the command, then the PDU and Ctrl-Z."""
        assert self.command(f"AT+CMGS={tpdu_length}") in (["> "], [">"])
        self.connection.write(pdu_hex.encode("ascii") + b"\x1a")
        return self.read_answer()

    def answer_or_none(self, line: str, timeout: float) -> list[str] | None:
        """Given a command, return its answer, or None if none comes within timeout."""
        try:
            return self.command(line, timeout)
        except TimeoutError:
            return None

    def read_until(self, wanted: str, timeout: float = TIMEOUT) -> list[str]:
        """Return the non-empty lines read up to and including the first starting with
        `wanted`. Raise TimeoutError if it does not come within timeout seconds.
        """
        deadline = time.monotonic() + timeout
        lines = []
        while True:
            line = self.read_line(max(0.0, deadline - time.monotonic()))
            if line:
                lines.append(line)
            if line.startswith(wanted):
                return lines

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> AtClient:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()


def connect(port: str, *, echo_off: bool = True) -> AtClient:
    """Given a port, open it; unless echo_off is False, turn echo off and numeric errors on."""
    client = AtClient(serial.Serial(port, timeout=TIMEOUT))
    if echo_off:
        assert client.command("ATE0")[-1] == "OK"
        assert client.command("AT+CMEE=1") == ["OK"]
    return client
