"""The service: one loop that owns the modem, the log and the replies.

Each turn of the loop: drain the modem's storage (list, commit, delete), send
at most one due reply, record a heartbeat, then wait for a notification, the
next poll or the next due reply. Draining between sends keeps a slow network
(1 to 4 s per SMS) from starving reception. Signals only set flags.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from antirelou import config as config_module
from antirelou.alerts import Alerter
from antirelou.clock import SystemClock
from antirelou.config import Config, ConfigError, format_duration
from antirelou.flood import FloodDetector, Transition
from antirelou.heartbeat import Heartbeat, ModemIdentity
from antirelou.intake import IntakeResult, Logged, commit_listing, expire_partials
from antirelou.modem import (
    Modem,
    ModemError,
    ModemTimeout,
    ModemUnavailable,
    Registration,
    SendFailed,
    SimLocked,
)
from antirelou.policy import budget_refusal
from antirelou.store import FAILED, QUEUED, SENDING, SENT, SKIPPED, UNKNOWN, Store, StoreError
from antirelou.systemd import Notifier, set_level

log = logging.getLogger("antirelou")

EXIT_OK = 0
EXIT_SOFTWARE = 70
EXIT_CONFIG = 78  # sysexits EX_CONFIG; the unit does not restart on it (a wrong PIN stays wrong)

_STATUS_REFRESH = 60.0
_EXPIRY_CHECK = 10.0
_MAX_RECONNECT_DELAY = 60.0
_HEALTHY_AFTER = 60.0  # a connection that served this long resets the reconnect delay
_TIMEOUTS_BEFORE_RESET = 3
_STOP_GRACE = 6.0
_DRAINS_BEFORE_SEND = 10  # listings in a row while the storage comes back full


class Daemon:
    """Given a loaded config, run the service until asked to stop."""

    def __init__(
        self,
        config: Config,
        *,
        clock=None,
        notifier: Notifier | None = None,
        loader: Callable[[str], Config] = config_module.load,
        heartbeat_interval: float = 15.0,
        on_logged: Callable[[Logged], None] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.notifier = notifier or Notifier()
        self.loader = loader
        self.heartbeat_interval = heartbeat_interval
        if self.notifier.watchdog_interval:
            self.heartbeat_interval = min(heartbeat_interval, self.notifier.watchdog_interval / 3)
        self.on_logged = on_logged
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._reload = threading.Event()
        self.modem = Modem(config.modem, self.wake)
        self.flood = FloodDetector(config.flood)
        self.store: Store | None = None
        self.started_at = self.clock.now()
        self.state = "starting"
        self.registration: Registration | None = None
        self.storage_used: int | None = None
        self.ready = threading.Event()
        self.alerter: Alerter | None = None
        self._outcomes: list[tuple[int, dict[str, object]]] = []
        self._lost_since: float | None = None
        self._lost_alerted = False
        self._ready_sent = False
        self._last_error: str | None = None

    # --- signals (they only set flags) -----------------------------------------

    def request_stop(self) -> None:
        if not self._stop.is_set():
            # A send still running after the grace period is abandoned (its reply is
            # then 'unknown', never re-sent), so that we exit within systemd's 15 s.
            timer = threading.Timer(_STOP_GRACE, self.modem.abandon_pending)
            timer.daemon = True
            timer.start()
        self._stop.set()
        self.wake.set()

    def request_reload(self) -> None:
        self._reload.set()
        self.wake.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.request_stop())
        signal.signal(signal.SIGINT, lambda *_: self.request_stop())
        signal.signal(signal.SIGHUP, lambda *_: self.request_reload())

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # --- life ----------------------------------------------------------------------

    def run(self) -> int:
        """Run until stopped; return the exit status."""
        os.umask(0o077)
        try:
            self.store = Store(self.config.database)
        except StoreError as error:
            log.critical("cannot open the database: %s", error)
            return EXIT_SOFTWARE
        now = self.clock.now()
        interrupted = self.store.abandon_interrupted_sends(now)
        if interrupted:
            log.warning(
                "%d reply(ies) were being sent when antirelou last stopped; they are "
                "marked 'unknown' and will not be sent again",
                interrupted,
            )
        self.alerter = Alerter(self.config, self.store)
        self._resume_flood()
        self._event("started", f"antirelou started (pid {os.getpid()})")
        try:
            return self._supervise()
        finally:
            self.notifier.stopping()
            self.modem.close()
            self._event("stopped", "antirelou stopped")
            self._heartbeat("stopped")
            self.store.close()

    def _supervise(self) -> int:
        delay = 1.0
        timeouts = 0
        while not self.stopping:
            began = self.clock.monotonic()
            try:
                if not self.modem.alive:
                    self._connect()
                self._serve()
            except SimLocked as error:
                log.critical("SIM locked: %s", error)
                self._event("sim locked", str(error))
                return EXIT_CONFIG
            except ModemError as error:
                if self.stopping:
                    break
                timeouts = timeouts + 1 if isinstance(error, ModemTimeout) else 0
                if self._lost_since is None:
                    self._lost_since = self.clock.monotonic()
                self._set_state("modem lost", str(error))
                log.error("modem problem: %s; retrying in %s", error, format_duration(delay))
                self._event("modem lost", str(error))
                if timeouts >= _TIMEOUTS_BEFORE_RESET:
                    timeouts = 0
                    self._reset_modem()
                self.modem.close()
            except StoreError as error:
                # Messages stay on the modem until the database takes them again.
                self._set_state("database error", str(error))
                log.error(
                    "database problem: %s; messages stay on the modem, retrying in %s",
                    error,
                    format_duration(delay),
                )
            else:
                continue
            if self.clock.monotonic() - began > _HEALTHY_AFTER:
                delay = 1.0
            self._pause(delay)
            delay = min(delay * 2, _MAX_RECONNECT_DELAY)
        log.info("stopping on request")
        return EXIT_OK

    def _reset_modem(self) -> None:
        """After repeated time-outs, restart the modem's firmware before reopening it."""
        log.warning("the modem keeps timing out: restarting it (AT+CFUN=1,1)")
        self._event("modem reset", "AT+CFUN=1,1 after repeated time-outs")
        try:
            self.modem.command("AT+CFUN=1,1", timeout=5)
        except ModemError as error:
            log.info("modem reset not acknowledged: %s", error)

    def _pause(self, seconds: float) -> None:
        """Wait, still answering systemd, until `seconds` pass or a stop is asked."""
        deadline = self.clock.monotonic() + seconds
        while not self.stopping:
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                return
            self._check_lost_too_long()
            self._heartbeat(self.state)
            self.wake.wait(min(remaining, self.heartbeat_interval))
            self.wake.clear()

    def _check_lost_too_long(self) -> None:
        if self._lost_since is None or self._lost_alerted:
            return
        lost_for = self.clock.monotonic() - self._lost_since
        if lost_for >= self.config.alerts.modem_lost_after:
            self._lost_alerted = True
            # The SMS leaves once the modem is back; the command can tell at once.
            self._alert(
                "modem lost",
                f"no dongle for {format_duration(lost_for)}: {self._last_error or 'unknown cause'}",
            )

    def _connect(self) -> None:
        self._set_state("connecting", f"opening {self.config.modem.port}")
        identity = self.modem.open()
        log.info(
            "modem %s %s on %s (IMEI %s), storage %s with %d slots",
            identity.manufacturer,
            identity.model,
            self.config.modem.port,
            identity.imei or "?",
            self.modem.storage,
            self.modem.storage_total,
        )
        deadline = self.clock.monotonic() + self.config.modem.registration_timeout
        while not self.stopping:
            self.registration = self.modem.registration()
            if self.registration.registered:
                break
            if self.clock.monotonic() > deadline:
                raise ModemUnavailable(
                    f"not registered on the network after "
                    f"{format_duration(self.config.modem.registration_timeout)} "
                    f"({self.registration.describe()}): check the SIM, its credit and the antenna"
                )
            self._set_state("waiting for network", self.registration.describe())
            self._pause(2.0)
        if self.stopping:
            return
        self._event(
            "connected", f"{identity.manufacturer} {identity.model}, {self.registration.describe()}"
        )
        log.info("registered: %s", self.registration.describe())
        self._set_state("running", self.registration.describe())
        self._lost_since, self._lost_alerted = None, False
        if not self._ready_sent:
            self.notifier.ready(self._status_line())
            self._ready_sent = True
        self.ready.set()

    def _serve(self) -> None:
        next_poll = 0.0
        next_heartbeat = 0.0
        next_refresh = self.clock.monotonic() + _STATUS_REFRESH
        next_expiry = 0.0
        self.wake.set()  # drain whatever arrived while we were away
        while not self.stopping:
            if self._reload.is_set():
                self._reload.clear()
                self.reload()
            if not self.modem.alive:
                raise ModemUnavailable(f"the modem's reader stopped: {self.modem.reader_error}")
            monotonic = self.clock.monotonic()
            if self.wake.is_set() or monotonic >= next_poll:
                self.wake.clear()
                # A full storage means more may be waiting at the network: empty it
                # again before the next send ties the line up for seconds.
                for _ in range(_DRAINS_BEFORE_SEND):
                    if self.drain() < max(self.modem.storage_total, 1) or self.stopping:
                        break
                next_poll = self.clock.monotonic() + self.config.modem.poll_interval
            if monotonic >= next_expiry:
                self._expire()
                next_expiry = monotonic + _EXPIRY_CHECK
            if not self.stopping:
                self.send_one_due()
            monotonic = self.clock.monotonic()
            if monotonic >= next_refresh:
                self.registration = self.modem.registration()
                next_refresh = monotonic + _STATUS_REFRESH
            if monotonic >= next_heartbeat:
                self._heartbeat("running")
                next_heartbeat = monotonic + self.heartbeat_interval
            timeout = min(next_poll, next_heartbeat, next_expiry) - monotonic
            due = self.store.next_due_time()
            if due is not None:
                timeout = min(timeout, (due - self.clock.now()).total_seconds())
            if timeout > 0:
                self.wake.wait(timeout)

    # --- the work --------------------------------------------------------------------

    def drain(self) -> int:
        """List the storage once, commit it, then delete what was committed. Return how many
        PDUs the storage held."""
        listing = self.modem.list_all()
        if not listing.entries:
            self.storage_used = 0
            return 0
        try:
            result = commit_listing(self.store, listing, self.config, self.clock.now(), self.flood)
        except StoreError as error:
            # Nothing is deleted that is not committed: the messages wait on the modem.
            self._set_state("database error", str(error))
            log.error("cannot write the database, messages stay on the modem: %s", error)
            self.storage_used = len(listing.entries)
            return 0  # nothing was deleted: listing again now would only fail again
        self._report(result)
        plan = result.plan
        if plan.bulk:
            self.modem.delete_read()
        else:
            self.modem.delete_slots(plan.slots)
        self.store.mark_deleted(plan.pdu_ids)
        self.storage_used = 0
        if self.state != "running":
            log.info("the database takes messages again")
            self._set_state("running", self.registration.describe() if self.registration else "")
        log.debug(
            "drained %d PDU(s) (%d new) from %s",
            len(listing.entries),
            result.new_pdus,
            listing.storage,
        )
        return len(listing.entries)

    def _expire(self) -> None:
        self._report(expire_partials(self.store, self.config, self.clock.now(), self.flood))
        transition = self.flood.tick(self.clock.now())
        if transition is not None:
            self._flood_changed(transition)

    def _resume_flood(self) -> None:
        rows = self.store.read(
            "SELECT at, kind FROM events WHERE kind IN "
            "('flood started', 'flood ended') ORDER BY id DESC LIMIT 1"
        )
        if rows and rows[0]["kind"] == "flood started":
            since = datetime.fromisoformat(rows[0]["at"])
            self.flood.resume(since)
            log.warning("flood mode still on since %s", since.astimezone().strftime("%H:%M"))

    def _flood_changed(self, transition: Transition) -> None:
        if transition.started:
            log.warning(
                "FLOOD MODE ON: %s; only numbers never answered get a reply now "
                "(at most %d SMS an hour)",
                transition.detail,
                self.config.flood.segments_per_hour,
            )
            self._event("flood started", transition.detail, at=transition.at)
            self._alert("flood mode on", transition.detail)
        else:
            log.warning("flood mode off: %s", transition.detail)
            self._event("flood ended", transition.detail, at=transition.at)
            self._alert("flood mode off", transition.detail)
        self.notifier.status(self._status_line())

    def _report(self, result: IntakeResult) -> None:
        for transition in result.transitions:
            self._flood_changed(transition)
        for logged in result.logged:
            self._report_message(logged)

    def _report_message(self, logged: Logged) -> None:
        parts = (
            f", {logged.parts}/{logged.parts_expected} parts" if logged.parts_expected > 1 else ""
        )
        flag = f" [{logged.error}]" if logged.error else ""
        log.info(
            "message %d from %s (%d chars%s)%s",
            logged.message_id,
            logged.sender.display,
            len(logged.text or ""),
            parts,
            flag,
        )
        log.debug("message %d text: %r", logged.message_id, logged.text)
        if logged.decision.budget_spent:
            self._alert(
                f"{logged.decision.budget_spent} budget spent",
                f"{logged.decision.reason}; messages are still logged, not answered",
            )
        if logged.decision.reply:
            log.info("reply to %s queued", logged.sender.display)
        else:
            log.info("reply to %s skipped: %s", logged.sender.display, logged.decision.reason)
        if self.on_logged:
            self.on_logged(logged)

    def _alert(self, kind: str, detail: str) -> None:
        if self.alerter is None:
            return
        try:
            self.alerter.raise_alert(kind, detail, self.clock.now())
        except StoreError as error:
            log.error("cannot record alert %r: %s", kind, error)

    def _send_alert(self) -> bool:
        alert = self.store.next_alert()
        if alert is None:
            return False
        alert_id, recipient, text = alert
        self.store.update_alert(alert_id, self.clock.now(), status=SENDING)
        try:
            references = self.modem.send(recipient, text, alert_id)
        except SendFailed as error:
            status = FAILED if error.definite and error.segments_sent == 0 else UNKNOWN
            self.store.update_alert(
                alert_id,
                self.clock.now(),
                status=status,
                error=str(error),
                segments_sent=error.segments_sent,
            )
            log.error("alert to %s not sent: %s", recipient, error)
            if isinstance(error.__cause__, ModemUnavailable):
                raise error.__cause__ from error
            return True
        self.store.update_alert(
            alert_id, self.clock.now(), status=SENT, segments_sent=len(references)
        )
        log.info("alert sent to %s", recipient)
        return True

    def send_one_due(self) -> bool:
        """Send the oldest due alert or reply, if any. Return True if one was attempted."""
        self._flush_outcomes()
        if self._send_alert():
            return True
        now = self.clock.now()
        reply = self.store.next_due_reply(now)
        if reply is None:
            return False
        with self.store.transaction() as db:
            blocked = self.store.blocked_reason(db, reply.recipient)
            usage = self.store.spending(db, now, reply.recipient)
        dropped = None
        if blocked is not None:
            dropped = f"blocked before it was sent ({blocked})"
        elif reply.in_flood and self.store.wrote_again(reply.recipient, reply.message_id):
            dropped = "wrote again during the flood-mode hold: insisting, not answered"
        elif reply.in_flood:
            # Held flood replies reserved nothing: the budgets are checked now.
            refusal = budget_refusal(usage, reply.segments, self.config, in_flood=True)
            dropped = refusal[1] if refusal else None
        if dropped is not None:
            self.store.update_reply(reply.id, now, status=SKIPPED, reason=dropped)
            log.info("reply to %s dropped: %s", reply.recipient, dropped)
            return True
        attempt = reply.attempts + 1
        # The intent is committed before the first byte goes out: after a crash
        # this row says 'sending' and is never sent again.
        self.store.update_reply(reply.id, now, status=SENDING, attempts=attempt)
        try:
            references = self.modem.send(reply.recipient, reply.text, reply.id)
        except SendFailed as error:
            if not error.definite or error.segments_sent:
                # What left must be recorded even if the database is busy right now.
                self._record_outcome(
                    reply.id, status=UNKNOWN, error=str(error), segments_sent=error.segments_sent
                )
                log.error(
                    "reply to %s may or may not have left (%s); it will not be sent again",
                    reply.recipient,
                    error,
                )
                if isinstance(error.__cause__, ModemUnavailable):
                    raise error.__cause__ from error
                return True
            self._send_failed(reply, attempt, error)
            if isinstance(error.__cause__, ModemUnavailable):
                raise error.__cause__ from error
            return True
        self._record_outcome(
            reply.id,
            status=SENT,
            segments_sent=len(references),
            modem_reference=",".join(map(str, references)),
            error=None,
        )
        log.info(
            "reply to %s sent (%d SMS, reference %s)",
            reply.recipient,
            len(references),
            ",".join(map(str, references)),
        )
        return True

    def _record_outcome(self, reply_id: int, **fields: object) -> None:
        """Write what a send did; if the database refuses, keep it and write it later."""
        try:
            self.store.update_reply(reply_id, self.clock.now(), **fields)
        except StoreError as error:
            log.error("cannot record the outcome of reply %d yet (%s); will retry", reply_id, error)
            self._outcomes.append((reply_id, fields))

    def _flush_outcomes(self) -> None:
        while self._outcomes:
            reply_id, fields = self._outcomes[0]
            self.store.update_reply(reply_id, self.clock.now(), **fields)  # StoreError: later
            self._outcomes.pop(0)

    def _send_failed(self, reply, attempt: int, error: SendFailed) -> None:
        """A refusal before anything left: try again later, a bounded number of times."""
        now = self.clock.now()
        retry = self.config.replies.retry
        if attempt < retry.attempts:
            delay = retry.backoff * 2 ** (attempt - 1)
            self.store.update_reply(
                reply.id,
                now,
                status=QUEUED,
                error=str(error),
                due_at=now + timedelta(seconds=delay),
            )
            log.warning(
                "reply to %s failed (%s); attempt %d of %d in %s",
                reply.recipient,
                error,
                attempt + 1,
                retry.attempts,
                format_duration(delay),
            )
        else:
            self.store.update_reply(reply.id, now, status=FAILED, error=str(error))
            log.error(
                "reply to %s failed for good after %d attempts: %s", reply.recipient, attempt, error
            )

    # --- configuration -----------------------------------------------------------------

    def reload(self) -> bool:
        """Load the config file again; keep the running one if the new one is invalid."""
        try:
            new = self.loader(self.config.path)
        except ConfigError as error:
            log.error("configuration reload refused, keeping the running one:\n%s", error)
            self._event("reload refused", str(error))
            return False
        restart_needed = [
            name
            for name in ("modem", "database")
            if getattr(new, name) != getattr(self.config, name)
        ]
        if restart_needed:
            log.warning(
                "changes to %s take effect at the next restart (systemctl restart antirelou)",
                " and ".join(restart_needed),
            )
            new = _keep(new, self.config, restart_needed)
        self.config = new
        self.flood.config = new.flood
        if self.alerter is not None:
            self.alerter.config = new
        set_level(new.logging.level)
        log.info("configuration reloaded from %s", new.path)
        self._event("reloaded", new.path)
        return True

    # --- what the outside sees ----------------------------------------------------------

    def _set_state(self, state: str, detail: str) -> None:
        self.state = state
        self._last_error = None if state == "running" else detail
        self.notifier.status(self._status_line())
        self._heartbeat(state)

    def _status_line(self) -> str:
        if self.state == "running" and self.registration:
            flood = ""
            if self.flood.active:
                flood = f"FLOOD MODE since {self.flood.since.astimezone():%H:%M}; "
            return f"Running: {flood}{self.registration.describe()}"
        return f"{self.state.capitalize()}: {self._last_error or ''}".rstrip(": ")

    def _event(self, kind: str, detail: str, at: datetime | None = None) -> None:
        try:
            self.store.event(at or self.clock.now(), kind, detail)
        except StoreError as error:
            log.error("cannot record event %r: %s", kind, error)

    def _heartbeat(self, state: str) -> None:
        registration, identity = self.registration, self.modem.identity
        beat = Heartbeat(
            pid=os.getpid(),
            at=self.clock.now(),
            started_at=self.started_at,
            state=state,
            state_detail=self._last_error,
            port=self.config.modem.port,
            modem=None
            if identity is None
            else ModemIdentity(
                identity.manufacturer, identity.model, identity.revision, identity.imei
            ),
            network=None if registration is None else registration.describe(),
            operator=None if registration is None else registration.operator,
            signal=None if registration is None else registration.signal,
            storage=self.modem.storage,
            storage_total=self.modem.storage_total,
            storage_used=self.storage_used,
            flood_since=self.flood.since,
        )
        try:
            self.store.heartbeat(beat)
        except StoreError as error:
            log.error("cannot record heartbeat: %s", error)
            self.state, self._last_error = "database error", str(error)
            return
        # Pinged only from this loop: if the loop is stuck, systemd restarts us.
        self.notifier.watchdog()
        self.notifier.status(self._status_line())


def _keep(new: Config, old: Config, sections: list[str]) -> Config:
    return replace(new, **{name: getattr(old, name) for name in sections})
