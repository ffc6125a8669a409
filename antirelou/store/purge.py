"""Retention: which records a purge removes, found in the log (`plan_purge`); the Transaction
applies it (`Transaction.purge`), and the Store empties the WAL afterwards.

- A message or call is purged once older than `retention.messages` (its reply settled before
  then too), unless its number sent a message that is still flagged: then every message of
  that number is kept until `retention.flagged` after the number's last message (threats and
  harassment are prescribed 6 years after the last act: shared/research/evidence.md §1.3).
- A purged message keeps its row with its kind, times, sender kind and parts, and its number
  as a keyed pseudonym (seen before, ever answered, stats); its text, its raw PDUs, its flags
  and the details of its reply go. Its records stay in the tamper-evident log as digests: `verify`
  passes, and what they held cannot be read back from them.
- Block list changes about numbers no longer blocked are pseudonymised after
  `retention.messages`; access records are deleted after `retention.access`.
- The copies kept before each schema upgrade (`<database>.vN.bak`) hold everything: deleted
  once older than `retention.messages`.

The 30-day budgets and the flood mode's share look back 30 days and the minimum retention is
longer (config.evidence), and a reply's last change must be older than the cut-off too, so
that no budget ever counts a number twice, once plainly and once as its pseudonym.
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from antirelou.config import RetentionConfig
from antirelou.pseudonyms import PREFIX
from antirelou.store.reads import Reads
from antirelou.store.rows import iso
from antirelou.store.schema import CURRENT_FLAG, FLAGGED_MESSAGE, QUEUED, SENDING

if TYPE_CHECKING:
    from antirelou.store.database import Store

log = logging.getLogger("antirelou.store")

_CHUNK = 500  # ids per IN (…): well within SQLite's limit on bound parameters


@dataclass(frozen=True)
class Cutoffs:
    """Records older than these are purged: ordinary messages, the messages of a flagged
    number (compared with its last message), access records."""

    messages: datetime
    flagged: datetime
    access: datetime


def cutoffs(retention: RetentionConfig, now: datetime) -> Cutoffs:
    return Cutoffs(
        now - timedelta(seconds=retention.messages),
        now - timedelta(seconds=retention.flagged),
        now - timedelta(seconds=retention.access),
    )


@dataclass
class PurgePlan:
    """What a purge removes, by table; `kept_flagged` messages old enough but kept as evidence."""

    cutoffs: Cutoffs
    messages: list[int] = field(default_factory=list)
    pdus: list[int] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    reply_events: list[int] = field(default_factory=list)
    flags: list[int] = field(default_factory=list)
    unflags: list[int] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)
    access: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    backups: list[str] = field(default_factory=list)
    kept_flagged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.messages or self.blocks or self.access or self.events or self.backups)

    def records(self) -> dict[str, list[int]]:
        """The records of the tamper-evident log whose content goes, per kind."""
        return {
            "message": self.messages,
            "pdu": self.pdus,
            "reply": self.reply_events,
            "flag": self.flags,
            "unflag": self.unflags,
            "block": self.blocks,
            "access": self.access,
        }

    def summary(self) -> str:
        """Say what goes, French first."""
        kept = (
            f"; {self.kept_flagged} gardés car leur numéro est signalé / kept: their number"
            " is flagged"
            if self.kept_flagged
            else ""
        )
        return (
            f"{len(self.messages)} messages ou appels / messages or calls (reçus avant / "
            f"received before {self.cutoffs.messages:%Y-%m-%d %H:%M} UTC){kept}, "
            f"{len(self.pdus)} PDU, {len(self.flags)} signalements / flags, "
            f"{len(self.blocks)} changements de liste de blocage / block list changes, "
            f"{len(self.access)} accès / access records, "
            f"{len(self.backups)} copies d'avant mise à jour / pre-upgrade copies"
        )


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _ids_of(reads: Reads, sql: str, ids: Sequence[int]) -> list[int]:
    """Run `sql`, whose one `{}` is a list of placeholders, over `ids` in chunks."""
    found: list[int] = []
    for chunk in _chunks(ids):
        placeholders = ", ".join("?" * len(chunk))
        found += [row[0] for row in reads._rows(sql.format(placeholders), chunk)]
    return found


def plan_purge(reads: Reads, cuts: Cutoffs, database: str) -> PurgePlan:
    """Given the log (in a transaction, for a purge; or not, for --dry-run), the cut-offs and
    the database's path, return what a purge removes now."""
    plan = PurgePlan(cuts)
    messages_before, flagged_before = iso(cuts.messages), iso(cuts.flagged)
    # Numbers with a message still flagged, kept while their last message is recent enough.
    kept_numbers = {
        row[0]
        for row in reads._rows(
            "SELECT m.sender FROM messages m WHERE m.sender IN (SELECT s.sender FROM flags f"  # noqa: S608 - constants only
            f" JOIN messages s ON s.id = f.message_id WHERE {CURRENT_FLAG})"
            " GROUP BY m.sender HAVING MAX(m.received_at) >= ?",
            (flagged_before,),
        )
    }
    for message_id, sender, received_at, flagged in reads._rows(
        f"SELECT m.id, m.sender, m.received_at, {FLAGGED_MESSAGE}"  # noqa: S608 - constants only
        " FROM messages m LEFT JOIN replies r ON r.message_id = m.id"
        " WHERE m.purged_at IS NULL AND m.received_at < ?"
        " AND (r.id IS NULL OR (r.status NOT IN (?, ?) AND r.updated_at < ?)) ORDER BY m.id",
        (messages_before, QUEUED, SENDING, messages_before),
    ):
        hidden_and_flagged = sender is None and flagged and received_at >= flagged_before
        if sender in kept_numbers or hidden_and_flagged:
            plan.kept_flagged += 1
        else:
            plan.messages.append(message_id)
    plan.pdus = _ids_of(
        reads, "SELECT id FROM pdus WHERE message_id IN ({}) ORDER BY id", plan.messages
    )
    plan.replies = _ids_of(
        reads, "SELECT id FROM replies WHERE message_id IN ({}) ORDER BY id", plan.messages
    )
    plan.reply_events = _ids_of(
        reads, "SELECT id FROM reply_events WHERE reply_id IN ({}) ORDER BY id", plan.replies
    )
    plan.flags = _ids_of(
        reads, "SELECT id FROM flags WHERE message_id IN ({}) ORDER BY id", plan.messages
    )
    plan.unflags = _ids_of(
        reads, "SELECT id FROM unflags WHERE flag_id IN ({}) ORDER BY id", plan.flags
    )
    plan.blocks = [
        row[0]
        for row in reads._rows(
            "SELECT id FROM block_events WHERE at < ? AND number NOT LIKE ?"
            " AND number NOT IN (SELECT number FROM blocked) ORDER BY id",
            (messages_before, PREFIX + "%"),
        )
    ]
    plan.access = [
        row[0]
        for row in reads._rows(
            "SELECT id FROM access WHERE at < ? ORDER BY id", (iso(cuts.access),)
        )
    ]
    plan.events = [
        row[0]
        for row in reads._rows(
            "SELECT id FROM events WHERE kind IN ('blocked', 'unblocked') AND at < ?",
            (messages_before,),
        )
    ]
    plan.backups = [
        path
        for path in sorted(glob.glob(glob.escape(database) + ".v*.bak"))
        if os.path.getmtime(path) < cuts.messages.timestamp()
    ]
    return plan


def purge(
    store: Store, retention: RetentionConfig, now: datetime, by: str, command: str
) -> PurgePlan:
    """Apply retention now (`by`: who, `command`: what asked, for the access record), then
    leave no copy of what went in the WAL or in old pre-upgrade copies. Return the plan
    applied (empty: nothing was due)."""
    with store.transaction() as tx:
        plan = plan_purge(tx, cutoffs(retention, now), store.path)
        if plan.empty:
            return plan
        tx.purge(plan, now, by)
        tx.access(now, command, by, plan.summary())
    for path in plan.backups:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
    if not store.release_purged():
        log.warning(
            "the database's WAL still holds copies of what was purged (readers kept it busy); "
            "the next purge empties it"
        )
    return plan
