"""Our subclass of python-gsmmodem's GsmModem: the only code that touches its private parts.

tests/unit/test_gsmmodem_contract.py fails if a gsmmodem release renames one of them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import serial
from gsmmodem.modem import GsmModem

log = logging.getLogger("antirelou.modem")


class SafeGsmModem(GsmModem):
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
        # Given (">" sent or "<" received, line): `antirelou check --trace` records the exchange.
        self.trace: Callable[[str, str], None] | None = None

    def write(
        self,
        data: str,
        waitForResponse: bool = True,
        timeout: float | None = None,
        **options: object,
    ) -> list[str] | None:
        if self.trace is not None:
            self.trace(">", data)
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
                    if raw.strip() == b">" and self._expectResponseTermSeq:
                        # A bare ">" on its own line is the prompt too (SIMCom, §6.1).
                        self._handle_line(">", False)
                    elif raw:
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
        if self.trace is not None:
            self.trace("<", line)
        try:
            event = self._responseEvent
            if event is not None and not event.is_set():
                self._handleLineRead(line, checkForResponseTerm=check_terminator)
            else:
                # Each notice line at once: gsmmodem holds a line back while more bytes wait
                # in the port, and a command sent meanwhile then swallows the rest (a +CMT
                # header kept here while its PDU went into an answer).
                self._handleModemNotification([line])
        except (OSError, serial.SerialException):
            raise
        except Exception:  # one odd line must not stop the reader
            log.exception("could not handle line from modem: %r", line)
