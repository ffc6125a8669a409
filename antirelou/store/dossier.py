"""What an export shows, read from the log: the messages with their PDUs, flags and replies,
the device that received them, and the proof (every leaf of the log, and the records shown
given in full so that anyone can redo their digests).

Purged messages are left out: their number and text are gone, there is nothing to show or
prove. Read it all inside `Store.snapshot()`, so that the proof and the checkpoint describe
the same log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from antirelou.evidence.checkpoint import Checkpoint
from antirelou.evidence.verify import MESSAGE_KIND, PDU_KIND
from antirelou.export import model
from antirelou.numbers import NumberKind
from antirelou.pdu import smsc_address
from antirelou.store import ledger
from antirelou.store.database import Store
from antirelou.store.queries import flags_between
from antirelou.store.rows import iso
from antirelou.store.schema import FLAGGED_MESSAGE, SENT

_MESSAGES = """
SELECT m.id, m.kind, m.sender, m.sender_received, m.sender_kind, m.text, m.smsc_time,
       m.received_at, m.parts, m.parts_expected, m.encoding, m.error,
       r.id AS reply_id, r.status, r.reason, r.text AS reply_text, r.updated_at,
       r.segments, r.segments_sent
FROM messages m LEFT JOIN replies r ON r.message_id = m.id
WHERE m.purged_at IS NULL
"""


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def dossier_messages(store: Store, filters: model.Filters) -> list[model.Message]:
    """Given the export's filters (senders as the log holds them: E.164 for phone numbers),
    return the messages and calls they select, oldest first, each with its PDUs, its flags
    and its reply, and its place in the tamper-evident log."""
    conditions, parameters = [], []
    if filters.since is not None:
        conditions.append("m.received_at >= ?")
        parameters.append(iso(filters.since))
    if filters.until is not None:
        conditions.append("m.received_at < ?")
        parameters.append(iso(filters.until))
    if filters.senders:
        conditions.append(f"m.sender IN ({', '.join('?' * len(filters.senders))})")
        parameters += filters.senders
    if filters.flagged_only:
        conditions.append(FLAGGED_MESSAGE)
    where = "".join(f" AND {condition}" for condition in conditions)
    rows = store.read(_MESSAGES + where + " ORDER BY m.id", parameters)
    if not rows:
        return []
    first, last = rows[0]["id"], rows[-1]["id"]
    places = _places(store, MESSAGE_KIND, first, last)
    pdus = _pdus(store, first, last)
    flags = flags_between(store, first, last)
    return [
        _message(row, pdus.get(row["id"], ()), flags.get(row["id"], []), places.get(row["id"]))
        for row in rows
    ]


def _message(row, pdus: tuple[model.Pdu, ...], flags: list[dict], seq: int | None):
    reply = None
    if row["reply_id"] is not None:
        reply = model.Reply(
            status=row["status"],
            reason=row["reason"],
            text=row["reply_text"],
            at=_time(row["updated_at"]),
            segments=row["segments_sent"] if row["status"] == SENT else row["segments"],
        )
    phone = row["sender_kind"] == NumberKind.PHONE.value
    return model.Message(
        id=row["id"],
        kind=row["kind"],
        sender=row["sender_received"],
        sender_e164=row["sender"] if phone else None,
        sender_kind=row["sender_kind"],
        received_at=_time(row["received_at"]),
        smsc_time=row["smsc_time"],
        smsc=smsc_address(pdus[0].hex) if pdus else None,
        text=row["text"],
        parts=row["parts"],
        parts_expected=row["parts_expected"],
        encoding=row["encoding"],
        error=row["error"],
        pdus=pdus,
        flags=tuple(
            model.Flag(flag["rule"], flag["reason"], _time(flag["at"]), flag["by"], flag["matched"])
            for flag in flags
        ),
        reply=reply,
        seq=seq,
    )


def _places(store: Store, kind: str, first: int, last: int) -> dict[int, int]:
    """Return record id -> its place in the log, for one kind's ids in a range."""
    return {
        row[0]: row[1]
        for row in store.read(
            "SELECT record_id, seq FROM ledger WHERE kind = ? AND record_id BETWEEN ? AND ?",
            (kind, first, last),
        )
    }


def _pdus(store: Store, first: int, last: int) -> dict[int, tuple[model.Pdu, ...]]:
    """Return message id -> its raw PDUs, as the modem listed them, for a range of messages."""
    rows = store.read(
        "SELECT p.id, p.message_id, p.pdu, p.received_at, l.seq FROM pdus p"
        " LEFT JOIN ledger l ON l.kind = ? AND l.record_id = p.id"
        " WHERE p.message_id BETWEEN ? AND ? ORDER BY p.id",
        (PDU_KIND, first, last),
    )
    found: dict[int, list[model.Pdu]] = {}
    for pdu_id, message_id, pdu, received_at, seq in rows:
        found.setdefault(message_id, []).append(
            model.Pdu(pdu_id, pdu, datetime.fromisoformat(received_at), seq)
        )
    return {message_id: tuple(pdus) for message_id, pdus in found.items()}


def latest_device(store: Store) -> model.Device:
    """Return the equipment as last recorded (all unknown if never)."""
    return store.latest_device() or model.Device()


def proof(
    store: Store, messages: Iterable[model.Message], now: datetime
) -> tuple[model.Proof, Checkpoint]:
    """Given the messages shown and the time, return the proof (every leaf; the records of
    the messages, their PDUs, flags and replies, in full) and the checkpoint it leads to."""
    leaves = list(ledger.leaves(store._db))
    head = ledger.head(store._db)
    shown = _shown_records(store, messages)
    records = []
    for leaf in leaves:
        if (leaf.kind, leaf.record_id) not in shown:
            continue
        content = ledger.record_content(store._db, leaf.kind, leaf.record_id)
        if content is not None:
            records.append(
                model.LoggedRecord(
                    leaf.seq, leaf.kind, leaf.record_id, content.salt, content.fields
                )
            )
    return model.Proof(tuple(leaves), tuple(records)), Checkpoint(head.size, head.root(), now)


def _shown_records(store: Store, messages: Iterable[model.Message]) -> set[tuple[str, int]]:
    """The records behind what the dossier shows, as (kind, id): each message, its PDUs, its
    flags and each event of its reply."""
    ids = {message.id for message in messages}
    if not ids:
        return set()
    shown: set[tuple[str, int]] = set()
    for kind, sql in (
        (MESSAGE_KIND, "SELECT id, id FROM messages WHERE id BETWEEN ? AND ?"),
        (PDU_KIND, "SELECT id, message_id FROM pdus WHERE message_id BETWEEN ? AND ?"),
        ("flag", "SELECT id, message_id FROM flags WHERE message_id BETWEEN ? AND ?"),
        (
            "reply",
            "SELECT e.id, r.message_id FROM reply_events e JOIN replies r ON r.id = e.reply_id"
            " WHERE r.message_id BETWEEN ? AND ?",
        ),
    ):
        shown |= {
            (kind, record_id)
            for record_id, message_id in store.read(sql, (min(ids), max(ids)))
            if message_id in ids
        }
    return shown
