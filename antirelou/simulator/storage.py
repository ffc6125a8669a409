"""The dongle's message storages and the network queue in front of them.

A network delivers each segment into the receive storage (the third AT+CPMS memory), a
class 2 (SIM-specific) one into the SIM whatever that memory is (research §2.4); when the
storage is full it keeps the segments, in order, and delivers them as soon as deleting makes
room, as an SMSC retries. It also keeps what it could not deliver while the device was
unplugged. "MT" is the combined storage: ME then SM, indexes of SM after ME's (research
§1.6). Storing may call for notices to the host: +CMTI (if AT+CNMI asked for them) and the
profile's storage-full notice (once per filling). This module returns them as bytes; the
caller decides when they are written.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

STAT_REC_UNREAD, STAT_REC_READ, STAT_STO_UNSENT, STAT_STO_SENT = 0, 1, 2, 3
# AT+CMGD delflag -> the stats it deletes (flag 0 deletes the given index only).
DELETED_BY_FLAG = {
    1: {STAT_REC_READ},
    2: {STAT_REC_READ, STAT_STO_SENT},
    3: {STAT_REC_READ, STAT_STO_SENT, STAT_STO_UNSENT},
    4: {STAT_REC_UNREAD, STAT_REC_READ, STAT_STO_UNSENT, STAT_STO_SENT},
}
COMBINED = "MT"
SIM = "SM"
CLASS_SIM_SPECIFIC = 2


@dataclass
class Slot:
    stat: int
    pdu: str


@dataclass
class Storage:
    """One memory ("SM", "ME"…): its slots by index, numbered from `base`."""

    name: str
    capacity: int
    base: int = 0
    slots: dict[int, Slot] = field(default_factory=dict)
    full_reported: bool = False

    @property
    def full(self) -> bool:
        return len(self.slots) >= self.capacity

    def has_index(self, index: int) -> bool:
        """Given an index, return whether it names a slot of this storage, used or not."""
        return self.base <= index < self.base + self.capacity

    def entries(self) -> list[tuple[int, Slot]]:
        """Return (index, slot) of the used slots, by index."""
        return sorted(self.slots.items())

    def get(self, index: int) -> Slot | None:
        return self.slots.get(index)

    def remove(self, index: int) -> None:
        self.slots.pop(index, None)

    def store(self, pdu: str) -> int:
        """Given a PDU, put it unread in the lowest free slot (as Huawei refills); return
        its index.
        """
        index = next(i for i in range(self.base, self.base + self.capacity) if i not in self.slots)
        self.slots[index] = Slot(STAT_REC_UNREAD, pdu)
        return index


class Combined:
    """MT: ME and SM seen as one storage, ME first (research §1.6); SM's indexes follow
    ME's last one.
    """

    def __init__(self, phone: Storage, sim: Storage) -> None:
        self.name = COMBINED
        self.parts = (phone, sim)
        self.full_reported = False

    @property
    def capacity(self) -> int:
        return sum(part.capacity for part in self.parts)

    @property
    def full(self) -> bool:
        return all(part.full for part in self.parts)

    @property
    def slots(self) -> dict[int, Slot]:
        """The used slots by MT index (a copy: change them through remove and store)."""
        return dict(self.entries())

    def _shift(self, part: Storage) -> int:
        return 0 if part is self.parts[0] else self.parts[0].capacity

    def _locate(self, index: int) -> tuple[Storage, int] | None:
        for part in self.parts:
            if part.has_index(index - self._shift(part)):
                return part, index - self._shift(part)
        return None

    def has_index(self, index: int) -> bool:
        return self._locate(index) is not None

    def entries(self) -> list[tuple[int, Slot]]:
        return [
            (index + self._shift(part), slot)
            for part in self.parts
            for index, slot in part.entries()
        ]

    def get(self, index: int) -> Slot | None:
        located = self._locate(index)
        return located[0].get(located[1]) if located else None

    def remove(self, index: int) -> None:
        located = self._locate(index)
        if located:
            located[0].remove(located[1])

    def store(self, pdu: str) -> int:
        # The Siemens core fills ME first, then SM (research §1.6).
        part = next(part for part in self.parts if not part.full)
        return part.store(pdu) + self._shift(part)


View = Storage | Combined


@dataclass
class Held:
    """A segment the network keeps: its PDU, whether to announce it, its message class."""

    pdu: str
    notify: bool
    message_class: int | None = None


class MessageStorage:
    """The storages by name, and the segments the network holds back (while the receive
    storage is full, or while the device is unplugged).
    """

    def __init__(
        self,
        capacities: dict[str, int],
        *,
        index_base: int = 0,
        full_line: str | None = '^SMMEMFULL: "{memory}"',
    ) -> None:
        """Given memory name -> capacity (the first is the default), the first index of
        each storage and the storage-full notice ("{memory}" replaced; None: none), create
        empty storages. Raise ValueError if none can hold a message or a capacity is
        negative.
        """
        capacities = dict(capacities)
        if not any(capacity >= 1 for capacity in capacities.values()) or any(
            capacity < 0 for capacity in capacities.values()
        ):
            raise ValueError(f"memories need at least one storage of capacity >= 1: {capacities}")
        self.storages = {
            name: Storage(name, capacity, index_base) for name, capacity in capacities.items()
        }
        self._combined = (
            Combined(self.storages["ME"], self.storages[SIM])
            if "ME" in self.storages and SIM in self.storages
            else None
        )
        self.full_line = full_line
        self.network_queue: deque[Held] = deque()

    def view(self, memory: str) -> View:
        """Given a memory name ("MT" too where ME and SM exist), return its storage. Raise
        KeyError if there is none of that name.
        """
        if memory == COMBINED and self._combined is not None:
            return self._combined
        return self.storages[memory]

    def has(self, memory: str) -> bool:
        """Given a memory name, return whether it can be selected."""
        return memory in self.storages or (memory == COMBINED and self._combined is not None)

    def receive_target(self, memory: str, message_class: int | None) -> View:
        """Given the receive memory and a message class, return where the message goes."""
        if message_class == CLASS_SIM_SPECIFIC and SIM in self.storages:
            return self.storages[SIM]  # class 2: the SIM only (research §2.4)
        return self.view(memory)

    def hold(self, pdu: str, notify: bool, message_class: int | None = None) -> None:
        """Given a segment the network cannot deliver now, keep it for later, in order."""
        self.network_queue.append(Held(pdu, notify, message_class))

    def deliver(
        self,
        memory: str,
        pdu: str,
        notify: bool,
        *,
        listening: bool,
        cmti: bool,
        message_class: int | None = None,
    ) -> tuple[int | None, list[bytes]]:
        """Given the receive memory, a PDU, whether to announce it and its class, store it
        or queue it in the network; return (its index or None if queued, the notices it
        calls for). `listening`: whether a host is there to be told; `cmti`: whether
        AT+CNMI asks for +CMTI.
        """
        target = self.receive_target(memory, message_class)
        notices: list[bytes] = []
        if self.network_queue or target.full:
            # Behind earlier queued segments too: an SMSC delivers in order.
            self.hold(pdu, notify, message_class)
            self._report_full(target, notify and listening, notices)
            return None, notices
        index = self._store(target, pdu, notify and listening, cmti, notices)
        return index, notices

    def release(self, memory: str, *, listening: bool, cmti: bool) -> list[bytes]:
        """Given the receive memory, deliver queued segments while their storage has room;
        return the notices that calls for.
        """
        notices: list[bytes] = []
        for view in [*self.storages.values(), self._combined]:
            if view is not None and not view.full:
                view.full_reported = False
        while self.network_queue:
            held = self.network_queue[0]
            target = self.receive_target(memory, held.message_class)
            if target.full:
                break
            self.network_queue.popleft()
            self._store(target, held.pdu, held.notify and listening, cmti, notices)
        return notices

    def _store(
        self, storage: View, pdu: str, announce: bool, cmti: bool, notices: list[bytes]
    ) -> int:
        index = storage.store(pdu)
        # Unplugged, the SIM still receives but nobody is there to be told.
        if announce and cmti:
            notices.append(f'\r\n+CMTI: "{storage.name}",{index}\r\n'.encode())
        if storage.full:
            self._report_full(storage, announce, notices)
        return index

    def _report_full(self, storage: View, announce: bool, notices: list[bytes]) -> None:
        if storage.capacity == 0:
            return  # an eSIM's SM never fills: it holds nothing (research §1.5)
        if announce and not storage.full_reported and self.full_line is not None:
            storage.full_reported = True
            notices.append(f"\r\n{self.full_line.format(memory=storage.name)}\r\n".encode())
