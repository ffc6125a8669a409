"""The one object that owns the serial port: python-gsmmodem, made safe.

python-gsmmodem speaks AT well but has habits that lose messages, so we keep
its command/response machinery and remove the rest:

* on every ``+CMTI`` it starts a thread that reads the message and deletes it
  from the SIM, even without a callback: we turn notifications into a wake-up
  of our own loop, which lists, commits, then deletes;
* its reader thread decodes each line as UTF-8 and dies silently on any other
  byte: ours replaces bad bytes and reports its own death;
* ``sendSms`` asks for delivery reports (``requestDelivery``) and re-probes the
  character set on every send: we send our own PDUs in two writes under the
  port's lock.

Every method is called from the daemon's main thread; the reader thread only
moves bytes.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import serial
from gsmmodem.exceptions import (
    CmeError,
    CmsError,
    CommandError,
    IncorrectPinError,
    PinRequiredError,
    TimeoutException,
)
from gsmmodem.modem import GsmModem

from antirelou.config import ModemConfig
from antirelou.listing import WAKE_PREFIXES, Listing, parse_listing
from antirelou.pdu import encode_submit

log = logging.getLogger("antirelou.modem")

CTRL_Z = "\x1a"
ESCAPE = "\x1b"
_CMGS = re.compile(r"^\+CMGS:\s*(\d+)")
_CPMS_TEST = re.compile(r'"([A-Z]{2})"')
_CPMS_SET = re.compile(r"^\+CPMS:\s*(\d+),(\d+)")
_CPMS_READ = re.compile(r'^\+CPMS:\s*"([A-Z]{2})",(\d+),(\d+)')
_CREG = re.compile(r"^\+CREG:\s*(?:\d,)?(\d)")
_COPS = re.compile(r'^\+COPS:\s*\d,\d,"([^"]*)"')
_CSQ = re.compile(r"^\+CSQ:\s*(\d+)")
# Bytes a full storage of PDUs can take on the wire, to size AT+CMGL's timeout.
_BYTES_PER_LISTED_SMS = 400


class ModemError(Exception):
    """The modem could not do what was asked."""


class ModemUnavailable(ModemError):
    """The port cannot be opened, has vanished, or its reader has stopped."""


class ModemTimeout(ModemError):
    """The modem did not answer in time."""


class ModemRefused(ModemError):
    """The modem answered ERROR, +CMS ERROR or +CME ERROR."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class SimLocked(ModemError):
    """The SIM wants a PIN we do not have, or refused ours: a person must act."""


class SendFailed(ModemError):
    """A reply did not (entirely) leave. `definite` is False when it may have."""

    def __init__(
        self, message: str, *, segments_sent: int, definite: bool, references: Sequence[int] = ()
    ) -> None:
        super().__init__(message)
        self.segments_sent = segments_sent
        self.definite = definite
        self.references = list(references)


@dataclass(frozen=True)
class Identity:
    manufacturer: str
    model: str
    revision: str
    imei: str


@dataclass(frozen=True)
class Registration:
    status: int  # 27.007 +CREG: 1 home, 5 roaming, 2 searching, 3 denied, 0 not searching
    operator: str | None
    signal: int | None  # 0..31, None if unknown

    @property
    def registered(self) -> bool:
        return self.status in (1, 5)

    def describe(self) -> str:
        names = {
            0: "not searching",
            1: "home network",
            2: "searching",
            3: "registration denied",
            4: "unknown",
            5: "roaming",
        }
        signal = "unknown" if self.signal is None else f"{self.signal}/31"
        return (
            f"{names.get(self.status, f'status {self.status}')}, operator "
            f"{self.operator or '?'}, signal {signal}"
        )


class _SafeGsmModem(GsmModem):
    """gsmmodem's GsmModem with notifications and line decoding under our control."""

    def __init__(
        self,
        port: str,
        baudrate: int,
        on_notification: Callable[[list[str]], None],
        on_reader_stopped: Callable[[BaseException], None],
        command_timeout: float,
    ) -> None:
        # exclusive: a second antirelou (or `check` while the service runs) is refused
        # the port instead of stealing half of its answers.
        super().__init__(port, baudrate, requestDelivery=False, exclusive=True)
        self.command_timeout = command_timeout
        self._on_notification = on_notification
        self.fatalErrorCallback = on_reader_stopped

    def write(
        self,
        data: str,
        waitForResponse: bool = True,
        timeout: float | None = None,
        **options: object,
    ) -> list[str] | None:
        # gsmmodem's connect() waits 10 s per command; a hung modem must not hold
        # our set-up that long.
        return super().write(
            data,
            waitForResponse=waitForResponse,
            timeout=self.command_timeout if timeout is None else timeout,
            **options,
        )

    def _handleModemNotification(self, lines: list[str]) -> None:
        # Replaces gsmmodem's thread-per-notification that reads *and deletes* messages.
        self._on_notification(list(lines))

    def _readLoop(self) -> None:
        # Same framing as gsmmodem's loop, but reads what is waiting instead of
        # one byte at a time, survives bytes that are not UTF-8, and reports
        # any exception instead of dying silently.
        buffer = bytearray()
        try:
            while self.alive:
                data = self.serial.read(self.serial.in_waiting or 1)
                if not data:
                    continue
                buffer.extend(data)
                while True:
                    end = buffer.find(b"\r\n")
                    if end < 0:
                        break
                    raw, buffer = bytes(buffer[:end]), buffer[end + 2 :]
                    if raw:
                        self._handle_line(raw.decode("utf-8", errors="replace"), True)
                expected = self._expectResponseTermSeq
                if expected and buffer.endswith(expected):
                    raw, buffer = bytes(buffer), bytearray()
                    self._handle_line(raw.decode("utf-8", errors="replace"), False)
        except BaseException as error:  # noqa: BLE001 - any death must be reported
            self.alive = False
            try:
                self.serial.close()
            except Exception:  # noqa: BLE001
                pass
            self.fatalErrorCallback(error)

    # Everything below touches gsmmodem's private internals; nothing outside this class does,
    # and tests/unit/test_gsmmodem_contract.py fails loudly if a release renames one.

    @property
    def reader_running(self) -> bool:
        return bool(self.alive and self.rxThread is not None and self.rxThread.is_alive())

    @property
    def port_lock(self) -> threading.RLock:
        """The lock gsmmodem holds while it writes: held across a prompt and its PDU."""
        return self._txLock

    def cut_short(self) -> None:
        """Make the command waiting for its answer give up now (from another thread)."""
        event = getattr(self, "_responseEvent", None)
        if event is not None:
            event.set()

    def write_raw(self, data: bytes) -> None:
        """Write bytes to the port with no framing and no waiting (e.g. ESC)."""
        self.serial.write(data)

    def shut(self) -> None:
        """Stop the reader and close the port; never raises (the port may have vanished)."""
        self.alive = False
        try:
            # Wake the reader out of its 1 s read so that closing is immediate.
            self.serial.cancel_read()
            if getattr(self, "rxThread", None) is not None:
                self.rxThread.join(timeout=2)
            self.serial.close()
        except Exception:  # noqa: BLE001 - closing a vanished port may fail in many ways
            pass

    def _handle_line(self, line: str, check_terminator: bool) -> None:
        try:
            self._handleLineRead(line, checkForResponseTerm=check_terminator)
        except (OSError, serial.SerialException):
            raise
        except Exception:  # one odd line must not stop the reader
            log.exception("could not handle line from modem: %r", line)


class Modem:
    """Given the modem section of the config, drive one dongle.

    `wake` is set whenever the modem announces new messages.
    """

    def __init__(self, config: ModemConfig, wake: threading.Event) -> None:
        self.config = config
        self.wake = wake
        self.storage: str | None = None
        self.storage_total = 0
        self.identity: Identity | None = None
        self._gsm: _SafeGsmModem | None = None
        self.reader_error: BaseException | None = None
        self._abandoning = False

    # --- life cycle -----------------------------------------------------------

    def open(self) -> Identity:
        """Open the port, set the modem up and unlock the SIM; return who it is.

        Raise ModemUnavailable, ModemTimeout, SimLocked or ModemRefused.
        """
        self.close()
        self.reader_error = None
        self._abandoning = False
        self._cancel_pending_input()
        gsm = _SafeGsmModem(
            self.config.port,
            self.config.baudrate,
            self._notified,
            self._reader_stopped,
            self.config.command_timeout,
        )
        self._gsm = gsm
        try:
            gsm.connect(pin=self.config.pin)
        except PinRequiredError as error:
            raise SimLocked("the SIM asks for a PIN: set modem.pin in the config") from error
        except IncorrectPinError as error:
            raise SimLocked(
                "the SIM refused the PIN in modem.pin. Check it in a phone: after 3 wrong PINs "
                "the SIM needs its PUK"
            ) from error
        except (serial.SerialException, OSError) as error:
            raise ModemUnavailable(
                f"cannot open {self.config.port}: {error}. Is the dongle plugged in, and is "
                "ModemManager kept off it?"
            ) from error
        except TimeoutException as error:
            raise ModemTimeout(f"no answer from the modem on {self.config.port}") from error
        except CommandError as error:
            raise ModemRefused(f"modem set-up refused: {error}") from error
        except Exception as error:  # gsmmodem trips on odd answers (a reboot)
            log.debug("modem set-up failed", exc_info=True)
            raise ModemUnavailable(
                f"modem set-up failed on an unexpected answer: {error!r}"
            ) from error
        finally:
            if self._gsm is gsm and self.reader_error is None and not gsm.alive:
                self.reader_error = ModemUnavailable("reader stopped during set-up")
        self._choose_storage()
        self.identity = Identity(
            manufacturer=self._first_line("AT+CGMI"),
            model=self._first_line("AT+CGMM"),
            revision=self._first_line("AT+CGMR", optional=True),
            imei=self._first_line("AT+CGSN", optional=True),
        )
        return self.identity

    def _cancel_pending_input(self) -> None:
        # A daemon killed between AT+CMGS's prompt and its Ctrl-Z leaves the modem
        # reading a PDU: ESC cancels it, or our set-up would be taken for PDU text.
        try:
            with serial.Serial(
                self.config.port, self.config.baudrate, timeout=0.2, exclusive=True
            ) as port:
                port.write(ESCAPE.encode() + b"\r")
                port.read(256)
        except (serial.SerialException, OSError) as error:
            if "exclusively lock" in str(error):
                hint = (
                    "another antirelou holds it: is the service already running? "
                    "(systemctl status antirelou)"
                )
            elif "busy" in str(error).lower():
                hint = (
                    "another program holds it, often ModemManager: see `sudo fuser -v "
                    f"{self.config.port}`"
                )
            else:
                hint = "Is the dongle plugged in, and is ModemManager kept off it?"
            raise ModemUnavailable(f"cannot open {self.config.port}: {error}. {hint}") from error

    def abandon_pending(self) -> None:
        """Cut short the command in progress, if any (from another thread, at shutdown)."""
        gsm = self._gsm
        self._abandoning = True
        if gsm is not None:
            gsm.cut_short()

    def close(self) -> None:
        gsm, self._gsm = self._gsm, None
        if gsm is None:
            return
        gsm.shut()

    @property
    def alive(self) -> bool:
        gsm = self._gsm
        return bool(gsm and gsm.reader_running)

    def _notified(self, lines: list[str]) -> None:
        if any(line.startswith(WAKE_PREFIXES) for line in lines):
            log.debug("modem notification: %s", lines)
            self.wake.set()
        else:
            log.debug("modem notification ignored: %s", lines)

    def _reader_stopped(self, error: BaseException) -> None:
        self.reader_error = error
        log.warning("the modem's serial reader stopped: %s", error)
        self.wake.set()

    # --- commands -------------------------------------------------------------

    def command(
        self, command: str, *, timeout: float | None = None, **options: object
    ) -> list[str]:
        """Send one AT command and return its answer lines. Raise a ModemError."""
        # Errors name the command, never a PDU: it holds a number and a message.
        label = command.split("=")[0] if command.startswith("AT") else "the SMS PDU"
        gsm = self._gsm
        if gsm is None or not self.alive:
            raise ModemUnavailable(
                f"the modem on {self.config.port} is not connected"
                + (f" ({self.reader_error})" if self.reader_error else "")
            )
        try:
            lines = gsm.write(command, timeout=timeout or self.config.command_timeout, **options)
            if self._abandoning:
                raise ModemUnavailable(f"{label} abandoned: the service is stopping")
        except ModemError:
            raise
        except (CmsError, CmeError) as error:
            raise ModemRefused(f"{label}: {error}", error.code) from error
        except CommandError as error:
            raise ModemRefused(f"{label}: ERROR") from error
        except TimeoutException as error:
            if not self.alive:
                raise ModemUnavailable(f"the modem vanished during {label}") from error
            raise ModemTimeout(
                f"no answer to {label} within {timeout or self.config.command_timeout:g}s"
            ) from error
        except (serial.SerialException, OSError) as error:
            raise ModemUnavailable(f"{self.config.port}: {error}") from error
        except Exception as error:  # gsmmodem trips on odd answers
            if self._abandoning:  # the empty answer we cut short
                raise ModemUnavailable(f"{label} abandoned: the service is stopping") from error
            log.debug("unexpected failure of %s", command, exc_info=True)
            raise ModemUnavailable(f"{label}: unexpected answer ({error!r})") from error
        lines = lines or []
        if lines and lines[0].strip() == command.strip() and command.startswith("AT"):
            # We turned echo off; it is back on only if the modem restarted on its own.
            raise ModemUnavailable(
                "the modem restarted by itself (echo is back on); setting it up again"
            )
        # A notification that arrives while a command waits is filed in its answer.
        if any(line.startswith(WAKE_PREFIXES) for line in lines):
            self.wake.set()
        return lines

    def _first_line(self, command: str, optional: bool = False) -> str:
        try:
            lines = [line for line in self.command(command) if line != "OK"]
        except ModemRefused:
            if optional:
                return ""
            raise
        return lines[0].strip() if lines else ""

    def _choose_storage(self) -> None:
        """Use the configured storage, or the largest one the modem offers."""
        offered: list[str] = []
        for line in self.command("AT+CPMS=?"):
            if line.startswith("+CPMS"):
                first_group = line.split(")")[0]
                offered = _CPMS_TEST.findall(first_group)
        wanted = self.config.storage
        if wanted != "auto":
            if offered and wanted not in offered:
                raise ModemRefused(
                    f"modem.storage is {wanted} but this modem only offers {', '.join(offered)}"
                )
            candidates = [wanted]
        else:
            candidates = [name for name in ("ME", "MT", "SM") if name in offered] or ["SM"]
        sizes: dict[str, int] = {}
        for name in candidates:
            try:
                sizes[name] = self._select_storage(name)[1]
            except ModemRefused as error:
                log.info("storage %s refused by the modem: %s", name, error)
        if not sizes:
            raise ModemRefused("the modem refused every message storage (AT+CPMS)")
        best = max(sizes, key=lambda name: sizes[name])
        self._select_storage(best)
        self.storage, self.storage_total = best, sizes[best]
        log.info("message storage %s with %d slots", best, sizes[best])

    def _select_storage(self, name: str) -> tuple[int, int]:
        # All three: read/delete, write, and where the network stores new messages.
        for line in self.command(f'AT+CPMS="{name}","{name}","{name}"'):
            match = _CPMS_SET.match(line)
            if match:
                return int(match.group(1)), int(match.group(2))
        raise ModemRefused(f"unexpected answer to AT+CPMS for {name}")

    def storage_usage(self) -> tuple[int, int]:
        """Return (used, total) slots of the message storage in use."""
        for line in self.command("AT+CPMS?"):
            match = _CPMS_READ.match(line)
            if match:
                return int(match.group(2)), int(match.group(3))
        raise ModemRefused("unexpected answer to AT+CPMS?")

    def registration(self) -> Registration:
        status = 4
        for line in self.command("AT+CREG?"):
            match = _CREG.match(line)
            if match:
                status = int(match.group(1))
        operator = None
        try:
            for line in self.command("AT+COPS?"):
                match = _COPS.match(line)
                if match:
                    operator = match.group(1)
        except ModemRefused:
            pass
        return Registration(status, operator, self.signal())

    def signal(self) -> int | None:
        for line in self.command("AT+CSQ"):
            match = _CSQ.match(line)
            if match:
                value = int(match.group(1))
                return None if value == 99 else value
        return None

    # --- messages ---------------------------------------------------------------

    def list_all(self) -> Listing:
        """List every message in storage with one AT+CMGL (never one read per slot)."""
        wire_seconds = self.storage_total * _BYTES_PER_LISTED_SMS * 10 / self.config.baudrate
        lines = self.command("AT+CMGL=4", timeout=self.config.command_timeout + wire_seconds)
        return parse_listing(self.storage or "SM", lines)

    def delete_read(self) -> None:
        """Delete every message marked read: exactly those the last listing returned."""
        self.command("AT+CMGD=1,1")

    def delete_slots(self, slots: Sequence[int]) -> None:
        for slot in slots:
            self.command(f"AT+CMGD={slot},0")

    def send(self, number: str, text: str, reference: int) -> list[int]:
        """Send `text` to `number`; return the network's reference of each segment.

        Raise SendFailed saying how many segments left and whether the failure
        is definite (the modem refused) or not (no answer: it may have left).
        """
        gsm = self._gsm
        pdus = encode_submit(number, text, reference & 0xFF, concat_reference=reference & 0xFF)
        # Not connected: the first command below raises ModemUnavailable; the lock only has
        # to exist until then.
        lock = gsm.port_lock if gsm is not None else threading.RLock()
        references: list[int] = []
        for position, pdu in enumerate(pdus, start=1):
            what = f"segment {position}/{len(pdus)}"
            # The prompt and the PDU are two writes; the port's lock keeps any
            # other writer from slipping between them.
            with lock:
                try:
                    self.command(
                        f"AT+CMGS={pdu.tpdu_length}", timeout=5, expectedResponseTermSeq="> "
                    )
                except ModemError as error:
                    # No PDU was written: this segment certainly did not leave.
                    if isinstance(error, ModemTimeout):
                        self._cancel_prompt()
                    raise SendFailed(
                        f"{what}: {error}",
                        segments_sent=len(references),
                        definite=True,
                        references=references,
                    ) from error
                try:
                    lines = self.command(
                        pdu.hex, timeout=self.config.send_timeout, writeTerm=CTRL_Z
                    )
                except ModemRefused as error:
                    raise SendFailed(
                        f"{what} refused: {error}",
                        segments_sent=len(references),
                        definite=True,
                        references=references,
                    ) from error
                except ModemError as error:
                    raise SendFailed(
                        f"{what}: {error}; it may have left",
                        segments_sent=len(references),
                        definite=False,
                        references=references,
                    ) from error
            match = next((m for m in map(_CMGS.match, lines) if m), None)
            if match is None:
                raise SendFailed(
                    f"{what}: no +CMGS reference in {lines!r}",
                    segments_sent=len(references),
                    definite=False,
                    references=references,
                )
            references.append(int(match.group(1)))
        return references

    def _cancel_prompt(self) -> None:
        try:
            if self._gsm is not None:
                self._gsm.write_raw(ESCAPE.encode())
        except Exception:  # noqa: BLE001
            pass
