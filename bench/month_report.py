"""bench/month.py's text report: the table of each day, the goals, the checks, the costs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from common import check_text, table
from month_checks import BUDGETS, GOALS, share
from month_traffic import ZONE, Scenario

from antirelou.durations import format_duration

CHECKS = {
    "nothing_lost": "every message written logged exactly once, none left at the network",
    "one_reply_per_message": "one decision per message, no reply sent twice",
    "log_matches_dongle": "SMS sent: the log says what the dongle sent",
    "no_reply_to_non_numbers": "nothing sent to a name, a short code or a never-answered number",
    "backlog_logged": "the outage's backlog logged as a backlog (event 'backlog')",
    "backlog_not_a_raid": "no 'flood started' because of the backlog",
    "exit_codes": "every daemon exited 0",
}


def counted(counts: list[int]) -> str:
    """[answered, total] as "a/t", or "-" when there was nobody."""
    return "-" if counts[1] == 0 else f"{counts[0]}/{counts[1]}"


def percent(counts: list[int]) -> str:
    value = share(counts)
    return "-" if value is None else f"{100 * value:.1f} %"


def delay(seconds: float | None) -> str:
    """A delay rounded for the table: seconds under a minute, minutes beyond."""
    if seconds is None:
        return "-"
    return format_duration(round(seconds) if seconds < 60 else 60 * round(seconds / 60))


def daily_table(figures: dict[str, Any]) -> str:
    limits = figures["limits"]
    rows = []
    for day in figures["daily"]:
        note = "raid" if day["raid"] else "outage" if day["outage"] else ""
        rows.append(
            [
                day["day"],
                day["date"],
                note,
                day["messages"],
                day["replies"],
                day["sms"],
                counted(day["one_offs"]),
                delay(day["delay_median"]),
                delay(day["delay_max"]),
                counted(day["raid_once"]),
                counted(day["raiders"]),
                day["numbers_30d"],
                day["share_numbers_30d"],
                f"{day['flood_hours']:.1f}",
                day["alert_sms"],
            ]
        )
    headers = [
        "day",
        "date",
        "",
        "messages",
        "replies",
        "SMS",
        "one-offs answered",
        "delay median",
        "max",
        "raid once",
        "raiders 2+",
        f"numbers 30d /{limits['budgets.numbers_per_month']}",
        f"raid share /{limits['flood.share_of_month.numbers']}",
        "flood h",
        "alert SMS",
    ]
    return table(headers, rows)


def _when(moment: float | None) -> str:
    if moment is None:
        return "never"
    return datetime.fromtimestamp(moment, ZONE).strftime("%a %d/%m %H:%M")


def report(scenario: Scenario, figures: dict[str, Any], heading: str) -> str:
    """Given the month's shape, its figures and what to say of the run (when, seed, settings),
    return the text report."""
    one_offs, raid, numbers = figures["one_offs"], figures["raid"], figures["numbers"]
    goals, checks = figures["goals"], figures["checks"]
    in_flood = raid["once_in_flood_mode"] + raid["raiders_in_flood_mode"]
    lines = [
        f"month bench, {heading}: {scenario.days} days from"
        f" {scenario.day_start(1).astimezone(ZONE):%a %d/%m/%Y} (Paris days)",
        "",
        daily_table(figures),
        "",
        "Goals (issue 9):",
        f"  {_verdict(goals['ordinary_one_offs'])}  {GOALS['ordinary_one_offs']}:"
        f" {counted(one_offs['ordinary'])} ({percent(one_offs['ordinary'])})",
        f"  {_verdict(goals['raid_day_one_offs'])}  {GOALS['raid_day_one_offs']}:"
        f" {counted(one_offs['raid_days'])} ({percent(one_offs['raid_days'])}); of those who wrote"
        f" while flood mode was on {counted(one_offs['during_flood'])}",
        f"  {_verdict(goals['numbers_kept_from_raid'])}  {GOALS['numbers_kept_from_raid']}:"
        f" budget of {numbers['limit']} numbers first spent {_when(numbers['exhausted_at'])}"
        f" (day {numbers['exhausted_day'] or '-'}), the raid's last replies due by"
        f" {_when(numbers['raid_over_at'])}; one-offs after the raid answered"
        f" {counted(one_offs['after_raid'])}; raid numbers answered"
        f" {numbers['raid_numbers_answered']}, {in_flood} of them in flood mode (raids' share"
        f" {numbers['share_limit']})",
        f"  {_verdict(goals['budgets_kept'])}  {GOALS['budgets_kept']}:",
    ]
    for name, label in BUDGETS.items():
        peak, limit = figures["peaks"][name], figures["limits"][name]
        kept = limit is None or peak <= limit
        lines.append(f"        {'ok' if kept else 'OVER'}  {name} ({label}): peak {peak} / {limit}")
    lines += [
        "",
        f"Raid: {raid['messages']} messages from {raid['numbers']} numbers, peak"
        f" {raid['peak_per_second']} msg/s (1 s), {raid['peak_per_second_10s']:.1f} msg/s (10 s);"
        f" {figures['flood_episodes']} flood episode(s)",
        f"  raiders who write once (they look genuine): {counted(raid['once'])} answered,"
        f" costing {raid['once_sms']} SMS and {raid['once'][0]} numbers"
        f" ({raid['once_in_flood_mode']} of them in flood mode)",
        f"  raiders who write 2+ times: {counted(raid['raiders'])} answered, costing"
        f" {raid['raiders_sms']} SMS and {raid['raiders'][0]} numbers"
        f" ({raid['raiders_in_flood_mode']} in flood mode)",
        f"Genuine one-offs who wrote during the outage: {counted(one_offs['during_outage'])}"
        f" answered; insisting people: {counted(figures['insisting'])} answered",
        "Why genuine one-offs were not answered: "
        + (
            ", ".join(f"{reason} {count}" for reason, count in figures["why_not_answered"].items())
            or "-"
        ),
        f"Alert SMS sent: {_kinds(figures['alerts_by_kind'])}; refused (alerts.reserve"
        f" spent): {_kinds(figures['alerts_refused_by_kind'])}",
        "",
        "Checks:",
    ]
    lines += [f"  {check_text(checks[name]):6}  {label}" for name, label in CHECKS.items()]
    lines += [
        f"  ({figures['logged']} messages logged, {figures['lost']} lost, "
        f"{figures['duplicated']} duplicated, {figures['left_at_network']} left at the network;"
        f" {figures['sent_dongle']} SMS sent; backlog: {figures['expected_backlog']} messages"
        f" written over 10 min before the restart, {figures['late_messages']} logged late,"
        f" {figures['backlog_events_after_outage']}"
        f" 'backlog' event(s), {figures['flood_started_after_outage']} 'flood started')",
        "",
        f"Wall time {figures['wall_seconds']:.0f} s, CPU {figures['cpu_seconds']:.0f} s:"
        f" {figures['cpu_ms_per_message']:.2f} ms per message logged,"
        f" {figures['cpu_seconds'] / scenario.days:.1f} s per day of service (the daemon, the"
        f" bench modem and the clock); network queue peak"
        f" {figures['peak_waiting_at_network']} segments",
        f"Verdict: {'every goal and check met' if figures['ok'] else 'a goal or check FAILED'}",
    ]
    return "\n".join(lines)


def _kinds(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in counts.items()) or "-"


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"
