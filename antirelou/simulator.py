"""A simulated USB GSM dongle (Huawei-like) on a real pseudo-terminal.

pyserial and python-gsmmodem talk to it exactly as to hardware: it answers AT commands
(3GPP TS 27.005 / 27.007, PDU mode) on the slave side of a pty, stores SMS that "arrive from
the network" (inject), and records what the host sends (AT+CMGS).

One daemon thread serves the master side. It is the only writer: answers, echo, unsolicited
notices (+CMTI, ^SMMEMFULL) and injected garbage all go through `_emit`, under one write
lock, and notices are only written between answers, never inside one. Faults plug in at four
points: `Fault.on_command` (answer a command instead of the dongle), `Fault.extra_delay`
(answer it late), `Fault.on_answer` (change one command's whole answer) and `Fault.on_write`
(change any bytes on their way to the host).

Hardware faults are methods of SimulatedDongle, safe to call from any thread while it serves:
unplug/replug (the pty goes away, a new one appears behind the same link), hang/unhang
(a wedged firmware), reboot (settings lost, port kept), garbage and garbage_inside_next,
fail_next, slow_next, storage_full_notice and inject_malformed. Every one is recorded in
`faults_log` with its monotonic time, so a long run can tell what happened when.
"""

from __future__ import annotations

import errno
import itertools
import math
import os
import pty
import random
import re
import select
import threading
import time
import tty
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from antirelou.pdu import Submit, decode_submit, encode_deliver, encode_deliver_raw, join_parts

__all__ = ["MALFORMED_KINDS", "Fault", "SentMessage", "SimulatedDongle", "serve_forever"]

CTRL_Z = 0x1A
ESCAPE = 0x1B
BACKSPACE = 0x08

STAT_REC_UNREAD, STAT_REC_READ, STAT_STO_UNSENT, STAT_STO_SENT = 0, 1, 2, 3
# AT+CMGD delflag -> the stats it deletes (flag 0 deletes the given index only).
_DELETED_BY_FLAG = {
    1: {STAT_REC_READ},
    2: {STAT_REC_READ, STAT_STO_SENT},
    3: {STAT_REC_READ, STAT_STO_SENT, STAT_STO_UNSENT},
    4: {STAT_REC_UNREAD, STAT_REC_READ, STAT_STO_UNSENT, STAT_STO_SENT},
}
_CME_TEXT = {
    3: "operation not allowed",
    4: "operation not supported",
    11: "SIM PIN required",
    12: "SIM PUK required",
    16: "incorrect password",
    50: "Incorrect parameters",
    100: "unknown",
}
_COMMAND = re.compile(r"([+^$%][A-Z0-9]+|&[A-Z]|[A-Z]?)(.*)", re.IGNORECASE | re.DOTALL)
_PIN_ATTEMPTS = 3
_LINE_LIMIT = 4096  # a host that never sends "\r" must not make us grow forever
# What a Huawei stick prints when it comes back up (its periodic boot report).
_BOOT_NOISE = b"\r\n^BOOT:20952309,0,0,0,6\r\n"
MALFORMED_KINDS = ("truncated", "odd-length", "not-hex", "wrong-type", "bad-length")


@dataclass(frozen=True)
class SentMessage:
    """A message the host sent, its concatenated segments joined."""

    number: str
    text: str
    segments: list[Submit]
    references: list[int]  # the +CMGS message reference given for each segment
    time: datetime


@dataclass
class _Slot:
    stat: int
    pdu: str


@dataclass
class _Storage:
    name: str
    capacity: int
    slots: dict[int, _Slot] = field(default_factory=dict)
    full_reported: bool = False

    @property
    def full(self) -> bool:
        return len(self.slots) >= self.capacity

    def free_index(self) -> int:
        # Huawei numbers SIM slots from 0 and refills the lowest free one.
        return next(index for index in range(self.capacity) if index not in self.slots)


class _Refused(Exception):
    """A handler refuses the command; `final` is the result line to answer."""

    def __init__(self, final: str) -> None:
        super().__init__(final)
        self.final = final


@dataclass
class _Answer:
    lines: list[str] = field(default_factory=list)
    final: str = "OK"


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


class _Matching(Fault):
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


class _FailNext(_Matching):
    def __init__(self, command_prefix: str, error: str, count: int = 1) -> None:
        super().__init__(command_prefix, count)
        self.error = error

    def on_command(self, line: str) -> str | None:
        return self.error if self._take(line) else None

    def __repr__(self) -> str:
        return f"fail_next({self.prefix!r}, {self.error!r}, count={self.left})"


class _SlowNext(_Matching):
    def __init__(self, command_prefix: str, seconds: float, count: int = 1) -> None:
        super().__init__(command_prefix, count)
        self.seconds = seconds

    def extra_delay(self, line: str) -> float:
        return self.seconds if self._take(line) else 0.0

    def __repr__(self) -> str:
        return f"slow_next({self.prefix!r}, {self.seconds:g}, count={self.left})"


class _GarbageInside(_Matching):
    def __init__(self, command_prefix: str, data: bytes) -> None:
        super().__init__(command_prefix, 1)
        self.data = bytes(data)

    def on_answer(self, line: str, data: bytes) -> bytes:
        return _insert_inside(data, self.data) if self._take(line) else data

    def __repr__(self) -> str:
        return f"garbage_inside_next({self.prefix!r}, {self.data!r})"


class SimulatedDongle:
    """A GSM dongle on a pseudo-terminal; see the module docstring."""

    def __init__(
        self,
        link: str | None = None,
        *,
        memories: dict[str, int] | None = None,
        pin: str | None = None,
        command_latency: float = 0.0,
        send_latency: float | tuple[float, float] = 0.0,
        baudrate: int | None = None,
        operator: str = "Orange F",
        signal: int = 20,
        registration_delay: float = 0.0,
        imei: str = "861234056789012",
        manufacturer: str = "huawei",
        model: str = "E3531",
        seed: int | None = None,
    ) -> None:
        memories = dict(memories or {"SM": 30})
        if not memories or any(capacity < 1 for capacity in memories.values()):
            raise ValueError(f"memories need at least one storage of capacity >= 1: {memories}")
        self._link = link
        self._memory_sizes = memories
        self._storages = {name: _Storage(name, capacity) for name, capacity in memories.items()}
        self._pin = pin
        self._command_latency = command_latency
        self._send_latency = send_latency
        self._bytes_per_second = baudrate / 10 if baudrate else None
        self._operator = operator
        self._signal = signal
        self._registration_delay = registration_delay
        self._imei = imei
        self._manufacturer = manufacturer
        self._model = model
        self._random = random.Random(seed)
        self._concat_references = itertools.count(self._random.randrange(256))
        self._smsc = "+33695000695"

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._write_lock = threading.Lock()
        # Serialises start/stop/unplug/replug; never held with _lock while joining the thread.
        self._lifecycle_lock = threading.Lock()
        self._stopping = threading.Event()
        self._started = False
        self._plugged = False
        # Monotonic time until which the firmware is wedged (math.inf: until unhang).
        self._hung_until = 0.0
        # Bumped by reboot so the serving thread forgets a half-received line.
        self._input_epoch = 0
        self._faults_log: list[tuple[float, str]] = []
        self._thread: threading.Thread | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._slave_path: str | None = None
        self._wake_read: int | None = None
        self._wake_write: int | None = None
        self._line_free_at = 0.0

        self._command_log: list[str] = []
        self._outbox: deque[bytes] = deque()
        self._network_queue: deque[tuple[str, bool]] = deque()
        self._faults: list[Fault] = []
        self._sent: list[SentMessage] = []
        self._sent_segments: list[Submit] = []
        self._partial_sends: dict[tuple, dict[int, tuple[Submit, int]]] = {}
        self._message_reference = 0
        self._pin_attempts_left = _PIN_ATTEMPTS
        self._handlers = self._dispatch_table()
        self._power_on()

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> SimulatedDongle:
        """Open the pty, create the link and start serving; return self.

        Raise RuntimeError if already started, FileExistsError if `link` exists and is not
        a symlink.
        """
        with self._lifecycle_lock:
            if self._started:
                raise RuntimeError("the simulated dongle is already running")
            self._wake_read, self._wake_write = os.pipe()
            os.set_blocking(self._wake_write, False)
            try:
                self._open_port()
            except BaseException:
                self._close_wake_pipe()
                raise
            with self._lock:
                self._power_on()
                self._hung_until = 0.0
                self._started = self._plugged = True
            self._start_serving()
        self._notify()
        return self

    def stop(self) -> None:
        """Stop serving, close the pty and remove the link this dongle created."""
        with self._lifecycle_lock:
            if not self._started:
                return
            self._stop_serving()
            self._close_port(remove_link=True)
            self._close_wake_pipe()
            with self._lock:
                self._started = self._plugged = False
        self._notify()

    def __enter__(self) -> SimulatedDongle:
        if not self._started:
            self.start()
        return self

    def __exit__(self, *exception: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether started and not stopped (an unplugged dongle is still running)."""
        return self._started

    @property
    def plugged(self) -> bool:
        """Whether the USB device is there (False between unplug and replug)."""
        return self._plugged

    @property
    def port(self) -> str:
        """The path a host opens: the link if one was given, else the pty slave."""
        if self._link:
            return self._link
        if self._slave_path is None:
            raise RuntimeError("start the simulated dongle first")
        return self._slave_path

    # --- the network side ------------------------------------------------------------------

    def inject(
        self, sender: str, text: str, *, timestamp: datetime | None = None, notify: bool = True
    ) -> list[int]:
        """Given a sender and a text arriving from the network, store its segments in the
        receive storage and return the indexes used now (segments queued because the
        storage is full are delivered later, as an SMSC retries). Raise ValueError if the
        sender cannot be encoded.
        """
        moment = timestamp or datetime.now(UTC).replace(microsecond=0)
        with self._lock:
            reference = next(self._concat_references) & 0xFF
        pdus = encode_deliver(sender, text, moment, smsc=self._smsc, concat_reference=reference)
        with self._lock:
            indexes = [index for pdu in pdus if (index := self._deliver(pdu, notify)) is not None]
            self._changed.notify_all()
        self._wake()
        return indexes

    def inject_pdu(self, pdu_hex: str, *, notify: bool = True) -> int | None:
        """Given a PDU (hex, SMSC field first, possibly malformed), store it as it is;
        return its index, or None if it waits in the network queue.
        """
        with self._lock:
            index = self._deliver(pdu_hex, notify)
            self._changed.notify_all()
        self._wake()
        return index

    def preload(
        self, items: Iterable[tuple[str, str]], *, timestamp: datetime | None = None
    ) -> list[int]:
        """Given (sender, text) pairs, store them without any notice; return the indexes."""
        indexes: list[int] = []
        for sender, text in items:
            indexes.extend(self.inject(sender, text, timestamp=timestamp, notify=False))
        return indexes

    @property
    def sent(self) -> list[SentMessage]:
        """Every complete message the host sent, in order."""
        with self._lock:
            return list(self._sent)

    @property
    def sent_segments(self) -> list[Submit]:
        """Every SMS-SUBMIT accepted by AT+CMGS, in order."""
        with self._lock:
            return list(self._sent_segments)

    def stored(self) -> dict[int, tuple[int, str]]:
        """Return index -> (stat, pdu) of the receive storage."""
        with self._lock:
            return self.stored_in(self._memories[2])

    def stored_in(self, memory: str) -> dict[int, tuple[int, str]]:
        """Return index -> (stat, pdu) of the named storage. Raise KeyError if unknown."""
        with self._lock:
            slots = self._storages[memory].slots
            return {index: (slot.stat, slot.pdu) for index, slot in sorted(slots.items())}

    @property
    def pending_network(self) -> int:
        """Segments waiting in the network because the receive storage was full."""
        with self._lock:
            return len(self._network_queue)

    @property
    def command_log(self) -> list[str]:
        """Every AT command line received, in order (without the final CR)."""
        with self._lock:
            return list(self._command_log)

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Given a predicate on the dongle's state, wait until it holds or timeout seconds
        pass; return its last value. It is evaluated under the dongle's lock at every change.
        """
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    # --- faults ----------------------------------------------------------------------------

    @property
    def faults_log(self) -> list[tuple[float, str]]:
        """Every fault injected (and every armed fault that fired), as (time.monotonic(),
        description), in order.
        """
        with self._lock:
            return list(self._faults_log)

    def set_fault(self, fault: Fault) -> None:
        """Given a Fault, consult it for every command and every write until it is spent."""
        self._add_fault(fault, f"set_fault {fault!r}")

    def clear_faults(self) -> None:
        """Remove every fault set (fail_next, slow_next, garbage_inside_next, set_fault)."""
        with self._lock:
            self._faults.clear()
            self._log_fault("clear_faults")

    def fail_next(self, command_prefix: str, error: str, count: int = 1) -> None:
        """Answer the next `count` commands starting with command_prefix (e.g. "AT+CMGL")
        with the final result line `error` (e.g. "+CMS ERROR: 500", "+CME ERROR: 100",
        "ERROR"), whatever AT+CMEE says. For AT+CMGS the prompt still comes and the error
        answers the PDU, as a network would. Raise ValueError if count < 1.
        """
        fault = _FailNext(command_prefix, error, count)
        self._add_fault(fault, repr(fault))

    def slow_next(self, command_prefix: str, seconds: float, count: int = 1) -> None:
        """Answer the next `count` commands starting with command_prefix only after `seconds`
        more (their effect too happens late). For AT+CMGS the prompt comes at once and the
        answer to the PDU is late. Raise ValueError for a negative or infinite delay, or
        count < 1.
        """
        if not 0 <= seconds < math.inf:
            raise ValueError(f"a delay must be finite and >= 0, got {seconds}")
        fault = _SlowNext(command_prefix, seconds, count)
        self._add_fault(fault, repr(fault))

    def write_garbage(self, data: bytes) -> None:
        """Write raw bytes (any bytes, invalid UTF-8 too) to the host between two answers."""
        data = bytes(data)
        with self._lock:
            self._outbox.append(data)
            self._log_fault(f"garbage {data!r}")
        self._wake()

    def garbage(self, data: bytes) -> None:
        """Write raw bytes to the host between two answers (same as write_garbage)."""
        self.write_garbage(data)

    def garbage_inside_next(self, command_prefix: str, data: bytes) -> None:
        """Insert raw bytes inside the next answer to a command starting with command_prefix:
        in the middle of its longest line (for AT+CMGL, a PDU line).
        """
        fault = _GarbageInside(command_prefix, data)
        self._add_fault(fault, repr(fault))

    def storage_full_notice(self, memory: str | None = None) -> None:
        """Write `^SMMEMFULL: "<memory>"` now, between answers (memory: the receive storage
        unless given), whether or not the storage is full.
        """
        with self._lock:
            name = memory or self._memories[2]
            self._outbox.append(f'\r\n^SMMEMFULL: "{name}"\r\n'.encode())
            self._log_fault(f"storage_full_notice {name}")
        self._wake()

    def inject_malformed(self, kind: str, *, notify: bool = True) -> int | None:
        """Given a kind of broken PDU (one of MALFORMED_KINDS: 'truncated', 'odd-length',
        'not-hex', 'wrong-type' (an SMS-STATUS-REPORT), 'bad-length' (user data length
        beyond the data)), store one in the receive storage like a received message; return
        its index, or None if it waits in the network queue. Raise ValueError for another kind.
        """
        moment = datetime.now(UTC).replace(microsecond=0)
        pdu = _malformed_pdu(kind, self._smsc, moment)
        with self._lock:
            index = self._deliver(pdu, notify)
            self._log_fault(f"inject_malformed {kind} at index {index}")
            self._changed.notify_all()
        self._wake()
        return index

    def hang(self, seconds: float | None) -> None:
        """Wedge the firmware for `seconds` (None or math.inf: until unhang): it answers
        nothing, not even echo or notices, and the commands it receives meanwhile are lost.
        Notices due meanwhile are written once it answers again. Raise ValueError if
        seconds is negative.
        """
        if seconds is None:
            seconds = math.inf
        if not seconds >= 0:
            raise ValueError(f"a hang lasts >= 0 seconds, got {seconds}")
        with self._lock:
            self._hung_until = time.monotonic() + seconds
            self._log_fault("hang until unhang" if seconds == math.inf else f"hang {seconds:g} s")
        self._wake()

    def unhang(self) -> None:
        """End a hang now."""
        with self._lock:
            self._hung_until = 0.0
            self._log_fault("unhang")
        self._wake()

    def reboot(self, *, silence: float = 0.2) -> None:
        """Reboot the modem without unplugging it: the port stays open, the modem swallows
        input for `silence` seconds, then prints a ^BOOT line; echo, CMEE, CMGF, CNMI and
        CPMS are back to their defaults and the PIN is asked again. Storage is kept; notices
        not yet written are lost.
        """
        with self._lock:
            self._power_on()
            self._outbox.clear()
            self._outbox.append(_BOOT_NOISE)
            # Replaces any hang: a reboot is what un-wedges a firmware.
            self._hung_until = time.monotonic() + silence
            self._input_epoch += 1
            self._log_fault(f"reboot ({silence:g} s silent)")
        self._wake()

    def unplug(self) -> None:
        """Pull the USB device out: close the pty (the host's reads and writes then fail),
        remove the link. Stored messages stay (they are on the SIM), and inject keeps
        storing, without notices. Do nothing if already unplugged. Raise RuntimeError if
        not started.
        """
        with self._lifecycle_lock:
            if not self._started:
                raise RuntimeError("start the simulated dongle first")
            if not self._plugged:
                return
            self._stop_serving()
            self._close_port(remove_link=True)
            with self._lock:
                self._plugged = False
                self._outbox.clear()  # bytes the device had not written die with it
                self._log_fault("unplug")
        self._notify()

    def replug(self) -> None:
        """Plug the device back in: a new pty behind the same link (replaced atomically),
        modem state as after power-up (echo on, settings reset, PIN asked again, no hang),
        storage kept. If still plugged, the old pty goes away first (a quick re-enumeration
        in which the link never goes missing). Raise RuntimeError if not started.
        """
        with self._lifecycle_lock:
            if not self._started:
                raise RuntimeError("start the simulated dongle first")
            if self._plugged:
                self._stop_serving()
                self._close_port(remove_link=False)
                with self._lock:
                    self._plugged = False  # stays true to the pty if opening a new one fails
            self._open_port()
            with self._lock:
                self._power_on()
                self._outbox.clear()
                self._hung_until = 0.0
                self._input_epoch += 1
                self._plugged = True
                self._log_fault(f"replug on {self._slave_path}")
            self._start_serving()
        self._notify()

    def _add_fault(self, fault: Fault, description: str) -> None:
        with self._lock:
            self._faults.append(fault)
            self._log_fault(description)

    def _log_fault(self, description: str) -> None:
        """Record a fault (lock held)."""
        self._faults_log.append((time.monotonic(), description))

    def _active_faults(self) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._faults if not fault.spent]

    def _hang_remaining(self) -> float:
        return max(0.0, self._hung_until - time.monotonic())

    # --- life cycle helpers ----------------------------------------------------------------

    def _open_port(self) -> None:
        """Open a new pty and point the link at it (atomically: it never goes missing)."""
        master, slave = pty.openpty()
        try:
            # Raw, so the line discipline neither echoes nor rewrites CR/LF for hosts that
            # do not configure the port themselves.
            tty.setraw(slave)
            os.set_blocking(master, False)
            slave_path = os.ttyname(slave)
            if self._link:
                _replace_symlink(slave_path, self._link)
        except BaseException:
            os.close(master)
            os.close(slave)
            raise
        self._master, self._slave, self._slave_path = master, slave, slave_path

    def _close_port(self, *, remove_link: bool) -> None:
        """Close the pty, which hangs up the host's side, and maybe remove our link."""
        if remove_link and self._link and self._slave_path and os.path.islink(self._link):
            try:
                # Only our own link: someone may have pointed it elsewhere meanwhile.
                if os.readlink(self._link) == self._slave_path:
                    os.unlink(self._link)
            except FileNotFoundError:
                pass
        for descriptor in (self._master, self._slave):
            if descriptor is not None:
                os.close(descriptor)
        self._master = self._slave = None

    def _close_wake_pipe(self) -> None:
        for descriptor in (self._wake_read, self._wake_write):
            if descriptor is not None:
                os.close(descriptor)
        self._wake_read = self._wake_write = None

    def _start_serving(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, name="simulated-dongle", daemon=True)
        self._thread.start()

    def _stop_serving(self) -> None:
        """Stop the serving thread and wait for it, so nothing uses the pty any more."""
        if self._thread is None:
            return
        if threading.current_thread() is self._thread:
            # Joining ourselves would deadlock: a Fault hook cannot unplug or stop.
            raise RuntimeError("cannot stop or unplug from the simulated dongle's own thread")
        self._stopping.set()
        self._wake()
        self._thread.join(timeout=5)
        self._thread = None
        self._stopping.clear()

    # --- serving ---------------------------------------------------------------------------

    def _serve(self) -> None:
        buffer = bytearray()
        epoch = self._input_epoch
        while not self._stopping.is_set():
            hung_for = self._hang_remaining()
            if not hung_for and self._awaiting_pdu is None:
                self._flush_outbox()
            # Wake when a hang ends, to write the notices it held back.
            timeout = min(0.5, hung_for) if hung_for else 0.5
            try:
                readable, _, _ = select.select([self._master, self._wake_read], [], [], timeout)
            except (OSError, ValueError):
                return
            if self._wake_read in readable:
                try:
                    os.read(self._wake_read, 4096)
                except BlockingIOError:
                    pass
            if self._master not in readable:
                continue
            try:
                data = os.read(self._master, 4096)
            except BlockingIOError:
                continue
            except OSError as error:
                if error.errno != errno.EIO:
                    raise
                # EIO: no slave open at this instant; wait for a host to reopen it.
                self._stopping.wait(0.05)
                continue
            if self._hang_remaining():
                # A wedged firmware loses what it receives, a half-typed PDU included.
                buffer = bytearray()
                with self._lock:
                    self._leave_pdu_mode()
                continue
            if self._input_epoch != epoch:
                # A reboot forgot the half line received before it.
                epoch = self._input_epoch
                buffer = bytearray()
            for byte in data:
                if self._stopping.is_set():
                    return
                buffer = self._take_byte(buffer, byte)

    def _take_byte(self, buffer: bytearray, byte: int) -> bytearray:
        """Feed one byte from the host; return the new pending buffer."""
        if self._awaiting_pdu is not None:
            if byte == CTRL_Z:
                self._finish_submit(buffer.decode("latin-1"))
                return bytearray()
            if byte == ESCAPE:
                with self._lock:
                    command = self._submit_command
                    self._leave_pdu_mode()
                self._answer(_Answer(), command)
                return bytearray()
            if byte not in b"\r\n \t" and len(buffer) < _LINE_LIMIT:
                buffer.append(byte)
            return buffer
        if byte == ord("\r"):
            self._execute(buffer.decode("latin-1"))
            return bytearray()
        if byte == ord("\n"):
            return buffer
        if byte == BACKSPACE:
            return buffer[:-1]
        if len(buffer) < _LINE_LIMIT:
            buffer.append(byte)
        return buffer

    def _execute(self, raw_line: str) -> None:
        if self._echo:
            self._emit((raw_line + "\r").encode("latin-1"))
        line = raw_line.strip()
        # A modem ignores empty lines and anything that is not an AT command.
        if line[:2].upper() != "AT":
            return
        with self._lock:
            self._command_log.append(line)
            self._changed.notify_all()
            faults = self._active_faults()
        if self._command_latency:
            self._stopping.wait(self._command_latency)
        forced = None
        for fault in faults:
            forced = fault.on_command(line)
            if forced is not None:
                break
        delay = sum(fault.extra_delay(line) for fault in faults)
        with self._lock:
            self._faults = self._active_faults()
            if forced is not None:
                self._log_fault(f"fired: {line} answered {forced}")
            if delay:
                self._log_fault(f"fired: {line} delayed {delay:g} s")
        name, rest = self._split_command(line[2:])
        send_error, send_delay = None, 0.0
        if name == "+CMGS" and rest.startswith("=") and rest != "=?":
            # A network refuses or delays a message after it is sent: the PDU's answer.
            send_error, forced = forced, None
            send_delay, delay = delay, 0.0
        if delay:
            self._stopping.wait(delay)
        if forced is not None:
            self._answer(_Answer(final=forced), line)
            return
        with self._lock:
            try:
                answer = self._dispatch(name, rest)
            except _Refused as refusal:
                answer = _Answer(final=refusal.final)
            if answer is None:  # AT+CMGS: prompt written, the PDU comes next
                self._forced_send_error = send_error
                self._submit_delay = send_delay
                self._submit_command = line
            self._changed.notify_all()
        if answer is None:
            self._emit(b"\r\n> ")
            return
        self._answer(answer, line)

    @staticmethod
    def _split_command(body: str) -> tuple[str, str]:
        match = _COMMAND.match(body)
        name, rest = (match.group(1), match.group(2)) if match else ("", body)
        return name.upper(), rest.strip()

    def _dispatch(self, name: str, rest: str) -> _Answer | None:
        handler = self._handlers.get(name)
        if handler is None:
            raise _Refused(self._cme(100) if self._cmee else "ERROR")
        if name in _NEEDS_SIM and rest not in ("=?",):
            self._require_sim()
        if rest == "?":
            return handler("read", "")
        if rest == "=?":
            return handler("test", "")
        if rest.startswith("="):
            return handler("set", rest[1:])
        if rest and name not in ("E", "Z", "&F", "I", ""):
            raise _Refused("ERROR")
        return handler("action", rest)

    def _answer(self, answer: _Answer, command: str) -> None:
        """Write the whole answer to a command line, through the faults' on_answer."""
        text = ""
        if answer.lines:
            text = "\r\n" + "\r\n".join(answer.lines) + "\r\n"
        data = original = (text + "\r\n" + answer.final + "\r\n").encode("latin-1")
        for fault in self._active_faults():
            data = fault.on_answer(command, data)
        if data != original:
            with self._lock:
                self._log_fault(f"fired: answer to {command} rewritten")
        self._emit(data)
        self._notify()

    def _flush_outbox(self) -> None:
        while True:
            with self._lock:
                if not self._outbox:
                    return
                data = self._outbox.popleft()
            self._emit(data)

    def _emit(self, data: bytes) -> None:
        """The one place bytes reach the host."""
        if self._hang_remaining():
            return  # a wedged firmware answers nothing, not even late
        for fault in self._active_faults():
            data = fault.on_write(data)
        with self._write_lock:
            if self._bytes_per_second is None:
                self._write_all(data)
                return
            # Serial-bound like real hardware: pace in ~10 ms chunks.
            chunk = max(1, int(self._bytes_per_second / 100))
            for start in range(0, len(data), chunk):
                piece = data[start : start + chunk]
                self._line_free_at = (
                    max(self._line_free_at, time.monotonic()) + len(piece) / self._bytes_per_second
                )
                self._write_all(piece)
                if self._hang_remaining():
                    return  # wedged in the middle of an answer: the rest never comes
                delay = self._line_free_at - time.monotonic()
                if delay > 0 and self._stopping.wait(delay):
                    return

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._stopping.is_set():
            try:
                written = os.write(self._master, view)
            except BlockingIOError:
                # The host is not reading: wait for room rather than block for ever.
                select.select([], [self._master], [], 0.1)
                continue
            view = view[written:]

    def _wake(self) -> None:
        if self._wake_write is not None:
            try:
                os.write(self._wake_write, b"\0")
            except (BlockingIOError, OSError):
                pass

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    # --- state -----------------------------------------------------------------------------

    def _power_on(self) -> None:
        """State after power-up or AT+CFUN=1,1 (storage survives, like on a SIM)."""
        with self._lock:
            self._reset_profile()
            self._memories = [next(iter(self._storages))] * 3
            self._sim_locked = self._pin is not None
            self._functionality = 1
            self._unlocked_at = None if self._sim_locked else time.monotonic()
            self._network_format = 0
            self._registration_reports = 0
            self._smsc_type = 145

    def _reset_profile(self) -> None:
        """What ATZ restores."""
        self._echo = True
        self._cmee = 0
        self._new_message_indications = (0, 0, 0, 0, 0)
        self._character_set = "IRA"
        self._csmp = "17,167,0,0"
        self._leave_pdu_mode()

    def _leave_pdu_mode(self) -> None:
        """Forget an AT+CMGS waiting for its PDU (lock held)."""
        self._awaiting_pdu: int | None = None
        self._forced_send_error: str | None = None
        self._submit_delay = 0.0
        self._submit_command = ""

    @property
    def _cmti_enabled(self) -> bool:
        mode, mt = self._new_message_indications[:2]
        return mode > 0 and mt == 1

    def _registration_status(self) -> int:
        if self._functionality != 1 or self._sim_locked or self._unlocked_at is None:
            return 0
        if time.monotonic() < self._unlocked_at + self._registration_delay:
            return 2
        return 1

    def _deliver(self, pdu: str, notify: bool) -> int | None:
        """Store a PDU in the receive storage or queue it in the network (lock held)."""
        storage = self._storages[self._memories[2]]
        if self._network_queue or storage.full:
            # Behind earlier queued segments too: an SMSC delivers in order.
            self._network_queue.append((pdu, notify))
            self._report_full(storage, notify)
            return None
        return self._store(storage, pdu, notify)

    def _store(self, storage: _Storage, pdu: str, notify: bool) -> int:
        index = storage.free_index()
        storage.slots[index] = _Slot(STAT_REC_UNREAD, pdu)
        # Unplugged, the SIM still receives but nobody is there to be told.
        if notify and self._cmti_enabled and self._plugged:
            self._outbox.append(f'\r\n+CMTI: "{storage.name}",{index}\r\n'.encode())
        if storage.full:
            self._report_full(storage, notify)
        return index

    def _report_full(self, storage: _Storage, notify: bool) -> None:
        if notify and not storage.full_reported and self._plugged:
            storage.full_reported = True
            self._outbox.append(f'\r\n^SMMEMFULL: "{storage.name}"\r\n'.encode())

    def _release_network_queue(self) -> None:
        """Deliver queued segments while the receive storage has room (lock held)."""
        storage = self._storages[self._memories[2]]
        if not storage.full:
            storage.full_reported = False
        while self._network_queue and not storage.full:
            pdu, notify = self._network_queue.popleft()
            self._store(storage, pdu, notify)
        self._wake()

    # --- command handlers ------------------------------------------------------------------

    def _dispatch_table(self) -> dict[str, Callable[[str, str], _Answer | None]]:
        return {
            "": lambda kind, arguments: _Answer(),
            "Z": self._reset,
            "&F": self._reset,
            "E": self._set_echo,
            "I": self._identify,
            "+CMEE": self._cmee_command,
            "+CFUN": self._functionality_command,
            "+CGMI": self._constant(lambda: self._manufacturer),
            "+CGMM": self._constant(lambda: self._model),
            "+CGMR": self._constant(lambda: "22.521.23.00.00"),
            "+CGSN": self._constant(lambda: self._imei),
            "+CIMI": self._constant(lambda: "208011234567890"),
            "+CLAC": self._list_commands,
            "+CPIN": self._pin_command,
            "+CSQ": self._signal_quality,
            "+CREG": self._registration,
            "+COPS": self._operator_command,
            "+CSCS": self._character_set_command,
            "+CMGF": self._message_format,
            "+CSCA": self._service_centre,
            "+CSMP": self._text_parameters,
            "+CPMS": self._preferred_storage,
            "+CNMI": self._indications,
            "+CMGL": self._list_messages,
            "+CMGR": self._read_message,
            "+CMGD": self._delete_messages,
            "+CMGS": self._send_message,
            "+CLIP": self._accept("+CLIP: 0,1"),
            "+CRC": self._accept("+CRC: 0"),
            "+CVHU": self._accept("+CVHU: 0"),
        }

    def _cme(self, code: int) -> str:
        if self._cmee == 0:
            return "ERROR"
        if self._cmee == 2 and code in _CME_TEXT:
            return f"+CME ERROR: {_CME_TEXT[code]}"
        return f"+CME ERROR: {code}"

    def _cms(self, code: int) -> str:
        return f"+CMS ERROR: {code}" if self._cmee else "ERROR"

    def _require_sim(self) -> None:
        if self._pin_attempts_left == 0:
            raise _Refused(self._cme(12))
        if self._sim_locked:
            raise _Refused(self._cme(11))

    def _constant(self, value: Callable[[], str]) -> Callable[[str, str], _Answer]:
        def handler(kind: str, arguments: str) -> _Answer:
            return _Answer() if kind == "test" else _Answer([value()])

        return handler

    def _accept(self, reading: str) -> Callable[[str, str], _Answer]:
        def handler(kind: str, arguments: str) -> _Answer:
            return _Answer([reading]) if kind == "read" else _Answer()

        return handler

    def _reset(self, kind: str, arguments: str) -> _Answer:
        self._reset_profile()
        return _Answer()

    def _set_echo(self, kind: str, arguments: str) -> _Answer:
        if arguments not in ("", "0", "1"):
            raise _Refused("ERROR")
        self._echo = arguments == "1"
        return _Answer()

    def _identify(self, kind: str, arguments: str) -> _Answer:
        return _Answer(
            [
                f"Manufacturer: {self._manufacturer}",
                f"Model: {self._model}",
                "Revision: 22.521.23.00.00",
                f"IMEI: {self._imei}",
                "+GCAP: +CGSM,+DS,+ES",
            ]
        )

    def _cmee_command(self, kind: str, arguments: str) -> _Answer:
        if kind == "read":
            return _Answer([f"+CMEE: {self._cmee}"])
        if kind == "test":
            return _Answer(["+CMEE: (0-2)"])
        self._cmee = self._integer(arguments or "0", range(3), self._cme(50))
        return _Answer()

    def _functionality_command(self, kind: str, arguments: str) -> _Answer:
        if kind == "read":
            return _Answer([f"+CFUN: {self._functionality}"])
        if kind == "test":
            return _Answer(["+CFUN: (0,1,4),(0-1)"])
        values = _arguments(arguments)
        level = self._integer(values[0], (0, 1, 4), self._cme(50))
        reset = len(values) > 1 and self._integer(values[1], (0, 1), self._cme(50)) == 1
        if reset:
            self._power_on()  # storage kept; echo, CMEE, CMGF, CNMI, CPMS and PIN reset
            return _Answer()
        if level == 1 and self._functionality != 1 and not self._sim_locked:
            self._unlocked_at = time.monotonic()  # registration starts over
        self._functionality = level
        return _Answer()

    def _list_commands(self, kind: str, arguments: str) -> _Answer:
        # One per line, as Huawei does; gsmmodem reads any answer of more than two lines so.
        return _Answer([name for name in self._handlers if name.startswith("+")])

    def _pin_command(self, kind: str, arguments: str) -> _Answer:
        if kind == "test":
            return _Answer()
        if kind == "read":
            if self._pin_attempts_left == 0:
                return _Answer(["+CPIN: SIM PUK"])
            return _Answer(["+CPIN: SIM PIN" if self._sim_locked else "+CPIN: READY"])
        if kind != "set":
            raise _Refused("ERROR")
        if self._pin_attempts_left == 0:
            raise _Refused(self._cme(12))
        if not self._sim_locked:
            raise _Refused(self._cme(3))
        values = _arguments(arguments)
        if values and values[0] == self._pin:
            self._sim_locked = False
            self._pin_attempts_left = _PIN_ATTEMPTS
            self._unlocked_at = time.monotonic()
            return _Answer()
        self._pin_attempts_left -= 1
        raise _Refused(self._cme(16))

    def _signal_quality(self, kind: str, arguments: str) -> _Answer:
        if kind == "test":
            return _Answer(["+CSQ: (0-31,99),(0-7,99)"])
        signal = self._signal if self._functionality == 1 else 99
        return _Answer([f"+CSQ: {signal},99"])

    def _registration(self, kind: str, arguments: str) -> _Answer:
        if kind == "read":
            return _Answer([f"+CREG: {self._registration_reports},{self._registration_status()}"])
        if kind == "test":
            return _Answer(["+CREG: (0-2)"])
        self._registration_reports = self._integer(arguments or "0", range(3), self._cme(50))
        return _Answer()

    def _operator_command(self, kind: str, arguments: str) -> _Answer:
        names = {0: self._operator, 1: self._operator.split()[0], 2: "20801"}
        if kind == "read":
            if self._registration_status() != 1:
                return _Answer(["+COPS: 0"])
            return _Answer([f'+COPS: 0,{self._network_format},"{names[self._network_format]}",2'])
        if kind == "test":
            return _Answer([f'+COPS: (2,"{names[0]}","{names[1]}","{names[2]}",2),,(0-4),(0-2)'])
        values = _arguments(arguments)
        mode = self._integer(values[0] or "0", range(5), self._cme(50))
        if mode == 3 and len(values) > 1:
            self._network_format = self._integer(values[1], range(3), self._cme(50))
        return _Answer()

    def _character_set_command(self, kind: str, arguments: str) -> _Answer:
        if kind == "read":
            return _Answer([f'+CSCS: "{self._character_set}"'])
        if kind == "test":
            return _Answer(['+CSCS: ("IRA","GSM","UCS2")'])
        values = _arguments(arguments)
        if not values or values[0] not in ("IRA", "GSM", "UCS2"):
            raise _Refused(self._cme(50))
        self._character_set = values[0]
        return _Answer()

    def _message_format(self, kind: str, arguments: str) -> _Answer:
        if kind == "read":
            return _Answer(["+CMGF: 0"])
        if kind == "test":
            return _Answer(["+CMGF: (0)"])
        if arguments.strip() not in ("", "0"):
            raise _Refused(self._cms(303))  # PDU mode only
        return _Answer()

    def _service_centre(self, kind: str, arguments: str) -> _Answer:
        if kind == "read":
            return _Answer([f'+CSCA: "{self._smsc}",{self._smsc_type}'])
        if kind == "test":
            return _Answer()
        values = _arguments(arguments)
        if not values or not re.fullmatch(r"\+?[0-9]{1,20}", values[0]):
            raise _Refused(self._cms(304))
        self._smsc = values[0]
        self._smsc_type = 145 if values[0].startswith("+") else 129
        return _Answer()

    def _text_parameters(self, kind: str, arguments: str) -> _Answer:
        if kind == "read":
            return _Answer([f"+CSMP: {self._csmp}"])
        if kind == "set":
            self._csmp = arguments
        return _Answer()

    def _preferred_storage(self, kind: str, arguments: str) -> _Answer:
        names = ",".join(f'"{name}"' for name in self._storages)
        if kind == "test":
            return _Answer([f"+CPMS: ({names}),({names}),({names})"])
        if kind == "read":
            fields = []
            for name in self._memories:
                storage = self._storages[name]
                fields.append(f'"{name}",{len(storage.slots)},{storage.capacity}')
            return _Answer(["+CPMS: " + ",".join(fields)])
        values = _arguments(arguments)
        if not values or len(values) > 3:
            raise _Refused(self._cms(302))
        chosen = list(self._memories)
        for position, value in enumerate(values):
            if value == "":
                continue  # an empty parameter keeps the current memory
            if value not in self._storages:
                raise _Refused(self._cms(302))
            chosen[position] = value
        self._memories = chosen
        self._release_network_queue()
        counts = [
            f"{len(self._storages[name].slots)},{self._storages[name].capacity}" for name in chosen
        ]
        return _Answer(["+CPMS: " + ",".join(counts)])

    def _indications(self, kind: str, arguments: str) -> _Answer:
        if kind == "read":
            return _Answer(["+CNMI: " + ",".join(map(str, self._new_message_indications))])
        if kind == "test":
            return _Answer(["+CNMI: (0-3),(0-3),(0-3),(0-2),(0,1)"])
        values = [value or "0" for value in _arguments(arguments)]
        if not 1 <= len(values) <= 5:
            raise _Refused(self._cms(302))
        numbers = [self._integer(value, range(4), self._cms(302)) for value in values]
        current = list(self._new_message_indications)
        current[: len(numbers)] = numbers
        self._new_message_indications = tuple(current)
        return _Answer()

    def _list_messages(self, kind: str, arguments: str) -> _Answer:
        if kind == "test":
            return _Answer(["+CMGL: (0-4)"])
        stat = self._integer(arguments or "0", range(5), self._cms(302))
        storage = self._storages[self._memories[0]]
        lines = []
        for index, slot in sorted(storage.slots.items()):
            if stat == 4 or slot.stat == stat:
                lines.append(f"+CMGL: {index},{slot.stat},,{_tpdu_length(slot.pdu)}")
                lines.append(slot.pdu)
                if slot.stat == STAT_REC_UNREAD:
                    slot.stat = STAT_REC_READ  # listing reads them, as real modems do
        return _Answer(lines)

    def _read_message(self, kind: str, arguments: str) -> _Answer:
        if kind != "set":
            return _Answer() if kind == "test" else self._refuse_syntax()
        storage = self._storages[self._memories[0]]
        index = self._integer(arguments, range(storage.capacity), self._cms(321))
        slot = storage.slots.get(index)
        if slot is None:
            raise _Refused(self._cms(321))
        answer = _Answer([f"+CMGR: {slot.stat},,{_tpdu_length(slot.pdu)}", slot.pdu])
        if slot.stat == STAT_REC_UNREAD:
            slot.stat = STAT_REC_READ
        return answer

    def _delete_messages(self, kind: str, arguments: str) -> _Answer:
        storage = self._storages[self._memories[0]]
        if kind == "test":
            used = ",".join(str(index) for index in sorted(storage.slots))
            return _Answer([f"+CMGD: ({used}),(0-4)"])
        if kind != "set":
            return self._refuse_syntax()
        values = _arguments(arguments)
        if not 1 <= len(values) <= 2:
            raise _Refused(self._cms(302))
        flag = self._integer(values[1] or "0", range(5), self._cms(302)) if len(values) > 1 else 0
        if flag == 0:
            index = self._integer(values[0], range(storage.capacity), self._cms(321))
            storage.slots.pop(index, None)
        else:
            # With a delflag the index is ignored (but must still be a number).
            self._integer(values[0] or "0", range(10_000), self._cms(302))
            doomed = _DELETED_BY_FLAG[flag]
            for index in [i for i, slot in storage.slots.items() if slot.stat in doomed]:
                del storage.slots[index]
        self._release_network_queue()
        return _Answer()

    def _send_message(self, kind: str, arguments: str) -> _Answer | None:
        if kind == "test":
            return _Answer()
        if kind != "set":
            return self._refuse_syntax()
        length = self._integer(arguments.split(",")[0], range(1, 165), self._cms(304))
        if self._registration_status() != 1:
            raise _Refused(self._cms(331))  # no network service
        self._awaiting_pdu = length
        return None

    def _finish_submit(self, pdu_hex: str) -> None:
        """The host ended a PDU with Ctrl-Z: "send" it and answer."""
        with self._lock:
            expected, forced = self._awaiting_pdu, self._forced_send_error
            command, extra_delay = self._submit_command, self._submit_delay
            self._leave_pdu_mode()
        if self._echo:
            self._emit(pdu_hex.encode("latin-1"))
        latency = self._send_latency
        if isinstance(latency, tuple):
            latency = self._random.uniform(*latency)
        latency += extra_delay
        if latency:
            self._stopping.wait(latency)
        if forced is not None:
            self._answer(_Answer(final=forced), command)
            return
        with self._lock:
            try:
                submit = self._accept_submit(pdu_hex, expected)
            except _Refused as refusal:
                answer = _Answer(final=refusal.final)
            else:
                reference = self._message_reference
                self._message_reference = (reference + 1) % 256
                self._record_sent(submit, reference)
                answer = _Answer([f"+CMGS: {reference}"])
            self._changed.notify_all()
        self._answer(answer, command)

    def _accept_submit(self, pdu_hex: str, expected_length: int | None) -> Submit:
        if _tpdu_length(pdu_hex) != expected_length:
            raise _Refused(self._cms(304))
        try:
            submit = decode_submit(pdu_hex)
        except ValueError:
            raise _Refused(self._cms(304)) from None
        if not submit.number:
            raise _Refused(self._cms(304))
        return submit

    def _record_sent(self, submit: Submit, reference: int) -> None:
        self._sent_segments.append(submit)
        now = datetime.now(UTC)
        concat = submit.concat
        if concat is None or concat.total == 1:
            self._sent.append(SentMessage(submit.number, submit.text, [submit], [reference], now))
            return
        key = (submit.number, concat.reference, concat.total)
        parts = self._partial_sends.setdefault(key, {})
        parts[concat.sequence] = (submit, reference)
        if len(parts) == concat.total:
            del self._partial_sends[key]
            ordered = [parts[sequence] for sequence in sorted(parts)]
            segments = [segment for segment, _ in ordered]
            self._sent.append(
                SentMessage(
                    submit.number, join_parts(segments), segments, [mr for _, mr in ordered], now
                )
            )

    def _refuse_syntax(self) -> _Answer:
        raise _Refused("ERROR")

    @staticmethod
    def _integer(text: str, allowed: Iterable[int], error: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise _Refused(error) from None
        if value not in allowed:
            raise _Refused(error)
        return value


# Commands a SIM must be unlocked for (+CME ERROR: 11 before AT+CPIN).
_NEEDS_SIM = {"+CIMI", "+CSCA", "+CSMP", "+CPMS", "+CNMI", "+CMGL", "+CMGR", "+CMGD", "+CMGS"}


def _arguments(text: str) -> list[str]:
    """Split AT parameters on commas outside quotes; strip the quotes."""
    values, current, quoted = [], [], False
    for character in text:
        if character == '"':
            quoted = not quoted
        elif character == "," and not quoted:
            values.append("".join(current).strip())
            current = []
        else:
            current.append(character)
    values.append("".join(current).strip())
    return values


def _tpdu_length(pdu_hex: str) -> int:
    """Octets after the SMSC field, as +CMGL/+CMGR/+CMGS count them."""
    try:
        data = bytes.fromhex(pdu_hex)
    except ValueError:
        return len(pdu_hex) // 2
    if not data:
        return 0
    return max(0, len(data) - 1 - data[0])


def _insert_inside(data: bytes, inserted: bytes) -> bytes:
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


def _malformed_pdu(kind: str, smsc: str, moment: datetime) -> str:
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


def _replace_symlink(target: str, link: str) -> None:
    if os.path.lexists(link) and not os.path.islink(link):
        raise FileExistsError(f"{link} exists and is not a symlink; not replacing it")
    temporary = f"{link}.{os.getpid()}.{threading.get_ident()}.tmp"
    os.symlink(target, temporary)
    os.replace(temporary, link)  # atomic: a host never sees the link missing


def serve_forever(dongle: SimulatedDongle, stop_event: threading.Event) -> None:
    """Given a dongle and an event, serve until the event is set, then stop the dongle
    (starting it first if needed).
    """
    if not dongle.running:
        dongle.start()
    try:
        while not stop_event.wait(0.5):
            pass
    finally:
        dongle.stop()
