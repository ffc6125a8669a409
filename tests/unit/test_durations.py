import pytest
from hypothesis import given
from hypothesis import strategies as st

from antirelou.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("24h", 86400.0),
        ("7d", 604800.0),
        ("1h30m", 5400.0),
        ("250ms", 0.25),
        ("1d12h", 129600.0),
        ("6y", 6 * 366 * 86400.0),  # a year of 366 days: never short of a calendar year
        ("1y30d", 396 * 86400.0),
        ("1h 30m", 5400.0),
        ("30 s", 30.0),
        ("1.5h", 5400.0),
        ("0s", 0.0),
        ("45", 45.0),
        (" 10s ", 10.0),
        (45, 45.0),
        (0, 0.0),
        (2.5, 2.5),
    ],
)
def test_parse_duration_accepts(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text, message",
    [
        ("2 days", "'2 days' is not a duration (try 48h)"),
        ("5 minutes", "(try 5m)"),
        ("1h30", "(try 1h30m)"),
        ("7j", "(try 7d)"),
        ("2 semaines", "(try 14d)"),
        ("6 ans", "(try 6y)"),
        ("1,5h", "(try 1h30m)"),
        ("24H", "(try 24h)"),
        ("30m1h", "(try 1h30m)"),
        ("1h1h", "(try 2h)"),
        ("-5m", "'-5m' is negative"),
        ("-5", "is negative"),
        (-5, "it must be 0 or more"),
        ("", "the duration is empty (write a number and a unit"),
        ("   ", "the duration is empty"),
        ("soon", "'soon' is not a duration (write a number and a unit, e.g. 30s"),
        ("1:30", "is not a duration"),
        ("h", "is not a duration"),
        ("10x", "is not a duration"),
        (True, "is not a duration"),
        (float("inf"), "it must be 0 or more"),
    ],
)
def test_parse_duration_rejects(text, message):
    with pytest.raises(ValueError) as raised:
        parse_duration(text)

    assert message in str(raised.value)


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0, "0s"),
        (0.25, "250ms"),
        (1, "1s"),
        (45, "45s"),
        (90, "1m30s"),
        (300, "5m"),
        (3600, "1h"),
        (5400, "1h30m"),
        (86400, "24h"),
        (172800, "48h"),
        (172801, "2d1s"),
        (259200, "3d"),
        (604800, "7d"),
        (6 * 366 * 86400, "6y"),
        (1095 * 86400, "1095d"),  # years only when whole
        (1.5, "1s500ms"),
        (0.0004, "0s"),
    ],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_format_duration_rejects_negative():
    with pytest.raises(ValueError):
        format_duration(-1)


@given(st.integers(min_value=0, max_value=3000 * 86400 * 1000))
def test_format_duration_reads_back(milliseconds):
    seconds = milliseconds / 1000

    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, abs=1e-6)
