"""bench/month_checks.py, the month bench's verdicts, on small synthetic tables: no daemon."""

from __future__ import annotations

import os

import pytest
from common import REPO
from month_checks import (
    BUDGETS,
    at_least,
    distinct_between,
    distinct_peak,
    first_reaching,
    inside,
    month_checks,
    month_goals,
    numbers_kept,
    overlap,
    peak_while,
    peaks,
    share,
)

from antirelou.budgets import Spending, budget_list
from antirelou.config import load

A, B, C, D = "+33611111111", "+33622222222", "+33633333333", "+33644444444"
HOUR, DAY = 3600.0, 86400.0


@pytest.mark.parametrize(
    ("counts", "value", "reached"),
    [
        ([19, 20], 0.95, True),
        ([18, 20], 0.9, False),
        ([0, 0], None, True),  # nobody to answer: nothing missed
        ([0, 3], 0.0, False),
    ],
)
def test_share_and_at_least(counts, value, reached):
    assert share(counts) == value
    assert at_least(counts, 0.95) is reached


@pytest.mark.parametrize(
    ("rows", "seconds", "peak"),
    [
        ([], HOUR, 0),
        ([(0.0, A), (10.0, A), (20.0, A)], HOUR, 1),  # one number, many replies
        ([(0.0, A), (10.0, B), (20.0, C)], HOUR, 3),
        ([(0.0, A), (HOUR, B)], HOUR, 2),  # both ends of the window count, as the store does
        ([(0.0, A), (HOUR + 1, B)], HOUR, 1),
        ([(0.0, A), (HOUR + 1, A), (HOUR + 2, B)], HOUR, 2),  # A counted again in its window
        ([(30.0, C), (10.0, A), (20.0, B)], 15, 2),  # rows in any order
    ],
)
def test_distinct_peak(rows, seconds, peak):
    assert distinct_peak(rows, seconds) == peak


@pytest.mark.parametrize(
    ("rows", "limit", "reached"),
    [
        ([(0.0, A), (10.0, B), (20.0, C)], 3, 20.0),
        ([(0.0, A), (10.0, B), (20.0, B)], 3, None),
        ([(0.0, A), (10.0, B), (HOUR + 11, C), (HOUR + 12, D)], 3, None),  # A, B left
        ([(0.0, A), (10.0, B), (HOUR, C)], 3, HOUR),  # A still in the window, at its edge
        ([(0.0, A)], None, None),  # unlimited
    ],
)
def test_first_reaching(rows, limit, reached):
    assert first_reaching(rows, limit, HOUR) == reached


def test_distinct_between_excludes_the_start_and_includes_the_end():
    rows = [(0.0, A), (10.0, B), (10.0, B), (20.0, C), (30.0, D)]
    assert distinct_between(rows, 0.0, 20.0) == 2
    assert distinct_between(rows, 10.0, 30.0) == 2


def test_overlap_and_inside():
    spans = [(10.0, 20.0), (30.0, 50.0)]
    assert overlap(spans, 0.0, 100.0) == 30.0
    assert overlap(spans, 15.0, 40.0) == 15.0
    assert overlap(spans, 20.0, 30.0) == 0.0
    assert inside(10.0, spans) and inside(50.0, spans) and not inside(25.0, spans)


@pytest.mark.parametrize(
    ("rows", "peak"),
    [
        ([], 0),
        # Sent while the flood was on: every flood-mode segment of the hour before counts.
        ([(100.0, 5), (200.0, 5), (1000.0, 1)], 11),
        # After the flood (1000 s), deferred replies go at the normal rate: not counted here.
        ([(100.0, 5), (200.0, 5), (1500.0, 1), (1600.0, 1)], 10),
        # Sent after the flood, then counted in the hour of a send during the next one.
        ([(1500.0, 4), (1600.0, 4), (2100.0, 3)], 11),
    ],
)
def test_peak_while_counts_only_sends_while_a_flood_is_on(rows, peak):
    spans = [(0.0, 1000.0), (2000.0, 3000.0)]
    assert peak_while(rows, spans, HOUR) == peak


def test_peaks_reads_every_budget_from_the_send_log():
    replies = [
        (0.0, A, 1, False),
        (10.0, B, 2, True),
        (20.0, C, 1, True),
        (2 * DAY, A, 1, False),
    ]
    alerts = [(5.0, 1), (6.0, 1), (DAY + 7, 1)]
    result = peaks(replies, alerts, [(5.0, 30.0)])
    assert set(result) == set(BUDGETS)
    assert result == {
        "budgets.segments_per_hour": 4,
        "budgets.segments_per_day": 4,
        "budgets.segments_per_month": 5,
        "budgets.numbers_per_month": 3,
        "flood.segments_per_hour": 3,
        "flood.share_of_month.segments": 3,
        "flood.share_of_month.numbers": 2,
        "alerts.reserve": 2,
    }


def test_every_budget_of_the_daemon_is_checked():
    config = load(os.path.join(REPO, "etc", "antirelou.yaml"))
    assert [budget.name for budget in budget_list(Spending(), config)] == list(BUDGETS)


LIMITS = {
    "budgets.segments_per_hour": 60,
    "budgets.segments_per_day": 300,
    "budgets.segments_per_month": 3000,
    "budgets.numbers_per_month": 140,
    "flood.segments_per_hour": 10,
    "flood.share_of_month.segments": 750,
    "flood.share_of_month.numbers": 35,
    "alerts.reserve": 10,
}
NUMBERS = {"exhausted_at": None, "raid_over_at": 1000.0}
MET = {
    "one_offs": {"ordinary": [96, 100], "raid_days": [50, 60], "after_raid": [76, 80]},
    "numbers": NUMBERS,
    "limits": LIMITS,
    "peaks": dict(LIMITS),  # every budget used to its limit, none beyond
    "lost": 0,
    "duplicated": 0,
    "left_at_network": 0,
    "left_on_sim": 0,
    "replies_per_message_max": 1,
    "sends_per_reply_max": 1,
    "sent_logged": 300,
    "sent_dongle": 300,
    "sent_to_non_numbers": 0,
    "expected_backlog": 40,
    "backlog_events_after_outage": 1,
    "flood_started_after_outage": 0,
    "exit_codes": [0, 0],
}


@pytest.mark.parametrize(
    ("numbers", "after_raid", "kept"),
    [
        ({}, [95, 100], True),
        ({"exhausted_at": 999.0}, [95, 100], False),  # spent while raid replies were due
        ({"exhausted_at": 1001.0}, [95, 100], True),  # spent later, by the weeks after
        ({}, [94, 100], False),  # not spent, but those who wrote after were not answered
        ({}, [0, 0], True),  # nobody wrote after the raid
    ],
)
def test_numbers_kept(numbers, after_raid, kept):
    assert numbers_kept(NUMBERS | numbers, after_raid) is kept


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({}, []),
        (
            {"one_offs": {"ordinary": [94, 100], "raid_days": [48, 60], "after_raid": [76, 80]}},
            ["ordinary_one_offs"],
        ),
        (
            {"one_offs": {"ordinary": [95, 100], "raid_days": [47, 60], "after_raid": [76, 80]}},
            ["raid_day_one_offs"],
        ),
        (
            {"one_offs": {"ordinary": [95, 100], "raid_days": [48, 60], "after_raid": [75, 80]}},
            ["numbers_kept_from_raid"],
        ),
        ({"numbers": NUMBERS | {"exhausted_at": 10.0}}, ["numbers_kept_from_raid"]),
        ({"peaks": LIMITS | {"alerts.reserve": 11}}, ["budgets_kept"]),
        ({"peaks": LIMITS | {"flood.segments_per_hour": 11}}, ["budgets_kept"]),
        ({"limits": dict.fromkeys(LIMITS), "peaks": dict.fromkeys(LIMITS, 10**6)}, []),
    ],
)
def test_month_goals(change, failed):
    goals = month_goals(MET | change)
    assert [name for name, met in goals.items() if not met] == failed


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({}, []),
        ({"lost": 1}, ["nothing_lost"]),
        ({"left_at_network": 3}, ["nothing_lost"]),
        ({"left_on_sim": 1}, ["nothing_lost"]),
        ({"replies_per_message_max": 2}, ["one_reply_per_message"]),
        (
            {"sends_per_reply_max": 2, "sent_dongle": 301},
            ["one_reply_per_message", "log_matches_dongle"],
        ),
        ({"sent_to_non_numbers": 1}, ["no_reply_to_non_numbers"]),
        ({"backlog_events_after_outage": 0}, ["backlog_logged"]),
        ({"expected_backlog": 0, "backlog_events_after_outage": 0}, []),  # no outage
        ({"flood_started_after_outage": 1}, ["backlog_not_a_raid"]),
        ({"exit_codes": [0, 70]}, ["exit_codes"]),
    ],
)
def test_month_checks(change, failed):
    checks = month_checks(MET | change)
    assert [name for name, held in checks.items() if not held] == failed
