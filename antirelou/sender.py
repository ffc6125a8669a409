"""Sending: the oldest due alert or reply, once, with its outcome recorded.

The intent (`sending`) is committed before the first byte leaves, so a crash never sends a
reply twice. A definite refusal before anything left is retried later, a bounded number of
times; anything else that may have left is `unknown` and never sent again. An outcome the
database refuses is kept in memory and written before anything else is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from antirelou.clock import SystemClock
from antirelou.config import Config
from antirelou.durations import format_duration
from antirelou.modem import Modem, ModemUnavailable, SendFailed
from antirelou.policy import Waiting, recheck_before_send
from antirelou.store import Reply, Store, StoreError, Transaction

log = logging.getLogger("antirelou")

Outcome = Callable[[Transaction], None]


def _unplugged(error: SendFailed) -> ModemUnavailable | None:
    """The dongle vanished under a send: the caller reconnects after recording the outcome."""
    return error.__cause__ if isinstance(error.__cause__, ModemUnavailable) else None


class ReplySender:
    """Given the log and the modem, send what is due."""

    def __init__(self, config: Config, store: Store, modem: Modem, clock: SystemClock) -> None:
        self.config = config
        self.store = store
        self.modem = modem
        self.clock = clock
        self._unrecorded: list[Outcome] = []

    def send_one_due(self) -> bool:
        """Send the oldest due alert or reply, if any. Return True if one was attempted.

        Raise ModemUnavailable (after recording the outcome) if the dongle vanished, and
        StoreError if the database refuses before anything was sent.
        """
        self._write_unrecorded()
        if self._send_alert():
            return True
        now = self.clock.now()
        reply = self.store.next_due_reply(now)
        if reply is None:
            return False
        dropped = recheck_before_send(
            Waiting(reply.segments, reply.in_flood),
            blocked=self.store.blocked_reason(reply.recipient),
            wrote_again=reply.in_flood
            and self.store.wrote_again(reply.recipient, reply.message_id),
            spending=self.store.spending(now, reply.recipient),
            config=self.config,
        )
        if dropped is not None:
            with self.store.transaction() as tx:
                tx.skip(reply.id, now, dropped.reason, dropped.code)
            log.info("reply to %s dropped: %s", reply.recipient, dropped.reason)
            return True
        attempt = reply.attempts + 1
        # The intent is committed before the first byte goes out: after a crash
        # this row says 'sending' and is never sent again.
        with self.store.transaction() as tx:
            tx.mark_sending(reply.id, now, attempt)
        try:
            references = self.modem.send(reply.recipient, reply.text, reply.id)
        except SendFailed as error:
            self._reply_failed(reply, attempt, error)
            cause = _unplugged(error)
            if cause is not None:
                raise cause from error
            return True
        self._record(lambda tx: tx.mark_sent(reply.id, self.clock.now(), references))
        log.info(
            "reply to %s sent (%d SMS, reference %s)",
            reply.recipient,
            len(references),
            ",".join(map(str, references)),
        )
        return True

    def _send_alert(self) -> bool:
        alert = self.store.next_alert()
        if alert is None:
            return False
        with self.store.transaction() as tx:
            tx.mark_alert_sending(alert.id, self.clock.now())
        try:
            references = self.modem.send(alert.recipient, alert.text, alert.id)
        except SendFailed as error:
            # Bound now: `error` is unset when the except block ends, before a retry writes.
            certain, problem = error.definite and not error.segments_sent, str(error)
            sent = error.segments_sent
            self._record(
                lambda tx: tx.mark_alert_not_sent(
                    alert.id, self.clock.now(), certain=certain, error=problem, segments_sent=sent
                )
            )
            log.error("alert to %s not sent: %s", alert.recipient, error)
            cause = _unplugged(error)
            if cause is not None:
                raise cause from error
            return True
        self._record(lambda tx: tx.mark_alert_sent(alert.id, self.clock.now(), len(references)))
        log.info("alert sent to %s", alert.recipient)
        return True

    def _reply_failed(self, reply: Reply, attempt: int, error: SendFailed) -> None:
        now = self.clock.now()
        if not error.definite or error.segments_sent:
            # What left must be recorded even if the database is busy right now.
            self._record(lambda tx: tx.mark_unknown(reply.id, now, str(error), error.segments_sent))
            log.error(
                "reply to %s may or may not have left (%s); it will not be sent again",
                reply.recipient,
                error,
            )
            return
        # A refusal before anything left: try again later, a bounded number of times.
        retry = self.config.replies.retry
        if attempt < retry.attempts:
            delay = retry.backoff * 2 ** (attempt - 1)
            due_at = now + timedelta(seconds=delay)
            self._record(lambda tx: tx.requeue(reply.id, now, due_at, str(error)))
            log.warning(
                "reply to %s failed (%s); attempt %d of %d in %s",
                reply.recipient,
                error,
                attempt + 1,
                retry.attempts,
                format_duration(delay),
            )
        else:
            self._record(lambda tx: tx.mark_failed(reply.id, now, str(error)))
            log.error(
                "reply to %s failed for good after %d attempts: %s",
                reply.recipient,
                attempt,
                error,
            )

    def _record(self, outcome: Outcome) -> None:
        """Write what a send did; if the database refuses, keep it and write it later."""
        try:
            with self.store.transaction() as tx:
                outcome(tx)
        except StoreError as error:
            log.error("cannot record the outcome of a send yet (%s); will retry", error)
            self._unrecorded.append(outcome)

    def _write_unrecorded(self) -> None:
        while self._unrecorded:
            with self.store.transaction() as tx:  # StoreError: later, nothing lost
                self._unrecorded[0](tx)
            self._unrecorded.pop(0)
