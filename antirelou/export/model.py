"""What an export holds, as plain typed data: the Dossier every renderer reads.

Shaped on what a commissaire de justice records in an SMS constat and what a complaint needs
(shared/research/evidence.md §1.5, §4.1): the device, the period, each message with its
provenance (sender as received and in E.164, network time stamp as received with its own
offset, our receipt time, SMSC, every raw PDU), the flags, our reply; per sender a summary;
and the checkpoint, with what a third party needs to recompute the hashes (`proof`).
Times are aware datetimes (UTC from the log); renderers print UTC and `zone` local time,
each with its offset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from antirelou.evidence.checkpoint import Checkpoint
from antirelou.evidence.verify import LeafRow


@dataclass(frozen=True)
class Device:
    """The equipment that received the messages, as a constat describes a phone. None:
    unknown (the SIM does not always know its own number)."""

    imei: str | None = None
    imsi: str | None = None
    iccid: str | None = None
    own_number: str | None = None
    operator: str | None = None
    modem_manufacturer: str | None = None
    modem_model: str | None = None
    modem_firmware: str | None = None
    software_version: str | None = None  # antirelou's
    clock_synchronised: bool | None = None  # timedatectl's "System clock synchronized"


@dataclass(frozen=True)
class Filters:
    """What the person exporting asked for; None or empty: no such filter."""

    since: datetime | None = None
    until: datetime | None = None
    senders: tuple[str, ...] = ()
    flagged_only: bool = False


@dataclass(frozen=True)
class Pdu:
    id: int
    hex: str  # exactly as the modem listed it, SMSC field in front
    received_at: datetime
    seq: int | None = None  # its record's place in the tamper-evident log


@dataclass(frozen=True)
class Flag:
    rule: str  # a rule id, or "manual" for a person's decision
    reason: str
    at: datetime
    by: str  # "antirelou" for a rule, else the user who ran `antirelou flag`
    matched: str | None = None  # the normalised words a rule matched


@dataclass(frozen=True)
class Reply:
    status: str
    reason: str
    text: str | None
    at: datetime | None
    segments: int


@dataclass(frozen=True)
class Message:
    id: int
    kind: str  # "sms" or "call"
    sender: str | None  # as received (TP-OA), None when hidden
    sender_e164: str | None
    sender_kind: str  # phone, short code, alphanumeric, invalid
    received_at: datetime  # our receipt time (UTC)
    smsc_time: str | None  # TP-SCTS exactly as decoded, with its own offset
    smsc: str | None  # the service centre address from the PDU
    text: str | None
    parts: int
    parts_expected: int
    encoding: str | None
    error: str | None
    pdus: tuple[Pdu, ...] = ()
    flags: tuple[Flag, ...] = ()
    reply: Reply | None = None
    seq: int | None = None


@dataclass(frozen=True)
class SenderSummary:
    sender: str  # E.164 when known, else as received
    sender_kind: str
    messages: int
    calls: int
    first_seen: datetime
    last_seen: datetime
    replies: int  # replies sent
    flagged: int  # messages with at least one flag


@dataclass(frozen=True)
class LoggedRecord:
    """A record of the tamper-evident log given in full, so that its digest can be redone."""

    seq: int
    kind: str
    record_id: int
    salt: bytes
    fields: Mapping[str, object]


@dataclass(frozen=True)
class Proof:
    """Every leaf of the log up to the checkpoint (digests identify nobody), and the records
    this dossier shows in full."""

    leaves: tuple[LeafRow, ...]
    records: tuple[LoggedRecord, ...]


@dataclass(frozen=True)
class Dossier:
    generated_at: datetime
    generated_by: str  # the user who ran the export
    zone: str  # IANA zone for local times, e.g. "Europe/Paris"
    device: Device
    filters: Filters
    checkpoint: Checkpoint
    messages: tuple[Message, ...]
    senders: tuple[SenderSummary, ...] = field(default=())
    proof: Proof | None = None

    @property
    def period(self) -> tuple[datetime, datetime] | None:
        """The first and last receipt time among the messages (None when there are none)."""
        if not self.messages:
            return None
        times = [message.received_at for message in self.messages]
        return min(times), max(times)


def sender_summaries(messages: Sequence[Message]) -> tuple[SenderSummary, ...]:
    """Given messages, return one summary per sender, most messages first (ties: the
    earliest first seen first); hidden numbers are counted together."""
    groups: dict[str, list[Message]] = {}
    for message in messages:
        key = message.sender_e164 or message.sender or "(numéro masqué / hidden)"
        groups.setdefault(key, []).append(message)
    summaries = [
        SenderSummary(
            sender=key,
            sender_kind=group[0].sender_kind,
            messages=sum(message.kind != "call" for message in group),
            calls=sum(message.kind == "call" for message in group),
            first_seen=min(message.received_at for message in group),
            last_seen=max(message.received_at for message in group),
            replies=sum(
                bool(message.reply and message.reply.status == "sent") for message in group
            ),
            flagged=sum(bool(message.flags) for message in group),
        )
        for key, group in groups.items()
    ]
    summaries.sort(key=lambda summary: (-(summary.messages + summary.calls), summary.first_seen))
    return tuple(summaries)
