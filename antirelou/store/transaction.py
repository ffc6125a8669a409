"""Every change to the log, as methods of one write transaction.

A reply's life is `queued` → `sending` → `sent` | `unknown` | `failed`, or `queued` →
`skipped`, and `queued` again after a definite refusal (`requeue`); a reply decided `skipped`
never leaves that state. An alert SMS goes the same way without retries. These methods are the
only transitions: `grep "status = '"` in this file shows the whole state machine.

Every record that matters (a PDU, a message or call, a reply's decision and each outcome, a
flag and its removal, a block list change, who looked, the device, a purge) is appended to the
tamper-evident log by `_append`, in the same transaction as its row: both are kept, or
neither.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from antirelou.evidence.canonical import leaf_bytes, new_salt, record_digest
from antirelou.evidence.checkpoint import Checkpoint
from antirelou.evidence.merkle import Frontier, leaf_hash
from antirelou.evidence.verify import PURGE, purge_fields
from antirelou.export.model import Device
from antirelou.listing import StoredPdu
from antirelou.numbers import Number
from antirelou.policy import Decision
from antirelou.pseudonyms import PREFIX, pseudonym
from antirelou.reasons import Reason
from antirelou.store import ledger
from antirelou.store.counters import Counters
from antirelou.store.purge import PurgePlan
from antirelou.store.rows import iso
from antirelou.store.schema import (
    FAILED,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    SMS,
    UNKNOWN,
)


class Transaction(Counters):
    """Given a connection inside BEGIN IMMEDIATE, change the log; nothing is kept unless the
    whole block commits (see Store.transaction). `key` is the pseudonyms' key."""

    def __init__(self, connection: sqlite3.Connection, path: str, key: bytes | None) -> None:
        self._db = connection
        self.path = path
        self._key = key
        # The tree as this transaction leaves it: read once, under the write lock (another
        # process may have appended since our last transaction), written back by `finish`.
        self._frontier: Frontier | None = None
        self._moved = False

    def _run(self, sql: str, parameters: Sequence = ()) -> sqlite3.Cursor:
        # sqlite3 errors are turned into StoreError, after the rollback, by Store.transaction.
        return self._db.execute(sql, parameters)

    # --- the tamper-evident log -------------------------------------------------------------

    def _append(self, kind: str, record_id: int) -> None:
        """Append the record just written to the log: its fields as `ledger` reads them from
        its row, hashed with a fresh salt, and the tree's frontier moved on (O(log n))."""
        fields = ledger.record_fields(self._db, kind, record_id)
        salt = new_salt()
        digest = record_digest(salt, kind, record_id, fields)
        frontier = self._frontier or ledger.head(self._db)
        seq = frontier.size
        frontier, nodes = frontier.append(leaf_hash(leaf_bytes(seq, kind, record_id, digest)))
        self._run(
            "INSERT INTO ledger (seq, kind, record_id, digest, salt) VALUES (?, ?, ?, ?, ?)",
            (seq, kind, record_id, digest, salt),
        )
        # The leaf itself is its row in `ledger`; what it completed above is kept for proofs.
        for node in nodes[1:]:
            self._run(
                "INSERT INTO ledger_nodes (level, position, hash) VALUES (?, ?, ?)",
                (node.level, node.index, node.hash),
            )
        self._frontier, self._moved = frontier, True

    def finish(self) -> None:
        """Write the tree's frontier back, once per transaction, just before it commits."""
        if self._moved:
            ledger.write_head(self._db, self._frontier)
            self._moved = False

    def log_unlogged(self) -> int:
        """Append every record whose row is not in the log yet, kind by kind in id order: at
        the upgrade that brought the log, what the database already held. Return how many."""
        logged = set(ledger.logged_ids(self._db))
        missing = [key for key in ledger.stored_ids(self._db) if key not in logged]
        for kind, record_id in missing:
            self._append(kind, record_id)
        return len(missing)

    def head(self, at: datetime) -> Checkpoint:
        """Return the log's head as of now, timed `at`."""
        frontier = self._frontier or ledger.head(self._db)
        return Checkpoint(frontier.size, frontier.root(), at)

    def keep_checkpoint(self, checkpoint: Checkpoint, why: str) -> None:
        """Write a checkpoint down (`why`: "daily", "export"), for `verify` to hold the log to."""
        self._run(
            "INSERT INTO checkpoints (at, size, root, why) VALUES (?, ?, ?, ?)",
            (iso(checkpoint.at), checkpoint.size, checkpoint.root, why),
        )

    def access(self, at: datetime, command: str, user: str, covered: str) -> None:
        """Record who looked at or changed the evidence, and what it covered (no number, no
        text: it says which records, not what they hold)."""
        access_id = self._run(
            "INSERT INTO access (at, command, user, covered) VALUES (?, ?, ?, ?)",
            (iso(at), command, user, covered),
        ).lastrowid
        self._append("access", access_id)

    def record_device(self, at: datetime, device: Device) -> None:
        """Record the equipment receiving the messages (as a constat describes a phone)."""
        device_id = self._run(
            "INSERT INTO device (at, imei, imsi, iccid, own_number, operator, manufacturer,"
            " model, firmware, software_version, clock_synchronised)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                iso(at),
                device.imei,
                device.imsi,
                device.iccid,
                device.own_number,
                device.operator,
                device.modem_manufacturer,
                device.modem_model,
                device.modem_firmware,
                device.software_version,
                None if device.clock_synchronised is None else int(device.clock_synchronised),
            ),
        ).lastrowid
        self._append("device", device_id)

    def purge(self, plan: PurgePlan, at: datetime, by: str) -> int:
        """Apply a purge (store.purge says what and why): numbers become keyed pseudonyms,
        texts, PDUs, flags and access records go, their records' salts with them; then a purge
        record lists what went, so that `verify` tells a purge from a deletion. Return the
        purge record's id."""
        kept = self._pseudonym
        now = iso(at)
        self._move_counts_to_pseudonyms(plan, at)
        self._db.executemany(
            "UPDATE messages SET sender = ?, sender_received = NULL, text = NULL,"
            " smsc_time = NULL, encoding = NULL, error = NULL, purged_at = ? WHERE id = ?",
            [
                (kept(sender), now, message_id)
                for message_id, sender in self._each(
                    "SELECT id, sender FROM messages WHERE id = ?", plan.messages
                )
            ],
        )
        self._db.executemany(
            "UPDATE replies SET recipient = ?, text = NULL, reason = 'purged', error = NULL,"
            " modem_reference = NULL, held_by = NULL WHERE id = ?",
            [
                (kept(recipient), reply_id)
                for reply_id, recipient in self._each(
                    "SELECT id, recipient FROM replies WHERE id = ?", plan.replies
                )
            ],
        )
        self._db.executemany(
            "UPDATE block_events SET number = ?, reason = NULL WHERE id = ?",
            [
                (kept(number), event_id)
                for event_id, number in self._each(
                    "SELECT id, number FROM block_events WHERE id = ?", plan.blocks
                )
            ],
        )
        for sql, ids in (
            ("UPDATE reply_events SET reason = NULL, error = NULL WHERE id = ?", plan.reply_events),
            # Emptied, not deleted: a deleted last row's id would be given to the next PDU.
            ("UPDATE pdus SET pdu = '', sender = NULL WHERE id = ?", plan.pdus),
            ("DELETE FROM unflags WHERE id = ?", plan.unflags),
            ("DELETE FROM flags WHERE id = ?", plan.flags),
            ("DELETE FROM access WHERE id = ?", plan.access),
            ("DELETE FROM events WHERE id = ?", plan.events),
        ):
            self._db.executemany(sql, [(record_id,) for record_id in ids])
        records = plan.records()
        self._db.executemany(
            "UPDATE ledger SET salt = NULL WHERE kind = ? AND record_id = ?",
            [(kind, record_id) for kind, ids in records.items() for record_id in ids],
        )
        details = purge_fields(
            records,
            by=by,
            messages_before=iso(plan.cutoffs.messages),
            flagged_last_before=iso(plan.cutoffs.flagged),
            access_before=iso(plan.cutoffs.access),
        )
        purge_id = self._run(
            "INSERT INTO purges (at, fields) VALUES (?, ?)", (now, json.dumps(details))
        ).lastrowid
        self._append(PURGE, purge_id)
        return purge_id

    def _pseudonym(self, number: str | None) -> str | None:
        """Given a number as the log holds it, return its keyed pseudonym (the same again for
        one already pseudonymised)."""
        if number is None or number.startswith(PREFIX):
            return number
        return pseudonym(self._key, number)

    def _each(self, sql: str, ids: Sequence[int]) -> list[tuple]:
        """Run a one-row query for each id, in order; rows that are gone are left out."""
        found = []
        for record_id in ids:
            row = self._db.execute(sql, (record_id,)).fetchone()
            if row is not None:
                found.append(tuple(row))
        return found

    # --- flags --------------------------------------------------------------------------------

    def flag(
        self, message_id: int, rule: str, reason: str, matched: str | None, at: datetime, by: str
    ) -> int:
        """Flag a message (by a rule, `by` "antirelou", or by a person); return the flag's id."""
        flag_id = self._run(
            "INSERT INTO flags (message_id, rule, reason, matched, at, author)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (message_id, rule, reason, matched, iso(at), by),
        ).lastrowid
        self._append("flag", flag_id)
        return flag_id

    def unflag(self, message_id: int, at: datetime, by: str) -> int:
        """Remove every flag a message still has; return how many."""
        flag_ids = [row[0] for row in self._rows(ledger.CURRENT_FLAGS, (message_id,))]
        for flag_id in flag_ids:
            unflag_id = self._run(
                "INSERT INTO unflags (flag_id, at, author) VALUES (?, ?, ?)", (flag_id, iso(at), by)
            ).lastrowid
            self._append("unflag", unflag_id)
        return len(flag_ids)

    # --- PDUs and messages ------------------------------------------------------------------

    def insert_pdu(
        self,
        entry: StoredPdu,
        storage: str,
        received_at: datetime,
        sender: str | None,
        concat: tuple[int, int, int] | None,
    ) -> int:
        reference, total, sequence = concat or (None, None, None)
        pdu_id = self._run(
            "INSERT INTO pdus (pdu, storage, slot, received_at, sender, concat_reference,"
            " concat_total, concat_sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.pdu, storage, entry.slot, iso(received_at), sender, reference, total, sequence),
        ).lastrowid
        self._append("pdu", pdu_id)
        return pdu_id

    def forget_on_modem(self, pdu_ids: Sequence[int]) -> None:
        """Note that these PDUs are no longer on the modem (deleted after their commit)."""
        self._db.executemany(
            "UPDATE pdus SET on_modem = 0 WHERE id = ?", [(pdu_id,) for pdu_id in pdu_ids]
        )

    def insert_message(
        self,
        *,
        pdu_ids: Sequence[int],
        sender: str | None,
        sender_kind: str,
        text: str | None,
        smsc_time: datetime | None,
        received_at: str,
        parts_expected: int,
        encoding: str | None,
        error: str | None,
        kind: str = SMS,
        sender_received: str | None = None,
    ) -> int:
        """Log one message (kind SMS) or rejected call (kind CALL: no PDU, no text). `sender` is
        how the log compares numbers (E.164 when it is one), `sender_received` exactly what the
        network gave (the same when not given)."""
        message_id = self._run(
            "INSERT INTO messages (sender, sender_received, sender_kind, text, smsc_time,"
            " received_at, parts, parts_expected, encoding, error, kind)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sender,
                sender if sender_received is None else sender_received,
                sender_kind,
                text,
                smsc_time.isoformat() if smsc_time else None,
                received_at,
                len(pdu_ids),
                parts_expected,
                encoding,
                error,
                kind,
            ),
        ).lastrowid
        self._db.executemany(
            "UPDATE pdus SET message_id = ? WHERE id = ?",
            [(message_id, pdu_id) for pdu_id in pdu_ids],
        )
        self._run(
            "INSERT INTO senders (sender, kind, sender_kind, messages) VALUES (?, ?, ?, 1)"
            " ON CONFLICT DO UPDATE SET messages = messages + 1",
            (sender or "", kind, sender_kind),
        )
        self._append("message", message_id)
        return message_id

    # --- replies ----------------------------------------------------------------------------

    def insert_reply(
        self,
        *,
        message_id: int,
        recipient: str | None,
        text: str | None,
        queued: bool,
        reason: str,
        code: Reason,
        segments: int,
        due_at: datetime | None,
        now: datetime,
        step: int | None = None,
        in_flood: bool = False,
    ) -> int:
        """Record the decision about a message: a reply queued, or skipped with its reason."""
        # A reply decided outside flood mode reserves its cost now; a flood-mode one only when
        # it leaves (mark_sending), as it may never be sent.
        spent_at = iso(now) if queued and not in_flood else None
        reply_id = self._run(
            "INSERT INTO replies (message_id, recipient, text, status, reason, reason_code,"
            " segments, due_at, created_at, updated_at, step, in_flood, spent_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message_id,
                recipient,
                text,
                QUEUED if queued else SKIPPED,
                reason,
                code.value,
                segments,
                iso(due_at) if due_at else None,
                iso(now),
                iso(now),
                step,
                int(in_flood),
                spent_at,
            ),
        ).lastrowid
        if spent_at is not None:
            self._count((recipient, segments, 0, spent_at), 1)
        self._reply_event(
            reply_id, now, QUEUED if queued else SKIPPED, reason_code=code.value, reason=reason
        )
        return reply_id

    def _reply_event(
        self,
        reply_id: int,
        at: datetime,
        status: str,
        *,
        reason_code: str | None = None,
        reason: str | None = None,
        segments_sent: int = 0,
        error: str | None = None,
    ) -> None:
        """Log what happened to a reply: its decision, then each change of status."""
        event_id = self._run(
            "INSERT INTO reply_events (reply_id, at, status, reason_code, reason, segments_sent,"
            " error) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (reply_id, iso(at), status, reason_code, reason, segments_sent, error),
        ).lastrowid
        self._append("reply", event_id)

    def record_decision(
        self, message_id: int, sender: Number, decision: Decision, now: datetime
    ) -> int:
        """Record what policy.decide said about a message or call: a reply queued to the
        sender's number, or skipped with the decision's code and sentence."""
        return self.insert_reply(
            message_id=message_id,
            recipient=sender.e164 if decision.reply else sender.display,
            text=decision.text,
            queued=decision.reply,
            reason=decision.reason,
            code=decision.code,
            segments=decision.segments,
            due_at=decision.due_at,
            now=now,
            step=decision.step,
            in_flood=decision.in_flood,
        )

    def mark_sending(self, reply_id: int, now: datetime, attempt: int) -> None:
        """The intent, committed before the first byte: after a crash the reply is `unknown`,
        never sent again. A flood-mode reply starts counting against the budgets now."""
        reply = self._reply_cost(reply_id)
        if reply is None or reply["status"] != QUEUED:
            return
        self._run(
            "UPDATE replies SET status = 'sending', attempts = ?, updated_at = ?,"
            " spent_at = COALESCE(spent_at, ?), held_by = NULL WHERE id = ?",
            (attempt, iso(now), iso(now), reply_id),
        )
        if reply["spent_at"] is None:
            self._count((reply["recipient"], reply["segments"], reply["in_flood"], iso(now)), 1)
        self._reply_event(reply_id, now, SENDING)

    def mark_sent(self, reply_id: int, now: datetime, references: Sequence[int]) -> None:
        if self._run(
            "UPDATE replies SET status = 'sent', segments_sent = ?, modem_reference = ?,"
            " error = NULL, updated_at = ? WHERE id = ? AND status = 'sending'",
            (len(references), ",".join(map(str, references)), iso(now), reply_id),
        ).rowcount:
            self._reply_event(reply_id, now, SENT, segments_sent=len(references))

    def mark_unknown(self, reply_id: int, now: datetime, error: str, segments_sent: int) -> None:
        """The reply may or may not have left: it is never sent again."""
        if self._run(
            "UPDATE replies SET status = 'unknown', error = ?, segments_sent = ?, updated_at = ?"
            " WHERE id = ? AND status = 'sending'",
            (error, segments_sent, iso(now), reply_id),
        ).rowcount:
            self._reply_event(reply_id, now, UNKNOWN, segments_sent=segments_sent, error=error)

    def mark_failed(self, reply_id: int, now: datetime, error: str) -> None:
        """The modem refused every attempt, before anything left: its cost is taken back."""
        reply = self._reply_cost(reply_id)
        if reply is None or reply["status"] != SENDING:
            return
        self._run(
            "UPDATE replies SET status = 'failed', error = ?, updated_at = ? WHERE id = ?",
            (error, iso(now), reply_id),
        )
        self._count(tuple(reply)[:4], -1)
        self._reply_event(reply_id, now, FAILED, error=error)

    def requeue(self, reply_id: int, now: datetime, due_at: datetime, error: str) -> None:
        """A definite refusal before anything left: try again at `due_at`."""
        if self._run(
            "UPDATE replies SET status = 'queued', error = ?, due_at = ?, updated_at = ?"
            " WHERE id = ? AND status = 'sending'",
            (error, iso(due_at), iso(now), reply_id),
        ).rowcount:
            self._reply_event(reply_id, now, QUEUED, error=error)

    def defer_flood_replies(self, now: datetime, until: datetime, why: str) -> int:
        """A budget holds back flood-mode replies: every one due before `until` waits until
        then (they all face the same budgets; each is re-checked once due), `why` noted in
        held_by. Return how many."""
        return self._run(
            "UPDATE replies SET due_at = ?, held_by = ?, updated_at = ?"
            " WHERE status = 'queued' AND in_flood = 1 AND due_at < ?",
            (iso(until), why, iso(now), iso(until)),
        ).rowcount

    def skip(self, reply_id: int, now: datetime, reason: str, code: Reason) -> None:
        """Drop a queued reply (re-checked just before sending), saying why; what it reserved
        is taken back."""
        reply = self._reply_cost(reply_id)
        if reply is None or reply["status"] != QUEUED:
            return
        self._run(
            "UPDATE replies SET status = 'skipped', reason = ?, reason_code = ?, updated_at = ?,"
            " held_by = NULL WHERE id = ?",
            (reason, code.value, iso(now), reply_id),
        )
        if reply["spent_at"] is not None:
            self._count(tuple(reply)[:4], -1)
        self._reply_event(reply_id, now, SKIPPED, reason_code=code.value, reason=reason)

    def abandon_interrupted_sends(self, now: datetime) -> int:
        """After a crash, replies and alerts caught mid-send may or may not have left: never
        send them again. Return how many replies were."""
        interrupted = [
            row[0] for row in self._rows("SELECT id FROM replies WHERE status = 'sending'")
        ]
        error = "interrupted while sending; not re-sent so as not to pay twice"
        for reply_id in interrupted:
            self._run(
                "UPDATE replies SET status = 'unknown', updated_at = ?, error = ? WHERE id = ?",
                (iso(now), error, reply_id),
            )
            self._reply_event(reply_id, now, UNKNOWN, error=error)
        self._run(
            "UPDATE alerts SET status = 'unknown', updated_at = ? WHERE status = 'sending'",
            (iso(now),),
        )
        return len(interrupted)

    # --- alerts to the operators ------------------------------------------------------------

    def insert_alert(
        self,
        *,
        kind: str,
        recipient: str,
        text: str,
        queued: bool,
        reason: str,
        code: Reason,
        segments: int,
        now: datetime,
    ) -> int:
        return self._run(
            "INSERT INTO alerts (kind, recipient, text, status, reason, reason_code, segments,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                kind,
                recipient,
                text,
                QUEUED if queued else SKIPPED,
                reason,
                code.value,
                segments,
                iso(now),
                iso(now),
            ),
        ).lastrowid

    def mark_alert_sending(self, alert_id: int, now: datetime) -> None:
        self._run(
            "UPDATE alerts SET status = 'sending', updated_at = ? WHERE id = ?",
            (iso(now), alert_id),
        )

    def mark_alert_sent(self, alert_id: int, now: datetime, segments_sent: int) -> None:
        self._run(
            "UPDATE alerts SET status = 'sent', segments_sent = ?, updated_at = ? WHERE id = ?",
            (segments_sent, iso(now), alert_id),
        )

    def mark_alert_not_sent(
        self, alert_id: int, now: datetime, *, certain: bool, error: str, segments_sent: int
    ) -> None:
        """`certain`: the modem refused before anything left (`failed`); else `unknown`."""
        self._run(
            "UPDATE alerts SET status = ?, error = ?, segments_sent = ?, updated_at = ?"
            " WHERE id = ?",
            (FAILED if certain else UNKNOWN, error, segments_sent, iso(now), alert_id),
        )

    # --- block list and events -------------------------------------------------------------

    def block(self, number: str, reason: str, now: datetime, by: str = "antirelou") -> bool:
        """Block `number` (`by`: who); return False if it already was (its reason is then
        updated)."""
        existed = self.blocked_reason(number) is not None
        self._run(
            "INSERT INTO blocked (number, reason, at) VALUES (?, ?, ?)"
            " ON CONFLICT (number) DO UPDATE SET reason = excluded.reason",
            (number, reason, iso(now)),
        )
        self.event(now, "blocked", f"{number}: {reason}")
        self._block_event(now, number, "block", reason, by)
        return not existed

    def unblock(self, number: str, now: datetime, by: str = "antirelou") -> bool:
        """Unblock `number`; return False if it was not blocked."""
        removed = self._run("DELETE FROM blocked WHERE number = ?", (number,)).rowcount
        if removed:
            self.event(now, "unblocked", number)
            self._block_event(now, number, "unblock", None, by)
        return bool(removed)

    def _block_event(
        self, at: datetime, number: str, action: str, reason: str | None, by: str
    ) -> None:
        event_id = self._run(
            "INSERT INTO block_events (at, number, action, reason, author) VALUES (?, ?, ?, ?, ?)",
            (iso(at), number, action, reason, by),
        ).lastrowid
        self._append("block", event_id)

    def event(self, at: datetime, kind: str, detail: str) -> None:
        self._run("INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)", (iso(at), kind, detail))
