"""Time as the daemon sees it: the clocks, the one local day, the one waiting loop."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from operator_log import paris_time

from antirelou.clock import FakeClock, ScaledClock, local_day_start, wait_until

START = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


def test_scaled_clock_runs_wall_time_faster_and_waits_in_real_time():
    clock = ScaledClock(600, origin=START, origin_monotonic=time.monotonic() - 1.0)
    assert clock.now() - START >= timedelta(seconds=600)  # one real second: ten minutes
    began = time.monotonic()
    assert clock.wait(threading.Event(), 0.05) is False
    assert 0.04 <= time.monotonic() - began < 1.0


def test_fake_clock_moves_only_when_told_or_waited_on():
    clock = FakeClock(START)
    event = threading.Event()
    assert clock.now() == START
    assert clock.wait(event, 30) is False
    assert clock.now() == START + timedelta(seconds=30)
    event.set()
    assert clock.wait(event, 30) is True
    assert clock.now() == START + timedelta(seconds=30)


@pytest.mark.parametrize(
    ("moment", "day_start"),
    [
        (
            "2026-03-07T23:30+00:00",
            "2026-03-07T23:00+00:00",
        ),  # 00:30 in Paris: today began in UTC's yesterday
        ("2026-03-08T22:59+00:00", "2026-03-07T23:00+00:00"),
        ("2026-03-29T12:00+00:00", "2026-03-28T23:00+00:00"),  # the day clocks go forward
        ("2026-10-25T12:00+00:00", "2026-10-24T22:00+00:00"),  # the day clocks go back
    ],
)
def test_local_day_start_is_local_midnight(monkeypatch, moment, day_start):
    with paris_time(monkeypatch):
        start = local_day_start(datetime.fromisoformat(moment))
    assert start == datetime.fromisoformat(day_start)


def test_wait_until_says_whether_the_condition_came_true():
    flags = iter([False, False, True])
    assert wait_until(lambda: next(flags), 1.0, interval=0.001)
    assert not wait_until(lambda: False, 0.05, interval=0.01)
