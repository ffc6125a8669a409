"""Ask one port, with AT commands and short time-outs, whether it is a dongle's AT port,
and what the dongle says of itself, its SIM and its network.

The rules come from how ModemManager probes (pi-deploy.md §3.1, §3.4): AT up to three
times, an answer of ERROR counts as AT-capable, non-AT bytes (NMEA sentences, binary
diagnostics) end the probe at once; the port is opened exclusively, and a port held by
another program is reported, not fought over. A SIM's PIN is never sent here, except by
`unlock`, with the PIN the user typed, once.
"""

from __future__ import annotations

import errno
import re
import time
from dataclasses import dataclass, field

import serial

from antirelou import unsolicited
from antirelou.modem.records import Registration, StorageInfo, storage_usage

BAUDRATE = 115200
AT_TRIES = 3
AT_TIMEOUT = 2.0  # seconds per AT try
COMMAND_TIMEOUT = 5.0
PIN_TIMEOUT = 20.0  # some SIMs take seconds to check a PIN
_FINAL = re.compile(r"^(OK|ERROR|COMMAND NOT SUPPORT|\+CM[ES] ERROR:.*)$")
# NMEA sentences ($GPGGA, $GNRMC…) on a GPS port, or binary frames on a diagnostics port.
_NMEA = re.compile(rb"\$G[A-Z]{4},")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f\x80-\xff]")
_GARBAGE_BYTES = 16
_CPIN = re.compile(r"^\+CPIN:\s*(.+)$")
# The answers to AT+CSQ, AT+CREG? and AT+COPS?, their name taken off (AtLink.first_line).
_CSQ = re.compile(r"^(\d+)")
_CREG = re.compile(r"^(?:\d,)?(\d)")
_COPS = re.compile(r'^\d,\d,"([^"]*)"')
# PIN tries left: 27.007 +CPINR, then Huawei's ^CPIN and Quectel's +QPINC, where the
# standard command is missing. Only asked, never a PIN sent.
_PIN_TRIES = (
    ('AT+CPINR="SIM PIN"', re.compile(r"^\+CPINR:\s*\"?SIM PIN\"?,\s*(\d+)")),
    ("AT^CPIN?", re.compile(r"^\^CPIN:\s*SIM PIN,\s*(\d+)")),
    ('AT+QPINC="SC"', re.compile(r'^\+QPINC:\s*"SC",\s*(\d+)')),
)


class NotAnAtPort(Exception):
    """The port sends bytes that are not AT answers (GPS sentences, binary)."""


@dataclass
class Probe:
    """What one port said. `problem` is a sentence when it is not a usable AT port."""

    port: str
    problem: str | None = None
    manufacturer: str = ""
    model: str = ""
    revision: str = ""
    imei: str = ""
    sim: str = "?"  # READY, SIM PIN, SIM PUK, NOT INSERTED… as +CPIN says it
    pin_tries: int | None = None
    pin_enabled: bool | None = None  # AT+CLCK="SC",2 on an unlocked SIM
    registration: Registration | None = None
    storages: list[StorageInfo] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.problem is None


def open_problem(port: str, error: Exception) -> str:
    """Given the error of opening a port, return what to do about it."""
    text = str(error)
    code = getattr(error, "errno", None)
    if "exclusively lock" in text:
        return (
            f"{port} est tenu par un autre antirelou / is held by another antirelou: le "
            "service tourne ? / is the service running? sudo systemctl stop antirelou "
            "(ou / or antirelou@LIGNE), puis relancez / then run again"
        )
    if code == errno.EBUSY or "busy" in text.lower():
        return (
            f"{port} est occupé / is busy, souvent par ModemManager / often ModemManager: "
            "sudo systemctl restart ModemManager (la règle udev d'antirelou l'écarte de la clé "
            "/ antirelou's udev rule keeps it off the dongle), ou / or sudo systemctl disable "
            "--now ModemManager; voir / see sudo fuser -v " + port
        )
    if code in (errno.EACCES, errno.EPERM) or "ermission denied" in text:
        return (
            f"pas le droit d'ouvrir / no permission to open {port}: lancez / run sudo antirelou "
            "setup, ou ajoutez-vous au groupe dialout / or add yourself to the dialout group: "
            "sudo adduser $USER dialout (puis reconnectez-vous / then log in again)"
        )
    if code == errno.ENOENT or "No such file" in text:
        return f"rien à / nothing at {port}: la clé est-elle branchée ? / is the dongle plugged in?"
    return f"{port} ne s'ouvre pas / cannot be opened: {text}"


class AtLink:
    """A short-lived AT conversation on one port: one command at a time, lines up to the
    final result, nothing else."""

    def __init__(self, port: str) -> None:
        self.port = port
        self.connection = serial.Serial(port, BAUDRATE, timeout=0.05, exclusive=True)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> AtLink:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    def command(self, line: str, timeout: float = COMMAND_TIMEOUT) -> list[str] | None:
        """Send one command; return its answer lines, the final result last, or None if
        none came in time. Raise NotAnAtPort on bytes no AT port sends."""
        self.connection.write(line.encode("ascii") + b"\r")
        deadline = time.monotonic() + timeout
        buffer = b""
        lines: list[str] = []
        while time.monotonic() < deadline:
            buffer += self.connection.read(self.connection.in_waiting or 1)
            if _NMEA.search(buffer) or len(_CONTROL.findall(buffer)) > _GARBAGE_BYTES:
                raise NotAnAtPort(f"{self.port} sends GPS or binary data, not AT answers")
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                text = raw.decode("ascii", errors="replace").strip()
                # Blank, the echo of our command, or a notice (^RSSI, ^BOOT, RDY…: a Huawei
                # PCUI port repeats some every few seconds) among the answer's lines.
                if not text or text == line or not unsolicited.split([text], line)[0]:
                    continue
                lines.append(text)
                if _FINAL.match(text):
                    return lines
        return None

    def first_line(self, line: str) -> str:
        """Send a query; return its first information line without the echo of its name,
        or "" when refused or unanswered."""
        answer = self.command(line)
        if not answer or answer[-1] != "OK" or len(answer) < 2:
            return ""
        name = line[2:].rstrip("?").split("=")[0]
        return answer[0].removeprefix(name + ":").strip()


def probe(port: str, *, tries: int = AT_TRIES, timeout: float = AT_TIMEOUT) -> Probe:
    """Given a port's path, return what the dongle on it says, or why it is not usable."""
    try:
        link = AtLink(port)
    except (serial.SerialException, OSError) as error:
        return Probe(port, problem=open_problem(port, error))
    try:
        with link:
            # ESC first: a PDU left half-typed by a killed program would swallow our AT.
            link.connection.write(b"\x1b\r")
            if not any(link.command("AT", timeout) for _ in range(tries)):
                return Probe(
                    port,
                    problem=f"pas de réponse à AT / no answer to AT on {port} ({tries} tries)",
                )
            return _describe(link)
    except NotAnAtPort as error:
        return Probe(port, problem=str(error))
    except (serial.SerialException, OSError) as error:
        return Probe(port, problem=f"{port} a disparu / vanished: {error}")


def _describe(link: AtLink) -> Probe:
    link.command("ATE0")
    link.command("AT+CMEE=1")
    found = Probe(
        link.port,
        manufacturer=link.first_line("AT+CGMI"),
        model=link.first_line("AT+CGMM"),
        revision=link.first_line("AT+CGMR"),
        imei=link.first_line("AT+CGSN"),
        sim=_sim_state(link.command("AT+CPIN?")),
    )
    if found.sim != "READY":
        found.pin_tries = _pin_tries(link) if found.sim == "SIM PIN" else None
        return found
    # Unlocked since the dongle powered up, but will it ask again after a replug?
    lock = link.first_line('AT+CLCK="SC",2')
    found.pin_enabled = {"0": False, "1": True}.get(lock)
    found.registration = _registration(link)
    found.storages = storage_usage(" ".join(link.command("AT+CPMS?") or []))
    return found


def _sim_state(answer: list[str] | None) -> str:
    for line in answer or []:
        match = _CPIN.match(line)
        if match:
            return match.group(1).strip()
        if line.startswith("+CME ERROR") and ("10" in line or "not inserted" in line.lower()):
            return "NOT INSERTED"
    return "?"


def _pin_tries(link: AtLink) -> int | None:
    for command, pattern in _PIN_TRIES:
        for line in link.command(command) or []:
            match = pattern.match(line)
            if match:
                return int(match.group(1))
    return None


def _registration(link: AtLink) -> Registration:
    status = _CREG.match(link.first_line("AT+CREG?"))
    link.command("AT+COPS=3,0")  # the operator's long alphanumeric name
    operator = _COPS.match(link.first_line("AT+COPS?"))
    signal = _CSQ.match(link.first_line("AT+CSQ"))
    rssi = int(signal.group(1)) if signal else 99
    return Registration(
        status=int(status.group(1)) if status else 4,
        operator=operator.group(1) if operator else None,
        signal=None if rssi == 99 else rssi,
    )


def unlock(port: str, pin: str) -> str | None:
    """Send the SIM this PIN, once, if it asks for one. Return None if the SIM is now
    unlocked, else what went wrong (a refused PIN costs one of the SIM's tries)."""
    try:
        with AtLink(port) as link:
            link.command("AT+CMEE=1")
            if _sim_state(link.command("AT+CPIN?")) != "SIM PIN":
                return None
            answer = link.command(f'AT+CPIN="{pin}"', PIN_TIMEOUT)
    except (serial.SerialException, OSError, NotAnAtPort) as error:
        return open_problem(port, error)
    if answer and answer[-1] == "OK":
        return None
    if answer is None:
        return "la clé n'a pas répondu au code PIN / the dongle did not answer the PIN"
    return "code PIN refusé / PIN refused"
