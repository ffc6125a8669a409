"""Plain records that cross the store's boundary, and how the log writes times."""

from __future__ import annotations

from dataclasses import dataclass
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


def iso(moment: datetime) -> str:
    """The log's spelling of a time: ISO 8601 to the millisecond, so text order is time order
    (every time the daemon writes is UTC)."""
    return moment.isoformat(timespec="milliseconds")
