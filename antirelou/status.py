"""What the outside sees of the service: its state, systemd's STATUS= line, events in the
log, the heartbeat (a file in memory: antirelou.livestate), and the alert when the dongle has
been lost too long.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime

from antirelou import livestate
from antirelou.clock import SystemClock
from antirelou.config import Config
from antirelou.durations import format_duration
from antirelou.heartbeat import Heartbeat, ModemIdentity
from antirelou.modem import Modem, Registration
from antirelou.store import Store, StoreError
from antirelou.systemd import Notifier

log = logging.getLogger("antirelou")


class ServiceStatus:
    """Given the modem, a clock and systemd's notifier, keep and publish the service's state.

    `store` is set once the database is open; `alert` raises an operator alert.
    """

    def __init__(
        self,
        config: Config,
        modem: Modem,
        clock: SystemClock,
        notifier: Notifier,
        alert: Callable[[str, str], None],
    ) -> None:
        self.config = config
        self.modem = modem
        self.clock = clock
        self.notifier = notifier
        self.alert = alert
        self.store: Store | None = None
        self.started_at = clock.now()
        self.state = "starting"
        self.problem: str | None = None  # what is wrong, when the state is not "running"
        self.registration: Registration | None = None
        self.flood_since: datetime | None = None
        self._lost_since: float | None = None
        self._lost_alerted = False
        self.live_path = livestate.write_path(config.database)
        self._live_failed = False

    def set_state(self, state: str, detail: str) -> None:
        self.state = state
        self.problem = None if state == "running" else detail
        self.notifier.status(self.line())
        self.heartbeat(state)

    def line(self) -> str:
        """The one-line status systemd shows (`systemctl status antirelou`)."""
        if self.state == "running" and self.registration:
            flood = ""
            if self.flood_since is not None:
                flood = f"FLOOD MODE since {self.flood_since.astimezone():%H:%M}; "
            return f"Running: {flood}{self.registration.describe()}"
        return f"{self.state.capitalize()}: {self.problem or ''}".rstrip(": ")

    def event(self, kind: str, detail: str, at: datetime | None = None) -> None:
        """Record an event in the log; a database that refuses is logged, not fatal."""
        if self.store is None:
            return
        try:
            with self.store.transaction() as tx:
                tx.event(at or self.clock.now(), kind, detail)
        except StoreError as error:
            log.error("cannot record event %r: %s", kind, error)

    def heartbeat(self, state: str | None = None) -> None:
        """Write the live state (a file in memory, antirelou.livestate: the database is not
        touched), then tell systemd's watchdog we are alive."""
        registration, identity = self.registration, self.modem.identity
        beat = Heartbeat(
            pid=os.getpid(),
            at=self.clock.now(),
            started_at=self.started_at,
            state=state or self.state,
            state_detail=self.problem,
            port=self.config.modem.port,
            modem=None
            if identity is None
            else ModemIdentity(
                identity.manufacturer, identity.model, identity.revision, identity.imei
            ),
            network=None if registration is None else registration.describe(),
            operator=None if registration is None else registration.operator,
            signal=None if registration is None else registration.signal,
            storages=tuple((info.name, info.used, info.total) for info in self.modem.storages),
            flood_since=self.flood_since,
        )
        try:
            livestate.write(self.live_path, beat)
        except OSError as error:
            # Only `status` reads it: the service goes on, and says so once.
            if not self._live_failed:
                log.error("cannot write the live state to %s: %s", self.live_path, error)
            self._live_failed = True
        else:
            self._live_failed = False
        # Pinged only from the main loop: if the loop is stuck, systemd restarts us.
        self.notifier.watchdog()
        self.notifier.status(self.line())

    # --- the dongle lost, then found ----------------------------------------------------------

    def modem_lost(self, error: str) -> None:
        if self._lost_since is None:
            self._lost_since = self.clock.monotonic()
        self.set_state("modem lost", error)
        self.event("modem lost", error)

    def modem_found(self) -> None:
        self._lost_since, self._lost_alerted = None, False

    def check_lost_too_long(self) -> None:
        """Alert the operators once when the dongle has been missing `modem_lost_after`."""
        if self._lost_since is None or self._lost_alerted:
            return
        lost_for = self.clock.monotonic() - self._lost_since
        if lost_for >= self.config.alerts.modem_lost_after:
            self._lost_alerted = True
            # The SMS leaves once the modem is back; the command can tell at once.
            self.alert(
                "modem lost",
                f"no dongle for {format_duration(lost_for)}: {self.problem or 'unknown cause'}",
            )
