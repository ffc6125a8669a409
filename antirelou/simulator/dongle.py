"""SimulatedDongle: the simulated dongle as tests, benches and the demo drive it.

It ties the parts together: the port (pty, serving thread, writes), the modem state and its
AT command set, the storage the network delivers into, and the faults. The serving thread is
the only writer: answers, echo, notices (+CMTI, ^SMMEMFULL) and injected garbage all go
through `_emit`, and notices are only written between answers, never inside one. Every other
method is safe to call from any thread while it serves.
"""

from __future__ import annotations

import itertools
import math
import random
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from antirelou.simulator import commands
from antirelou.simulator.commands import Answer
from antirelou.simulator.faults import FailNext, Fault, GarbageInside, SlowNext, malformed_pdu
from antirelou.simulator.network_pdu import Submit, encode_deliver
from antirelou.simulator.port import Port, PortClosed
from antirelou.simulator.sent import SentMessage
from antirelou.simulator.state import ModemState, PendingSubmit
from antirelou.simulator.storage import MessageStorage

CTRL_Z = 0x1A
ESCAPE = 0x1B
BACKSPACE = 0x08
_LINE_LIMIT = 4096  # a host that never sends "\r" must not make us grow forever
# What a Huawei stick prints when it comes back up (its periodic boot report).
_BOOT_NOISE = b"\r\n^BOOT:20952309,0,0,0,6\r\n"


class SimulatedDongle:
    """A GSM dongle on a pseudo-terminal; see the package docstring."""

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
        self._state = ModemState(
            MessageStorage(dict(memories or {"SM": 30})),
            pin=pin,
            operator=operator,
            signal=signal,
            registration_delay=registration_delay,
            imei=imei,
            manufacturer=manufacturer,
            model=model,
        )
        self._port = Port(link, baudrate)
        self._command_latency = command_latency
        self._send_latency = send_latency
        self._random = random.Random(seed)
        self._concat_references = itertools.count(self._random.randrange(256))

        # Guards the modem state, the logs and the faults; _changed wakes wait_for.
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        # Serialises start/stop/unplug/replug; never held with _lock while joining the thread.
        self._lifecycle_lock = threading.Lock()
        self._started = False
        # Bumped by reboot so the serving thread forgets a half-received line.
        self._input_epoch = 0
        self._faults_log: list[tuple[float, str]] = []
        self._command_log: list[str] = []
        self._faults: list[Fault] = []

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> SimulatedDongle:
        """Open the pty, create the link and start serving; return self.

        Raise RuntimeError if already started, FileExistsError if `link` exists and is not
        a symlink.
        """
        with self._lifecycle_lock:
            if self._started:
                raise RuntimeError("the simulated dongle is already running")
            self._port.open_wake_pipe()
            try:
                self._port.open()
            except BaseException:
                self._port.close_wake_pipe()
                raise
            with self._lock:
                self._state.power_on()
                self._port.unhang()
                self._started = self._state.plugged = True
            self._port.start_serving(self._serve)
        self._notify()
        return self

    def stop(self) -> None:
        """Stop serving, close the pty and remove the link this dongle created."""
        with self._lifecycle_lock:
            if not self._started:
                return
            self._port.stop_serving()
            self._port.close(remove_link=True)
            self._port.close_wake_pipe()
            with self._lock:
                self._started = self._state.plugged = False
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
        return self._state.plugged

    @property
    def port(self) -> str:
        """The path a host opens: the link if one was given, else the pty slave."""
        if self._port.link:
            return self._port.link
        if self._port.slave_path is None:
            raise RuntimeError("start the simulated dongle first")
        return self._port.slave_path

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
        pdus = encode_deliver(
            sender, text, moment, smsc=self._state.smsc, concat_reference=reference
        )
        with self._lock:
            delivered = [self._state.deliver(pdu, notify) for pdu in pdus]
            self._changed.notify_all()
        self._port.wake()
        return [index for index in delivered if index is not None]

    def inject_pdu(self, pdu_hex: str, *, notify: bool = True) -> int | None:
        """Given a PDU (hex, SMSC field first, possibly malformed), store it as it is;
        return its index, or None if it waits in the network queue.
        """
        with self._lock:
            index = self._state.deliver(pdu_hex, notify)
            self._changed.notify_all()
        self._port.wake()
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
            return list(self._state.sent.messages)

    @property
    def sent_segments(self) -> list[Submit]:
        """Every SMS-SUBMIT accepted by AT+CMGS, in order."""
        with self._lock:
            return list(self._state.sent.segments)

    def stored(self) -> dict[int, tuple[int, str]]:
        """Return index -> (stat, pdu) of the receive storage."""
        with self._lock:
            return self.stored_in(self._state.memories[2])

    def stored_in(self, memory: str) -> dict[int, tuple[int, str]]:
        """Return index -> (stat, pdu) of the named storage. Raise KeyError if unknown."""
        with self._lock:
            slots = self._state.storage.storages[memory].slots
            return {index: (slot.stat, slot.pdu) for index, slot in sorted(slots.items())}

    @property
    def pending_network(self) -> int:
        """Segments waiting in the network because the receive storage was full."""
        with self._lock:
            return len(self._state.storage.network_queue)

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
        fault = FailNext(command_prefix, error, count)
        self._add_fault(fault, repr(fault))

    def slow_next(self, command_prefix: str, seconds: float, count: int = 1) -> None:
        """Answer the next `count` commands starting with command_prefix only after `seconds`
        more (their effect too happens late). For AT+CMGS the prompt comes at once and the
        answer to the PDU is late. Raise ValueError for a negative or infinite delay, or
        count < 1.
        """
        if not 0 <= seconds < math.inf:
            raise ValueError(f"a delay must be finite and >= 0, got {seconds}")
        fault = SlowNext(command_prefix, seconds, count)
        self._add_fault(fault, repr(fault))

    def garbage(self, data: bytes) -> None:
        """Write raw bytes (any bytes, invalid UTF-8 too) to the host between two answers."""
        data = bytes(data)
        with self._lock:
            self._state.outbox.append(data)
            self._log_fault(f"garbage {data!r}")
        self._port.wake()

    def garbage_inside_next(self, command_prefix: str, data: bytes) -> None:
        """Insert raw bytes inside the next answer to a command starting with command_prefix:
        in the middle of its longest line (for AT+CMGL, a PDU line).
        """
        fault = GarbageInside(command_prefix, data)
        self._add_fault(fault, repr(fault))

    def storage_full_notice(self, memory: str | None = None) -> None:
        """Write `^SMMEMFULL: "<memory>"` now, between answers (memory: the receive storage
        unless given), whether or not the storage is full.
        """
        with self._lock:
            name = memory or self._state.memories[2]
            self._state.outbox.append(f'\r\n^SMMEMFULL: "{name}"\r\n'.encode())
            self._log_fault(f"storage_full_notice {name}")
        self._port.wake()

    def inject_malformed(self, kind: str, *, notify: bool = True) -> int | None:
        """Given a kind of broken PDU (one of MALFORMED_KINDS: 'truncated', 'odd-length',
        'not-hex', 'wrong-type' (an SMS-STATUS-REPORT), 'bad-length' (user data length
        beyond the data)), store one in the receive storage like a received message; return
        its index, or None if it waits in the network queue. Raise ValueError for another kind.
        """
        moment = datetime.now(UTC).replace(microsecond=0)
        pdu = malformed_pdu(kind, self._state.smsc, moment)
        with self._lock:
            index = self._state.deliver(pdu, notify)
            self._log_fault(f"inject_malformed {kind} at index {index}")
            self._changed.notify_all()
        self._port.wake()
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
            self._port.hang(seconds)
            self._log_fault("hang until unhang" if seconds == math.inf else f"hang {seconds:g} s")
        self._port.wake()

    def unhang(self) -> None:
        """End a hang now."""
        with self._lock:
            self._port.unhang()
            self._log_fault("unhang")
        self._port.wake()

    def reboot(self, *, silence: float = 0.2) -> None:
        """Reboot the modem without unplugging it: the port stays open, the modem swallows
        input for `silence` seconds, then prints a ^BOOT line; echo, CMEE, CMGF, CNMI and
        CPMS are back to their defaults and the PIN is asked again. Storage is kept; notices
        not yet written are lost.
        """
        with self._lock:
            self._state.power_on()
            self._state.outbox.clear()
            self._state.outbox.append(_BOOT_NOISE)
            # Replaces any hang: a reboot is what un-wedges a firmware.
            self._port.hang(silence)
            self._input_epoch += 1
            self._log_fault(f"reboot ({silence:g} s silent)")
        self._port.wake()

    def unplug(self) -> None:
        """Pull the USB device out: close the pty (the host's reads and writes then fail),
        remove the link. Stored messages stay (they are on the SIM), and inject keeps
        storing, without notices. Do nothing if already unplugged. Raise RuntimeError if
        not started.
        """
        with self._lifecycle_lock:
            if not self._started:
                raise RuntimeError("start the simulated dongle first")
            if not self._state.plugged:
                return
            self._port.stop_serving()
            self._port.close(remove_link=True)
            with self._lock:
                self._state.plugged = False
                self._state.outbox.clear()  # bytes the device had not written die with it
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
            if self._state.plugged:
                self._port.stop_serving()
                self._port.close(remove_link=False)
                with self._lock:
                    self._state.plugged = False  # stays true to the pty if opening fails
            self._port.open()
            with self._lock:
                self._state.power_on()
                self._state.outbox.clear()
                self._port.unhang()
                self._input_epoch += 1
                self._state.plugged = True
                self._log_fault(f"replug on {self._port.slave_path}")
            self._port.start_serving(self._serve)
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

    # --- serving ---------------------------------------------------------------------------

    def _serve(self) -> None:
        buffer = bytearray()
        epoch = self._input_epoch
        while not self._port.stopping:
            hung_for = self._port.hang_remaining()
            if not hung_for and self._state.pending_submit is None:
                self._flush_outbox()
            # Wake when a hang ends, to write the notices it held back.
            timeout = min(0.5, hung_for) if hung_for else 0.5
            try:
                data = self._port.receive(timeout)
            except PortClosed:
                return
            if data is None:
                continue
            if self._port.hang_remaining():
                # A wedged firmware loses what it receives, a half-typed PDU included.
                buffer = bytearray()
                with self._lock:
                    self._state.leave_pdu_mode()
                continue
            if self._input_epoch != epoch:
                # A reboot forgot the half line received before it.
                epoch = self._input_epoch
                buffer = bytearray()
            for byte in data:
                if self._port.stopping:
                    return
                buffer = self._take_byte(buffer, byte)

    def _take_byte(self, buffer: bytearray, byte: int) -> bytearray:
        """Feed one byte from the host; return the new pending buffer."""
        pending = self._state.pending_submit
        if pending is not None:
            if byte == CTRL_Z:
                self._finish_submit(buffer.decode("latin-1"))
                return bytearray()
            if byte == ESCAPE:
                with self._lock:
                    self._state.leave_pdu_mode()
                self._answer(Answer(), pending.command)
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
        if self._state.echo:
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
            self._port.wait(self._command_latency)
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
        send_error, send_delay = None, 0.0
        if commands.is_send(line):
            # A network refuses or delays a message after it is sent: the PDU's answer.
            send_error, forced = forced, None
            send_delay, delay = delay, 0.0
        if delay:
            self._port.wait(delay)
        if forced is not None:
            self._answer(Answer(final=forced), line)
            return
        with self._lock:
            answer = commands.execute(self._state, line)
            pending = self._state.pending_submit
            if answer is None and pending is not None:  # AT+CMGS: the PDU comes next
                pending.command = line
                pending.forced_error = send_error
                pending.extra_delay = send_delay
            self._changed.notify_all()
        if answer is None:
            self._emit(b"\r\n> ")
            return
        self._answer(answer, line)

    def _finish_submit(self, pdu_hex: str) -> None:
        """The host ended a PDU with Ctrl-Z: "send" it and answer."""
        with self._lock:
            # A reboot from another thread may have forgotten the AT+CMGS meanwhile: then
            # no length matches and the PDU is refused.
            pending = self._state.pending_submit or PendingSubmit(length=-1)
            self._state.leave_pdu_mode()
        if self._state.echo:
            self._emit(pdu_hex.encode("latin-1"))
        latency = self._send_latency
        if isinstance(latency, tuple):
            latency = self._random.uniform(*latency)
        latency += pending.extra_delay
        if latency:
            self._port.wait(latency)
        if pending.forced_error is not None:
            self._answer(Answer(final=pending.forced_error), pending.command)
            return
        with self._lock:
            answer = commands.accept_pdu(self._state, pdu_hex, pending.length, datetime.now(UTC))
            self._changed.notify_all()
        self._answer(answer, pending.command)

    def _answer(self, answer: Answer, command: str) -> None:
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
                if not self._state.outbox:
                    return
                data = self._state.outbox.popleft()
            self._emit(data)

    def _emit(self, data: bytes) -> None:
        """The one place bytes reach the host."""
        if self._port.hang_remaining():
            return  # a wedged firmware answers nothing, not even late
        for fault in self._active_faults():
            data = fault.on_write(data)
        self._port.write(data)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()


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
