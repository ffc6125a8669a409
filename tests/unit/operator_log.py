"""Helpers for the tests of what operators read: a log filled through `Store`, in Paris time."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from antirelou.reasons import Reason
from antirelou.store import CALL, SMS, Store, iso


@contextmanager
def paris_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run in Paris time (UTC+1, UTC+2 in summer) whatever the machine's zone, so that local
    and UTC days begin at different times; restore the zone afterwards."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    try:
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


def add_message(
    store: Store,
    sender: str | None,
    received_at: datetime,
    *,
    kind: str = "phone",
    status: str | None = None,
    reason: str = "first message",
    code: Reason | None = Reason.FIRST_MESSAGE,
    segments: int = 0,
    segments_sent: int = 0,
    replied_at: datetime | None = None,
    call: bool = False,
) -> int:
    """Log one message (or, with `call`, a rejected call) and, if `status` is given, its reply
    (created when it was received), with its reason code (None: a row without one); return the
    message's id."""
    with store.transaction() as tx:
        message_id = tx.insert_message(
            pdu_ids=[],
            sender=sender,
            sender_kind=kind,
            text=None if call else "relou",
            smsc_time=None,
            received_at=iso(received_at.astimezone(UTC)),
            parts_expected=0 if call else 1,
            encoding=None if call else "gsm7",
            error=None,
            kind=CALL if call else SMS,
        )
        if status is not None:
            reply_id = tx.insert_reply(
                message_id=message_id,
                recipient=sender,
                text="non",
                # Only a status that counts against the budgets reserves: the counters the
                # budgets read then agree with the status set below.
                queued=status in ("queued", "sending", "sent", "unknown"),
                reason=reason,
                code=code or Reason.FIRST_MESSAGE,
                segments=segments,
                due_at=None,
                now=replied_at or received_at,
            )
    if status is not None:
        # Any status and code the log can hold (NULL codes come from before schema 5), set
        # directly: the tests read what a long life of transitions leaves behind.
        database = sqlite3.connect(store.path)
        database.execute(
            "UPDATE replies SET status = ?, segments_sent = ?, reason_code = ? WHERE id = ?",
            (status, segments_sent, None if code is None else code.value, reply_id),
        )
        database.commit()
        database.close()
    return message_id


def log_event(store: Store, at: datetime, kind: str, detail: str) -> None:
    with store.transaction() as tx:
        tx.event(at, kind, detail)


def block_number(store: Store, number: str, reason: str, at: datetime) -> None:
    with store.transaction() as tx:
        tx.block(number, reason, at)
