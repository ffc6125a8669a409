"""What the log says, for the people reading it: liveness, counts, messages.

Read-only queries shared by `status`, `log` and `check`.
"""

from __future__ import annotations

from datetime import datetime

from antirelou.config import Config
from antirelou.store import Store

HEARTBEAT_STALE_AFTER = 120.0


def daemon_liveness(store: Store, now: datetime) -> tuple[bool, dict | None]:
    """Return (alive, heartbeat as `status --json` prints it) from the daemon's heartbeat."""
    beat = store.last_heartbeat()
    if beat is None:
        return False, None
    return beat.alive(now), beat.as_json(now)


def today_counts(store: Store, now: datetime) -> dict[str, int]:
    since = now.replace(hour=0, minute=0, second=0, microsecond=0).isoformat()
    messages, senders = store.read(
        "SELECT COUNT(*), COUNT(DISTINCT sender) FROM messages WHERE received_at >= ?", (since,)
    )[0]
    counts = {"messages": messages, "senders": senders}
    for status in ("sent", "skipped", "queued", "failed", "unknown"):
        counts[f"replies_{status}"] = 0
    for status, count in store.read(
        "SELECT status, COUNT(*) FROM replies WHERE created_at >= ? GROUP BY status", (since,)
    ):
        counts[f"replies_{status}"] = count
    counts["segments_sent"] = store.read(
        "SELECT COALESCE(SUM(segments_sent), 0) FROM replies WHERE updated_at >= ?", (since,)
    )[0][0]
    return counts


_LOG_QUERY = """
SELECT m.id, m.sender, m.sender_kind, m.text, m.smsc_time, m.received_at, m.parts,
       m.parts_expected, m.encoding, m.error, r.status AS reply_status, r.reason AS reply_reason,
       r.text AS reply_text, r.updated_at AS reply_updated_at, r.segments_sent AS reply_segments
FROM messages m LEFT JOIN replies r ON r.message_id = m.id
"""


def message_records(store: Store, limit: int, sender: str | None = None) -> list[dict]:
    """Return the latest messages (oldest first) with their reply, as plain dicts."""
    where, parameters = "", []
    if sender:
        where, parameters = " WHERE m.sender = ?", [sender]
    query = _LOG_QUERY + where + " ORDER BY m.id DESC"
    if limit > 0:
        query += " LIMIT ?"
        parameters.append(limit)
    records = []
    for row in reversed(store.read(query, parameters)):
        records.append(
            {
                "id": row["id"],
                "sender": row["sender"],
                "sender_kind": row["sender_kind"],
                "text": row["text"],
                "received_at": row["received_at"],
                "smsc_time": row["smsc_time"],
                "parts": row["parts"],
                "complete": row["parts"] >= row["parts_expected"],
                "encoding": row["encoding"],
                "error": row["error"],
                "reply": {
                    "status": row["reply_status"],
                    "reason": row["reply_reason"],
                    "text": row["reply_text"],
                    "updated_at": row["reply_updated_at"],
                    "segments_sent": row["reply_segments"],
                },
            }
        )
    return records


def budget_lines(store: Store, config: Config, now: datetime) -> list[str]:
    """Return what each budget has left, one line each, as `status` shows them."""
    spent = store.current_spending(now)
    budgets = config.budgets

    def left(used: int, limit: int | None, unit: str) -> str:
        if limit is None:
            return f"{used} {unit} (unlimited)"
        return f"{used}/{limit} {unit}, {max(limit - used, 0)} left"

    return [
        f"last hour: {left(spent.segments_hour, budgets.segments_per_hour, 'SMS')}",
        f"last 24h:  {left(spent.segments_day, budgets.segments_per_day, 'SMS')}",
        f"30 days:   {left(spent.segments_month, budgets.segments_per_month, 'SMS')}; "
        f"{left(spent.numbers_month, budgets.numbers_per_month, 'numbers')}",
    ]
