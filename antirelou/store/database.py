"""The SQLite log: every PDU taken off the modem, the messages they make,
the replies, modem events and the daemon's heartbeat.

One writer (the daemon's main thread), short transactions, WAL so that CLI
readers never block it. The schema carries a version; `MIGRATIONS` upgrade an
older file in order when it is opened.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from antirelou.budgets import Spending
from antirelou.heartbeat import Heartbeat
from antirelou.store.schema import (
    MIGRATIONS,
    SPENDING,
)


class StoreError(Exception):
    """The database cannot be read or written (disk full, read-only, locked)."""


@dataclass(frozen=True)
class StoredPdu:
    """One slot of the modem's storage as AT+CMGL listed it."""

    slot: int
    status: int
    pdu: str


@dataclass(frozen=True)
class PduRow:
    id: int
    pdu: str
    sender: str | None
    received_at: str


@dataclass(frozen=True)
class Reply:
    id: int
    message_id: int
    recipient: str
    text: str
    status: str
    attempts: int
    segments: int
    in_flood: bool


def _statements(script: str) -> list[str]:
    # executescript() would commit our transaction; our scripts hold no ';' in literals.
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _create_private(path: str) -> None:
    # Numbers and messages are personal data: the file is the service user's alone.
    # SQLite gives its -wal and -shm files the database file's permissions.
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        # A file made by hand (or by an older version) is tightened too.
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


class Store:
    """Given a path, open (creating with mode 0600 and migrating) the log."""

    def __init__(
        self, path: str, *, busy_timeout: float = 5.0, readonly: bool = False, create: bool = True
    ) -> None:
        self.path = path
        try:
            if (readonly or not create) and not os.path.exists(path):
                raise StoreError(f"{path}: no database yet (has the service ever run?)")
            if readonly:
                self._db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
                self._db.execute("PRAGMA query_only = ON")
                version = self.schema_version
                if version < len(MIGRATIONS):
                    self._db.close()
                    raise StoreError(
                        f"{path} is in an older format (schema {version}); restart "
                        "the service to upgrade it: sudo systemctl restart antirelou"
                    )
            else:
                _create_private(path)
                self._db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
                self._use_wal(busy_timeout)
                self._db.execute("PRAGMA synchronous = FULL")
                self._migrate()
        except sqlite3.Error as error:
            raise StoreError(f"{path}: {error}") from error
        self._db.row_factory = sqlite3.Row

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _use_wal(self, busy_timeout: float) -> None:
        # Switching to WAL needs the file to itself and SQLite does not wait for it:
        # another process opening the same new file at that moment gets "locked".
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        # The version is read under the write lock: two processes opening a new file at
        # once must not both create the tables.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            version = self.schema_version
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"{self.path} was written by a newer antirelou (schema "
                    f"{version}); upgrade antirelou"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction; raise StoreError if it cannot commit."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: {error}") from error
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException as error:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(error, sqlite3.Error):
                raise StoreError(f"{self.path}: {error}") from error
            raise

    def read(self, sql: str, parameters: Sequence = ()) -> list[sqlite3.Row]:
        try:
            return self._db.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: {error}") from error

    # --- PDUs off the modem -------------------------------------------------

    def pdus_on_modem(self, storage: str) -> dict[tuple[int, str], int]:
        """Return {(slot, pdu): id} of PDUs committed but not yet known deleted from the modem."""
        rows = self.read(
            "SELECT id, slot, pdu FROM pdus WHERE on_modem = 1 AND storage = ?", (storage,)
        )
        return {(row["slot"], row["pdu"]): row["id"] for row in rows}

    @staticmethod
    def insert_pdu(
        db: sqlite3.Connection,
        entry: StoredPdu,
        storage: str,
        received_at: datetime,
        sender: str | None,
        concat: tuple[int, int, int] | None,
    ) -> int:
        reference, total, sequence = concat or (None, None, None)
        cursor = db.execute(
            "INSERT INTO pdus (pdu, storage, slot, received_at, sender, concat_reference,"
            " concat_total, concat_sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.pdu, storage, entry.slot, iso(received_at), sender, reference, total, sequence),
        )
        return cursor.lastrowid

    @staticmethod
    def forget_on_modem(db: sqlite3.Connection, ids: Sequence[int]) -> None:
        db.executemany("UPDATE pdus SET on_modem = 0 WHERE id = ?", [(i,) for i in ids])

    def mark_deleted(self, ids: Sequence[int]) -> None:
        with self.transaction() as db:
            self.forget_on_modem(db, ids)

    @staticmethod
    def waiting_parts(
        db: sqlite3.Connection, sender: str | None, reference: int, total: int
    ) -> list[PduRow]:
        rows = db.execute(
            "SELECT id, pdu, sender, received_at FROM pdus WHERE message_id IS NULL"
            " AND sender IS ? AND concat_reference = ? AND concat_total = ?"
            " ORDER BY concat_sequence, id",
            (sender, reference, total),
        ).fetchall()
        return [PduRow(r["id"], r["pdu"], r["sender"], r["received_at"]) for r in rows]

    @staticmethod
    def stale_groups(db: sqlite3.Connection, received_before: datetime) -> list[tuple]:
        """Return (sender, reference, total) of incomplete long messages whose first part is older."""
        return db.execute(
            "SELECT sender, concat_reference, concat_total FROM pdus WHERE message_id IS NULL"
            " AND concat_reference IS NOT NULL GROUP BY sender, concat_reference, concat_total"
            " HAVING MIN(received_at) < ?",
            (iso(received_before),),
        ).fetchall()

    @staticmethod
    def insert_message(
        db: sqlite3.Connection,
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
    ) -> int:
        cursor = db.execute(
            "INSERT INTO messages (sender, sender_kind, text, smsc_time, received_at, parts,"
            " parts_expected, encoding, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            ),
        )
        message_id = cursor.lastrowid
        db.executemany(
            "UPDATE pdus SET message_id = ? WHERE id = ?",
            [(message_id, pdu_id) for pdu_id in pdu_ids],
        )
        return message_id

    # --- replies -------------------------------------------------------------

    @staticmethod
    def insert_reply(
        db: sqlite3.Connection,
        *,
        message_id: int,
        recipient: str | None,
        text: str | None,
        status: str,
        reason: str,
        segments: int,
        due_at: datetime | None,
        now: datetime,
        step: int | None = None,
        in_flood: bool = False,
    ) -> int:
        cursor = db.execute(
            "INSERT INTO replies (message_id, recipient, text, status, reason, segments, due_at,"
            " created_at, updated_at, step, in_flood) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message_id,
                recipient,
                text,
                status,
                reason,
                segments,
                iso(due_at) if due_at else None,
                iso(now),
                iso(now),
                step,
                int(in_flood),
            ),
        )
        return cursor.lastrowid

    @staticmethod
    def reply_history(
        db: sqlite3.Connection, recipient: str
    ) -> tuple[datetime | None, int | None, bool, bool]:
        """Return (last reply time, its sequence step, any reply still waiting, ever answered)
        for `recipient`, counting replies sent, being sent, queued or of unknown outcome.
        """
        row = db.execute(
            f"SELECT created_at, step FROM replies WHERE recipient = ? AND status IN {SPENDING}"  # noqa: S608 - constants only
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (recipient,),
        ).fetchone()
        pending = db.execute(
            "SELECT 1 FROM replies WHERE recipient = ? AND status IN ('queued', 'sending') LIMIT 1",
            (recipient,),
        ).fetchone()
        if row is None:
            return None, None, False, False
        return datetime.fromisoformat(row[0]), row[1], pending is not None, True

    @staticmethod
    def spending(db: sqlite3.Connection, now: datetime, recipient: str | None) -> Spending:
        """Return SMS segments committed to replies over the last hour, day and 30 days, the
        flood-mode segments of the last hour, the numbers answered over 30 days, and whether
        `recipient` is one of them.
        """
        hour, day, month = (iso(now - timedelta(seconds=s)) for s in (3600, 86400, 30 * 86400))
        row = db.execute(
            "SELECT COALESCE(SUM(CASE WHEN created_at >= ? THEN segments END), 0),"  # noqa: S608 - constants only
            " COALESCE(SUM(CASE WHEN created_at >= ? THEN segments END), 0),"
            " COALESCE(SUM(segments), 0),"
            " COALESCE(SUM(CASE WHEN created_at >= ? AND in_flood = 1 THEN segments END), 0),"
            " COUNT(DISTINCT recipient),"
            " COALESCE(MAX(recipient = ?), 0)"
            f" FROM replies WHERE status IN {SPENDING} AND created_at >= ?"
            # A flood-mode reply on hold reserves nothing: it may never be sent.
            " AND NOT (status = 'queued' AND in_flood = 1)",
            (hour, day, hour, recipient, month),
        ).fetchone()
        replies_hour, replies_day, replies_month, flood_hour, numbers, answered = row
        # Alerts to the operators are SMS too: they count against the same budgets.
        alerts_hour, alerts_day, alerts_month = db.execute(
            "SELECT COALESCE(SUM(CASE WHEN created_at >= ? THEN segments END), 0),"  # noqa: S608 - constants only
            " COALESCE(SUM(CASE WHEN created_at >= ? THEN segments END), 0),"
            f" COALESCE(SUM(segments), 0) FROM alerts WHERE status IN {SPENDING}"
            " AND created_at >= ?",
            (hour, day, month),
        ).fetchone()
        return Spending(
            segments_hour=replies_hour + alerts_hour,
            segments_day=replies_day + alerts_day,
            segments_month=replies_month + alerts_month,
            flood_segments_hour=flood_hour,
            numbers_month=numbers,
            number_answered_this_month=bool(answered),
        )

    def current_spending(self, now: datetime) -> Spending:
        try:
            return self.spending(self._db, now, None)
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: {error}") from error

    def wrote_again(self, sender: str, message_id: int) -> bool:
        """Return whether `sender` sent another message after message `message_id`."""
        return bool(
            self.read(
                "SELECT 1 FROM messages WHERE sender = ? AND id > ? LIMIT 1", (sender, message_id)
            )
        )

    @staticmethod
    def seen_before(db: sqlite3.Connection, sender: str) -> bool:
        return (
            db.execute("SELECT 1 FROM messages WHERE sender = ? LIMIT 1", (sender,)).fetchone()
            is not None
        )

    # --- block list -----------------------------------------------------------

    @staticmethod
    def blocked_reason(db: sqlite3.Connection, number: str) -> str | None:
        row = db.execute("SELECT reason FROM blocked WHERE number = ?", (number,)).fetchone()
        return None if row is None else row[0]

    def block(self, number: str, reason: str, now: datetime) -> bool:
        """Block `number`; return False if it already was (its reason is then updated)."""
        with self.transaction() as db:
            existed = self.blocked_reason(db, number) is not None
            db.execute(
                "INSERT INTO blocked (number, reason, at) VALUES (?, ?, ?)"
                " ON CONFLICT (number) DO UPDATE SET reason = excluded.reason",
                (number, reason, iso(now)),
            )
            db.execute(
                "INSERT INTO events (at, kind, detail) VALUES (?, 'blocked', ?)",
                (iso(now), f"{number}: {reason}"),
            )
        return not existed

    def unblock(self, number: str, now: datetime) -> bool:
        """Unblock `number`; return False if it was not blocked."""
        with self.transaction() as db:
            removed = db.execute("DELETE FROM blocked WHERE number = ?", (number,)).rowcount
            if removed:
                db.execute(
                    "INSERT INTO events (at, kind, detail) VALUES (?, 'unblocked', ?)",
                    (iso(now), number),
                )
        return bool(removed)

    def next_due_reply(self, now: datetime) -> Reply | None:
        rows = self.read(
            "SELECT id, message_id, recipient, text, status, attempts, segments, in_flood"
            " FROM replies"
            " WHERE status = 'queued' AND due_at <= ? ORDER BY due_at, id LIMIT 1",
            (iso(now),),
        )
        return Reply(*rows[0]) if rows else None

    def next_due_time(self) -> datetime | None:
        row = self.read("SELECT MIN(due_at) FROM replies WHERE status = 'queued'")[0]
        return datetime.fromisoformat(row[0]) if row[0] else None

    def update_reply(self, reply_id: int, now: datetime, **fields: object) -> None:
        # Column names come from our own call sites, never from message text.
        assignments = ", ".join(f"{name} = ?" for name in fields)
        values = [iso(v) if isinstance(v, datetime) else v for v in fields.values()]
        with self.transaction() as db:
            db.execute(
                f"UPDATE replies SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608
                (*values, iso(now), reply_id),
            )

    # --- alerts ------------------------------------------------------------------------

    def last_alert_at(self, kind: str) -> datetime | None:
        row = self.read("SELECT MAX(created_at) FROM alerts WHERE kind = ?", (kind,))[0]
        return datetime.fromisoformat(row[0]) if row[0] else None

    def insert_alert(
        self,
        *,
        kind: str,
        recipient: str,
        text: str,
        status: str,
        reason: str,
        segments: int,
        now: datetime,
    ) -> int:
        with self.transaction() as db:
            return db.execute(
                "INSERT INTO alerts (kind, recipient, text, status, reason, segments,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (kind, recipient, text, status, reason, segments, iso(now), iso(now)),
            ).lastrowid

    def next_alert(self) -> tuple[int, str, str] | None:
        rows = self.read(
            "SELECT id, recipient, text FROM alerts WHERE status = 'queued' ORDER BY id LIMIT 1"
        )
        return tuple(rows[0]) if rows else None

    def update_alert(self, alert_id: int, now: datetime, **fields: object) -> None:
        # Column names come from our own call sites, never from message text.
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.transaction() as db:
            db.execute(
                f"UPDATE alerts SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608
                (*fields.values(), iso(now), alert_id),
            )

    def abandon_interrupted_sends(self, now: datetime) -> int:
        """After a crash, replies caught mid-send may or may not have left: never send them again."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE replies SET status = 'unknown', updated_at = ?,"
                " error = 'interrupted while sending; not re-sent so as not to pay twice'"
                " WHERE status = 'sending'",
                (iso(now),),
            )
            db.execute(
                "UPDATE alerts SET status = 'unknown', updated_at = ? WHERE status = 'sending'",
                (iso(now),),
            )
            return cursor.rowcount

    # --- events and heartbeat ----------------------------------------------------

    def event(self, now: datetime, kind: str, detail: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)", (iso(now), kind, detail)
            )

    def heartbeat(self, beat: Heartbeat) -> None:
        """Record the service's live state (one row, replaced)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO heartbeat (id, pid, at, started_at, state, detail)"
                " VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET pid = excluded.pid,"
                " at = excluded.at, started_at = excluded.started_at, state = excluded.state,"
                " detail = excluded.detail",
                (beat.pid, iso(beat.at), iso(beat.started_at), beat.state, beat.detail_json()),
            )

    def last_heartbeat(self) -> Heartbeat | None:
        """Return the service's last recorded live state, or None if it never ran."""
        rows = self.read("SELECT pid, at, started_at, state, detail FROM heartbeat WHERE id = 1")
        return Heartbeat.from_row(*rows[0]) if rows else None
