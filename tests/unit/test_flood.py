from datetime import UTC, datetime, timedelta

from antirelou.config import FloodConfig
from antirelou.flood import FloodDetector

T0 = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
CONFIG = FloodConfig(messages_per_minute=5, new_numbers_per_minute=3, calm_after=600)


def feed(detector, events):
    """events: (seconds after T0, new_number). Return the transitions seen, as (s, started)."""
    seen = []
    for seconds, new_number in events:
        transition = detector.observe(T0 + timedelta(seconds=seconds), new_number=new_number)
        if transition:
            seen.append((seconds, transition.started))
    return seen


def test_observe_starts_on_message_rate():
    detector = FloodDetector(CONFIG)
    assert feed(detector, [(s, False) for s in range(0, 50, 10)]) == [(40, True)]
    assert detector.active and detector.since == T0 + timedelta(seconds=40)


def test_observe_starts_on_new_numbers_rate():
    detector = FloodDetector(CONFIG)
    assert feed(detector, [(0, True), (20, True), (40, True)]) == [(40, True)]


def test_observe_ignores_a_slow_steady_trickle():
    detector = FloodDetector(CONFIG)
    assert feed(detector, [(s, True) for s in range(0, 3600, 30)]) == []
    assert not detector.active


def test_observe_does_nothing_when_disabled():
    detector = FloodDetector(FloodConfig(enabled=False, messages_per_minute=1))
    assert feed(detector, [(0, True), (1, True)]) == []


def test_tick_ends_only_after_calm_lasted():
    detector = FloodDetector(CONFIG)
    feed(detector, [(s, True) for s in range(10)])
    assert detector.tick(T0 + timedelta(seconds=30)) is None  # still hot
    assert detector.tick(T0 + timedelta(seconds=100)) is None  # calm starts
    assert detector.tick(T0 + timedelta(seconds=650)) is None  # 550 s of calm
    end = detector.tick(T0 + timedelta(seconds=701))
    assert end is not None and not end.started and "10 messages" in end.detail
    assert not detector.active


def test_tick_restarts_calm_when_the_raid_resumes():
    detector = FloodDetector(CONFIG)
    feed(detector, [(s, False) for s in range(5)])
    detector.tick(T0 + timedelta(seconds=100))
    feed(detector, [(s, False) for s in range(400, 405)])
    assert detector.tick(T0 + timedelta(seconds=420)) is None
    assert detector.tick(T0 + timedelta(seconds=900)) is None  # calm since 480 at best
    assert detector.tick(T0 + timedelta(seconds=1200)) is not None


def test_resume_continues_an_episode():
    detector = FloodDetector(CONFIG)
    detector.resume(T0)
    assert detector.active
    assert detector.tick(T0 + timedelta(seconds=1)) is None
