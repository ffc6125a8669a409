"""What operators read from the log: read-only queries for `status`, `log`, `blocked`, `stats`
and the demo, each named for what it returns.

Every bound is an aware datetime, turned here into the log's UTC text, so that callers never
compare times as strings; rows come back as plain data, times as the log's ISO text (UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from antirelou.store.database import Store
from antirelou.store.rows import iso
from antirelou.store.schema import (
    CALL,
    CURRENT_FLAG,
    FLAGGED_MESSAGE,
    SENT,
    SKIPPED,
    SMS,
    SPENDING,
)

# The reply statuses `status` counts for a day, each reported even when none happened.
_DAY_REPLY_STATUSES = ("sent", "skipped", "queued", "failed", "unknown")


def _log_time(moment: datetime) -> str:
    """Given an aware time, return it as the log writes times, so that string order is time
    order."""
    return iso(moment.astimezone(UTC))


# --- status -----------------------------------------------------------------------------------


def counts_since(store: Store, since: datetime) -> dict[str, int]:
    """Given a start, return what happened since: messages (SMS), their distinct senders, calls,
    replies by status (`replies_sent`, `replies_skipped`, …) and SMS segments sent."""
    start = _log_time(since)
    messages, senders, calls = store.read(
        "SELECT COALESCE(SUM(kind = ?), 0), COUNT(DISTINCT CASE WHEN kind = ? THEN sender END),"
        " COALESCE(SUM(kind = ?), 0) FROM messages WHERE received_at >= ?",
        (SMS, SMS, CALL, start),
    )[0]
    counts = {"messages": messages, "senders": senders, "calls": calls}
    for status in _DAY_REPLY_STATUSES:
        counts[f"replies_{status}"] = 0
    for status, count in store.read(
        "SELECT status, COUNT(*) FROM replies WHERE created_at >= ? GROUP BY status", (start,)
    ):
        counts[f"replies_{status}"] = count
    # Through the budgets' index (replies that count, by when they started to): SMS sent by
    # replies that left, or were queued, since the start.
    counts["segments_sent"] = store.read(
        "SELECT COALESCE(SUM(segments_sent), 0) FROM replies"  # noqa: S608 - constants only
        f" WHERE spent_at >= ? AND status IN {SPENDING}",
        (start,),
    )[0][0]
    return counts


def recent_events(store: Store, limit: int = 5) -> list[dict]:
    """Return the latest `limit` events, newest first: at (the log's text), kind, detail."""
    rows = store.read("SELECT at, kind, detail FROM events ORDER BY id DESC LIMIT ?", (limit,))
    return [dict(row) for row in rows]


def recent_access(store: Store, limit: int = 5) -> list[dict]:
    """Return who last looked at or changed the evidence, newest first: at (the log's text),
    command, user, covered."""
    rows = store.read(
        "SELECT at, command, user, covered FROM access ORDER BY id DESC LIMIT ?", (limit,)
    )
    return [dict(row) for row in rows]


# --- log and the block list --------------------------------------------------------------------

_MESSAGES_WITH_REPLIES = """
SELECT m.id, m.kind, m.sender, m.sender_kind, m.text, m.smsc_time, m.received_at, m.parts,
       m.purged_at,
       m.parts_expected, m.encoding, m.error, r.status AS reply_status, r.reason AS reply_reason,
       r.reason_code AS reply_reason_code, r.text AS reply_text, r.held_by AS reply_held_by,
       r.in_flood AS reply_in_flood,
       r.updated_at AS reply_updated_at, r.segments_sent AS reply_segments
FROM messages m LEFT JOIN replies r ON r.message_id = m.id
"""


def messages_with_replies(
    store: Store, limit: int, sender: str | None = None, *, flagged: bool = False
) -> list[dict]:
    """Given how many (0 for all), optionally a sender, and whether only flagged ones, return
    the latest messages and calls (`kind` "sms" or "call"), oldest first, each with its reply
    and its flags (a list, empty when none), as `log --json` prints them."""
    conditions, parameters = [], []
    if sender:
        conditions.append("m.sender = ?")
        parameters.append(sender)
    if flagged:
        conditions.append(FLAGGED_MESSAGE)
    where = " WHERE " + " AND ".join(conditions) if conditions else ""
    query = _MESSAGES_WITH_REPLIES + where + " ORDER BY m.id DESC"
    if limit > 0:
        query += " LIMIT ?"
        parameters.append(limit)
    rows = store.read(query, parameters)
    flags = flags_between(store, rows[-1]["id"], rows[0]["id"]) if rows else {}
    return [
        {
            "id": row["id"],
            "kind": row["kind"],
            "sender": row["sender"],
            "sender_kind": row["sender_kind"],
            "text": row["text"],
            "received_at": row["received_at"],
            "smsc_time": row["smsc_time"],
            "parts": row["parts"],
            "complete": row["parts"] >= row["parts_expected"],
            "encoding": row["encoding"],
            "error": row["error"],
            "purged_at": row["purged_at"],
            "reply": {
                "status": row["reply_status"],
                "reason": row["reply_reason"],
                "reason_code": row["reply_reason_code"],
                "in_flood": bool(row["reply_in_flood"]),
                "held_by": row["reply_held_by"],
                "text": row["reply_text"],
                "updated_at": row["reply_updated_at"],
                "segments_sent": row["reply_segments"],
            },
            "flags": flags.get(row["id"], []),
        }
        for row in reversed(rows)
    ]


def flags_between(store: Store, first: int, last: int) -> dict[int, list[dict]]:
    """Given a range of message ids, return the flags each still has: message id -> list of
    {rule, reason, matched, at, by}, in the order they were raised."""
    found: dict[int, list[dict]] = {}
    for row in store.read(
        "SELECT f.message_id, f.rule, f.reason, f.matched, f.at, f.author FROM flags f"  # noqa: S608 - constants only
        f" WHERE f.message_id BETWEEN ? AND ? AND {CURRENT_FLAG} ORDER BY f.id",
        (first, last),
    ):
        found.setdefault(row[0], []).append(
            {"rule": row[1], "reason": row[2], "matched": row[3], "at": row[4], "by": row[5]}
        )
    return found


def message_state(store: Store, message_id: int) -> str | None:
    """Return "kept" if the message exists with its content, "purged" if retention erased
    it, None if there is no such message."""
    rows = store.read("SELECT purged_at FROM messages WHERE id = ?", (message_id,))
    if not rows:
        return None
    return "purged" if rows[0][0] else "kept"


def blocked_numbers(store: Store) -> list[dict]:
    """Return the block list, oldest first: number, reason, at (the log's text)."""
    return [dict(row) for row in store.read("SELECT number, reason, at FROM blocked ORDER BY at")]


# --- the demo ---------------------------------------------------------------------------------


def message_count(store: Store) -> int:
    """Return how many messages the log holds."""
    return store.read("SELECT COUNT(*) FROM messages")[0][0]


@dataclass(frozen=True)
class WaitingReplies:
    """The replies not yet sent, whenever they were decided."""

    total: int  # queued or being sent
    flood_mode: int  # of which decided in flood mode: held or deferred by a budget
    oldest_flood: str | None  # when the oldest of those was decided (the log's text)
    held_by: str | None  # why the latest deferred one waits, e.g. "hourly budget spent (…)"


def waiting_replies(store: Store) -> WaitingReplies:
    """Return how many replies wait to be sent, how many of them a flood holds back, since when,
    and why."""
    # Statuses written out, not bound: only then may SQLite read the partial indexes of
    # waiting replies instead of every reply.
    total, flood_mode, oldest = store.read(
        "SELECT COUNT(*), COALESCE(SUM(in_flood = 1 AND status = 'queued'), 0),"
        " MIN(CASE WHEN in_flood = 1 AND status = 'queued' THEN created_at END)"
        " FROM replies WHERE status IN ('queued', 'sending')"
    )[0]
    held = store.read(
        "SELECT held_by FROM replies WHERE status = 'queued' AND held_by IS NOT NULL"
        " ORDER BY updated_at DESC LIMIT 1"
    )
    return WaitingReplies(total, flood_mode, oldest, held[0][0] if held else None)


# --- stats ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Messages, and the distinct senders who wrote them."""

    messages: int
    senders: int


@dataclass(frozen=True)
class ReplyGroup:
    """Replies of one status and reason code, counted over several periods."""

    status: str
    reason_code: str | None  # only for skipped replies; None for the others or when unknown
    replies: tuple[int, ...]  # one count per period, in the order asked
    segments_sent: tuple[int, ...]


def messages_between(
    store: Store, ranges: Sequence[tuple[datetime, datetime]], kind: str = SMS
) -> list[int]:
    """Given (start, end) time ranges and a kind (SMS or CALL), return how many messages of
    that kind were received in each."""
    # One indexed range count per range: exact for any local offset, and empty ranges come
    # back as 0 without filling gaps by hand.
    values = ", ".join("(?, ?, ?)" for _ in ranges)
    parameters = [
        value
        for position, (start, end) in enumerate(ranges)
        for value in (position, _log_time(start), _log_time(end))
    ]
    rows = store.read(
        f"WITH bucket(position, start, stop) AS (VALUES {values})"  # noqa: S608 - constants only
        " SELECT (SELECT COUNT(*) FROM messages"
        "         WHERE received_at >= bucket.start AND received_at < bucket.stop AND kind = ?)"
        " FROM bucket ORDER BY position",
        [*parameters, kind],
    )
    return [row[0] for row in rows]


def message_tallies(
    store: Store, starts: Sequence[datetime | None], kind: str = SMS
) -> tuple[list[Tally], dict[str, list[Tally]]]:
    """Given period starts (None: the whole log) and a kind (SMS or CALL), return each period's
    tally of messages of that kind, overall and by sender kind (kinds with none left out).

    Periods read the messages they cover (an indexed range); the whole log is read from the
    per-sender counts (one row per sender), so the cost follows the traffic, not the log."""
    overall = [Tally(0, 0)] * len(starts)
    by_kind: dict[str, list[Tally]] = {}
    windowed = [index for index, start in enumerate(starts) if start is not None]
    if windowed:
        columns, parameters = [], []
        for index in windowed:
            columns += [
                "COALESCE(SUM(received_at >= ?), 0)",
                "COUNT(DISTINCT CASE WHEN received_at >= ? THEN sender END)",
            ]
            parameters += [_log_time(starts[index])] * 2
        earliest = _log_time(min(starts[index] for index in windowed))
        selected = ", ".join(columns)
        # Two passes rather than summing the kinds: the same sender text may have been
        # classified differently under another default_country.
        row = store.read(
            f"SELECT {selected} FROM messages WHERE received_at >= ? AND kind = ?",  # noqa: S608
            [*parameters, earliest, kind],
        )[0]
        overall = _place(overall, windowed, row)
        for kind_row in store.read(
            f"SELECT sender_kind, {selected} FROM messages"  # noqa: S608 - constants only
            " WHERE received_at >= ? AND kind = ? GROUP BY sender_kind",
            [*parameters, earliest, kind],
        ):
            by_kind[kind_row[0]] = _place([Tally(0, 0)] * len(starts), windowed, kind_row[1:])
    whole = [index for index, start in enumerate(starts) if start is None]
    if whole:
        messages, senders = store.read(
            "SELECT COALESCE(SUM(messages), 0), COUNT(DISTINCT NULLIF(sender, ''))"
            " FROM senders WHERE kind = ?",
            (kind,),
        )[0]
        overall = _place(overall, whole, [messages, senders] * len(whole))
        for sender_kind, count, distinct in store.read(
            "SELECT sender_kind, SUM(messages), COUNT(NULLIF(sender, '')) FROM senders"
            " WHERE kind = ? GROUP BY sender_kind",
            (kind,),
        ):
            tallies = by_kind.setdefault(sender_kind, [Tally(0, 0)] * len(starts))
            by_kind[sender_kind] = _place(tallies, whole, [count, distinct] * len(whole))
    return overall, by_kind


def _place(tallies: list[Tally], indexes: Sequence[int], row: Sequence[int]) -> list[Tally]:
    """Given tallies, the periods a row counts and the row (messages, senders per period),
    return the tallies with those periods filled in."""
    placed = list(tallies)
    for position, index in enumerate(indexes):
        placed[index] = Tally(row[2 * position], row[2 * position + 1])
    return placed


def top_senders(store: Store, since: datetime, limit: int) -> list[dict]:
    """Given a start and a count, return the senders of most messages and calls since then, most
    first (ties: latest first): sender, kind, messages, calls, last_seen (the log's text) and
    whether the number is on the block list."""
    rows = store.read(
        "SELECT sender, sender_kind, SUM(kind = ?) AS messages, SUM(kind = ?) AS calls,"
        " MAX(received_at) AS last_seen,"
        " EXISTS (SELECT 1 FROM blocked WHERE blocked.number = messages.sender) AS blocked"
        " FROM messages WHERE received_at >= ? AND sender IS NOT NULL"
        " GROUP BY sender ORDER BY COUNT(*) DESC, last_seen DESC, sender LIMIT ?",
        (SMS, CALL, _log_time(since), limit),
    )
    return [
        {
            "sender": row["sender"],
            "kind": row["sender_kind"],
            "messages": row["messages"],
            "calls": row["calls"],
            "last_seen": row["last_seen"],
            "blocked": bool(row["blocked"]),
        }
        for row in rows
    ]


def reply_groups(store: Store, starts: Sequence[datetime]) -> list[ReplyGroup]:
    """Given period starts, return the replies created in each period, grouped by status and,
    for skipped replies, by reason code; with the SMS segments they sent."""
    period_columns = ", ".join(
        "COALESCE(SUM(created_at >= ?), 0),"
        " COALESCE(SUM(CASE WHEN created_at >= ? THEN segments_sent END), 0)"
        for _ in starts
    )
    parameters = [_log_time(start) for start in starts for _ in (1, 2)]
    rows = store.read(
        "SELECT status, CASE WHEN status = ? THEN reason_code END, "  # noqa: S608 - constants only
        + period_columns
        + " FROM replies WHERE created_at >= ? GROUP BY 1, 2",
        [SKIPPED, *parameters, _log_time(min(starts))],
    )
    return [
        ReplyGroup(
            status=row[0],
            reason_code=row[1],
            replies=tuple(row[2 + 2 * index] for index in range(len(starts))),
            segments_sent=tuple(row[3 + 2 * index] for index in range(len(starts))),
        )
        for row in rows
    ]


def flood_events(store: Store) -> list[tuple[str, str]]:
    """Return (at, kind) of every 'flood started' and 'flood ended' event, in the order they
    were written."""
    return [
        (row["at"], row["kind"])
        for row in store.read(
            "SELECT at, kind FROM events WHERE kind IN ('flood started', 'flood ended') ORDER BY id"
        )
    ]


def volume_between(store: Store, start: datetime, end: datetime) -> tuple[int, int, int, int]:
    """Given two times, return the messages received, the replies sent, the SMS segments they
    cost and the calls received between them (both ends included)."""
    start_text, end_text = _log_time(start), _log_time(end)
    return tuple(
        store.read(
            "SELECT (SELECT COUNT(*) FROM messages"
            "  WHERE received_at >= ? AND received_at <= ? AND kind = ?),"
            " (SELECT COUNT(*) FROM replies"
            "  WHERE created_at >= ? AND created_at <= ? AND status = ?),"
            " (SELECT COALESCE(SUM(segments_sent), 0) FROM replies"
            "  WHERE created_at >= ? AND created_at <= ? AND status = ?),"
            " (SELECT COUNT(*) FROM messages"
            "  WHERE received_at >= ? AND received_at <= ? AND kind = ?)",
            (start_text, end_text, SMS, start_text, end_text, SENT, start_text, end_text, SENT)
            + (start_text, end_text, CALL),
        )[0]
    )
