"""What the daemon asks the log, inside a transaction or outside one.

`Reads` is shared by `Store` (outside a transaction) and `Transaction` (inside, where intake
decides with what the same transaction has just written).

A number whose messages retention purged is kept as its keyed pseudonym (antirelou.pseudonyms):
"seen before" and "ever answered" look for both, so that a purge changes no decision.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from antirelou.budgets import Spending
from antirelou.evidence.checkpoint import Checkpoint
from antirelou.export.model import Device
from antirelou.pseudonyms import pseudonym
from antirelou.store.rows import Alert, PduRow, Reply, StoreError, iso
from antirelou.store.schema import SPENDING


class Reads:
    """Given an open connection, answer the daemon's questions about the log."""

    path: str
    _db: sqlite3.Connection
    _key: bytes | None  # the pseudonyms' key; None until a database is opened for writing

    def _as_kept(self, number: str) -> tuple[str, str]:
        """Given a number, return it and its pseudonym: how the log may hold it."""
        return number, pseudonym(self._key, number) if self._key else number

    def _rows(self, sql: str, parameters: Sequence = ()) -> list[sqlite3.Row]:
        try:
            return self._db.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: {error}") from error

    def _one(self, sql: str, parameters: Sequence = ()) -> sqlite3.Row | None:
        rows = self._rows(sql, parameters)
        return rows[0] if rows else None

    # --- PDUs and messages ------------------------------------------------------------------

    def pdus_on_modem(self, storage: str) -> dict[tuple[int, str], int]:
        """Return {(slot, pdu): id} of PDUs committed but not yet known deleted from the modem."""
        rows = self._rows(
            "SELECT id, slot, pdu FROM pdus WHERE on_modem = 1 AND storage = ?", (storage,)
        )
        return {(row[1], row[2]): row[0] for row in rows}

    def waiting_parts(self, sender: str | None, reference: int, total: int) -> list[PduRow]:
        """Return the parts of a long message not yet assembled, in sequence order."""
        rows = self._rows(
            "SELECT id, pdu, sender, received_at FROM pdus WHERE message_id IS NULL"
            " AND sender IS ? AND concat_reference = ? AND concat_total = ?"
            " ORDER BY concat_sequence, id",
            (sender, reference, total),
        )
        return [PduRow(*row) for row in rows]

    def stale_groups(self, received_before: datetime) -> list[tuple]:
        """Return (sender, reference, total) of incomplete long messages whose first part is
        older than `received_before`."""
        return self._rows(
            "SELECT sender, concat_reference, concat_total FROM pdus WHERE message_id IS NULL"
            " AND concat_reference IS NOT NULL GROUP BY sender, concat_reference, concat_total"
            " HAVING MIN(received_at) < ?",
            (iso(received_before),),
        )

    def seen_before(self, sender: str) -> bool:
        found = self._one(
            "SELECT 1 FROM messages WHERE sender IN (?, ?) LIMIT 1", self._as_kept(sender)
        )
        return found is not None

    def wrote_again(self, sender: str, message_id: int) -> bool:
        """Return whether `sender` sent another message after message `message_id`."""
        found = self._one(
            "SELECT 1 FROM messages WHERE sender = ? AND id > ? LIMIT 1", (sender, message_id)
        )
        return found is not None

    # --- replies, budgets, block list -------------------------------------------------------

    def reply_history(self, recipient: str) -> tuple[datetime | None, int | None, bool, bool]:
        """Return (last reply time, its sequence step, any reply still waiting, ever answered)
        for `recipient`, counting replies sent, being sent, queued or of unknown outcome.

        A deferred flood-mode reply may leave hours after its decision: the cooldown counts
        from when it left (spent_at), or from its decision while it waits. Both reads go
        through partial indexes: a raider's thousands of skipped rows are never read.
        """
        spent = self._one(
            "SELECT spent_at, step FROM replies"  # noqa: S608 - constants only
            f" WHERE recipient IN (?, ?) AND spent_at IS NOT NULL AND status IN {SPENDING}"
            " ORDER BY spent_at DESC, id DESC LIMIT 1",
            self._as_kept(recipient),
        )
        waiting = self._one(
            "SELECT COALESCE(spent_at, created_at), step FROM replies"
            " WHERE recipient = ? AND status IN ('queued', 'sending')"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (recipient,),
        )
        latest = max((tuple(row) for row in (spent, waiting) if row is not None), default=None)
        if latest is None:
            return None, None, False, False
        return datetime.fromisoformat(latest[0]), latest[1], waiting is not None, True

    def spending(self, now: datetime, recipient: str | None = None) -> Spending:
        """Return what replies have committed over the last hour, day and 30 days, counted from
        the moment each reserved its cost (spent_at), the same for replies decided in flood
        mode, the numbers answered over 30 days (and whether `recipient` is one of them), and
        the alerts sent to the operators over 24 hours.

        Flat cost: whole hours come from the spent_hours counters, the hour each window starts
        in from the replies of that hour alone, and numbers from `answered`.
        """
        cuts = [now - timedelta(seconds=s) for s in (3600, 86400, 30 * 86400)]
        hours = [iso(cut)[:13] for cut in cuts]
        whole = self._one(
            "SELECT COALESCE(SUM(CASE WHEN hour > ? THEN segments END), 0),"
            " COALESCE(SUM(CASE WHEN hour > ? THEN segments END), 0),"
            " COALESCE(SUM(segments), 0),"
            " COALESCE(SUM(CASE WHEN hour > ? THEN flood_segments END), 0),"
            " COALESCE(SUM(flood_segments), 0)"
            " FROM spent_hours WHERE hour > ?",
            (hours[0], hours[1], hours[0], hours[2]),
        )
        edges = [
            self._one(
                "SELECT COALESCE(SUM(segments), 0), COALESCE(SUM(in_flood * segments), 0)"  # noqa: S608 - constants only
                f" FROM replies WHERE spent_at >= ? AND spent_at < ? AND status IN {SPENDING}",
                (iso(cut), iso(cut + timedelta(hours=1))[:13]),
            )
            for cut in cuts
        ]
        numbers, flood_numbers = self._one(
            "SELECT COUNT(*), COALESCE(SUM(last_flood_at >= ?), 0) FROM answered"
            " WHERE last_at >= ?",
            (iso(cuts[2]), iso(cuts[2])),
        )
        answered = recipient is not None and self._one(
            "SELECT 1 FROM answered WHERE recipient = ? AND last_at >= ?",
            (recipient, iso(cuts[2])),
        )
        # Alerts to the operators have their own reserve (alerts.reserve), apart from these.
        alerts_day = self._one(
            f"SELECT COALESCE(SUM(segments), 0) FROM alerts WHERE status IN {SPENDING}"  # noqa: S608 - constants only
            " AND created_at >= ?",
            (iso(cuts[1]),),
        )[0]
        return Spending(
            segments_hour=whole[0] + edges[0][0],
            segments_day=whole[1] + edges[1][0],
            segments_month=whole[2] + edges[2][0],
            numbers_month=numbers,
            number_answered_this_month=bool(answered),
            flood_segments_hour=whole[3] + edges[0][1],
            flood_segments_month=whole[4] + edges[2][1],
            flood_numbers_month=flood_numbers,
            alert_segments_day=alerts_day,
        )

    def current_spending(self, now: datetime) -> Spending:
        """Return what is spent now, for no recipient in particular."""
        return self.spending(now, None)

    def blocked_reason(self, number: str) -> str | None:
        """Return why `number` is blocked, or None if it is not."""
        row = self._one("SELECT reason FROM blocked WHERE number = ?", (number,))
        return None if row is None else row[0]

    def next_due_reply(self, now: datetime) -> Reply | None:
        """Return the oldest queued reply that is due (at or before `now`), or None."""
        row = self._one(
            "SELECT id, message_id, recipient, text, status, attempts, segments, in_flood,"
            " created_at FROM replies"
            # Oldest decision first among those due: a reply deferred for hours goes before
            # one decided after it, whatever their due times.
            " WHERE status = 'queued' AND due_at <= ? ORDER BY id LIMIT 1",
            (iso(now),),
        )
        if row is None:
            return None
        return Reply(*row[:-1], queued_at=datetime.fromisoformat(row[-1]))

    def next_due_time(self) -> datetime | None:
        """Return when the next queued reply is due, or None if none is queued."""
        row = self._one("SELECT MIN(due_at) FROM replies WHERE status = 'queued'")
        return datetime.fromisoformat(row[0]) if row[0] else None

    # --- alerts and events -----------------------------------------------------------------

    def last_alert_at(self, kind: str) -> datetime | None:
        row = self._one("SELECT MAX(created_at) FROM alerts WHERE kind = ?", (kind,))
        return datetime.fromisoformat(row[0]) if row[0] else None

    def next_alert(self) -> Alert | None:
        """Return the oldest queued alert SMS, or None."""
        row = self._one(
            "SELECT id, recipient, text FROM alerts WHERE status = 'queued' ORDER BY id LIMIT 1"
        )
        return None if row is None else Alert(*row)

    def arrivals_since(self, received_since: datetime) -> list[tuple[datetime | None, datetime]]:
        """Return (network time stamp or None, receipt) of the messages and calls logged since
        `received_since`."""
        rows = self._rows(
            "SELECT smsc_time, received_at FROM messages WHERE received_at >= ?",
            (iso(received_since),),
        )
        return [
            (None if stamp is None else datetime.fromisoformat(stamp), datetime.fromisoformat(at))
            for stamp, at in rows
        ]

    def flood_under_way(self) -> datetime | None:
        """Return when the last flood episode started if no end was recorded after it."""
        row = self._one(
            "SELECT at, kind FROM events WHERE kind IN ('flood started', 'flood ended')"
            " ORDER BY id DESC LIMIT 1"
        )
        if row is None or row[1] != "flood started":
            return None
        return datetime.fromisoformat(row[0])

    def latest_device(self) -> Device | None:
        """Return the equipment as last recorded, or None if never."""
        row = self._one(
            "SELECT imei, imsi, iccid, own_number, operator, manufacturer, model, firmware,"
            " software_version, clock_synchronised FROM device ORDER BY id DESC LIMIT 1"
        )
        if row is None:
            return None
        synchronised = None if row[9] is None else bool(row[9])
        return Device(*row[:9], clock_synchronised=synchronised)

    def last_checkpoint(self, why: str | None = None) -> Checkpoint | None:
        """Return the latest checkpoint written down (for `why`, "daily" or "export", if
        given), or None."""
        row = self._one(
            "SELECT size, root, at FROM checkpoints WHERE ? IS NULL OR why = ?"
            " ORDER BY id DESC LIMIT 1",
            (why, why),
        )
        return (
            None
            if row is None
            else Checkpoint(row[0], bytes(row[1]), datetime.fromisoformat(row[2]))
        )
