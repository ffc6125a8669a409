"""The simulated dongle's serving loop: bytes from the host in, answers and notices out.

ServingLoop is the half of SimulatedDongle that runs on its serving thread: it turns the
host's bytes into command lines (and the PDU after an AT+CMGS prompt), consults the faults,
runs the AT command set and writes the answers, and between answers writes the notices due
(the outbox, after the modem state's `tick`). It uses the dongle's _state, _port, _lock,
_changed, _faults, _command_log, _input_epoch, _command_latency, _send_latency and _random,
and its _log_fault, _active_faults and _notify.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime

from antirelou.simulator import commands
from antirelou.simulator.commands import Answer
from antirelou.simulator.faults import Fault
from antirelou.simulator.port import Port, PortClosed
from antirelou.simulator.state import ModemState, PendingSubmit

CTRL_Z = 0x1A
ESCAPE = 0x1B
BACKSPACE = 0x08
_LINE_LIMIT = 4096  # a host that never sends "\r" must not make us grow forever


class ServingLoop:
    """The serving thread's side of SimulatedDongle; see the module docstring."""

    _state: ModemState
    _port: Port
    _lock: threading.RLock
    _changed: threading.Condition
    _faults: list[Fault]
    _command_log: list[str]
    _input_epoch: int
    _command_latency: float
    _send_latency: float | tuple[float, float]
    _random: random.Random

    def _serve(self) -> None:
        buffer = bytearray()
        epoch = self._input_epoch
        while not self._port.stopping:
            with self._lock:
                before = self._timed_state()
                next_due = self._state.tick()
                if self._timed_state() != before:
                    self._changed.notify_all()  # wait_for on readiness or a call's end
            hung_for = self._port.hang_remaining()
            if not hung_for and self._state.pending_submit is None:
                self._flush_outbox()
            # Wake when a hang ends, to write the notices it held back, and when a ring, the
            # ready lines or noise are due.
            timeout = min(0.5, hung_for) if hung_for else 0.5
            if next_due is not None:
                timeout = max(0.0, min(timeout, next_due - self._state.clock()))
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

    def _timed_state(self) -> tuple[int, bool, bool]:
        """What tick may change (lock held): notices due, readiness, a call ringing."""
        state = self._state
        return len(state.outbox), state.ready_announced, state.call is None

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
            self._emit(self._state.profile.prompt)  # "> ", or bare ">" (research §6.1)
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
