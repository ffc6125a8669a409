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

from antirelou.export.model import Device, Dossier, Message


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


# --- what the HTML page and the PDF both say -------------------------------------------------

TITLE = (
    "Messages reçus par le numéro anti-relou",
    "Messages received by the anti-harassment number",
)
NOT_A_CONSTAT = (
    "Ce document accompagne une plainte ; il n'est pas un constat de commissaire de justice. "
    "L'expéditeur affiché est le numéro transmis par le réseau : il peut être usurpé. Le texte "
    "exact est dans l'export JSON et les PDU bruts.",
    "This document supports a complaint; it is not a bailiff's constat. The sender shown is "
    "the number the network passed on: it can be spoofed. The exact text is in the JSON "
    "export and the raw PDUs.",
)
HOW_TO_VERIFY = (
    "Chaque message, PDU, réponse et signalement est inscrit dans un journal infalsifiable "
    "(arbre de Merkle RFC 6962 sur des empreintes HMAC-SHA256 salées). L'export JSON contient "
    "toutes les feuilles de l'arbre et, pour chaque enregistrement montré ici, son sel et ses "
    "champs exacts : n'importe qui peut recalculer la tête de l'arbre et la comparer au point "
    "de contrôle, avec « antirelou verify --export FICHIER.json » ou en suivant l'algorithme "
    "décrit dans le README d'antirelou.",
    "Every message, PDU, reply and flag is written to a tamper-evident log (RFC 6962 Merkle "
    "tree over salted HMAC-SHA256 digests). The JSON export holds every leaf and, for each "
    "record shown here, its salt and exact fields: anyone can recompute the tree head and "
    "compare it with the checkpoint, with 'antirelou verify --export FILE.json' or by "
    "following the algorithm in antirelou's README.",
)


def checkpoint_note(size: int) -> tuple[str, str]:
    return (
        f"Le journal comptait {size} enregistrements. Comparez cette ligne avec la copie reçue "
        "par SMS ou notée ailleurs : si elles sont identiques, rien n'a été modifié avant cet "
        "export.",
        f"The log held {size} records. Compare this line with the copy received by SMS or kept "
        "elsewhere: if they match, nothing was changed before this export.",
    )


def cover_lines(dossier: Dossier) -> list[tuple[str, str, str]]:
    """Return the cover's (French label, English label, value) lines: who, when, what."""
    period, filters, messages = dossier.period, dossier.filters, dossier.messages
    asked = [
        f"depuis / since {utc_text(filters.since)}" if filters.since else "",
        f"jusqu'à / until {utc_text(filters.until)}" if filters.until else "",
        f"expéditeurs / senders: {', '.join(filters.senders)}" if filters.senders else "",
        "signalés seulement / flagged only" if filters.flagged_only else "",
    ]
    return [
        ("Établi par", "Made by", dossier.generated_by),
        (
            "Le",
            "On",
            f"{local_text(dossier.generated_at, dossier.zone)} ({dossier.zone}) = "
            f"{utc_text(dossier.generated_at)}",
        ),
        (
            "Période",
            "Period",
            f"{local_text(period[0], dossier.zone)} → {local_text(period[1], dossier.zone)}"
            if period
            else "aucun message / no message",
        ),
        (
            "Contenu",
            "Content",
            f"{sum(m.kind != 'call' for m in messages)} messages, "
            f"{sum(m.kind == 'call' for m in messages)} appels / calls, "
            f"{len(dossier.senders)} expéditeurs / senders, "
            f"{sum(bool(m.flags) for m in messages)} signalés / flagged",
        ),
        ("Filtres", "Filters", ", ".join(filter(None, asked)) or "aucun / none"),
    ]


def device_lines(device: Device) -> list[tuple[str, str, str]]:
    """Return the device block's (French label, English label, value) lines, as a constat
    describes the phone."""
    synchronised = {True: "oui / yes", False: "NON / NO", None: "inconnu / unknown"}
    return [
        ("Numéro de la SIM", "SIM number", device.own_number or "inconnu / unknown"),
        ("Opérateur", "Operator", device.operator or ""),
        ("IMEI", "IMEI", device.imei or ""),
        ("IMSI", "IMSI", device.imsi or ""),
        ("ICCID", "ICCID", device.iccid or ""),
        ("Modem", "Modem", " ".join(filter(None, (device.modem_manufacturer, device.modem_model)))),
        ("Micrologiciel", "Firmware", device.modem_firmware or ""),
        ("antirelou", "antirelou", device.software_version or ""),
        ("Horloge synchronisée", "Clock synced", synchronised[device.clock_synchronised]),
    ]
