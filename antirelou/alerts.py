"""Telling the people who run the service: by SMS from the alerts' own reserve, and/or a command.

An alert of a kind is raised at most once per `alerts.min_interval`; its SMS are taken from
`alerts.reserve`, which replies never spend, so that the operators hear that a raid started
or a budget is spent even when the raid has spent the replies' budgets. The
command is run with fixed arguments and no shell: its last two arguments are
the alert's kind and description, which we write ourselves.
"""

from __future__ import annotations

import logging
import subprocess
from datetime import datetime

from antirelou.budgets import alert_reserve
from antirelou.config import Config
from antirelou.numbers import operator_numbers
from antirelou.pdu import segment_info
from antirelou.reasons import Reason
from antirelou.store import Store

log = logging.getLogger("antirelou.alerts")


class Alerter:
    """Given the config and the log, raise alerts without flooding the operators."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self._children: list[subprocess.Popen] = []

    def raise_alert(
        self, kind: str, detail: str, now: datetime, *, every: float | None = None
    ) -> bool:
        """Alert the operators of `kind` unless one was raised within `alerts.min_interval` (or
        `every` seconds, if longer: a budget spent for days is told once a day, not every half
        hour from the reserve); return whether it was.

        Raise StoreError if the database cannot record it (then nothing was run either).
        """
        alerts = self.config.alerts
        if not alerts.numbers and not alerts.command:
            return False
        last = self.store.last_alert_at(kind)
        interval = max(alerts.min_interval, every or 0.0)
        if last is not None and (now - last).total_seconds() < interval:
            return False
        log.warning("alert to the operators: %s: %s", kind, detail)
        text = f"antirelou: {kind}. {detail}"[:300]
        segments = segment_info(text).segments
        recipients = operator_numbers(alerts.numbers, self.config.numbers.default_country)
        with self.store.transaction() as tx:
            for number in sorted(recipients):
                reserve = alert_reserve(tx.spending(now), self.config)
                refusing = reserve if reserve.refuses(segments) else None
                tx.insert_alert(
                    kind=kind,
                    recipient=number,
                    text=text,
                    queued=refusing is None,
                    reason="alert" if refusing is None else refusing.refusal(),
                    code=Reason.ALERT if refusing is None else refusing.code,
                    segments=0 if refusing else segments,
                    now=now,
                )
            if not alerts.numbers:
                # Still record it, so that the rate limit applies to the command too.
                tx.insert_alert(
                    kind=kind,
                    recipient="-",
                    text=text,
                    queued=False,
                    reason="no alerts.numbers",
                    code=Reason.NO_ALERT_NUMBERS,
                    segments=0,
                    now=now,
                )
        if alerts.command:
            self._run([*alerts.command, kind, detail])
        return True

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
