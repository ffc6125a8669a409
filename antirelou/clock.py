"""Time as the rest of antirelou sees it: passed in, never a module global.

The daemon reads wall time (`now`: records, budgets, flood windows), monotonic time
(`monotonic`: poll, heartbeat, reconnect delays) and waits (`wait`) through the clock it is
given: `SystemClock` in service, `ScaledClock` in the benches (policy windows run faster,
the modem's timings stay real), `FakeClock` in tests. "Today" is defined here, once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SystemClock:
    """The real clock: wall time for records, monotonic time for waiting."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Wait until `event` is set or `seconds` of monotonic time pass; return whether it was
        set."""
        return event.wait(max(seconds, 0.0))


class ScaledClock(SystemClock):
    """Wall time running `speed` times faster than the real one from the moment the clock is
    made; monotonic time and waits stay real, so the modem's timings are never skipped.

    For the benches: a 5-minute flood hold or an hourly budget passes in seconds.
    """

    def __init__(
        self,
        speed: float,
        *,
        origin: datetime | None = None,
        origin_monotonic: float | None = None,
    ) -> None:
        """`origin` is the wall time at monotonic time `origin_monotonic` (both default to
        now); a bench that starts the daemon passes its own, so both agree on the mapping."""
        self.speed = speed
        self._origin = origin or datetime.now(UTC)
        self._origin_monotonic = time.monotonic() if origin_monotonic is None else origin_monotonic

    def now(self) -> datetime:
        elapsed = time.monotonic() - self._origin_monotonic
        return self._origin + timedelta(seconds=elapsed * self.speed)


class FakeClock:
    """A clock that moves only when told to (`advance`), or when something waits on it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
        self._monotonic = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._monotonic += seconds

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Return at once: True if `event` is set, else after moving time `seconds` on."""
        if event.is_set():
            return True
        # At least a microsecond: a wait of 2e-13 s (deadlines are float sums) would leave both
        # clocks where they are, and a loop waiting on them would spin forever.
        self.advance(max(seconds, 1e-6))
        return event.is_set()


def local_day_start(moment: datetime) -> datetime:
    """Given an aware time, return the start of its day in the machine's local time (aware).

    "Today" everywhere (`status`, `stats`, the demo) means this: operators live in local time,
    the log keeps UTC.
    """
    local = moment.astimezone()
    midnight = datetime.combine(local.date(), datetime.min.time())
    # A naive datetime's astimezone() reads it as local time with the offset in force that
    # day, so a day on which the clocks change lasts 23 or 25 hours, as it should.
    return midnight.astimezone()


def wait_until(
    condition: Callable[[], bool], timeout: float = 10.0, *, interval: float = 0.02
) -> bool:
    """Given a condition, poll it until it holds or `timeout` real seconds pass; return whether
    it held. The one waiting loop of the tests, the benches and the demo."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return condition()
        time.sleep(interval)
