"""Plain records that cross the store's boundary, and how the log writes times."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


class StoreError(Exception):
    """The database cannot be read or written (disk full, read-only, locked)."""


@dataclass(frozen=True)
class PduRow:
    id: int
    pdu: str
    sender: str | None
    received_at: str


@dataclass(frozen=True)
class Reply:
    """A queued reply, as the sender takes it."""

    id: int
    message_id: int
    recipient: str
    text: str
    status: str
    attempts: int
    segments: int
    in_flood: bool
    queued_at: datetime  # when it was decided


@dataclass(frozen=True)
class Alert:
    """A queued alert SMS to an operator."""

    id: int
    recipient: str
    text: str


@dataclass(frozen=True)
class Device:
    """The equipment that receives the messages, as recorded when it changes. None: unknown
    (the SIM does not always know its own number)."""

    at: datetime
    imei: str | None = None
    imsi: str | None = None
    iccid: str | None = None
    own_number: str | None = None
    operator: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    software_version: str | None = None
    clock_synchronised: bool | None = None

    def same_as(self, other: Device | None) -> bool:
        """Return whether `other` describes the same equipment, whenever it was recorded."""
        return other is not None and replace(other, at=self.at) == self


def iso(moment: datetime) -> str:
    """The log's spelling of a time: ISO 8601 to the millisecond, so text order is time order
    (every time the daemon writes is UTC)."""
    return moment.isoformat(timespec="milliseconds")
