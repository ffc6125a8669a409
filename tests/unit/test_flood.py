from datetime import UTC, datetime, timedelta

from antirelou.config import FloodConfig
from antirelou.flood import FloodDetector

T0 = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
CONFIG = FloodConfig(messages_per_minute=5, new_numbers_per_minute=3, calm_after=600)


def feed(detector, events):
    """events: (seconds after T0, new_number). Return the transitions seen, as (s, started)."""
    seen = []
    for seconds, new_number in events:
        at = T0 + timedelta(seconds=seconds)
        transition = detector.observe(at, new_number=new_number, now=at)
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


def test_a_backlog_written_over_hours_and_received_at_once_is_not_a_raid():
    # Forty people wrote once each, 3 minutes apart, while the Pi was off for two hours.
    detector = FloodDetector(CONFIG)
    received = T0 + timedelta(hours=2)
    for index in range(40):
        written = T0 + timedelta(minutes=3 * index)
        assert detector.observe(written, new_number=True, now=received) is None
    assert not detector.active
    assert detector.rates(received) == (0, 0)


def test_a_raid_inside_a_backlog_starts_flood_mode_and_ends_once_writing_calmed_down():
    detector = FloodDetector(CONFIG)
    received = T0 + timedelta(hours=2)
    transitions = [
        detector.observe(T0 + timedelta(seconds=index), new_number=True, now=received)
        for index in range(10)
    ]
    started = [t for t in transitions if t is not None]
    assert len(started) == 1 and started[0].at == received  # the episode is on our clock
    assert detector.since == received
    # Writing calmed down two hours ago: the episode ends at the next tick, not 30 min later.
    end = detector.tick(received + timedelta(seconds=10))
    assert end is not None and not end.started


def test_live_messages_between_backlog_ones_count_at_their_own_time():
    detector = FloodDetector(CONFIG)
    now = T0 + timedelta(hours=2)
    for index in range(4):  # four live ones within a minute: under the threshold of 5
        detector.observe(now - timedelta(seconds=index), new_number=False, now=now)
        detector.observe(T0 + timedelta(minutes=index), new_number=False, now=now)
    assert detector.rates(now) == (4, 0)
    assert not detector.active
    assert detector.observe(now, new_number=False, now=now) is not None  # the fifth


def test_counts_older_than_an_hour_before_the_latest_are_forgotten():
    detector = FloodDetector(FloodConfig(messages_per_minute=10_000, new_numbers_per_minute=10_000))
    for second in range(0, 3 * 3600, 2):
        at = T0 + timedelta(seconds=second)
        detector.observe(at, new_number=True, now=at)
    assert len(detector._messages) <= (3600 + 60) // 2 + 1
    assert detector.rates(T0 + timedelta(seconds=3 * 3600 - 1)) == (30, 30)


def test_copy_is_independent():
    detector = FloodDetector(CONFIG)
    twin = detector.copy()
    feed(twin, [(s, False) for s in range(5)])
    assert twin.active and not detector.active
    assert detector.rates(T0 + timedelta(seconds=5)) == (0, 0)


def test_a_resumed_episode_ends_when_writing_calmed_down_not_after_its_start():
    # The daemon restarted 20 minutes into a raid that is still hot 5 minutes before.
    detector = FloodDetector(CONFIG)
    restart = T0 + timedelta(minutes=20)
    recent = [restart - timedelta(minutes=5, seconds=s) for s in range(10)]
    detector.resume(T0, recent)
    assert detector.volume == 0
    # calm_after is 10 minutes: calm began a minute after the last hot second (restart - 5m).
    assert detector.tick(restart + timedelta(minutes=5, seconds=30)) is None
    assert detector.tick(restart + timedelta(minutes=6, seconds=1)) is not None


def test_a_resumed_episode_without_recent_messages_ends_calm_after_its_start():
    detector = FloodDetector(CONFIG)
    detector.resume(T0)
    assert detector.tick(T0 + timedelta(seconds=650)) is None
    assert detector.tick(T0 + timedelta(seconds=661)) is not None
