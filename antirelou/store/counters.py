"""The counters the budgets and `stats` read, kept by the transaction that changes what they
count: SMS spent per UTC hour (`spent_hours`), each number's latest reply that counts
(`answered`), and each sender's messages (`senders`, written with the message itself). With
them the cost of a decision and of `stats` does not grow with the log (tests/unit/
test_store.py checks them against the rows they count).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from antirelou.pseudonyms import PREFIX
from antirelou.store.purge import PurgePlan
from antirelou.store.reads import Reads
from antirelou.store.rows import iso
from antirelou.store.schema import SPENDING


class Counters(Reads):
    """The counters' share of a write transaction: antirelou.store.transaction.Transaction,
    which provides `_run`, `_each` and `_pseudonym`."""

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

    def _move_counts_to_pseudonyms(self, plan: PurgePlan, at: datetime) -> None:
        """The counters that name numbers follow a purge: each purged message's count moves
        from its sender to the sender's pseudonym (`senders`, for stats); a purged number's
        latest reply, if it left over 30 days ago, is forgotten (`answered` only serves the
        30-day budgets)."""
        for sender, kind, sender_kind in self._each(
            "SELECT sender, kind, sender_kind FROM messages WHERE id = ?"  # noqa: S608 - constants only
            f" AND sender IS NOT NULL AND sender NOT LIKE '{PREFIX}%'",
            plan.messages,
        ):
            self._run(
                "UPDATE senders SET messages = messages - 1"
                " WHERE sender = ? AND kind = ? AND sender_kind = ?",
                (sender, kind, sender_kind),
            )
            self._run(
                "DELETE FROM senders WHERE sender = ? AND kind = ? AND sender_kind = ?"
                " AND messages <= 0",
                (sender, kind, sender_kind),
            )
            self._run(
                "INSERT INTO senders (sender, kind, sender_kind, messages) VALUES (?, ?, ?, 1)"
                " ON CONFLICT DO UPDATE SET messages = messages + 1",
                (self._pseudonym(sender), kind, sender_kind),
            )
        month_ago = iso(at - timedelta(days=30))
        self._db.executemany(
            "DELETE FROM answered WHERE recipient = ? AND last_at < ?",
            [
                (recipient, month_ago)
                for (recipient,) in self._each(
                    "SELECT recipient FROM replies WHERE id = ?", plan.replies
                )
            ],
        )
