"""Raid detection: counts inbound messages and never-seen numbers per minute.

Pure state machine, fed with times (no clock of its own): `observe` each
message as it is logged, `tick` now and then; both return a Transition when
flood mode starts or ends.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from antirelou.config import FloodConfig
from antirelou.durations import format_duration

_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Transition:
    started: bool  # True: flood mode begins; False: it ends
    at: datetime
    detail: str

    @property
    def kind(self) -> str:
        """The event the log records: 'flood started' or 'flood ended'."""
        return "flood started" if self.started else "flood ended"


class FloodDetector:
    """Given the flood settings, tell when a raid starts and when it is over."""

    def __init__(self, config: FloodConfig) -> None:
        self.config = config
        self._messages: deque[datetime] = deque()
        self._new_numbers: deque[datetime] = deque()
        self.since: datetime | None = None
        self.volume = 0  # messages seen during the current episode
        self._last_hot: datetime | None = None  # last time a rate was over its threshold

    def copy(self) -> FloodDetector:
        """Return an independent copy: intake works on one inside a transaction, and the daemon
        adopts it only once that transaction has committed."""
        twin = FloodDetector(self.config)
        twin._messages, twin._new_numbers = deque(self._messages), deque(self._new_numbers)
        twin.since, twin.volume, twin._last_hot = self.since, self.volume, self._last_hot
        return twin

    @property
    def active(self) -> bool:
        return self.since is not None

    def resume(self, since: datetime) -> None:
        """Continue an episode that was running when the daemon last stopped."""
        self.since = since

    def rates(self, now: datetime) -> tuple[int, int]:
        """Return (messages, never-seen numbers) within the last minute."""
        for times in (self._messages, self._new_numbers):
            while times and times[0] <= now - _WINDOW:
                times.popleft()
        return len(self._messages), len(self._new_numbers)

    def _over_threshold(self, now: datetime) -> bool:
        messages, new_numbers = self.rates(now)
        return (
            messages >= self.config.messages_per_minute
            or new_numbers >= self.config.new_numbers_per_minute
        )

    def observe(self, at: datetime, *, new_number: bool) -> Transition | None:
        """Count one inbound message; return a Transition if this starts a raid."""
        if not self.config.enabled:
            return None
        self._messages.append(at)
        if new_number:
            self._new_numbers.append(at)
        hot = self._over_threshold(at)
        if hot:
            self._last_hot = at
        if self.active:
            self.volume += 1
            return None
        if not hot:
            return None
        messages, new_numbers = self.rates(at)
        self.since, self.volume = at, messages
        return Transition(
            True,
            at,
            f"{messages} messages and {new_numbers} new numbers in the "
            f"last minute (thresholds {self.config.messages_per_minute} and "
            f"{self.config.new_numbers_per_minute})",
        )

    def tick(self, now: datetime) -> Transition | None:
        """Return a Transition if the raid is over: rates stayed low for `calm_after`."""
        if not self.active or self._over_threshold(now):
            return None
        # Calm began when the last hot moment left the one-minute window.
        calm_since = max(self._last_hot or self.since, self.since) + _WINDOW
        if (now - calm_since).total_seconds() < self.config.calm_after:
            return None
        started, volume = self.since, self.volume
        self.since, self.volume = None, 0
        lasted = format_duration(max(1.0, (now - started).total_seconds()))
        return Transition(False, now, f"{volume} messages in {lasted}")
