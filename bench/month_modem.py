"""What stands in for the serial line in bench/month.py: the network, the dongle's SIM, the
modem's methods and a clock that jumps to the next thing that happens.

Issue 9 asks for the month to run "on a scaled or fake clock (not the serial line)": this is
the only part of the bench that is not antirelou's own code. The daemon (`Daemon.run`) and
everything it does with what it gets (intake, policy, store, sender, alerts, flood detection,
the real `Inbox` its notices go through) run unchanged; `BenchModem` answers the calls the
daemon makes on `antirelou.modem.Modem` without AT commands, and each call moves the clock on
by what it would take on a real line (COMMAND_SECONDS, LINE_BYTES_PER_SECOND, SEND_SECONDS),
so that messages keep arriving while the daemon lists, deletes and sends.

Only what the month's traffic reaches is here: no voice calls, no +CMT deliveries, no boot
notices, so `reject_call`, `acknowledge_direct` and `reassert` are left out: a daemon that
called them would fail loudly here rather than pass unseen.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from month_traffic import Message

from antirelou.clock import FakeClock
from antirelou.listing import Listing, StoredPdu
from antirelou.modem.inbox import Inbox
from antirelou.modem.records import Identity, Registration, StorageInfo
from antirelou.pdu import encode_submit
from antirelou.simulator.network_pdu import encode_deliver
from antirelou.simulator.storage import SIM, STAT_REC_READ, Storage

SIM_SLOTS = 30  # a SIM's message storage, all a cheap dongle offers
COMMAND_SECONDS = 0.02  # one AT command and its OK (the benches' simulator latency)
LINE_BYTES_PER_SECOND = 11_520  # 115200 baud, 10 bits a byte: what a listing takes to read
LISTING_LINE_BYTES = 24  # "+CMGL: 12,1,,27\r\n" and the line end after each PDU
SEND_SECONDS = 2.0  # one SMS segment handed to the network (1 to 4 s on a real one)
SET_UP_COMMANDS = 20  # AT commands from opening the port to registered
_LONG_AGO = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Sent:
    """One SMS the daemon sent: when it started (the reply's spent_at), to whom, what, in how
    many segments, and the id the daemon passed (a reply's, or an alert's)."""

    at: datetime
    recipient: str
    text: str
    segments: int
    reference: int


class Network:
    """The operator's service centre and the SIM it delivers into.

    A message waits at the network until it is written (its time stamp), then, in order, until
    the SIM has a free slot: an SMSC retries until the storage takes it. Nothing reaches the
    SIM while the dongle is off. `announce` is told each slot filled (the +CMTI notice).
    """

    def __init__(self, messages: Iterable[Message], capacity: int = SIM_SLOTS) -> None:
        self._written: deque[Message] = deque(sorted(messages, key=lambda message: message.at))
        self._due: deque[str] = deque()  # segments written, not yet in the SIM
        self.sim = Storage(SIM, capacity)
        self.powered = True
        self.announce: Callable[[int], None] = lambda index: None
        self.peak_waiting = 0  # segments written and waiting for a free slot, at most

    @property
    def left(self) -> int:
        """Messages not yet delivered (parts of one count as one), and segments due."""
        return len(self._written) + len(self._due)

    def next_delivery(self) -> datetime | None:
        """Return when the next segment reaches the SIM if nothing is deleted first: None if
        the SIM is full, the dongle off or nothing is left."""
        if not self.powered or self.sim.full:
            return None
        if self._due:
            return _LONG_AGO  # due already: at once (the caller takes the later of it and now)
        return self._written[0].at if self._written else None

    def deliver(self, now: datetime) -> None:
        """Store every segment due by `now` that the SIM has room for, in order."""
        if not self.powered:
            return
        while self._written and self._written[0].at <= now:
            message = self._written.popleft()
            self._due.extend(encode_deliver(message.sender, message.text, message.at))
        while self._due and not self.sim.full:
            self.announce(self.sim.store(self._due.popleft()))
        self.peak_waiting = max(self.peak_waiting, len(self._due))


class MonthClock(FakeClock):
    """A FakeClock whose waits jump to the next arrival (delivered into the SIM at once, its
    +CMTI waking the daemon), the end of the wait, or `stop_at`, whichever comes first; at
    `stop_at` it calls `on_stop`. Every move of the clock delivers what the network has due.
    """

    def __init__(self, start: datetime, network: Network) -> None:
        super().__init__(start)
        self.network = network
        self.stop_at: datetime | None = None
        self.on_stop: Callable[[], None] = lambda: None

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        self.network.deliver(self.now())

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        now = self.now()
        # At least a microsecond: the daemon's deadlines are float sums, and a wait shorter
        # than a float's last digit (2e-13 s) would leave FakeClock where it is, forever.
        target = now + timedelta(microseconds=math.ceil(max(seconds, 0.0) * 1e6))
        for moment in (self.network.next_delivery(), self.stop_at):
            if moment is not None and moment < target:
                target = max(moment, now)
        self.advance((target - now).total_seconds())
        if self.stop_at is not None and self.now() >= self.stop_at:
            self.stop_at = None
            self.on_stop()
        return event.is_set()


class BenchModem:
    """The calls the daemon makes on `antirelou.modem.Modem`, answered from the network's SIM
    and timed on the clock; what it sends is kept in `sent`."""

    def __init__(self, network: Network, clock: MonthClock) -> None:
        self.network = network
        self.clock = clock
        self.wake = threading.Event()
        self.inbox = Inbox(self.wake, clock.monotonic)
        self.identity: Identity | None = None
        self.storages: list[StorageInfo] = []
        self.reader_error: BaseException | None = None
        self.sent: list[Sent] = []
        self._open = False
        self._references = itertools.count()
        network.announce = self._announce

    def _announce(self, index: int) -> None:
        # The real notice, through the real Inbox: it wakes the daemon as a dongle's would.
        if self._open:
            self.inbox.notified([f'+CMTI: "{SIM}",{index}'])

    def _spend(self, commands: int, wire_bytes: int = 0) -> None:
        self.clock.advance(commands * COMMAND_SECONDS + wire_bytes / LINE_BYTES_PER_SECOND)

    def _note_usage(self) -> None:
        self.storages = [StorageInfo(SIM, len(self.network.sim.slots), self.network.sim.capacity)]

    # --- life cycle ---------------------------------------------------------------------

    def open(self) -> Identity:
        self.inbox = Inbox(self.wake, self.clock.monotonic)  # a new process, a new inbox
        self._open = True
        self.identity = Identity("antirelou", "bench/month.py", "", "")
        self._note_usage()
        self._spend(SET_UP_COMMANDS)
        return self.identity

    def close(self) -> None:
        self._open = False

    def abandon_pending(self) -> None:
        """Nothing here waits on a line between two calls: a stop has nothing to cut short."""

    @property
    def alive(self) -> bool:
        return self._open

    def registration(self) -> Registration:
        self._spend(3)  # AT+CREG?, AT+COPS?, AT+CSQ
        return Registration(1, "bench", 20)

    # --- the storage ----------------------------------------------------------------------

    @property
    def readable(self) -> list[str]:
        return [SIM]

    def capacity(self, name: str | None) -> int:
        return self.network.sim.capacity if name == SIM else 0

    def list_storage(self, name: str) -> Listing:
        """AT+CMGL=4: every slot as it is now, marked read; what arrives while the answer
        crosses the line lands unread in other slots."""
        entries = self.network.sim.entries()
        listing = Listing(
            name, tuple(StoredPdu(index, slot.stat, slot.pdu) for index, slot in entries), True
        )
        for _, slot in entries:
            slot.stat = STAT_REC_READ
        self._note_usage()
        self._spend(1, sum(len(slot.pdu) + LISTING_LINE_BYTES for _, slot in entries))
        return listing

    def delete_read(self) -> None:
        """AT+CMGD=1,1: every slot marked read."""
        sim = self.network.sim
        for index in [index for index, slot in sim.entries() if slot.stat == STAT_REC_READ]:
            sim.remove(index)
        self._note_usage()
        self._spend(1)

    def delete_slots(self, slots: Iterable[int]) -> None:
        for index in slots:
            self.network.sim.remove(index)
            self._note_usage()
            self._spend(1)

    # --- sending ----------------------------------------------------------------------------

    def send(self, number: str, text: str, reference: int) -> list[int]:
        """Encode the SMS-SUBMIT PDUs as the real modem does, note the send, and take
        SEND_SECONDS per segment (messages keep arriving meanwhile)."""
        pdus = encode_submit(number, text, reference & 0xFF, concat_reference=reference & 0xFF)
        self.sent.append(Sent(self.clock.now(), number, text, len(pdus), reference))
        self.clock.advance(SEND_SECONDS * len(pdus))
        return [next(self._references) % 256 for _ in pdus]
