"""The JSON export: everything in the Dossier, and what a third party needs to redo the hashes
without antirelou (evidence.verify.verify_export does it; the README describes it).

`log.leaves[i]` is leaf i of the tamper-evident log as [kind, id, digest]; `log.records`
gives, for each record shown, its salt and the exact fields that were hashed. Text is kept
exactly (no escaping to ASCII, no neutralising): this file is the evidence, the CSV a copy.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from antirelou.export.labels import local_text
from antirelou.export.model import Dossier, Message, Proof

FORMAT, VERSION = "antirelou-export", 1
ALGORITHM = (
    "record digest = HMAC-SHA256(key = salt, message = RFC 8785 JSON of "
    '{"fields", "id", "kind"}); leaf i = SHA-256(0x00 || RFC 8785 JSON of '
    '{"digest": hex, "id", "kind", "seq": i}); tree head = RFC 6962 Merkle tree head of the '
    "leaves (node = SHA-256(0x01 || left || right)); it must equal checkpoint.root"
)


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _message(message: Message, zone: str) -> dict:
    reply = message.reply
    return {
        "id": message.id,
        "seq": message.seq,
        "kind": message.kind,
        "sender": message.sender,
        "sender_e164": message.sender_e164,
        "sender_kind": message.sender_kind,
        "received_at": _time(message.received_at),
        "received_local": local_text(message.received_at, zone),
        "smsc_time": message.smsc_time,
        "smsc": message.smsc,
        "text": message.text,
        "parts": message.parts,
        "parts_expected": message.parts_expected,
        "encoding": message.encoding,
        "error": message.error,
        "pdus": [
            {"id": pdu.id, "seq": pdu.seq, "hex": pdu.hex, "received_at": _time(pdu.received_at)}
            for pdu in message.pdus
        ],
        "flags": [
            {
                "rule": flag.rule,
                "reason": flag.reason,
                "at": _time(flag.at),
                "by": flag.by,
                "matched": flag.matched,
            }
            for flag in message.flags
        ],
        "reply": None
        if reply is None
        else {
            "status": reply.status,
            "reason": reply.reason,
            "text": reply.text,
            "at": _time(reply.at),
            "segments": reply.segments,
        },
    }


def _log(proof: Proof | None) -> dict | None:
    if proof is None:
        return None
    return {
        "algorithm": ALGORITHM,
        "leaves": [[leaf.kind, leaf.record_id, leaf.digest.hex()] for leaf in proof.leaves],
        "records": [
            {
                "seq": record.seq,
                "kind": record.kind,
                "id": record.record_id,
                "salt": record.salt.hex(),
                "fields": dict(record.fields),
            }
            for record in proof.records
        ],
    }


def export_document(dossier: Dossier) -> dict:
    """Given a dossier, return the JSON export as plain data."""
    device = dossier.device
    period = dossier.period
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": _time(dossier.generated_at),
        "generated_by": dossier.generated_by,
        "zone": dossier.zone,
        "device": {name: getattr(device, name) for name in device.__dataclass_fields__},
        "filters": {
            "since": _time(dossier.filters.since),
            "until": _time(dossier.filters.until),
            "senders": list(dossier.filters.senders),
            "flagged_only": dossier.filters.flagged_only,
        },
        "period": None if period is None else {"first": _time(period[0]), "last": _time(period[1])},
        "checkpoint": dossier.checkpoint.as_json(),
        "senders": [
            {
                "sender": summary.sender,
                "sender_kind": summary.sender_kind,
                "messages": summary.messages,
                "calls": summary.calls,
                "first_seen": _time(summary.first_seen),
                "last_seen": _time(summary.last_seen),
                "replies": summary.replies,
                "flagged": summary.flagged,
            }
            for summary in dossier.senders
        ],
        "messages": [_message(message, dossier.zone) for message in dossier.messages],
        "log": _log(dossier.proof),
    }


def render_json(dossier: Dossier) -> bytes:
    """Given a dossier, return the JSON export's bytes (UTF-8, indented for reading)."""
    text = json.dumps(export_document(dossier), ensure_ascii=False, indent=1)
    return (text + "\n").encode("utf-8")
