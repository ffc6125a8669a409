"""SimulatedDongle: the simulated dongle as tests, benches and the demo drive it.

It ties the parts together: the port (pty, serving thread, writes), the modem state and its
AT command set, the storage the network delivers into, the faults, and the profile of the
dongle family it plays (profiles; "generic" unless told). The serving thread (serving) is
the only writer: answers, echo, notices (+CMTI, +CMT, ^SMMEMFULL, rings, boot lines, noise)
and injected garbage all go through `_emit`, and notices are only written between answers,
never inside one (unless a fault puts one there). Every other method is safe to call from
any thread while it serves.
"""

from __future__ import annotations

import itertools
import math
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime

from antirelou.simulator.calls import MISSED, CallRecord
from antirelou.simulator.faults import (
    FailNext,
    Fault,
    GarbageInside,
    NoiseInside,
    SlowNext,
    malformed_pdu,
)
from antirelou.simulator.network_pdu import Submit, encode_deliver
from antirelou.simulator.port import Port
from antirelou.simulator.profiles import HUAWEI, Profile, profile_named
from antirelou.simulator.sent import SentMessage
from antirelou.simulator.serving import ServingLoop
from antirelou.simulator.state import ModemState, unsolicited
from antirelou.simulator.storage import MessageStorage


class SimulatedDongle(ServingLoop):
    """A GSM dongle on a pseudo-terminal; see the package docstring."""

    def __init__(
        self,
        link: str | None = None,
        *,
        profile: str | Profile = "generic",
        memories: dict[str, int] | None = None,
        sim_capacity: int | None = None,
        pin: str | None = None,
        command_latency: float = 0.0,
        send_latency: float | tuple[float, float] = 0.0,
        baudrate: int | None = None,
        operator: str = "Orange F",
        signal: int = 20,
        registration_delay: float = 0.0,
        imei: str = "861234056789012",
        own_number: str | None = None,
        manufacturer: str | None = None,
        model: str | None = None,
        sms_ready_delay: float | None = None,
        noise_every: float = 0.0,
        seed: int | None = None,
    ) -> None:
        """Given the link to keep pointing at the pty and the dongle family (a name in
        PROFILES or a Profile), prepare a stopped dongle. `memories` (name -> capacity)
        replaces the profile's storages; `sim_capacity` the SIM's (0: an eSIM that stores
        nothing, research §1.5). `own_number`: what AT+CNUM answers (None: the SIM does not
        know it, as most do not). `manufacturer`, `model` and `sms_ready_delay` (seconds of
        "SMS not ready" after a reboot or replug) replace the profile's; `noise_every`
        (seconds, 0: never) repeats the profile's periodic lines while plugged. Raise
        ValueError for an unknown profile or storages that cannot hold a message.
        """
        chosen = profile_named(profile)
        capacities = dict(memories or chosen.capacities)
        if sim_capacity is not None:
            capacities["SM"] = sim_capacity
        self._state = ModemState(
            MessageStorage(
                capacities, index_base=chosen.index_base, full_line=chosen.storage_full_line
            ),
            pin=pin,
            operator=operator,
            signal=signal,
            registration_delay=registration_delay,
            imei=imei,
            own_number=own_number,
            manufacturer=manufacturer or "",
            model=model or "",
            profile=chosen,
            sms_ready_delay=chosen.sms_ready_delay if sms_ready_delay is None else sms_ready_delay,
            noise_every=noise_every,
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
                self._state.unplugged = False
                self._state.release_network_queue()
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

    @property
    def profile(self) -> Profile:
        """The family of dongles this one plays."""
        return self._state.profile

    @property
    def sms_ready(self) -> bool:
        """Whether the SMS service answers (False for sms_ready_delay after a boot)."""
        with self._lock:
            return self._state.sms_ready()

    def memories_now(self) -> tuple[str, str, str]:
        """Return mem1, mem2, mem3 (read/delete, write, receive) as the modem has them."""
        with self._lock:
            first, second, third = self._state.memories
            return first, second, third

    # --- the network side ------------------------------------------------------------------

    def inject(
        self,
        sender: str,
        text: str,
        *,
        timestamp: datetime | None = None,
        notify: bool = True,
        message_class: int | None = None,
    ) -> list[int]:
        """Given a sender and a text arriving from the network, store its segments where
        the modem puts them (the receive storage, mem3; the SIM for message_class 2) and
        return the indexes used now. Segments the network holds (storage full, device
        unplugged) are delivered later, as an SMSC retries; message_class 0 (flash) is
        never stored but written as +CMT. Raise ValueError if the sender cannot be encoded
        or the class is not 0-3.
        """
        moment = timestamp or datetime.now(UTC).replace(microsecond=0)
        with self._lock:
            reference = next(self._concat_references) & 0xFF
        pdus = encode_deliver(
            sender,
            text,
            moment,
            smsc=self._state.smsc,
            concat_reference=reference,
            message_class=message_class,
        )
        with self._lock:
            delivered = [self._state.deliver(pdu, notify, message_class) for pdu in pdus]
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
        """Return index -> (stat, pdu) of the named storage ("MT": ME then SM). Raise
        KeyError if unknown.
        """
        with self._lock:
            entries = self._state.storage.view(memory).entries()
            return {index: (slot.stat, slot.pdu) for index, slot in entries}

    @property
    def pending_network(self) -> int:
        """Segments waiting in the network because the receive storage was full."""
        with self._lock:
            return len(self._state.storage.network_queue)

    def call(
        self, number: str | None, *, ring_every: float = 0.5, ring_for: float = 30.0
    ) -> CallRecord:
        """Given a caller (None: no caller ID), ring an incoming voice call every
        `ring_every` seconds (RING or +CRING: VOICE, with +CLIP, per AT+CRC and AT+CLIP)
        until the host hangs up (AT+CHUP, or ATH where the profile lets it) or `ring_for`
        seconds pass (missed); return its record, which `calls` keeps up to date. Raise
        ValueError unless both durations are positive.
        """
        if not (ring_every > 0 and ring_for > 0):
            raise ValueError(f"ring_every and ring_for must be > 0, got {ring_every}, {ring_for}")
        with self._lock:
            record = self._state.ring(number, ring_every, ring_for)
            self._changed.notify_all()
        self._port.wake()
        return replace(record)

    @property
    def calls(self) -> list[CallRecord]:
        """Every incoming call, in order: number, start, and end and outcome once ended."""
        with self._lock:
            return [replace(record) for record in self._state.calls]

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
        """Write the profile's storage-full notice (`^SMMEMFULL: "<memory>"` where it has
        none) now, between answers (memory: the receive storage unless given), whether or
        not the storage is full.
        """
        template = self._state.profile.storage_full_line or HUAWEI.storage_full_line or ""
        with self._lock:
            name = memory or self._state.memories[2]
            self._state.outbox.append(unsolicited(template.format(memory=name)))
            self._log_fault(f"storage_full_notice {name}")
        self._port.wake()

    def noise(self, line: str) -> None:
        """Write one unsolicited line (e.g. "^RSSI:12") now, between answers."""
        with self._lock:
            self._state.outbox.append(unsolicited(line))
            self._log_fault(f"noise {line!r}")
        self._port.wake()

    def noise_inside_next(self, command_prefix: str, line: str) -> None:
        """Put one unsolicited line between the lines of the next answer to a command
        starting with command_prefix: after its first line (for AT+CMGL, between the first
        +CMGL: header and its PDU, as the E171 trace shows, research §4.1).
        """
        fault = NoiseInside(command_prefix, line)
        self._add_fault(fault, repr(fault))

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
        input for `silence` seconds, then prints the profile's boot lines (^BOOT, RDY…);
        echo, CMEE and the profile's volatile settings (CPMS, CNMI) are back to their
        defaults, the PIN is asked again, and SMS commands fail for sms_ready_delay seconds,
        after which the profile's ready lines (SMS DONE…) come. Storage is kept; notices not
        yet written are lost; a ringing call is missed.
        """
        with self._lock:
            self._power_up()
            self._state.outbox.extend(map(unsolicited, self._state.profile.boot_lines))
            # Replaces any hang: a reboot is what un-wedges a firmware.
            self._port.hang(silence)
            self._log_fault(f"reboot ({silence:g} s silent)")
        self._port.wake()

    def unplug(self) -> None:
        """Pull the USB device out: close the pty (the host's reads and writes then fail),
        remove the link. Stored messages stay (they are on the SIM); what inject
        sends meanwhile the network holds until the replug (the generic profile stores it
        at once, without notices). Do nothing if already unplugged. Raise RuntimeError if
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
                self._state.end_call(MISSED)  # the caller hears "unreachable"
                self._state.plugged = False
                self._state.unplugged = True
                self._state.outbox.clear()  # bytes the device had not written die with it
                self._log_fault("unplug")
        self._notify()

    def replug(self) -> None:
        """Plug the device back in: a new pty behind the same link (replaced atomically),
        modem state as after power-up (echo on, volatile settings reset so mem3 is the
        profile's boot one, PIN asked again, no hang, SMS not ready for sms_ready_delay
        seconds, the profile's boot lines written at once), storage kept. What the network
        held meanwhile lands in the reverted mem3. If still plugged, the old pty goes away
        first (a quick re-enumeration in which the link never goes missing). Raise
        RuntimeError if not started.
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
                self._power_up()
                if self._state.profile.boot_lines_after_replug:
                    self._state.outbox.extend(map(unsolicited, self._state.profile.boot_lines))
                self._port.unhang()
                self._state.plugged = True
                self._state.unplugged = False
                self._state.release_network_queue()
                self._log_fault(f"replug on {self._port.slave_path}")
            self._port.start_serving(self._serve)
        self._notify()

    def _power_up(self) -> None:
        """Restart the modem's firmware (lock held): a ringing call is lost, settings
        revert, the SMS service starts its delay, half-received input and unwritten
        notices are forgotten.
        """
        self._state.end_call(MISSED)
        self._state.power_on(booting=True)
        self._state.outbox.clear()
        self._input_epoch += 1

    def _add_fault(self, fault: Fault, description: str) -> None:
        with self._lock:
            self._faults.append(fault)
            self._log_fault(description)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _log_fault(self, description: str) -> None:
        """Record a fault (lock held)."""
        self._faults_log.append((time.monotonic(), description))

    def _active_faults(self) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._faults if not fault.spent]


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
