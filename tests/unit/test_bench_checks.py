"""The benches' verdicts (bench/soak_checks.py, bench/flood_checks.py) on small synthetic
tables: no daemon, no timing."""

from __future__ import annotations

from dataclasses import dataclass

import flood_checks as flood_checks_module
import pytest
import soak_checks
from soak_checks import (
    compare_messages,
    fault_figures,
    heartbeat_outages,
    longest_gap,
    message_figures,
    most_replies_per_message,
    outage_figures,
    reason_label,
    reasons_by_status,
    reception_latencies,
    reply_figures,
    verdict,
)

from antirelou.reasons import Reason

A, B, C, D, E = "+33611111111", "+33622222222", "+33633333333", "+33644444444", "+33655555555"
STEP = "Si une femme dit non, inutile d'insister. (1)"


@dataclass(frozen=True)
class Beat:
    """A Sample's fields that the outage checks read."""

    at: float
    alive: bool = True
    state: str | None = "running"
    heartbeat_pid: int | None = 10
    pid: int | None = 10
    heartbeat_age: float | None = 1.0
    stored: int = 0
    waiting: int = 0

    @property
    def ok(self) -> bool:
        return self.alive and self.state == "running" and self.heartbeat_pid == self.pid


@dataclass
class Fault:
    number: int
    kind: str
    started: float
    ended: float | None
    detail: str = ""
    note: str = ""


# --- messages ------------------------------------------------------------------------------

INJECTED = [(A, "salut"), (B, "ça va ?"), (C, "réponds"), (D, "ok"), (E, "??")]


@pytest.mark.parametrize(
    ("logged", "lost", "duplicated"),
    [
        (INJECTED, 0, 0),
        (INJECTED[:4], 1, 0),  # E's message never logged
        (INJECTED + [(A, "salut")], 0, 1),  # A's message logged twice
        (INJECTED[1:] + [(A, "salut !")], 1, 1),  # A's text changed on the way
        ([], 5, 0),
    ],
)
def test_compare_messages_counts_lost_and_duplicated(logged, lost, duplicated):
    comparison = compare_messages(INJECTED, logged)
    assert (comparison.lost, comparison.duplicated) == (lost, duplicated)


def test_message_figures_tells_lost_duplicated_and_flagged_apart():
    rows = [
        (1, A, "salut", None),
        (2, B, "ça va ?", None),
        (3, B, "ça va ?", None),  # a duplicate
        (4, D, "ok", None),
        (5, E, "", "undecodable PDU"),  # malformed PDU from the storage
        (6, E, "", "odd number of hex digits"),  # a copy damaged on the wire
    ]  # C's message is lost; E's was logged flagged only
    pdus = [
        ("2026-03-08T12:00:01+00:00", "07911326", 1),
        ("2026-03-08T12:00:02+00:00", "07911327", 2),
        ("2026-03-08T12:00:02+00:00", "07911327", 3),
        ("2026-03-08T12:00:03+00:00", "07911328", 4),
        ("2026-03-08T12:00:04+00:00", "00zz", 5),
        ("2026-03-08T12:00:05+00:00", "0791\ufffd", 6),
    ]
    figures = message_figures(INJECTED, rows, pdus)
    assert figures["lost"] == 2
    assert figures["duplicated"] == 1
    assert (figures["logged"], figures["logged_clean"], figures["logged_flagged"]) == (6, 4, 2)
    assert (figures["malformed_logged"], figures["damaged_copies"]) == (1, 1)
    assert figures["duplicated_examples"] == [repr((B, "ça va ?"))]


def test_reception_latencies_pair_each_injection_with_its_last_part():
    rows = [(1, A, "salut", None), (2, B, "long", None), (3, A, "salut", None)]
    pdus = [
        ("2026-03-08T12:00:01+00:00", "p1", 1),
        ("2026-03-08T12:00:02+00:00", "p2a", 2),
        ("2026-03-08T12:00:05+00:00", "p2b", 2),  # the second part of B's message
        ("2026-03-08T12:00:09+00:00", "p3", 3),
    ]
    start = soak_checks.epoch("2026-03-08T12:00:00+00:00")
    injected = [(A, "salut"), (B, "long"), (A, "salut"), (C, "lost")]
    at = [start, start + 1, start + 8, start + 9]
    assert reception_latencies(injected, at, rows, pdus) == [1.0, 1.0, 4.0]


# --- replies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replies", "sent", "expected"),
    [
        # Every reply recorded 'sent' and sent once.
        (
            [(1, A, STEP, "sent", None), (2, B, STEP, "sent", None), (3, C, STEP, "skipped", None)],
            [(A, STEP), (B, STEP)],
            {"replies_sent_twice": 0, "sent_without_record": 0, "sending_at_end": 0},
        ),
        # A reply sent twice: the dongle sent A's text two times for one record.
        (
            [(1, A, STEP, "sent", None), (2, B, STEP, "sent", None)],
            [(A, STEP), (A, STEP), (B, STEP)],
            {"replies_sent_twice": 1, "sent_without_record": 1, "sent_beyond_records": 1},
        ),
        # A reply left 'sending' whose text did leave: its outcome was never recorded.
        (
            [(1, A, STEP, "sending", None), (2, B, STEP, "queued", None)],
            [(A, STEP)],
            {"sending_at_end": 1, "sent_but_recorded_sending": 1, "replies_sent_twice": 0},
        ),
        # Recorded 'sent' but the dongle never sent it.
        (
            [(1, A, STEP, "sent", None), (2, B, STEP, "sent", None)],
            [(A, STEP)],
            {"recorded_sent_not_sent": 1, "sent_without_record": 0},
        ),
        # 'unknown': the send timed out; one left the dongle, one did not.
        (
            [(1, A, STEP, "unknown", "timeout"), (2, B, STEP, "unknown", "timeout")],
            [(A, STEP)],
            {"unknown": 2, "unknown_that_left": 1, "sent_without_record": 0},
        ),
    ],
)
def test_reply_figures(replies, sent, expected):
    figures = reply_figures(replies, sent)
    assert {key: figures[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("message_ids", "most"),
    [([], 0), ([1, 2, 3], 1), ([1, 2, 2, 3], 2), ([5, 5, 5], 3), ([4], 1)],
)
def test_most_replies_per_message(message_ids, most):
    assert most_replies_per_message(message_ids) == most


def test_reply_figures_flags_two_replies_for_one_message():
    replies = [(1, A, STEP, "sent", None), (1, A, STEP, "skipped", None)]
    assert reply_figures(replies, [(A, STEP)])["reply_message_ids_unique"] is False


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("cooldown", Reason.COOLDOWN.label),
        ("budget_flood_hour", "flood-mode hourly budget spent"),
        ("insisted_during_hold", "wrote again while the reply waited (flood mode)"),
        (None, "(no code)"),  # rows written before the daemon stored codes
        ("a_code_from_a_newer_daemon", "a_code_from_a_newer_daemon"),
    ],
)
def test_reason_label(code, label):
    assert reason_label(code) == label


def test_reasons_by_status_groups_by_code_not_sentence():
    rows = [
        ("skipped", "budget_flood_hour"),
        ("skipped", "budget_flood_hour"),
        ("skipped", "insisted_during_hold"),
        ("failed", None),
        ("skipped", "budget_flood_hour"),
    ]
    assert reasons_by_status(rows).most_common() == [
        ("skipped: flood-mode hourly budget spent", 3),
        ("skipped: wrote again while the reply waited (flood mode)", 1),
        ("failed: (no code)", 1),
    ]


# --- outages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("commits", "start", "end", "gap"),
    [
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0.0, 5.0, (1.0, 0.0)),
        ([1.0, 2.0, 20.0, 21.0, 22.0], 0.0, 22.0, (18.0, 2.0)),  # an outage from 2 to 20
        ([], 0.0, 10.0, (0.0, 0.0)),
        ([5.0, 6.0, 7.0, 8.0, 9.0], 0.0, 9.0, (5.0, 0.0)),  # nothing before the first commit
        ([1.0, 2.0, 3.0, 4.0, 30.0], 0.0, 10.0, (1.0, 0.0)),  # `end` is the last commit counted
    ],
)
def test_longest_gap(commits, start, end, gap):
    assert longest_gap(commits, start, end) == gap


def test_heartbeat_outages_name_the_states_seen():
    samples = [
        Beat(0.0),
        Beat(0.5, state="modem lost"),
        Beat(1.0, alive=False, heartbeat_pid=10, pid=10),
        Beat(1.5, heartbeat_pid=10, pid=11),  # the new process has not written yet
        Beat(2.0, heartbeat_pid=11, pid=11),
    ]
    assert heartbeat_outages(samples) == [(0.5, 2.0, "modem lost, no process, starting")]


def test_outage_figures():
    samples = [Beat(0.0), Beat(5.0, state="connecting"), Beat(10.0), Beat(15.0), Beat(20.0)]
    commits = [1.0, 2.0, 14.0, 15.0, 16.0]
    figures = outage_figures(commits, samples, t0=0.0, end=16.0, settled_at=20.0)
    assert (figures["longest_outage"], figures["longest_outage_at"]) == (12.0, 2.0)
    assert figures["longest_heartbeat_outage"] == 5.0
    assert figures["longest_heartbeat_outage_states"] == "connecting"
    assert figures["heartbeat_outages"] == 1


def test_fault_figures_measure_recovery_after_the_fault():
    commits = [1.0, 2.0, 14.0, 15.0, 16.0]
    faults = [Fault(1, "unplug", 3.0, 8.0), Fault(2, "garbage", 15.5, None)]
    rows = fault_figures(faults, commits, t0=0.0, end=16.0)
    assert [(row["lasted"], row["recovered_after"], row["commit_gap"]) for row in rows] == [
        (5.0, 6.0, 12.0),
        (0.0, 0.5, 1.0),
    ]


# --- the verdict ---------------------------------------------------------------------------

CLEAN = {
    "lost": 0,
    "duplicated": 0,
    "malformed_injected": 1,
    "malformed_logged": 1,
    "replies_sent_twice": 0,
    "sent_beyond_records": 0,
    "sent_without_record": 0,
    "recorded_sent_not_sent": 0,
    "reply_message_ids_unique": True,
    "stuck_sending": 0,
    "settled": True,
    "stored_at_end": 0,
    "network_queue_at_end": 0,
    "unexpected_exits": [],
    "exit_code": 0,
    "heartbeat_max_age": 20.0,
}


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({}, []),
        ({"lost": 1}, ["lost"]),
        ({"duplicated": 2}, ["duplicated"]),
        (
            {"replies_sent_twice": 1, "sent_without_record": 1},
            ["sent_twice", "sent_without_record"],
        ),
        ({"stuck_sending": 1}, ["no_reply_stuck_sending"]),
        ({"heartbeat_max_age": 95.0, "exit_code": 143}, ["exit_code", "watchdog"]),
    ],
)
def test_verdict(change, failed):
    checks = verdict(CLEAN | change, watchdog=90.0)
    assert [name for name, passed in checks.items() if not passed] == failed


# --- the flood bench -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "seconds", "peak"),
    [
        ([], 3600, 0),
        ([(0.0, 1), (10.0, 2), (20.0, 1), (30.0, 1), (40.0, 1)], 3600, 6),
        ([(0.0, 1), (3600.0, 1), (3601.0, 1), (7200.0, 1), (9000.0, 2)], 3600, 3),  # 3600-7200
        ([(0.0, 1), (4000.0, 1), (8000.0, 1), (12000.0, 1), (16000.0, 1)], 3600, 1),
        ([(50.0, 2), (10.0, 2), (30.0, 2), (20.0, 2), (40.0, 2)], 25, 6),  # order of rows
    ],
)
def test_window_peak(rows, seconds, peak):
    assert flood_checks_module.window_peak(rows, seconds) == peak


FLOOD_CLEAN = {
    "lost": 0,
    "duplicated": 0,
    "flagged": 0,
    "logged": 200,
    "injected": 200,
    "pdus_left_on_modem": 0,
    "messages_without_decision": 0,
    "reply_rows_per_message_max": 1,
    "segments_sent_db": 20,
    "segments_sent_dongle": 20,
    "segments_sent_counted_db": 20,
    "dongle_recipients_match": True,
    "peak_segments_hour": 20,
    "peak_segments_day": 20,
    "peak_segments_month": 20,
    "peak_flood_segments_hour": 10,
    "numbers_answered": 20,
    "most_replies_to_one_number": 1,
    "most_messages_sent_to_one_number": 1,
    "sequence_steps": 1,
    "exit_code": 0,
    "budgets": {
        "segments_per_hour": 60,
        "segments_per_day": 300,
        "segments_per_month": 3000,
        "numbers_per_month": 140,
        "flood_segments_per_hour": 10,
    },
}


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({}, []),
        ({"lost": 1, "logged": 199}, ["lost", "all_logged"]),
        ({"duplicated": 1, "logged": 201}, ["duplicated", "all_logged"]),
        ({"reply_rows_per_message_max": 2}, ["one_decision_per_message"]),
        (
            {"segments_sent_dongle": 21, "most_messages_sent_to_one_number": 2},
            ["segments_match", "sequence"],
        ),
        ({"peak_flood_segments_hour": 11}, ["flood_segments_hour"]),
    ],
)
def test_flood_checks(change, failed):
    checks = flood_checks_module.flood_checks(FLOOD_CLEAN | change)
    assert [name for name, passed in checks.items() if not passed] == failed


def test_flood_checks_unlimited_budgets_always_pass():
    unlimited = dict.fromkeys(FLOOD_CLEAN["budgets"])
    figures = FLOOD_CLEAN | {"budgets": unlimited, "peak_segments_hour": 10**6}
    assert all(flood_checks_module.flood_checks(figures).values())


def test_flood_spans_pairs_starts_and_ends_and_leaves_an_open_one_to_infinity():
    import math

    from flood_checks import flood_spans

    events = [(10.0, "flood started"), (50.0, "flood ended"), (70.0, "flood started")]
    assert flood_spans(events) == [(10.0, 50.0), (70.0, math.inf)]
    assert flood_spans([(5.0, "flood ended")]) == []
