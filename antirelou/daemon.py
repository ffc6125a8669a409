"""The service: one loop that owns the modem, the log and the replies.

Each turn of the loop: drain the modem's storage (list, commit, delete), send
at most one due reply, record a heartbeat, then wait for a notification, the
next poll or the next due reply. Draining between sends keeps a slow network
(1 to 4 s per SMS) from starving reception. Signals only set flags. Every
wait goes through the clock it is given.

`sender` sends, `status` publishes the state, `intake` decides what a listing
means; this module connects them and recovers from failures.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from antirelou import config as config_module
from antirelou import exits
from antirelou.alerts import Alerter
from antirelou.arrivals import arrival
from antirelou.calls import IncomingCall, commit_call
from antirelou.clock import SystemClock
from antirelou.config import Config, ConfigError
from antirelou.daily import DailyTasks
from antirelou.durations import format_duration
from antirelou.equipment import Equipment
from antirelou.flood import FloodDetector, Transition
from antirelou.intake import IntakeResult, Logged, commit_direct, commit_listing, expire_partials
from antirelou.listing import Listing
from antirelou.modem import (
    Modem,
    ModemError,
    ModemRefused,
    ModemUnavailable,
    Registration,
    SimLocked,
    SmsNotReady,
)
from antirelou.sender import ReplySender
from antirelou.status import ServiceStatus
from antirelou.store import Store, StoreError
from antirelou.systemd import Notifier, set_level

log = logging.getLogger("antirelou")

_STATUS_REFRESH = 60.0
_EXPIRY_CHECK = 10.0
_MAX_RECONNECT_DELAY = 60.0
_HEALTHY_AFTER = 60.0  # a connection that served this long resets the reconnect delay
_SMS_READY_RETRY = 5.0  # seconds between tries while the SMS service starts (10-100 s)
_STOP_GRACE = 6.0
_DRAINS_BEFORE_SEND = 10  # listings in a row while the storage comes back full
# A budget that stays spent is told once a day: every alerts.min_interval (30 min) would spend
# the alerts' reserve on it, and "flood mode on" would find none left.
_BUDGET_ALERT_EVERY = 86400.0


class Daemon:
    """Given a loaded config, run the service until asked to stop.

    The modem, the clock, systemd's notifier and the way the database is opened are passed in
    (tests and benches hand in their own); each has a default for the real service.
    """

    def __init__(
        self,
        config: Config,
        *,
        clock: SystemClock | None = None,
        notifier: Notifier | None = None,
        modem: Modem | None = None,
        open_store: Callable[[str], Store] = Store,
        loader: Callable[[str], Config] = config_module.load,
        heartbeat_interval: float = 15.0,
        on_logged: Callable[[Logged], None] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.notifier = notifier or Notifier()
        self.modem = modem or Modem(config.modem, threading.Event(), monotonic=self.clock.monotonic)
        self.wake = self.modem.wake  # notifications, signals and stop requests all set it
        self.open_store = open_store
        self.loader = loader
        self.heartbeat_interval = heartbeat_interval
        if self.notifier.watchdog_interval:
            self.heartbeat_interval = min(heartbeat_interval, self.notifier.watchdog_interval / 3)
        self.on_logged = on_logged
        self._stop = threading.Event()
        self._reload = threading.Event()
        self.flood = FloodDetector(config.flood)
        self.status = ServiceStatus(config, self.modem, self.clock, self.notifier, self._alert)
        self.store: Store | None = None
        self.sender: ReplySender | None = None
        self.alerter: Alerter | None = None
        self.equipment: Equipment | None = None
        self.daily: DailyTasks | None = None
        self.ready = threading.Event()
        self._ready_sent = False
        self._connected = False  # the modem is open, set up and registered
        # Per storage, the rows of PDUs a delete the modem confirmed removed, not yet noted.
        self._deleted: dict[str, list[int]] = {}

    @property
    def state(self) -> str:
        return self.status.state

    @property
    def registration(self) -> Registration | None:
        return self.status.registration

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
        """Run until stopped; return the exit status (antirelou.exits)."""
        os.umask(0o077)
        try:
            self.store = self.open_store(self.config.database)
            with self.store.transaction() as tx:
                interrupted = tx.abandon_interrupted_sends(self.clock.now())
            self._resume_flood()
        except StoreError as error:
            log.critical("cannot open the database: %s", error)
            return exits.SOFTWARE
        if interrupted:
            log.warning(
                "%d reply(ies) were being sent when antirelou last stopped; they are "
                "marked 'unknown' and will not be sent again",
                interrupted,
            )
        self.status.store = self.store
        self.alerter = Alerter(self.config, self.store)
        self.equipment = Equipment(self.store, self.clock)
        self.daily = DailyTasks(self.store, self.clock, self._alert)
        self.sender = ReplySender(
            self.config,
            self.store,
            self.modem,
            self.clock,
            flood_on=lambda: self.flood.active,
            budget_spent=lambda budget, detail: self._alert(
                f"{budget.label} spent", detail, every=_BUDGET_ALERT_EVERY
            ),
        )
        self.status.event("started", f"antirelou started (pid {os.getpid()})")
        try:
            return self._supervise()
        except Exception as error:
            log.critical(
                "unexpected failure while %s: %s (%s); stopping, systemd restarts the service",
                self.state,
                _one_line(error),
                _where(error),
            )
            log.debug("the failure in full:", exc_info=True)
            return exits.SOFTWARE
        finally:
            self.notifier.stopping()
            self.modem.close()
            self.status.event("stopped", "antirelou stopped")
            self.status.heartbeat("stopped")
            self.store.close()

    def _supervise(self) -> int:
        delay = 1.0
        while not self.stopping:
            began = self.clock.monotonic()
            try:
                if not (self.modem.alive and self._connected):
                    self._connect()
                self._serve()
            except SimLocked as error:
                log.critical("SIM locked: %s", error)
                self.status.event("sim locked", str(error))
                return exits.CONFIG
            except SmsNotReady as error:
                # Just after a boot: the SMS service comes up by itself. No reset, no backoff.
                if self.stopping:
                    break
                self.status.set_state("waiting for SMS service", str(error))
                log.warning("%s; trying again in %s", error, format_duration(_SMS_READY_RETRY))
                if self._connected:
                    self.modem.inbox.settings_stale = True  # set up again once it is ready
                else:
                    self.modem.close()  # the set-up did not finish: open again
                self._pause(_SMS_READY_RETRY)
                continue
            except ModemError as error:
                if self.stopping:
                    break
                # Closing and reopening the port is the only cure we apply: a reset
                # (AT+CFUN=1,1) puts some sticks back in CD-ROM mode (modems.md §8).
                log.error("modem problem: %s; retrying in %s", error, format_duration(delay))
                self.status.modem_lost(str(error))
                self.modem.close()
            except StoreError as error:
                # Messages stay on the modem until the database takes them again.
                self.status.set_state("database error", str(error))
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
        return exits.OK

    def _pause(self, seconds: float) -> None:
        """Wait, still answering systemd, until `seconds` pass or a stop is asked."""
        deadline = self.clock.monotonic() + seconds
        while not self.stopping:
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                return
            self.status.check_lost_too_long()
            self.status.heartbeat()
            self.clock.wait(self.wake, min(remaining, self.heartbeat_interval))
            self.wake.clear()

    def _connect(self) -> None:
        self._connected = False
        self.status.set_state("connecting", f"opening {self.config.modem.port}")
        identity = self.modem.open()
        log.info(
            "modem %s %s on %s (IMEI %s)",
            identity.manufacturer,
            identity.model,
            self.config.modem.port,
            identity.imei or "?",
        )
        deadline = self.clock.monotonic() + self.config.modem.registration_timeout
        while not self.stopping:
            registration = self.status.registration = self.modem.registration()
            if registration.registered:
                break
            if self.clock.monotonic() > deadline:
                raise ModemUnavailable(
                    f"not registered on the network after "
                    f"{format_duration(self.config.modem.registration_timeout)} "
                    f"({registration.describe()}): check the SIM, its credit and the antenna"
                )
            self.status.set_state("waiting for network", registration.describe())
            self._pause(2.0)
        if self.stopping:
            return
        network = self.status.registration.describe()
        self.equipment.note(identity, self.status.registration.operator)
        self.status.event("connected", f"{identity.manufacturer} {identity.model}, {network}")
        log.info("registered: %s", network)
        self.status.set_state("running", network)
        self.status.modem_found()
        self._connected = True
        if not self._ready_sent:
            self.notifier.ready(self.status.line())
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
                if self.modem.inbox.settings_stale:
                    self.modem.reassert()  # a boot notice: dongles forget their settings
                self._answer_calls()
                # A full storage means more may be waiting at the network: empty it
                # again before the next send ties the line up for seconds.
                for _ in range(_DRAINS_BEFORE_SEND):
                    if not self.drain() or self.stopping:
                        break
                next_poll = self.clock.monotonic() + self.config.modem.poll_interval
            if monotonic >= next_expiry:
                self._expire()
                self.daily.run_if_due(self.config)
                next_expiry = monotonic + _EXPIRY_CHECK
            if not self.stopping:
                self.sender.send_one_due()
            monotonic = self.clock.monotonic()
            if monotonic >= next_refresh:
                self.status.registration = self.modem.registration()
                self.equipment.note(self.modem.identity, self.status.registration.operator)
                next_refresh = monotonic + _STATUS_REFRESH
            if monotonic >= next_heartbeat:
                self.status.heartbeat("running")
                next_heartbeat = monotonic + self.heartbeat_interval
            timeout = min(next_poll, next_heartbeat, next_expiry) - monotonic
            due = self.store.next_due_time()
            if due is not None:
                timeout = min(timeout, (due - self.clock.now()).total_seconds())
            if timeout > 0:
                self.clock.wait(self.wake, timeout)

    # --- the work --------------------------------------------------------------------

    def drain(self) -> bool:
        """Take what the modem holds: +CMT messages first, then each storage in turn (list,
        commit, delete). Return True if a storage came back full: more may be waiting at the
        network."""
        self._commit_direct()
        full = False
        refused: ModemRefused | None = None
        listed_any = False
        for name in self.modem.readable:
            try:
                listing = self.modem.list_storage(name)
            except SmsNotReady:
                raise
            except ModemRefused as error:
                # Some sticks offer a storage they cannot list (modems.md §1.3, BenQ M32):
                # the others are still read; only if every one refuses is the modem in doubt.
                log.warning("cannot list storage %s (%s); reading the others", name, error)
                refused = error
                continue
            listed_any = True
            if not listing.entries:
                self._forget_deleted(name)
                continue
            if not self._commit_and_delete(listing):
                return False  # the database refuses: listing again now would only fail again
            full = full or len(listing.entries) >= self.modem.capacity(name)
        if refused is not None and not listed_any:
            raise refused
        return full

    def _commit_and_delete(self, listing: Listing) -> bool:
        try:
            result = commit_listing(self.store, listing, self.config, self.clock.now(), self.flood)
        except StoreError as error:
            # Nothing is deleted that is not committed: the messages wait on the modem, and
            # nothing in memory changed (the flood detector is still the one before).
            self.status.set_state("database error", str(error))
            log.error("cannot write the database, messages stay on the modem: %s", error)
            return False
        self._adopt(result)
        plan = result.plan
        if plan.bulk:
            self.modem.delete_read()
        else:
            self.modem.delete_slots(plan.slots)
        # What was deleted is noted by the next listing's transaction (intake), or by
        # _forget_deleted once the storage lists empty: one transaction per listing.
        self._deleted[listing.storage] = plan.pdu_ids
        self._database_back()
        log.debug(
            "drained %d PDU(s) (%d new) from %s",
            len(listing.entries),
            result.new_pdus,
            listing.storage,
        )
        return True

    def _forget_deleted(self, storage: str) -> None:
        """The storage lists empty after a delete the modem confirmed: note what that delete
        removed. Only a confirmed delete is noted (an empty listing alone proves nothing: a
        dongle still loading its SIM lists nothing), and an idle poll writes nothing."""
        gone = self._deleted.pop(storage, [])
        if gone:
            with self.store.transaction() as tx:
                tx.forget_on_modem(gone)

    def _commit_direct(self) -> None:
        """Commit the messages the modem handed over in +CMT notices (flash SMS, or routed
        ones): they exist nowhere else. Acknowledged to the network only once committed."""
        pdus = self.modem.inbox.take_direct()
        if not pdus:
            return
        try:
            result = commit_direct(self.store, pdus, self.config, self.clock.now(), self.flood)
        except StoreError:
            self.modem.inbox.give_back_direct(pdus)
            raise
        self._adopt(result)
        self.modem.acknowledge_direct(len(pdus))
        self._database_back()

    def _database_back(self) -> None:
        if self.state != "running":
            log.info("the database takes messages again")
            registration = self.status.registration
            self.status.set_state("running", registration.describe() if registration else "")

    def _answer_calls(self) -> None:
        """Reject a ringing call at once (never answered: no cost, no voice), then log it."""
        call = self.modem.inbox.take_call()
        if call is None:
            return
        caller = call.caller or "a hidden number"
        log.info("call from %s %s", caller, "missed" if call.ended else "rejected")
        rang_at = self.clock.now() - timedelta(seconds=self.clock.monotonic() - call.rang_at)
        try:
            if not call.ended:
                self.modem.reject_call()
        finally:
            # Logged even if the dongle vanished while hanging up.
            logged = commit_call(
                self.store,
                IncomingCall(call.caller, rang_at),
                self.config,
                self.clock.now(),
                self.flood,
            )
            self._adopt(logged)

    def _expire(self) -> None:
        self._adopt(expire_partials(self.store, self.config, self.clock.now(), self.flood))
        calmer = self.flood.copy()
        transition = calmer.tick(self.clock.now())
        if transition is None:
            return
        with self.store.transaction() as tx:
            tx.event(transition.at, transition.kind, transition.detail)
        self.flood = calmer  # only once the end of the episode is in the log
        self._flood_changed(transition)

    def _adopt(self, result: IntakeResult) -> None:
        """After the commit of `result`: take its flood detector, then say what happened."""
        if result.flood is not None:
            self.flood = result.flood
        if result.late:
            log.warning(
                "%d message(s) written while the service was away, the oldest at %s: a backlog,"
                " counted when written, not as a raid",
                len(result.late),
                min(result.late).astimezone().strftime("%Y-%m-%d %H:%M"),
            )
        for transition in result.transitions:
            self._flood_changed(transition)
        for logged in result.logged:
            self._report_message(logged)

    def _resume_flood(self) -> None:
        since = self.store.flood_under_way()
        if since is not None:
            now = self.clock.now()
            lately = now - timedelta(seconds=self.config.flood.calm_after + 60)
            self.flood.resume(
                since,
                (arrival(stamp, at).written_at for stamp, at in self.store.arrivals_since(lately)),
            )
            self.status.flood_since = since
            log.warning("flood mode still on since %s", since.astimezone().strftime("%H:%M"))

    def _flood_changed(self, transition: Transition) -> None:
        """Tell the operators and systemd; the event is already in the log."""
        self.status.flood_since = self.flood.since
        if transition.started:
            log.warning(
                "FLOOD MODE ON: %s; only numbers never answered get a reply now, held %s and"
                " sent within the flood budgets (at most %d SMS an hour), late rather than never",
                transition.detail,
                format_duration(self.config.flood.hold),
                self.config.flood.segments_per_hour,
            )
            self._alert("flood mode on", transition.detail)
        else:
            log.warning("flood mode off: %s", transition.detail)
            self._alert("flood mode off", transition.detail)
        self.notifier.status(self.status.line())

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
        if logged.flags:
            rules = ", ".join(flag.rule for flag in logged.flags)
            log.warning(
                "message %d from %s flagged (%s): %s",
                logged.message_id,
                logged.sender.display,
                rules,
                "; ".join(flag.reason for flag in logged.flags),
            )
            # No number and no text in the SMS: `antirelou log --flagged` shows them.
            self._alert("threat", f"message {logged.message_id} flagged ({rules})")
        decision = logged.decision
        if decision.budget is not None:
            self._alert(
                f"{decision.budget.label} spent",
                f"{decision.reason}; messages are still logged, not answered",
                every=_BUDGET_ALERT_EVERY,
            )
        if decision.reply:
            log.info("reply to %s queued", logged.sender.display)
        else:
            log.info("reply to %s skipped: %s", logged.sender.display, decision.reason)
        if self.on_logged:
            self.on_logged(logged)

    def _alert(self, kind: str, detail: str, *, every: float | None = None) -> None:
        if self.alerter is None:
            return
        try:
            self.alerter.raise_alert(kind, detail, self.clock.now(), every=every)
        except StoreError as error:
            log.error("cannot record alert %r: %s", kind, error)

    # --- configuration -----------------------------------------------------------------

    def reload(self) -> bool:
        """Load the config file again; keep the running one if the new one is invalid."""
        try:
            new = self.loader(self.config.path)
        except ConfigError as error:
            log.error("configuration reload refused, keeping the running one:\n%s", error)
            self.status.event("reload refused", str(error))
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
            new = replace(new, **{name: getattr(self.config, name) for name in restart_needed})
        # Every part that reads the config gets the new one here, and only here.
        self.config = self.status.config = new
        self.flood.config = new.flood
        for part in (self.alerter, self.sender):
            if part is not None:
                part.config = new
        set_level(new.logging.level)
        log.info("configuration reloaded from %s", new.path)
        self.status.event("reloaded", new.path)
        return True


def _one_line(error: BaseException) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())


def _where(error: BaseException) -> str:
    """Given an exception, return where it was raised, as file:line in function."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "no traceback"
    last = frames[-1]
    return f"{os.path.basename(last.filename)}:{last.lineno} in {last.name}"
