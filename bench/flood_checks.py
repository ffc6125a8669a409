"""The flood bench's checks, from its figures: pure functions, no I/O
(tests/unit/test_bench_checks.py). Each check has a name; the report's check column and the
verdict read the same ones.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any


def within(value: int, limit: int | None) -> bool:
    """Given a figure and a budget (None: unlimited), return whether the figure keeps to it."""
    return limit is None or value <= limit


def window_peak(rows: Sequence[tuple[float, int]], seconds: float) -> int:
    """Given (time, segments) of the replies committed, return the most segments committed
    within any `seconds` (the daemon counts created_at >= now - window, so both ends are
    included)."""
    rows = sorted(rows)
    times = [moment for moment, _ in rows]
    best = 0
    running = [0]
    for _, segments in rows:
        running.append(running[-1] + segments)
    for end, moment in enumerate(times):
        start = bisect.bisect_left(times, moment - seconds)
        best = max(best, running[end + 1] - running[start])
    return best


def flood_checks(figures: dict[str, Any]) -> dict[str, bool]:
    """Given the flood bench's figures, return each check of its verdict and whether it
    passed: nothing lost, duplicated or flagged, one decision per message, the dongle sent
    what the log says, every budget kept, nobody answered beyond the sequence, exit 0.
    """
    budgets = figures["budgets"]
    steps = figures["sequence_steps"]
    return {
        "lost": figures["lost"] == 0,
        "duplicated": figures["duplicated"] == 0,
        "flagged": figures["flagged"] == 0,
        "all_logged": figures["logged"] == figures["injected"],
        "pdus_left_on_modem": figures["pdus_left_on_modem"] == 0,
        "messages_without_decision": figures["messages_without_decision"] == 0,
        "one_decision_per_message": figures["reply_rows_per_message_max"] <= 1,
        "segments_match": figures["segments_sent_db"]
        == figures["segments_sent_dongle"]
        == figures["segments_sent_counted_db"]
        and figures["dongle_recipients_match"],
        "segments_hour": within(figures["peak_segments_hour"], budgets["segments_per_hour"]),
        "segments_day": within(figures["peak_segments_day"], budgets["segments_per_day"]),
        "segments_month": within(figures["peak_segments_month"], budgets["segments_per_month"]),
        "flood_segments_hour": within(
            figures["peak_flood_segments_hour"], budgets["flood_segments_per_hour"]
        ),
        "numbers": within(figures["numbers_answered"], budgets["numbers_per_month"]),
        "sequence": figures["most_replies_to_one_number"] <= steps
        and figures["most_messages_sent_to_one_number"] <= steps,
        "exit_code": figures["exit_code"] == 0,
    }


def flood_spans(events: Sequence[tuple[float, str]]) -> list[tuple[float, float]]:
    """Given ('flood started' | 'flood ended') events as (time, kind) in log order, return the
    (start, end) of each episode; one still on ends at infinity."""
    spans, start = [], None
    for moment, kind in events:
        if kind == "flood started" and start is None:
            start = moment
        elif kind == "flood ended" and start is not None:
            spans.append((start, moment))
            start = None
    if start is not None:
        spans.append((start, math.inf))
    return spans
