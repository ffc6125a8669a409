"""Raid detection: counts inbound messages and never-seen numbers per minute of writing.

Pure state machine, fed with times (no clock of its own): `observe` each message as it is
logged, at the time it was written (`arrivals`), and `tick` now and then; both return a
Transition when flood mode starts or ends. Messages come in out of order (a backlog written
over hours arrives in one listing, between live ones), so counts are kept per second of
writing rather than in arrival order: forty messages written three minutes apart are not a
raid because they arrive together, and a raid is over when writing calms down, not when its
backlog is drained.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from antirelou.config import FloodConfig
from antirelou.durations import format_duration

_WINDOW = 60  # seconds: the rates are per minute
# How far back from the latest time stamp counts are kept: a backlog older than this counts
# without its neighbours (it cannot start a raid), which bounds memory during a long raid.
_KEEP = 3600


@dataclass(frozen=True)
class Transition:
    started: bool  # True: flood mode begins; False: it ends
    at: datetime
    detail: str

    @property
    def kind(self) -> str:
        """The event the log records: 'flood started' or 'flood ended'."""
        return "flood started" if self.started else "flood ended"


def _second(moment: datetime) -> int:
    return int(moment.timestamp() // 1)


class FloodDetector:
    """Given the flood settings, tell when a raid starts and when it is over."""

    def __init__(self, config: FloodConfig) -> None:
        self.config = config
        self._messages: Counter[int] = Counter()  # second of writing -> messages
        self._new_numbers: Counter[int] = Counter()  # second of writing -> never-seen numbers
        self._latest = 0  # the latest second counted
        self.since: datetime | None = None  # when the current episode started (our clock)
        self.volume = 0  # messages seen during the current episode
        self._last_hot: int | None = None  # last second of writing a rate was over threshold

    def copy(self) -> FloodDetector:
        """Return an independent copy: intake works on one inside a transaction, and the daemon
        adopts it only once that transaction has committed."""
        twin = FloodDetector(self.config)
        twin._messages, twin._new_numbers = Counter(self._messages), Counter(self._new_numbers)
        twin._latest, twin._last_hot = self._latest, self._last_hot
        twin.since, twin.volume = self.since, self.volume
        return twin

    @property
    def active(self) -> bool:
        return self.since is not None

    def resume(self, since: datetime, written: Iterable[datetime] = ()) -> None:
        """Continue an episode that was running when the daemon last stopped, counting again
        the messages logged lately (`written`: when each was written), so that the raid ends
        when writing calms down, not `calm_after` after the restart nor after its start."""
        self.since = since
        for moment in sorted(written):
            second = _second(moment)
            self._messages[second] += 1
            self._latest = max(self._latest, second)
            if self._hot(second):
                self._last_hot = max(self._last_hot or second, second)

    def rates(self, at: datetime) -> tuple[int, int]:
        """Return (messages, never-seen numbers) written within the minute up to `at`."""
        return self._rates(_second(at))

    def _rates(self, second: int) -> tuple[int, int]:
        seconds = range(second - _WINDOW + 1, second + 1)
        return (
            sum(self._messages.get(s, 0) for s in seconds),
            sum(self._new_numbers.get(s, 0) for s in seconds),
        )

    def _hot(self, second: int) -> bool:
        messages, new_numbers = self._rates(second)
        return (
            messages >= self.config.messages_per_minute
            or new_numbers >= self.config.new_numbers_per_minute
        )

    def observe(
        self, written_at: datetime, *, new_number: bool, now: datetime
    ) -> Transition | None:
        """Count one inbound message written at `written_at` and logged `now`; return a
        Transition if this starts a raid."""
        if not self.config.enabled:
            return None
        second = _second(written_at)
        self._messages[second] += 1
        if new_number:
            self._new_numbers[second] += 1
        if second > self._latest:
            self._forget_before(second - _KEEP)
            self._latest = second
        hot = self._hot(second)
        if hot:
            self._last_hot = max(self._last_hot or second, second)
        if self.active:
            self.volume += 1
            return None
        if not hot:
            return None
        messages, new_numbers = self._rates(second)
        self.since, self.volume = now, messages
        written = written_at.astimezone().strftime("%H:%M")
        return Transition(
            True,
            now,
            f"{messages} messages and {new_numbers} new numbers written within a minute"
            f" (at {written}; thresholds {self.config.messages_per_minute} and "
            f"{self.config.new_numbers_per_minute})",
        )

    def _forget_before(self, second: int) -> None:
        # Once a minute at most: a scan of at most _KEEP entries.
        if second // _WINDOW == (self._latest - _KEEP) // _WINDOW:
            return
        for counter in (self._messages, self._new_numbers):
            for old in [s for s in counter if s < second]:
                del counter[old]

    def tick(self, now: datetime) -> Transition | None:
        """Return a Transition if the raid is over: writing stayed below the thresholds for
        `calm_after`."""
        if not self.active or self._hot(_second(now)):
            return None
        # Calm began when the last hot moment left the one-minute window.
        last_hot = self._last_hot if self._last_hot is not None else _second(self.since)
        calm_since = datetime.fromtimestamp(last_hot + _WINDOW, UTC)
        if (now - calm_since).total_seconds() < self.config.calm_after:
            return None
        started, volume = self.since, self.volume
        self.since, self.volume, self._last_hot = None, 0, None
        lasted = format_duration(max(1.0, (now - started).total_seconds()))
        return Transition(False, now, f"{volume} messages in {lasted}")
