"""Once a local day: apply retention, then write down a checkpoint and send it off the Pi.

A checkpoint proves something only once a copy lives where whoever can edit the database
cannot reach (evidence.checkpoint): it goes to journald (a log line) and, when alerts.numbers
is set, by SMS to the operators from the alerts' reserve (an alert of kind "checkpoint"). The
purge comes first, so that the day's checkpoint covers it. Each checkpoint is checked to extend
the day before's (an RFC 6962 consistency proof from the stored tree). Memory follows the
database: the day done is read from the last daily checkpoint, and moved on only once the new
one is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from antirelou.clock import SystemClock, local_day_start
from antirelou.config import Config
from antirelou.store import Store
from antirelou.store.ledger import extends
from antirelou.store.purge import purge

log = logging.getLogger("antirelou")

SERVICE = "antirelou"  # who purges, in the access records, when the service does
DAILY = "daily"


class DailyTasks:
    """Given the log, a clock and how to alert the operators, run the daily tasks when due."""

    def __init__(self, store: Store, clock: SystemClock, alert: Callable[[str, str], None]):
        self.store = store
        self.clock = clock
        self.alert = alert
        last = store.last_checkpoint(DAILY)
        # A new log gets its first one at the next local midnight; one that missed a night
        # (the service was stopped) at once.
        self._done = local_day_start(last.at if last else clock.now())

    def run_if_due(self, config: Config) -> None:
        """Purge and checkpoint once per local day. Raise StoreError if the database refuses
        (tried again at the next turn)."""
        now = self.clock.now()
        today = local_day_start(now)
        if self._done >= today:
            return
        plan = purge(self.store, config.retention, now, SERVICE, "purge (daily)")
        if not plan.empty:
            log.info("retention applied: %s", plan.summary())
        previous = self.store.last_checkpoint(DAILY)
        with self.store.transaction() as tx:
            checkpoint = tx.head(now)
            tx.keep_checkpoint(checkpoint, DAILY)
        self._done = today
        if previous is not None and not extends(self.store, previous, checkpoint):
            log.critical(
                "the log no longer extends yesterday's checkpoint (%s): it was rewritten; run "
                "`antirelou verify` and keep the SMS copies of the checkpoints",
                previous.text(),
            )
            self.alert("log altered", f"run antirelou verify; yesterday: {previous.text()}")
        log.warning("daily checkpoint, keep a copy off the Pi: %s", checkpoint.text())
        self.alert("checkpoint", checkpoint.text())
