"""Everything a simulated modem holds, in one dataclass the command handlers work on.

Three lifetimes: what the SIM keeps (storage, the PIN tries left, the service centre
number), what a power-up resets (power_on: registration, the profile's volatile settings,
the SIM lock, the SMS service's readiness) and what ATZ resets (reset_profile: echo, error
format, indications). Nothing here does I/O or knows the pty: notices for the host wait in
`outbox` until the serving thread writes them; `tick` adds the ones that come with time
(the SMS service ready, a ringing call, the profile's periodic noise).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from antirelou.simulator.calls import MISSED, CallRecord, Ringing, ring_lines
from antirelou.simulator.network_pdu import DEFAULT_SMSC, tpdu_length
from antirelou.simulator.profiles import GENERIC, Profile
from antirelou.simulator.sent import SentLog
from antirelou.simulator.storage import CLASS_SIM_SPECIFIC, MessageStorage, Storage, View

PIN_ATTEMPTS = 3
CLASS_FLASH = 0


@dataclass
class PendingSubmit:
    """An AT+CMGS that got its prompt and waits for its PDU."""

    length: int  # the TPDU length the command announced
    command: str = ""  # the command line, for the faults that rewrite its answer
    forced_error: str | None = None  # a fault's final result for the PDU, instead of sending
    extra_delay: float = 0.0  # a fault's delay before answering the PDU


@dataclass
class ModemState:
    """A modem's settings and contents; see the module docstring."""

    storage: MessageStorage
    pin: str | None = None
    operator: str = "Orange F"
    signal: int = 20
    registration_delay: float = 0.0
    imei: str = "861234056789012"
    imsi: str = "208011234567890"  # Orange France's MCC 208, MNC 01
    iccid: str = "8933010319000123456"  # 19 digits: "89", France's 33, issuer, account
    own_number: str | None = None  # what AT+CNUM says; most SIMs do not know their number
    manufacturer: str = ""  # "": the profile's
    model: str = ""  # "": the profile's
    clock: Callable[[], float] = time.monotonic
    profile: Profile = GENERIC
    sms_ready_delay: float = 0.0  # seconds of "SMS not ready" after a boot
    noise_every: float = 0.0  # seconds between the profile's periodic lines (0: none)
    wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    # Kept across power-ups, like on a SIM (or set once by the dongle).
    smsc: str = DEFAULT_SMSC
    pin_attempts_left: int = PIN_ATTEMPTS
    message_reference: int = 0  # the next +CMGS reference (TP-MR), 0-255
    sent: SentLog = field(default_factory=SentLog)
    calls: list[CallRecord] = field(default_factory=list)
    plugged: bool = False  # whether a host is there to be told of new messages
    unplugged: bool = False  # pulled out after a start (before one, it stores as on a shelf)
    # Bytes to write between two answers: notices, injected garbage, the boot report.
    outbox: deque[bytes] = field(default_factory=deque)
    # Messages the modem still has to hand over as +CMT, never storing them (flash ones,
    # or routed by AT+CNMI), while unplugged or waiting for the previous one's AT+CNMA.
    routed_queue: deque[str] = field(default_factory=deque)
    call: Ringing | None = None
    memories: list[str] = field(default_factory=list)  # AT+CPMS: read/delete, write, receive
    new_message_indications: tuple[int, ...] = (0, 0, 0, 0, 0)  # AT+CNMI

    # Reset by power_on.
    sim_locked: bool = field(init=False)
    functionality: int = field(init=False)  # AT+CFUN level
    unlocked_at: float | None = field(init=False)  # clock() when registration started
    network_format: int = field(init=False)  # AT+COPS=3,<format>
    registration_reports: int = field(init=False)  # AT+CREG=<n>
    smsc_type: int = field(init=False)
    service_level: int = field(init=False)  # AT+CSMS
    awaiting_ack: bool = field(init=False)  # a +CMT went out and AT+CNMA is due
    sms_ready_at: float = field(init=False)  # clock() from which SMS commands work
    ready_announced: bool = field(init=False)  # the profile's ready lines were written
    caller_id: bool = field(init=False)  # AT+CLIP
    extended_ring: bool = field(init=False)  # AT+CRC
    hang_up_control: int = field(init=False)  # AT+CVHU
    next_noise: int = field(init=False)  # which periodic line comes next
    next_noise_at: float = field(init=False)

    # Reset by reset_profile (ATZ) too.
    echo: bool = field(init=False)
    cmee: int = field(init=False)
    character_set: str = field(init=False)
    csmp: str = field(init=False)
    pending_submit: PendingSubmit | None = field(init=False)

    def __post_init__(self) -> None:
        self.manufacturer = self.manufacturer or self.profile.manufacturer
        self.model = self.model or self.profile.model
        self.memories = []
        self.power_on()

    def power_on(self, *, booting: bool = False) -> None:
        """State after power-up or AT+CFUN=1,1 (storage survives, like on a SIM). When
        `booting`, the SMS service is not ready for sms_ready_delay seconds.
        """
        self.reset_profile()
        if "+CPMS" in self.profile.volatile or not self.memories:
            self.memories = self.profile.boot(list(self.storage.storages))
        self.sim_locked = self.pin is not None
        self.functionality = 1
        now = self.clock()
        self.unlocked_at = None if self.sim_locked else now
        self.network_format = 0
        self.registration_reports = 0
        self.smsc_type = 145
        self.service_level = 0
        self.awaiting_ack = False
        self.sms_ready_at = now + (self.sms_ready_delay if booting else 0.0)
        self.ready_announced = not booting
        self.caller_id = self.extended_ring = False
        # Huawei E1550: ATH ignored until AT+CVHU=0 (research §5); 27.007's 1 says so.
        self.hang_up_control = 1 if self.profile.ath_needs_cvhu else 0
        self.next_noise = 0
        self.next_noise_at = now + self.noise_every

    def reset_profile(self) -> None:
        """What ATZ restores."""
        self.echo = True
        self.cmee = 0
        if "+CNMI" in self.profile.volatile:
            self.new_message_indications = (0, 0, 0, 0, 0)
        self.character_set = "IRA"
        self.csmp = "17,167,0,0"
        self.leave_pdu_mode()

    def leave_pdu_mode(self) -> None:
        """Forget an AT+CMGS waiting for its PDU."""
        self.pending_submit = None

    @property
    def receive_storage(self) -> Storage:
        """The storage new messages go to (the third AT+CPMS memory); for MT, ME."""
        name = self.memories[2]
        return self.storage.storages.get(name) or self.storage.storages["ME"]

    def memory(self, position: int) -> View:
        """Given 0, 1 or 2, return the storage of that AT+CPMS memory."""
        return self.storage.view(self.memories[position])

    @property
    def cmti_enabled(self) -> bool:
        """Whether a stored message is announced: AT+CNMI mt=1, and mt=2/3 for what they
        do not route (27.005 table in research §2.2).
        """
        mode, mt = self.new_message_indications[:2]
        if mode == 0:
            return False
        return mt == 1 or (self.profile.routes_with_cnmi and mt in (2, 3))

    def sms_ready(self) -> bool:
        """Whether the SMS service answers yet (research §4.3)."""
        return self.clock() >= self.sms_ready_at

    def registration_status(self) -> int:
        """Return the AT+CREG <stat>: 0 not searching, 2 searching, 1 registered."""
        if self.functionality != 1 or self.sim_locked or self.unlocked_at is None:
            return 0
        if self.clock() < self.unlocked_at + self.registration_delay:
            return 2
        return 1

    # --- the network side ------------------------------------------------------------------

    def deliver(self, pdu: str, notify: bool, message_class: int | None = None) -> int | None:
        """Given a PDU from the network, whether to announce it and its message class,
        store it where the modem puts it (its notices to the outbox) and return its index,
        or None if the network holds it back (storage full, device unplugged) or the modem
        hands it over as +CMT and never stores it (see `routed`).
        """
        if self.routed(message_class):
            self.routed_queue.append(pdu)
            self.hand_over_routed()
            return None
        if self.unplugged and self.profile.network_holds_while_unplugged:
            self.storage.hold(pdu, notify, message_class)
            return None
        index, notices = self.storage.deliver(
            self.memories[2],
            pdu,
            notify,
            listening=self.plugged,
            cmti=self.cmti_enabled,
            message_class=message_class,
        )
        self.outbox.extend(notices)
        return index

    def release_network_queue(self) -> None:
        """Deliver the segments the network held back while their storage has room."""
        self.outbox.extend(
            self.storage.release(self.memories[2], listening=self.plugged, cmti=self.cmti_enabled)
        )
        self.hand_over_routed()

    def routed(self, message_class: int | None) -> bool:
        """Given a message class, return whether the modem hands such a message over as
        +CMT instead of storing it: class 0 (flash) always (research §2.2, [Inferred] from
        babca#116: even with mt=1); with AT+CNMI mt=2 every class but 2, with mt=3 class 3
        only (research §2.2: SIM800, EC25 and Telit manuals).
        """
        if message_class == CLASS_FLASH:
            return True
        mode, mt = self.new_message_indications[:2]
        if not self.profile.routes_with_cnmi or mode == 0:
            return False
        return (mt == 2 and message_class != CLASS_SIM_SPECIFIC) or (mt == 3 and message_class == 3)

    def hand_over_routed(self) -> None:
        """Write the waiting routed messages as `+CMT: ,<length>` and the PDU (research
        §2.2), one at a time while AT+CSMS=1 wants each acknowledged (research §2.3).
        They wait while AT+CNMI asks for no indications (mode 0, as after a power-up): a
        +CMT written to nobody would be lost, so the network keeps it and retries.
        """
        listening = self.plugged and self.new_message_indications[0] > 0
        while listening and self.routed_queue and not self.awaiting_ack:
            pdu = self.routed_queue.popleft()
            self.outbox.append(f"\r\n+CMT: ,{tpdu_length(pdu)}\r\n{pdu}\r\n".encode())
            self.awaiting_ack = self.service_level == 1 and self.profile.acknowledges_cmt

    # --- calls and time --------------------------------------------------------------------

    def ring(self, number: str | None, ring_every: float, ring_for: float) -> CallRecord:
        """Given a caller (None: no caller ID) and the ring timing, start an incoming call
        (ending one that still rings, as missed); return its record.
        """
        if self.call is not None:
            self.end_call(MISSED)
        now = self.clock()
        record = CallRecord(number, self.wall_clock())
        self.calls.append(record)
        self.call = Ringing(record, ring_every, now + ring_for, now)
        return record

    def end_call(self, outcome: str, command: str | None = None) -> None:
        """Given how the ringing call ended (and the host's command), record it and write
        the profile's call-end notice.
        """
        if self.call is None:
            return
        record = self.call.record
        record.ended, record.outcome, record.command = self.wall_clock(), outcome, command
        self.call = None
        if self.profile.call_end_line and self.plugged:
            self.outbox.append(unsolicited(self.profile.call_end_line))

    def tick(self) -> float | None:
        """Write what is due by now (the ready lines, a ring, periodic noise) to the outbox;
        return the clock() of the next thing due, or None if nothing is.
        """
        now = self.clock()
        due = [self._tick_ready(now), self._tick_call(now), self._tick_noise(now)]
        pending = [moment for moment in due if moment is not None]
        return min(pending) if pending else None

    def _tick_ready(self, now: float) -> float | None:
        if self.ready_announced:
            return None
        if now < self.sms_ready_at:
            return self.sms_ready_at
        self.ready_announced = True
        self._write_lines(self.profile.ready_lines)
        return None

    def _tick_call(self, now: float) -> float | None:
        call = self.call
        if call is None:
            return None
        if now >= call.gives_up_at:
            self.end_call(MISSED)
            return None
        if now >= call.next_ring:
            call.next_ring = now + call.ring_every
            number = call.record.number
            self._write_lines(
                ring_lines(number, extended=self.extended_ring, caller_id=self.caller_id)
            )
        return min(call.next_ring, call.gives_up_at)

    def _tick_noise(self, now: float) -> float | None:
        noise = self.profile.periodic_noise
        if self.noise_every <= 0 or not noise:
            return None
        if now >= self.next_noise_at:
            line = noise[self.next_noise % len(noise)]
            self.next_noise += 1
            self.next_noise_at = now + self.noise_every
            self._write_lines([line.format(signal=self.signal)])
        return self.next_noise_at

    def _write_lines(self, lines: list[str] | tuple[str, ...]) -> None:
        if self.plugged:
            self.outbox.extend(unsolicited(line) for line in lines)


def unsolicited(line: str) -> bytes:
    """Given an unsolicited line, return it framed as a modem writes it."""
    return f"\r\n{line}\r\n".encode("latin-1")
