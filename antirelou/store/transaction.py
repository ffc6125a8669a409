"""Every change to the log, as methods of one write transaction.

A reply's life is `queued` → `sending` → `sent` | `unknown` | `failed`, or `queued` →
`skipped`, and `queued` again after a definite refusal (`requeue`); a reply decided `skipped`
never leaves that state. An alert SMS goes the same way without retries. These methods are the
only transitions: `grep "status = '"` in this file shows the whole state machine.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from antirelou.listing import StoredPdu
from antirelou.numbers import Number
from antirelou.policy import Decision
from antirelou.reasons import Reason
from antirelou.store.reads import Reads
from antirelou.store.rows import iso
from antirelou.store.schema import FAILED, QUEUED, SENDING, SKIPPED, SMS, SPENDING, UNKNOWN


class Transaction(Reads):
    """Given a connection inside BEGIN IMMEDIATE, change the log; nothing is kept unless the
    whole block commits (see Store.transaction)."""

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        self._db = connection
        self.path = path

    def _run(self, sql: str, parameters: Sequence = ()) -> sqlite3.Cursor:
        # sqlite3 errors are turned into StoreError, after the rollback, by Store.transaction.
        return self._db.execute(sql, parameters)

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
        return self._run(
            "INSERT INTO pdus (pdu, storage, slot, received_at, sender, concat_reference,"
            " concat_total, concat_sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.pdu, storage, entry.slot, iso(received_at), sender, reference, total, sequence),
        ).lastrowid

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
    ) -> int:
        """Log one message (kind SMS) or rejected call (kind CALL: no PDU, no text)."""
        message_id = self._run(
            "INSERT INTO messages (sender, sender_kind, text, smsc_time, received_at, parts,"
            " parts_expected, encoding, error, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sender,
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
        return message_id

    # --- replies ----------------------------------------------------------------------------

    # --- what the budgets count (spent_hours, answered), with the replies that change it ----

    def _count(self, reply: sqlite3.Row | tuple, sign: int) -> None:
        """Add (sign 1) or take back (sign -1) a reply's cost, given its (recipient, segments,
        in_flood, spent_at), in the counters the budgets read (Reads.spending)."""
        recipient, segments, in_flood, spent_at = reply
        self._run(
            "INSERT INTO spent_hours (hour, segments, flood_segments) VALUES (?, ?, ?)"
            " ON CONFLICT (hour) DO UPDATE SET segments = segments + excluded.segments,"
            " flood_segments = flood_segments + excluded.flood_segments",
            (spent_at[:13], sign * segments, sign * segments * in_flood),
        )
        if sign > 0:
            self._run(
                "INSERT INTO answered (recipient, last_at, last_flood_at) VALUES (?, ?, ?)"
                " ON CONFLICT (recipient) DO UPDATE SET last_at = max(last_at, excluded.last_at),"
                " last_flood_at = CASE WHEN excluded.last_flood_at IS NULL THEN last_flood_at"
                " ELSE max(COALESCE(last_flood_at, ''), excluded.last_flood_at) END",
                (recipient, spent_at, spent_at if in_flood else None),
            )
            return
        # Taken back: the number's latest reply that still counts, if any, from its own rows.
        last_at, last_flood_at = self._one(
            "SELECT MAX(spent_at), MAX(CASE WHEN in_flood = 1 THEN spent_at END) FROM replies"  # noqa: S608 - constants only
            f" WHERE recipient = ? AND spent_at IS NOT NULL AND status IN {SPENDING}",
            (recipient,),
        )
        if last_at is None:
            self._run("DELETE FROM answered WHERE recipient = ?", (recipient,))
        else:
            self._run(
                "UPDATE answered SET last_at = ?, last_flood_at = ? WHERE recipient = ?",
                (last_at, last_flood_at, recipient),
            )

    def _reply_cost(self, reply_id: int) -> sqlite3.Row | None:
        """Return (recipient, segments, in_flood, spent_at, status) of a reply, or None."""
        return self._one(
            "SELECT recipient, segments, in_flood, spent_at, status FROM replies WHERE id = ?",
            (reply_id,),
        )

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
        return reply_id

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

    def mark_sent(self, reply_id: int, now: datetime, references: Sequence[int]) -> None:
        self._run(
            "UPDATE replies SET status = 'sent', segments_sent = ?, modem_reference = ?,"
            " error = NULL, updated_at = ? WHERE id = ? AND status = 'sending'",
            (len(references), ",".join(map(str, references)), iso(now), reply_id),
        )

    def mark_unknown(self, reply_id: int, now: datetime, error: str, segments_sent: int) -> None:
        """The reply may or may not have left: it is never sent again."""
        self._run(
            "UPDATE replies SET status = 'unknown', error = ?, segments_sent = ?, updated_at = ?"
            " WHERE id = ? AND status = 'sending'",
            (error, segments_sent, iso(now), reply_id),
        )

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

    def requeue(self, reply_id: int, now: datetime, due_at: datetime, error: str) -> None:
        """A definite refusal before anything left: try again at `due_at`."""
        self._run(
            "UPDATE replies SET status = 'queued', error = ?, due_at = ?, updated_at = ?"
            " WHERE id = ? AND status = 'sending'",
            (error, iso(due_at), iso(now), reply_id),
        )

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

    def abandon_interrupted_sends(self, now: datetime) -> int:
        """After a crash, replies and alerts caught mid-send may or may not have left: never
        send them again. Return how many replies were."""
        cursor = self._run(
            "UPDATE replies SET status = 'unknown', updated_at = ?,"
            " error = 'interrupted while sending; not re-sent so as not to pay twice'"
            " WHERE status = 'sending'",
            (iso(now),),
        )
        self._run(
            "UPDATE alerts SET status = 'unknown', updated_at = ? WHERE status = 'sending'",
            (iso(now),),
        )
        return cursor.rowcount

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

    def block(self, number: str, reason: str, now: datetime) -> bool:
        """Block `number`; return False if it already was (its reason is then updated)."""
        existed = self.blocked_reason(number) is not None
        self._run(
            "INSERT INTO blocked (number, reason, at) VALUES (?, ?, ?)"
            " ON CONFLICT (number) DO UPDATE SET reason = excluded.reason",
            (number, reason, iso(now)),
        )
        self.event(now, "blocked", f"{number}: {reason}")
        return not existed

    def unblock(self, number: str, now: datetime) -> bool:
        """Unblock `number`; return False if it was not blocked."""
        removed = self._run("DELETE FROM blocked WHERE number = ?", (number,)).rowcount
        if removed:
            self.event(now, "unblocked", number)
        return bool(removed)

    def event(self, at: datetime, kind: str, detail: str) -> None:
        self._run("INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)", (iso(at), kind, detail))
