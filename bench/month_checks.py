"""bench/month.py's verdicts, from its figures: pure functions, no I/O
(tests/unit/test_month_checks.py). `month_goals` holds issue 9's four goals, `month_checks`
what must hold besides (nothing lost, nothing sent twice or to a non-number, the backlog after
the outage seen as a backlog). Times are seconds since the epoch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from flood_checks import window_peak, within

ORDINARY_TARGET = 0.95  # outside raid days: genuine one-off senders answered
RAID_DAY_TARGET = 0.80  # raid days: genuine one-off senders answered eventually

GOALS = {
    "ordinary_one_offs": "outside raid days, >= 95 % of genuine one-off senders answered",
    "raid_day_one_offs": "raid days, >= 80 % of genuine one-off senders answered eventually",
    "numbers_kept_from_raid": "the month's numbers budget never exhausted by the raid",
    "budgets_kept": "every budget respected every day",
}

# Each budget of antirelou.budgets.budget_list, by its name, and what the send log is counted
# over to check it (the peaks come from `peaks`, the limits from budget_list).
BUDGETS = {
    "budgets.segments_per_hour": "replies, rolling hour",
    "budgets.segments_per_day": "replies, rolling 24 h",
    "budgets.segments_per_month": "replies, rolling 30 days",
    "budgets.numbers_per_month": "numbers answered, rolling 30 days",
    "flood.segments_per_hour": "flood-mode replies, rolling hour, while flood mode is on",
    "flood.share_of_month.segments": "flood-mode replies, rolling 30 days",
    "flood.share_of_month.numbers": "numbers answered in flood mode, rolling 30 days",
    "alerts.reserve": "alert SMS, rolling 24 h",
}


def share(counts: Sequence[int]) -> float | None:
    """Given [answered, total], return the share answered, or None if there were none."""
    answered, total = counts
    return None if total == 0 else answered / total


def at_least(counts: Sequence[int], target: float) -> bool:
    """Given [answered, total] and a target share, return whether it was reached (nobody to
    answer reaches it)."""
    value = share(counts)
    return value is None or value >= target


def _distinct_sweep(
    rows: Sequence[tuple[float, str]], seconds: float
) -> Iterator[tuple[float, int]]:
    """Given (time, recipient) rows, yield (time, distinct recipients within `seconds` up to
    it, both ends included) at each row, in time order."""
    ordered = sorted(rows)
    present: Counter[str] = Counter()
    start = 0
    for moment, recipient in ordered:
        present[recipient] += 1
        while ordered[start][0] < moment - seconds:
            old = ordered[start][1]
            present[old] -= 1
            if not present[old]:
                del present[old]
            start += 1
        yield moment, len(present)


def distinct_peak(rows: Sequence[tuple[float, str]], seconds: float) -> int:
    """Given (time, recipient) of the replies sent, return the most distinct recipients within
    any `seconds` (the store counts spent_at >= now - window: both ends included)."""
    return max((count for _, count in _distinct_sweep(rows, seconds)), default=0)


def first_reaching(
    rows: Sequence[tuple[float, str]], limit: int | None, seconds: float
) -> float | None:
    """Given (time, recipient) of the replies sent and a numbers budget, return the first time
    the recipients within `seconds` reached `limit` (the budget was spent), or None."""
    if limit is None:
        return None
    return next(
        (moment for moment, count in _distinct_sweep(rows, seconds) if count >= limit), None
    )


def distinct_between(rows: Sequence[tuple[float, str]], start: float, end: float) -> int:
    """Given (time, recipient) rows, return the distinct recipients with start < time <= end."""
    return len({recipient for moment, recipient in rows if start < moment <= end})


def overlap(spans: Sequence[tuple[float, float]], start: float, end: float) -> float:
    """Given episodes, return how many of their seconds fall within [start, end)."""
    return sum(max(0.0, min(end, stop) - max(start, begin)) for begin, stop in spans)


def inside(moment: float, spans: Sequence[tuple[float, float]]) -> bool:
    """Given a time and episodes, return whether one of them was on then."""
    return any(begin <= moment <= stop for begin, stop in spans)


def peak_while(
    rows: Sequence[tuple[float, int]], spans: Sequence[tuple[float, float]], seconds: float
) -> int:
    """Given (time, segments) of flood-mode replies sent and the flood episodes, return the most
    segments within `seconds` up to a send made while a flood was on: what
    flood.segments_per_hour limits (after a flood, deferred replies go at the normal rate)."""
    return max(
        (
            sum(segments for other, segments in rows if moment - seconds <= other <= moment)
            for moment, _ in rows
            if inside(moment, spans)
        ),
        default=0,
    )


def peaks(
    replies: Sequence[tuple[float, str, int, bool]],
    alerts: Sequence[tuple[float, int]],
    spans: Sequence[tuple[float, float]],
) -> dict[str, int]:
    """Given the replies sent (time, recipient, segments, decided in flood mode), the alert SMS
    sent (time, segments) and the flood episodes, return each budget's peak (BUDGETS)."""
    hour, day, month = 3600.0, 86400.0, 30 * 86400.0
    segments = [(moment, count) for moment, _, count, _ in replies]
    flood = [(moment, count) for moment, _, count, in_flood in replies if in_flood]
    numbers = [(moment, recipient) for moment, recipient, _, _ in replies]
    flood_numbers = [(moment, recipient) for moment, recipient, _, in_flood in replies if in_flood]
    return {
        "budgets.segments_per_hour": window_peak(segments, hour),
        "budgets.segments_per_day": window_peak(segments, day),
        "budgets.segments_per_month": window_peak(segments, month),
        "budgets.numbers_per_month": distinct_peak(numbers, month),
        "flood.segments_per_hour": peak_while(flood, spans, hour),
        "flood.share_of_month.segments": window_peak(flood, month),
        "flood.share_of_month.numbers": distinct_peak(flood_numbers, month),
        "alerts.reserve": window_peak(list(alerts), day),
    }


def budget_checks(figures: dict[str, Any]) -> dict[str, bool]:
    """Given the bench's figures, return for each budget whether its peak kept to its limit."""
    return {name: within(figures["peaks"][name], figures["limits"][name]) for name in BUDGETS}


def numbers_kept(numbers: dict[str, Any], after_raid: Sequence[int]) -> bool:
    """Given the numbers figures and [answered, total] of the genuine one-off senders after
    the raid, return whether the raid left the month's numbers budget to them: it was not spent
    before the raid's last replies were due (raid days + flood.answer_within), and those who
    wrote after the raid were still answered (ORDINARY_TARGET)."""
    exhausted = numbers["exhausted_at"]
    return (exhausted is None or exhausted > numbers["raid_over_at"]) and at_least(
        after_raid, ORDINARY_TARGET
    )


def month_goals(figures: dict[str, Any]) -> dict[str, bool]:
    """Given the bench's figures, return each of issue 9's goals (GOALS) and whether it was
    met."""
    one_offs = figures["one_offs"]
    return {
        "ordinary_one_offs": at_least(one_offs["ordinary"], ORDINARY_TARGET),
        "raid_day_one_offs": at_least(one_offs["raid_days"], RAID_DAY_TARGET),
        "numbers_kept_from_raid": numbers_kept(figures["numbers"], one_offs["after_raid"]),
        "budgets_kept": all(budget_checks(figures).values()),
    }


def month_checks(figures: dict[str, Any]) -> dict[str, bool]:
    """Given the bench's figures, return what must hold besides the goals: every message logged
    once and none left behind, one reply at most per message and none sent twice, the log
    and the dongle agree, nothing sent to a name, short code or never-answered number, the
    backlog after the outage logged as one and not as a raid, and every daemon exited 0."""
    return {
        "nothing_lost": figures["lost"] == 0
        and figures["duplicated"] == 0
        and figures["left_at_network"] == 0
        and figures["left_on_sim"] == 0,
        "one_reply_per_message": figures["replies_per_message_max"] <= 1
        and figures["sends_per_reply_max"] <= 1,
        "log_matches_dongle": figures["sent_logged"] == figures["sent_dongle"],
        "no_reply_to_non_numbers": figures["sent_to_non_numbers"] == 0,
        "backlog_logged": figures["expected_backlog"] == 0
        or figures["backlog_events_after_outage"] > 0,
        "backlog_not_a_raid": figures["flood_started_after_outage"] == 0,
        "exit_codes": all(code == 0 for code in figures["exit_codes"]),
    }
