"""bench/month.py's figures: from the traffic, the dongle's send log and the database, the row
of each day and everything the goals and checks read (bench/month_checks.py).

A sender is "answered" when a reply left for their number (the dongle's send log), at any time
before the end of the run; the delay is from when they first wrote. Budgets are checked on
the send log, independently of the daemon's own accounting.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from statistics import median
from typing import TYPE_CHECKING, Any

from month_checks import (
    distinct_between,
    first_reaching,
    inside,
    month_checks,
    month_goals,
    overlap,
    peaks,
)
from month_traffic import (
    INSISTING,
    ONE_OFF,
    OPERATORS,
    RAID_ONCE,
    RAIDER,
    SERVICE,
    ZONE,
    Scenario,
)
from soak_checks import compare_messages

from antirelou.arrivals import LATE_AFTER
from antirelou.budgets import Spending, budget_list
from antirelou.config import Config
from antirelou.reasons import Reason
from antirelou.stats import pair_flood_events

if TYPE_CHECKING:  # month imports this module: its types only, for the annotations
    from month import Log, Run

MONTH_SECONDS = 30 * 86400.0


def epoch(moment: datetime | str) -> float:
    """Given an aware time or an ISO 8601 one the daemon wrote, return seconds since the epoch."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.timestamp()


def _answered(
    senders: list[str], written: dict[str, float], answered_at: dict[str, float]
) -> tuple[list[int], list[float]]:
    """Given senders, when each first wrote and when each was first answered, return
    ([answered, total], the delays of those answered)."""
    delays = [answered_at[sender] - written[sender] for sender in senders if sender in answered_at]
    return [len(delays), len(senders)], delays


def month_figures(scenario: Scenario, config: Config, run: Run, log: Log) -> dict[str, Any]:
    """Given the month's shape, the config, the Run (bench/month.py) and the database's rows
    (its Log), return every figure, the table's rows ("daily"), the goals and the checks."""
    operators = set(OPERATORS)
    roles: dict[str, str] = {}
    written: dict[str, float] = {}
    # Each sender under their role and the day they first wrote.
    senders_of: dict[tuple[str, int], list[str]] = defaultdict(list)
    for message in run.messages:
        if message.sender not in roles:
            roles[message.sender] = message.role
            written[message.sender] = epoch(message.at)
            senders_of[message.role, scenario.day_of(message.at)].append(message.sender)

    in_flood = {row[0]: bool(row[5]) for row in log.replies}
    sends = run.modem.sent
    replies = [
        (epoch(sent.at), sent.recipient, sent.segments, in_flood.get(sent.reference, False))
        for sent in sends
        if sent.recipient not in operators
    ]
    alerts = [(epoch(sent.at), sent.segments) for sent in sends if sent.recipient in operators]
    answered_at: dict[str, float] = {}
    for moment, recipient, _, _ in sorted(replies):
        answered_at.setdefault(recipient, moment)
    end = epoch(scenario.end)
    spans = [
        (epoch(start), end if stop is None else epoch(stop))
        for start, stop in pair_flood_events([(at, kind) for at, kind, _ in log.events])
    ]
    numbers = [(moment, recipient) for moment, recipient, _, _ in replies]
    flood_numbers = [(moment, recipient) for moment, recipient, _, flood in replies if flood]
    all_sends = [(epoch(sent.at), sent.segments) for sent in sends]

    daily = []
    for day in range(1, scenario.days + 1):
        start, stop = epoch(scenario.day_start(day)), epoch(scenario.day_start(day + 1))
        one_offs, delays = _answered(senders_of[ONE_OFF, day], written, answered_at)
        daily.append(
            {
                "day": day,
                "date": scenario.day_start(day).astimezone(ZONE).strftime("%a %d/%m"),
                "raid": day in scenario.raid_days,
                "outage": scenario.has_outage and day == scenario.outage_day,
                "messages": sum(start <= epoch(message.at) < stop for message in run.messages),
                "replies": sum(start <= moment < stop for moment, *_ in replies),
                "sms": sum(count for moment, count in all_sends if start <= moment < stop),
                "one_offs": one_offs,
                "delay_median": median(delays) if delays else None,
                "delay_max": max(delays) if delays else None,
                "raid_once": _answered(senders_of[RAID_ONCE, day], written, answered_at)[0],
                "raiders": _answered(senders_of[RAIDER, day], written, answered_at)[0],
                "numbers_30d": distinct_between(numbers, stop - MONTH_SECONDS, stop),
                "share_numbers_30d": distinct_between(flood_numbers, stop - MONTH_SECONDS, stop),
                "flood_hours": overlap(spans, start, stop) / 3600,
                "alert_sms": sum(start <= moment < stop for moment, _ in alerts),
            }
        )

    figures: dict[str, Any] = {
        "daily": daily,
        "one_offs": _one_offs(scenario, senders_of, written, answered_at, spans),
        "why_not_answered": _why_not(log, roles, answered_at),
        "insisting": _answered(_all(senders_of, INSISTING), written, answered_at)[0],
        "raid": _raid(run, senders_of, written, answered_at, replies),
        "numbers": _numbers(scenario, config, log, numbers, roles),
        "limits": {budget.name: budget.limit for budget in budget_list(Spending(), config)},
        "peaks": peaks(replies, alerts, spans),
        "flood_episodes": len(spans),
        "alerts_by_kind": dict(Counter(row[1] for row in log.alerts if row[3] == "sent")),
        # An alert SMS is skipped only when alerts.reserve refuses it (there are operators).
        "alerts_refused_by_kind": dict(
            Counter(row[1] for row in log.alerts if row[3] == "skipped")
        ),
        **_integrity(scenario, config, run, log, roles),
        "exit_codes": run.exit_codes,
        "wall_seconds": run.wall,
        "cpu_seconds": run.cpu,
        "cpu_ms_per_message": 1000 * run.cpu / max(len(log.messages), 1),
        "peak_waiting_at_network": run.network.peak_waiting,
    }
    figures["goals"] = month_goals(figures)
    figures["checks"] = month_checks(figures)
    figures["ok"] = all(figures["goals"].values()) and all(figures["checks"].values())
    return figures


def _all(senders_of: dict[tuple[str, int], list[str]], role: str) -> list[str]:
    return [
        sender for (each, _), senders in senders_of.items() if each == role for sender in senders
    ]


def _one_offs(
    scenario: Scenario,
    senders_of: dict[tuple[str, int], list[str]],
    written: dict[str, float],
    answered_at: dict[str, float],
    spans: list[tuple[float, float]],
) -> dict[str, list[int]]:
    """Return [answered, total] of the genuine one-off senders: outside raid days, on raid
    days, after the raid, while a flood episode was on, during the outage."""
    raid_days = set(scenario.raid_days)
    last_raid_day = max(raid_days, default=scenario.days)
    by_day = {day: senders_of[ONE_OFF, day] for day in range(1, scenario.days + 1)}
    outage = [epoch(moment) for moment in scenario.outage] if scenario.has_outage else [0.0] * 2

    def answered(days: list[int], keep=lambda sender: True) -> list[int]:
        senders = [sender for day in days for sender in by_day[day] if keep(sender)]
        return _answered(senders, written, answered_at)[0]

    every_day = list(by_day)
    return {
        "ordinary": answered([day for day in every_day if day not in raid_days]),
        "raid_days": answered(sorted(raid_days)),
        "after_raid": answered([day for day in every_day if day > last_raid_day]),
        "during_flood": answered(every_day, lambda sender: inside(written[sender], spans)),
        "during_outage": answered(
            every_day, lambda sender: outage[0] <= written[sender] < outage[1]
        ),
    }


def _why_not(log: Log, roles: dict[str, str], answered_at: dict[str, float]) -> dict[str, int]:
    """Return why genuine one-off senders were not answered: their reply's final status and
    reason code, counted."""
    sender_of = {row[0]: row[1] for row in log.messages}
    return dict(
        Counter(
            f"{status}: {code}"
            for _, message_id, _, status, code, _, _ in log.replies
            if roles.get(sender_of[message_id]) == ONE_OFF
            and sender_of[message_id] not in answered_at
        ).most_common()
    )


def _raid(
    run: Run,
    senders_of: dict[tuple[str, int], list[str]],
    written: dict[str, float],
    answered_at: dict[str, float],
    replies: list[tuple[float, str, int, bool]],
) -> dict[str, Any]:
    """The raid: its size, its peak rate, and what answering its numbers cost."""
    raid = [message for message in run.messages if message.role in (RAID_ONCE, RAIDER)]
    per_second = Counter(int(epoch(message.at)) for message in raid)
    per_ten = Counter(int(epoch(message.at)) // 10 for message in raid)
    figures: dict[str, Any] = {
        "messages": len(raid),
        "numbers": len({message.sender for message in raid}),
        "peak_per_second": max(per_second.values(), default=0),
        "peak_per_second_10s": max(per_ten.values(), default=0) / 10,
    }
    for role, name in ((RAID_ONCE, "once"), (RAIDER, "raiders")):
        senders = set(_all(senders_of, role))
        figures[name] = _answered(sorted(senders), written, answered_at)[0]
        figures[f"{name}_sms"] = sum(count for _, who, count, _ in replies if who in senders)
        figures[f"{name}_in_flood_mode"] = len(
            {who for _, who, _, flood in replies if flood and who in senders}
        )
    return figures


def _numbers(
    scenario: Scenario,
    config: Config,
    log: Log,
    numbers: list[tuple[float, str]],
    roles: dict[str, str],
) -> dict[str, Any]:
    """The month's numbers budget: when it was first spent (a send reached it, or a decision
    was refused by it), and what the raid's numbers took of it."""
    limit = config.budgets.numbers_per_month
    refused = [epoch(row[6]) for row in log.replies if row[4] == Reason.BUDGET_NUMBERS.value]
    reached = first_reaching(numbers, limit, MONTH_SECONDS)
    moments = [moment for moment in [reached, *refused] if moment is not None]
    exhausted = min(moments, default=None)
    if scenario.raid_days:
        raid_over = epoch(scenario.day_start(max(scenario.raid_days) + 1))
        raid_over += config.flood.answer_within
    else:
        raid_over = epoch(scenario.day_start(1))
    return {
        "limit": limit,
        "share_limit": config.flood.share(limit),
        "raid_numbers_answered": len(
            {who for _, who in numbers if roles.get(who) in (RAID_ONCE, RAIDER)}
        ),
        "exhausted_at": exhausted,
        "exhausted_day": None
        if exhausted is None
        else scenario.day_of(datetime.fromtimestamp(exhausted, ZONE)),
        "raid_over_at": raid_over,
    }


def _integrity(
    scenario: Scenario, config: Config, run: Run, log: Log, roles: dict[str, str]
) -> dict[str, Any]:
    """What month_checks reads besides the goals: lost, duplicated, left behind, sent twice or
    to a non-number, the log against the dongle, the backlog after the outage."""
    comparison = compare_messages(
        [(message.sender, message.text) for message in run.messages],
        [(row[1], row[2]) for row in log.messages],
    )
    operators = set(OPERATORS)
    reply_sends = Counter(
        sent.reference for sent in run.modem.sent if sent.recipient not in operators
    )
    prefixes = tuple(config.numbers.never_reply_prefixes)
    late = [
        row
        for row in log.messages
        if row[4] is not None and epoch(row[3]) - epoch(row[4]) > LATE_AFTER.total_seconds()
    ]
    figures: dict[str, Any] = {
        "logged": len(log.messages),
        "lost": comparison.lost,
        "duplicated": comparison.duplicated,
        "left_at_network": run.network.left,
        "left_on_sim": len(run.network.sim.slots),
        "replies_per_message_max": max(Counter(row[1] for row in log.replies).values(), default=0),
        "sends_per_reply_max": max(reply_sends.values(), default=0),
        "sent_logged": sum(row[3] == "sent" for row in log.replies)
        + sum(row[3] == "sent" for row in log.alerts),
        "sent_dongle": len(run.modem.sent),
        "sent_to_non_numbers": sum(
            roles.get(sent.recipient) == SERVICE
            or not sent.recipient.startswith("+")
            or sent.recipient.startswith(prefixes)
            for sent in run.modem.sent
        ),
        "late_messages": len(late),
        "expected_backlog": 0,
        "backlog_events_after_outage": 0,
        "flood_started_after_outage": 0,
    }
    if scenario.has_outage:
        begin, end = (epoch(moment) for moment in scenario.outage)
        figures["expected_backlog"] = sum(
            begin <= epoch(message.at) < end - LATE_AFTER.total_seconds()
            for message in run.messages
        )
        events = [(epoch(at), kind) for at, kind, _ in log.events]
        figures["backlog_events_after_outage"] = sum(
            kind == "backlog" and moment >= end for moment, kind in events
        )
        # The backlog comes in within minutes of the restart: a raid "seen" in it starts then.
        figures["flood_started_after_outage"] = sum(
            kind == "flood started" and begin <= moment <= end + 3600 for moment, kind in events
        )
    return figures
