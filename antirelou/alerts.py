"""Telling the people who run the service: by SMS within the budgets, and/or a command.

An alert of a kind is raised at most once per `alerts.min_interval`. The
command is run with fixed arguments and no shell: its last two arguments are
the alert's kind and description, which we write ourselves.
"""

from __future__ import annotations

import logging
import subprocess
from datetime import datetime

from antirelou.config import Config
from antirelou.numbers import classify
from antirelou.pdu import segment_info
from antirelou.store import QUEUED, SKIPPED, Store

log = logging.getLogger("antirelou.alerts")


def operator_numbers(config: Config) -> frozenset[str]:
    """Return the operators' numbers (alerts.numbers) in E.164 form."""
    numbers = (classify(raw, config.numbers.default_country) for raw in config.alerts.numbers)
    return frozenset(number.e164 for number in numbers if number.e164)


class Alerter:
    """Given the config and the log, raise alerts without flooding the operators."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self._children: list[subprocess.Popen] = []

    def raise_alert(self, kind: str, detail: str, now: datetime) -> bool:
        """Alert the operators of `kind` unless one was raised lately; return whether it was."""
        alerts = self.config.alerts
        if not alerts.numbers and not alerts.command:
            return False
        last = self.store.last_alert_at(kind)
        if last is not None and (now - last).total_seconds() < alerts.min_interval:
            return False
        log.warning("alert to the operators: %s: %s", kind, detail)
        text = f"antirelou: {kind}. {detail}"[:300]
        segments = segment_info(text).segments
        for number in sorted(operator_numbers(self.config)):
            refused = self._over_budget(now, segments)
            self.store.insert_alert(
                kind=kind,
                recipient=number,
                text=text,
                status=SKIPPED if refused else QUEUED,
                reason=refused or "alert",
                segments=0 if refused else segments,
                now=now,
            )
        if not alerts.numbers:
            # Still record it, so that the rate limit applies to the command too.
            self.store.insert_alert(
                kind=kind,
                recipient="-",
                text=text,
                status=SKIPPED,
                reason="no alerts.numbers",
                segments=0,
                now=now,
            )
        if alerts.command:
            self._run([*alerts.command, kind, detail])
        return True

    def _over_budget(self, now: datetime, segments: int) -> str | None:
        with self.store.transaction() as db:
            spent = Store.spending(db, now, None)
        budgets = self.config.budgets
        for used, limit, name in (
            (spent.segments_hour, budgets.segments_per_hour, "hourly"),
            (spent.segments_day, budgets.segments_per_day, "daily"),
            (spent.segments_month, budgets.segments_per_month, "monthly"),
        ):
            if limit is not None and used + segments > limit:
                return f"{name} budget spent ({used} of {limit} SMS)"
        return None

    def _run(self, argv: list[str]) -> None:
        self._children = [child for child in self._children if child.poll() is None]
        try:
            # No shell, no waiting: a slow or stuck command never holds the modem loop.
            self._children.append(
                subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        except OSError as error:
            log.error("alerts.command %s could not be run: %s", argv[0], error)
