"""What every format calls things and how it prints times: one place, so that the CSV, the
HTML page and the PDF say the same thing in the same words, French first.

Times: UTC and local time, each with its offset, never local time alone: the hour from 02:00
to 03:00 on the last Sunday of October happens twice (shared/research/evidence.md §4.2).
The network's time stamp is printed exactly as received, in its own offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from antirelou.export.model import Message


def utc_text(moment: datetime | None) -> str:
    """Return `2017-10-30 15:02:11 UTC`, or "" for None."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def local_text(moment: datetime | None, zone: str) -> str:
    """Return `2017-10-30 16:02:11 +01:00` in `zone`, or "" for None."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


@dataclass(frozen=True)
class Column:
    key: str
    french: str
    english: str

    @property
    def title(self) -> str:
        return f"{self.french} / {self.english}"


MESSAGE_COLUMNS = (
    Column("id", "n°", "id"),
    Column("seq", "n° au journal", "log #"),
    Column("kind", "type", "kind"),
    Column("sender", "expéditeur affiché", "sender as received"),
    Column("sender_e164", "expéditeur E.164", "sender E.164"),
    Column("sender_kind", "type de numéro", "number type"),
    Column("smsc_time", "horodatage réseau (tel que reçu)", "network time stamp (as received)"),
    Column("received_utc", "reçu (UTC)", "received (UTC)"),
    Column("received_local", "reçu (heure locale)", "received (local time)"),
    Column("smsc", "centre SMS (SMSC)", "SMS centre"),
    Column("text", "texte", "text"),
    Column("parts", "parties", "parts"),
    Column("encoding", "codage", "encoding"),
    Column("error", "erreur de décodage", "decoding error"),
    Column("flags", "signalements", "flags"),
    Column("reply_status", "réponse : état", "reply: status"),
    Column("reply_text", "réponse : texte", "reply: text"),
    Column("reply_at", "réponse : heure (UTC)", "reply: time (UTC)"),
    Column("reply_segments", "réponse : SMS", "reply: SMS"),
    Column("pdus", "PDU bruts (hexadécimal)", "raw PDUs (hex)"),
)

KINDS = {"sms": "SMS", "call": "appel / call"}
HIDDEN = "(numéro masqué / hidden number)"


def flag_text(message: Message) -> str:
    """Return a message's flags as `rule (by): reason`, joined with ' ; '."""
    return " ; ".join(f"{flag.rule} ({flag.by}): {flag.reason}" for flag in message.flags)


def message_cells(message: Message, zone: str) -> dict[str, str]:
    """Given a message, return its text for each of MESSAGE_COLUMNS, in that order."""
    reply = message.reply
    return {
        "id": str(message.id),
        "seq": "" if message.seq is None else str(message.seq),
        "kind": KINDS.get(message.kind, message.kind),
        "sender": message.sender or HIDDEN,
        "sender_e164": message.sender_e164 or "",
        "sender_kind": message.sender_kind,
        "smsc_time": message.smsc_time or "",
        "received_utc": utc_text(message.received_at),
        "received_local": local_text(message.received_at, zone),
        "smsc": message.smsc or "",
        "text": message.text or "",
        "parts": f"{message.parts}/{message.parts_expected}",
        "encoding": message.encoding or "",
        "error": message.error or "",
        "flags": flag_text(message),
        "reply_status": reply.status if reply else "",
        "reply_text": (reply.text or "") if reply else "",
        "reply_at": utc_text(reply.at) if reply else "",
        "reply_segments": str(reply.segments) if reply else "",
        "pdus": " ".join(pdu.hex for pdu in message.pdus),
    }
