"""Everything a simulated modem holds, in one dataclass the command handlers work on.

Three lifetimes: what the SIM keeps (storage, the PIN tries left, the service centre
number), what a power-up resets (power_on: registration, memories, the SIM lock) and what
ATZ resets (reset_profile: echo, error format, indications). Nothing here does I/O or knows
the pty: notices for the host wait in `outbox` until the serving thread writes them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from antirelou.simulator.network_pdu import DEFAULT_SMSC
from antirelou.simulator.sent import SentLog
from antirelou.simulator.storage import MessageStorage, Storage

PIN_ATTEMPTS = 3


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
    manufacturer: str = "huawei"
    model: str = "E3531"
    clock: Callable[[], float] = time.monotonic

    # Kept across power-ups, like on a SIM (or set once by the dongle).
    smsc: str = DEFAULT_SMSC
    pin_attempts_left: int = PIN_ATTEMPTS
    message_reference: int = 0  # the next +CMGS reference (TP-MR), 0-255
    sent: SentLog = field(default_factory=SentLog)
    plugged: bool = False  # whether a host is there to be told of new messages
    # Bytes to write between two answers: notices, injected garbage, the boot report.
    outbox: deque[bytes] = field(default_factory=deque)

    # Reset by power_on.
    memories: list[str] = field(init=False)  # AT+CPMS: read/delete, write, receive
    sim_locked: bool = field(init=False)
    functionality: int = field(init=False)  # AT+CFUN level
    unlocked_at: float | None = field(init=False)  # clock() when registration started
    network_format: int = field(init=False)  # AT+COPS=3,<format>
    registration_reports: int = field(init=False)  # AT+CREG=<n>
    smsc_type: int = field(init=False)

    # Reset by reset_profile (ATZ) too.
    echo: bool = field(init=False)
    cmee: int = field(init=False)
    new_message_indications: tuple[int, ...] = field(init=False)  # AT+CNMI
    character_set: str = field(init=False)
    csmp: str = field(init=False)
    pending_submit: PendingSubmit | None = field(init=False)

    def __post_init__(self) -> None:
        self.power_on()

    def power_on(self) -> None:
        """State after power-up or AT+CFUN=1,1 (storage survives, like on a SIM)."""
        self.reset_profile()
        self.memories = [next(iter(self.storage.storages))] * 3
        self.sim_locked = self.pin is not None
        self.functionality = 1
        self.unlocked_at = None if self.sim_locked else self.clock()
        self.network_format = 0
        self.registration_reports = 0
        self.smsc_type = 145

    def reset_profile(self) -> None:
        """What ATZ restores."""
        self.echo = True
        self.cmee = 0
        self.new_message_indications = (0, 0, 0, 0, 0)
        self.character_set = "IRA"
        self.csmp = "17,167,0,0"
        self.leave_pdu_mode()

    def leave_pdu_mode(self) -> None:
        """Forget an AT+CMGS waiting for its PDU."""
        self.pending_submit = None

    @property
    def receive_storage(self) -> Storage:
        """The storage new messages go to (the third AT+CPMS memory)."""
        return self.storage.storages[self.memories[2]]

    @property
    def cmti_enabled(self) -> bool:
        mode, mt = self.new_message_indications[:2]
        return mode > 0 and mt == 1

    def registration_status(self) -> int:
        """Return the AT+CREG <stat>: 0 not searching, 2 searching, 1 registered."""
        if self.functionality != 1 or self.sim_locked or self.unlocked_at is None:
            return 0
        if self.clock() < self.unlocked_at + self.registration_delay:
            return 2
        return 1

    def deliver(self, pdu: str, notify: bool) -> int | None:
        """Given a PDU from the network and whether to announce it, store it in the receive
        storage (its notices to the outbox) and return its index, or None if the network
        holds it back because the storage is full.
        """
        index, notices = self.storage.deliver(
            self.memories[2], pdu, notify, listening=self.plugged, cmti=self.cmti_enabled
        )
        self.outbox.extend(notices)
        return index

    def release_network_queue(self) -> None:
        """Deliver the segments the network held back while the receive storage has room."""
        self.outbox.extend(
            self.storage.release(self.memories[2], listening=self.plugged, cmti=self.cmti_enabled)
        )
