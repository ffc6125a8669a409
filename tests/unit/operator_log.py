"""Helpers for the tests of what operators read: a log filled through `Store`, in Paris time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from antirelou.reasons import Reason
from antirelou.store import Store, iso


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
) -> int:
    """Log one message and, if `status` is given, its reply (created when it was received),
    with its reason code (None: a row without one); return the message's id."""
    with store.transaction() as db:
        message_id = store.insert_message(
            db,
            pdu_ids=[],
            sender=sender,
            sender_kind=kind,
            text="relou",
            smsc_time=None,
            received_at=iso(received_at.astimezone(UTC)),
            parts_expected=1,
            encoding="gsm7",
            error=None,
        )
        if status is not None:
            reply_id = store.insert_reply(
                db,
                message_id=message_id,
                recipient=sender,
                text="non",
                status=status,
                reason=reason,
                segments=segments,
                due_at=None,
                now=replied_at or received_at,
            )
            # Written here until the daemon's writes carry them: the columns the tests set.
            db.execute(
                "UPDATE replies SET segments_sent = ?, reason_code = ? WHERE id = ?",
                (segments_sent, None if code is None else code.value, reply_id),
            )
    return message_id
