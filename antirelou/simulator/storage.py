"""The SIM's message storages and the network queue in front of them.

A network delivers each segment into the receive storage (the third AT+CPMS memory); when
that storage is full it keeps the segments, in order, and delivers them as soon as deleting
makes room, as an SMSC retries. Storing may call for notices to the host: +CMTI (if AT+CNMI
asked for them) and ^SMMEMFULL (once per filling). This module returns them as bytes; the
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


@dataclass
class Slot:
    stat: int
    pdu: str


@dataclass
class Storage:
    """One memory ("SM", "ME"…): its slots by index."""

    name: str
    capacity: int
    slots: dict[int, Slot] = field(default_factory=dict)
    full_reported: bool = False

    @property
    def full(self) -> bool:
        return len(self.slots) >= self.capacity

    def free_index(self) -> int:
        # Huawei numbers SIM slots from 0 and refills the lowest free one.
        return next(index for index in range(self.capacity) if index not in self.slots)


class MessageStorage:
    """The storages by name, and the segments the network holds back while the receive
    storage is full (each with whether its arrival should be announced).
    """

    def __init__(self, capacities: dict[str, int]) -> None:
        """Given memory name -> capacity (the first is the default), create empty storages.
        Raise ValueError if there is none or one holds nothing.
        """
        if not capacities or any(capacity < 1 for capacity in capacities.values()):
            raise ValueError(f"memories need at least one storage of capacity >= 1: {capacities}")
        self.storages = {name: Storage(name, capacity) for name, capacity in capacities.items()}
        self.network_queue: deque[tuple[str, bool]] = deque()

    def deliver(
        self, memory: str, pdu: str, notify: bool, *, listening: bool, cmti: bool
    ) -> tuple[int | None, list[bytes]]:
        """Given the receive memory, a PDU and whether to announce it, store it or queue it
        in the network; return (its index or None if queued, the notices it calls for).
        `listening`: whether a host is there to be told; `cmti`: whether AT+CNMI asks for
        +CMTI.
        """
        storage = self.storages[memory]
        notices: list[bytes] = []
        if self.network_queue or storage.full:
            # Behind earlier queued segments too: an SMSC delivers in order.
            self.network_queue.append((pdu, notify))
            _report_full(storage, notify and listening, notices)
            return None, notices
        index = _store(storage, pdu, notify and listening, cmti, notices)
        return index, notices

    def release(self, memory: str, *, listening: bool, cmti: bool) -> list[bytes]:
        """Given the receive memory, deliver queued segments while it has room; return the
        notices that calls for.
        """
        storage = self.storages[memory]
        notices: list[bytes] = []
        if not storage.full:
            storage.full_reported = False
        while self.network_queue and not storage.full:
            pdu, notify = self.network_queue.popleft()
            _store(storage, pdu, notify and listening, cmti, notices)
        return notices


def _store(storage: Storage, pdu: str, announce: bool, cmti: bool, notices: list[bytes]) -> int:
    index = storage.free_index()
    storage.slots[index] = Slot(STAT_REC_UNREAD, pdu)
    # Unplugged, the SIM still receives but nobody is there to be told.
    if announce and cmti:
        notices.append(f'\r\n+CMTI: "{storage.name}",{index}\r\n'.encode())
    if storage.full:
        _report_full(storage, announce, notices)
    return index


def _report_full(storage: Storage, announce: bool, notices: list[bytes]) -> None:
    if announce and not storage.full_reported:
        storage.full_reported = True
        notices.append(f'\r\n^SMMEMFULL: "{storage.name}"\r\n'.encode())
