"""Sending: the oldest due alert or reply, once, with its outcome recorded.

The intent (`sending`) is committed before the first byte leaves, so a crash never sends a
reply twice. A definite refusal before anything left is retried later, a bounded number of
times; anything else that may have left is `unknown` and never sent again. An outcome the
database refuses is kept in memory and written before anything else is sent.

Each reply is re-checked just before it leaves (`policy.recheck_before_send`): one decided in
flood mode that a budget holds back stays queued and is looked at again later (deferred, not
dropped), oldest first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from antirelou.budgets import Budget, Scope
from antirelou.clock import SystemClock
from antirelou.config import Config
from antirelou.durations import format_duration
from antirelou.modem import Modem, ModemUnavailable, SendFailed
from antirelou.policy import Deferral, Waiting, recheck_before_send
from antirelou.store import Reply, Store, StoreError, Transaction

log = logging.getLogger("antirelou")

Outcome = Callable[[Transaction], None]


def _unplugged(error: SendFailed) -> ModemUnavailable | None:
    """The dongle vanished under a send: the caller reconnects after recording the outcome."""
    return error.__cause__ if isinstance(error.__cause__, ModemUnavailable) else None


class ReplySender:
    """Given the log and the modem, send what is due."""

    def __init__(
        self,
        config: Config,
        store: Store,
        modem: Modem,
        clock: SystemClock,
        *,
        flood_on: Callable[[], bool] = lambda: False,
        budget_spent: Callable[[Budget, str], None] = lambda budget, detail: None,
    ) -> None:
        """`flood_on` says whether a flood is on now; `budget_spent` is told when a budget holds
        replies back (the daemon alerts the operators)."""
        self.config = config
        self.store = store
        self.modem = modem
        self.clock = clock
        self.flood_on = flood_on
        self.budget_spent = budget_spent
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
        verdict = recheck_before_send(
            Waiting(reply.segments, reply.in_flood, reply.queued_at),
            blocked=self.store.blocked_reason(reply.recipient),
            wrote_again=reply.in_flood
            and self.store.wrote_again(reply.recipient, reply.message_id),
            spending=self.store.spending(now, reply.recipient),
            config=self.config,
            now=now,
            flood_on=self.flood_on(),
        )
        if isinstance(verdict, Deferral):
            self._defer(verdict, now)
            return True
        if verdict is not None:
            with self.store.transaction() as tx:
                tx.skip(reply.id, now, verdict.reason, verdict.code)
            log.info("reply to %s dropped: %s", reply.recipient, verdict.reason)
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

    def _defer(self, deferral: Deferral, now: datetime) -> None:
        """A budget holds back the flood-mode replies that are due: they wait, not dropped."""
        with self.store.transaction() as tx:
            waiting = tx.defer_flood_replies(now, deferral.until, deferral.reason)
        log.info(
            "%s: %d flood-mode repl%s wait until %s",
            deferral.budget.refusal(),
            waiting,
            "y" if waiting == 1 else "ies",
            deferral.until.astimezone().strftime("%H:%M"),
        )
        if deferral.budget.scope is Scope.FLOOD:
            return  # expected while a raid lasts: "flood mode on" already told the operators
        self.budget_spent(
            deferral.budget,
            f"{deferral.budget.refusal()}; {waiting} repl{'y waits' if waiting == 1 else 'ies wait'}"
            f" (sent when a budget allows, within {format_duration(self.config.flood.answer_within)})",
        )

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
