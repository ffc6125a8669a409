"""Statistics for `antirelou stats`: when messages came, from whom, what was answered, what the
budgets have left and how each raid went.

`gather` asks the store's read-only queries (`antirelou.store.queries`) and returns plain,
JSON-ready data; `render` turns that data into terminal text and does no I/O. Skipped replies
are grouped by their reason code, never by their sentence. Rejected calls are rows of the log
too: "messages" counts SMS, and calls are counted beside them ("calls") everywhere. Every time in the data is an ISO 8601 string carrying the
machine's local offset, and every bucket (hour, day) follows the local clock, because the people
reading this think in local time; the database itself keeps UTC.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from antirelou.budgets import budget_list
from antirelou.clock import local_day_start
from antirelou.config import Config, format_duration
from antirelou.numbers import NumberKind
from antirelou.reasons import Reason
from antirelou.store import CALL, QUEUED, SENDING, SKIPPED, Store, queries

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
TOP_SENDERS = 10
FLOOD_EPISODES_SHOWN = 10

# Period name -> how far back it reaches; None is the whole log.
MESSAGE_PERIODS: dict[str, timedelta | None] = {
    "last_24_hours": DAY,
    "last_7_days": 7 * DAY,
    "all_time": None,
}
REPLY_PERIODS: dict[str, timedelta] = {"last_24_hours": DAY, "last_30_days": 30 * DAY}
SENDER_KINDS = tuple(kind.value for kind in NumberKind)

# English weekday names, not strftime("%a"): the service's locale is often C or unset.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --- Time ------------------------------------------------------------------------------------


def _local_iso(moment: datetime | str) -> str:
    """Given a time (or the log's ISO text of one), return it as local ISO 8601 text."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone().isoformat(timespec="seconds")


def hour_buckets(now: datetime, count: int = 24) -> list[tuple[datetime, datetime]]:
    """Given the time, return (start, end) of the last `count` local clock hours, oldest first,
    the last being the hour under way.
    """
    # Floored in local time rather than UTC: in a zone such as UTC+5:30 (or the Marquesas'
    # UTC-9:30) local hours do not begin on UTC hours.
    current = now.astimezone().replace(minute=0, second=0, microsecond=0)
    # astimezone() gave a fixed offset, so this arithmetic steps in real hours even across a
    # change of clocks; labels are recomputed from each start.
    starts = [current - back * HOUR for back in range(count - 1, -1, -1)]
    return [(start, start + HOUR) for start in starts]


def day_buckets(now: datetime, count: int = 7) -> list[tuple[datetime, datetime]]:
    """Given the time, return (start, end) of the last `count` local calendar days, oldest first,
    the last being today.
    """
    # Each day is found from a moment inside it, never by adding 24 hours to a midnight: a day
    # on which the clocks change lasts 23 or 25 hours.
    starts = [local_day_start(now)]
    while len(starts) < count:
        starts.insert(0, local_day_start(starts[0] - HOUR))
    tomorrow = local_day_start(starts[-1] + DAY + DAY / 2)
    return list(zip(starts, [*starts[1:], tomorrow], strict=True))


# --- Pure helpers on what the log holds --------------------------------------------------------


def reason_label(code: str | None) -> str:
    """Given a skipped reply's reason code (None for rows that have none), return the name of
    its family as `stats` shows it."""
    if code is None:
        return "other"
    try:
        return Reason(code).label
    except ValueError:  # written by a newer antirelou: its code is still a name
        return code


def pair_flood_events(events: Sequence[tuple[str, str]]) -> list[tuple[str, str | None]]:
    """Given (at, kind) of 'flood started' and 'flood ended' events in the order they were
    written, return (start, end) of each episode, end None for one still under way.
    """
    episodes: list[tuple[str, str | None]] = []
    start: str | None = None
    for at, kind in events:
        if kind == "flood started":
            # A second start with no end between is the same raid seen again (the daemon
            # resumes an episode on restart): the first start stands.
            if start is None:
                start = at
        elif kind == "flood ended" and start is not None:
            episodes.append((start, at))
            start = None
    if start is not None:
        episodes.append((start, None))
    return episodes


# --- Gathering: the store's queries, shaped for `render` and `--json` ---------------------------


def message_totals(store: Store, now: datetime) -> dict[str, dict]:
    """Given the time, return for each of MESSAGE_PERIODS the messages and distinct senders,
    in all and by sender kind, and the calls and distinct callers (hidden numbers not counted
    among callers).
    """
    starts = [None if period is None else now - period for period in MESSAGE_PERIODS.values()]
    overall, by_kind = queries.message_tallies(store, starts)
    calls, _ = queries.message_tallies(store, starts, CALL)
    totals = {}
    for index, name in enumerate(MESSAGE_PERIODS):
        kinds = {kind: {"messages": 0, "senders": 0} for kind in SENDER_KINDS}
        for kind, tallies in by_kind.items():
            kinds[kind] = {"messages": tallies[index].messages, "senders": tallies[index].senders}
        totals[name] = {
            "messages": overall[index].messages,
            "senders": overall[index].senders,
            "by_kind": kinds,
            "calls": calls[index].messages,
            "callers": calls[index].senders,
        }
    return totals


def top_senders(store: Store, now: datetime, limit: int = TOP_SENDERS) -> list[dict]:
    """Given the time, return the senders of most messages and calls over the last 7 days, most
    first: sender, kind, messages, calls, last seen and whether the number is on the block list.
    """
    senders = queries.top_senders(store, now - 7 * DAY, limit)
    return [{**sender, "last_seen": _local_iso(sender["last_seen"])} for sender in senders]


def _empty_reply_counts() -> dict:
    return {
        "sent": 0,
        "skipped": 0,
        "skipped_by_reason": {},
        "failed": 0,
        "unknown": 0,
        "waiting": 0,
        "segments_sent": 0,
    }


def reply_counts(store: Store, now: datetime) -> dict[str, dict]:
    """Given the time, return for each of REPLY_PERIODS the replies sent, skipped (in all and
    by reason code, most frequent first), failed, of unknown outcome and still waiting, and
    the SMS segments sent.
    """
    groups = queries.reply_groups(store, [now - period for period in REPLY_PERIODS.values()])
    counts = {name: _empty_reply_counts() for name in REPLY_PERIODS}
    for group in groups:
        key = "waiting" if group.status in (QUEUED, SENDING) else group.status
        for index, name in enumerate(REPLY_PERIODS):
            period, replies = counts[name], group.replies[index]
            period[key] = period.get(key, 0) + replies
            period["segments_sent"] += group.segments_sent[index]
            if group.status == SKIPPED and replies:
                by_code = period["skipped_by_reason"]
                by_code[group.reason_code] = by_code.get(group.reason_code, 0) + replies
    for period in counts.values():
        labelled = [
            (reason_label(code), code, count) for code, count in period["skipped_by_reason"].items()
        ]
        ranked = sorted(labelled, key=lambda item: (-item[2], item[0]))
        period["skipped_by_reason"] = [
            {"reason": label, "code": code, "count": count} for label, code, count in ranked
        ]
    return counts


def budget_usage(store: Store, config: Config, now: datetime) -> list[dict]:
    """Given the time, return each budget's configuration key, use, limit and what is left
    (limit and left None when unlimited).
    """
    return [
        {"name": budget.name, "used": budget.used, "limit": budget.limit, "left": budget.left}
        for budget in budget_list(store.current_spending(now), config)
    ]


def flood_episodes(store: Store, now: datetime) -> list[dict]:
    """Given the time, return every flood episode, oldest first: start, end (None while it
    lasts), duration, messages and calls received and replies sent during it.
    """
    episodes = []
    for start, end in pair_flood_events(queries.flood_events(store)):
        began = datetime.fromisoformat(start)
        until = now if end is None else datetime.fromisoformat(end)
        messages, replies, segments, calls = queries.volume_between(store, began, until)
        episodes.append(
            {
                "start": _local_iso(start),
                "end": None if end is None else _local_iso(end),
                "ongoing": end is None,
                "duration_seconds": max(round((until - began).total_seconds()), 0),
                "messages": messages,
                "replies_sent": replies,
                "segments_sent": segments,
                "calls": calls,
            }
        )
    return episodes


def gather(store: Store, config: Config, now: datetime) -> dict:
    """Given the log, the configuration and the time, return every statistic `render` shows,
    as JSON-serialisable data.
    """
    # A naive `now` is read as local time; the queries turn aware bounds into the log's UTC.
    now = now.astimezone(UTC)
    hours, days = hour_buckets(now), day_buckets(now)
    per_hour = zip(
        hours,
        queries.messages_between(store, hours),
        queries.messages_between(store, hours, CALL),
        strict=True,
    )
    per_day = zip(
        days,
        queries.messages_between(store, days),
        queries.messages_between(store, days, CALL),
        strict=True,
    )
    return {
        "now": _local_iso(now),
        "messages_per_hour": [
            {"start": _local_iso(start), "count": count, "calls": calls}
            for (start, _), count, calls in per_hour
        ],
        "messages_per_day": [
            {
                "date": start.date().isoformat(),
                "start": _local_iso(start),
                "count": count,
                "calls": calls,
            }
            for (start, _), count, calls in per_day
        ],
        "totals": message_totals(store, now),
        "top_senders": top_senders(store, now),
        "replies": reply_counts(store, now),
        "waiting": dataclasses.asdict(queries.waiting_replies(store)),
        "budgets": budget_usage(store, config, now),
        "flood_episodes": flood_episodes(store, now),
    }


# --- Rendering (pure: from gather's data to text) ----------------------------------------------

_PARTIAL_BLOCKS = " ▏▎▍▌▋▊▉"  # index n: n eighths of a column


def _columns(text: str) -> int:
    """Given text, return how many terminal columns it takes (wide East Asian characters 2)."""
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def fit(text: str, columns: int) -> str:
    """Given text and a number of columns, return it with control characters replaced by '?'
    and cut (ending in '…') so that it fits.
    """
    # Sender names and block reasons come from outside: an escape sequence in them must not
    # reach the terminal, nor a newline break a table.
    text = "".join(character if character.isprintable() else "?" for character in text)
    if _columns(text) <= columns:
        return text
    kept, used = [], 0
    for character in text:
        width = _columns(character)
        if used + width > columns - 1:
            break
        kept.append(character)
        used += width
    return ("".join(kept) + "…") if columns > 0 else ""


def bar(value: int, maximum: int, columns: int) -> str:
    """Given a value, the largest value of the chart and the columns for the longest bar,
    return the bar, in eighths of a column; any value above zero shows at least a sliver.
    """
    if value <= 0 or maximum <= 0:
        return ""
    eighths = max(round(value / maximum * columns * 8), 1)
    full, rest = divmod(eighths, 8)
    return "█" * full + (_PARTIAL_BLOCKS[rest] if rest else "")


def bar_chart(rows: Sequence[tuple[str, int]], width: int) -> list[str]:
    """Given (label, value) rows and the line width, return one indented line per row: label,
    value, then a bar proportional to the value, the largest filling the line.
    """
    label_columns = max(_columns(label) for label, _ in rows)
    value_columns = max(len(str(value)) for _, value in rows)
    bar_columns = max(width - 2 - label_columns - 1 - value_columns - 1, 1)
    maximum = max(value for _, value in rows)
    lines = []
    for label, value in rows:
        padding = " " * (label_columns - _columns(label))
        line = f"  {padding}{label} {value:>{value_columns}} {bar(value, maximum, bar_columns)}"
        lines.append(line.rstrip())
    return lines


def _local_time(moment: str) -> datetime:
    """Given ISO 8601 text, return that time in the machine's local time."""
    return datetime.fromisoformat(moment).astimezone()


def _day_label(moment: datetime) -> str:
    """Given a time, return its date with the weekday, e.g. "Sun 2026-03-08"."""
    return f"{_WEEKDAYS[moment.weekday()]} {moment:%Y-%m-%d}"


def _hour_rows(buckets: Sequence[dict], key: str = "count") -> list[tuple[str, str, int]]:
    """Given hourly buckets and what to chart ("count" of messages or "calls"), return (label,
    label of the maximum, value) for each; the label names the day on the first row and where
    the date changes.
    """
    rows, previous_day = [], None
    for bucket in buckets:
        start = _local_time(bucket["start"])
        day = _WEEKDAYS[start.weekday()]
        label = f"{day if start.date() != previous_day else '   '} {start:%H:%M}"
        rows.append((label, f"{day} {start:%H:%M}", bucket[key]))
        previous_day = start.date()
    return rows


def _day_rows(buckets: Sequence[dict], key: str = "count") -> list[tuple[str, str, int]]:
    """Given daily buckets and what to chart ("count" of messages or "calls"), return (label,
    label of the maximum, value) for each, the label being the date with its weekday."""
    return [(_day_label(_local_time(bucket["start"])),) * 2 + (bucket[key],) for bucket in buckets]


def _chart_section(
    title: str, rows: Sequence[tuple[str, str, int]], width: int, *, fold_empty: bool = False
) -> list[str]:
    """Given a chart's title and (label, label of the maximum, count) rows, return its lines;
    with `fold_empty`, an empty chart is its heading alone."""
    maximum = max(count for _, _, count in rows)
    if maximum == 0:
        heading = f"{title}: none"
        if fold_empty:
            return [heading]
    else:
        # The first bucket holding the maximum: the one that started the peak.
        peak = next(named for _, named, count in rows if count == maximum)
        heading = f"{title} (max {maximum}, {peak})"
    return [heading, *bar_chart([(label, count) for label, _, count in rows], width)]


def _table_row(
    label: str, cells: Sequence[object], label_columns: int, cell_columns: int = 10
) -> str:
    """Given a row's label (indented two columns) and cells, return it laid out in columns."""
    padding = " " * max(label_columns - _columns(label), 0)
    return "  " + label + padding + "".join(f"{cell!s:>{cell_columns}}" for cell in cells)


def _table_heading(
    title: str, headings: Sequence[str], label_columns: int, cell_columns: int = 10
) -> str:
    """Given a table's title and column headings, return its first line, flush left but with
    the headings over the columns of `_table_row`.
    """
    return title.ljust(2 + label_columns) + "".join(
        f"{heading:>{cell_columns}}" for heading in headings
    )


_KIND_LABELS = {
    "phone": "phone numbers",
    "short code": "short codes",
    "alphanumeric": "names (alphanumeric)",
    "invalid": "invalid or unreadable",
}


_TOTALS_LABEL_COLUMNS = 2 + max(len(label) for label in _KIND_LABELS.values())


def _totals_section(totals: dict) -> list[str]:
    """Given the totals per period, return the table of messages and senders by kind."""
    periods = list(totals.values())
    lines = [_table_heading("Totals", ["24 hours", "7 days", "all time"], _TOTALS_LABEL_COLUMNS)]
    for title, key in (("messages", "messages"), ("different senders", "senders")):
        lines.append(_table_row(title, [period[key] for period in periods], _TOTALS_LABEL_COLUMNS))
        for kind in SENDER_KINDS:
            label = "  " + _KIND_LABELS.get(kind, kind)
            lines.append(
                _table_row(
                    label,
                    [period["by_kind"][kind][key] for period in periods],
                    _TOTALS_LABEL_COLUMNS,
                )
            )
    for title, key in (("calls", "calls"), ("different callers", "callers")):
        lines.append(_table_row(title, [period[key] for period in periods], _TOTALS_LABEL_COLUMNS))
    return lines


def _top_senders_section(senders: Sequence[dict]) -> list[str]:
    """Given the top senders, return their table."""
    if not senders:
        return ["Top senders, last 7 days: none"]
    lines = [
        "Top senders, last 7 days",
        f"  {'sender':18}  {'messages':>8}  {'calls':>5}  {'last seen':16}",
    ]
    for sender in senders:
        name = fit(sender["sender"], 18)
        padding = " " * (18 - _columns(name))
        last_seen = f"{_local_time(sender['last_seen']):%Y-%m-%d %H:%M}"
        blocked = "  blocked" if sender["blocked"] else ""
        lines.append(
            f"  {name}{padding}  {sender['messages']:>8}  {sender['calls']:>5}  {last_seen:16}"
            f"{blocked}"
        )
    return lines


def _replies_section(replies: dict, width: int) -> list[str]:
    """Given the reply counts per period, return their table, skips broken down by reason."""
    periods = list(replies.values())
    reasons: dict[str, list[int]] = {}
    for index, period in enumerate(periods):
        for entry in period["skipped_by_reason"]:
            reasons.setdefault(entry["reason"], [0] * len(periods))[index] = entry["count"]
    # Most frequent over the longest period first: that is where the money question lies.
    ranked = sorted(reasons.items(), key=lambda item: (-item[1][-1], item[0]))
    rows: list[tuple[str, Sequence[object]]] = [
        ("sent", [period["sent"] for period in periods]),
        ("  SMS segments sent", [period["segments_sent"] for period in periods]),
        ("skipped", [period["skipped"] for period in periods]),
        *((f"  {reason}", counts) for reason, counts in ranked),
        ("failed", [period["failed"] for period in periods]),
        ("unknown (maybe sent)", [period["unknown"] for period in periods]),
        ("waiting", [period["waiting"] for period in periods]),
    ]
    # As wide as the longest reason needs, but never pushing the counts off the line.
    needed = max(_columns(label) for label, _ in rows) + 1
    label_columns = max(min(needed, width - 2 - 2 * 10), _TOTALS_LABEL_COLUMNS)
    lines = [_table_heading("Replies", ["24 hours", "30 days"], label_columns)]
    lines += [
        _table_row(fit(label, label_columns - 1), cells, label_columns) for label, cells in rows
    ]
    return lines


_BUDGET_LABELS = {
    "budgets.segments_per_hour": "SMS, last hour",
    "budgets.segments_per_day": "SMS, last 24 hours",
    "budgets.segments_per_month": "SMS, last 30 days",
    "budgets.numbers_per_month": "numbers answered, 30 days",
    "flood.segments_per_hour": "SMS in flood mode, last hour",
    "flood.share_of_month.segments": "SMS for raids, 30 days",
    "flood.share_of_month.numbers": "numbers for raids, 30 days",
    "alerts.reserve": "alert SMS, last 24 hours",
}


def _budgets_section(budgets: Sequence[dict]) -> list[str]:
    """Given the budgets, return their table, a spent one flagged SPENT."""
    lines = [_table_heading("Budgets", ["used", "limit", "left"], 30, 9)]
    for budget in budgets:
        limit = "no limit" if budget["limit"] is None else budget["limit"]
        left = "-" if budget["left"] is None else budget["left"]
        spent = "  SPENT" if budget["left"] == 0 else ""
        label = _BUDGET_LABELS.get(budget["name"], budget["name"])
        lines.append(_table_row(label, [budget["used"], limit, left], 30, 9) + spent)
    return lines


def _waiting_section(waiting: dict) -> list[str]:
    """Given the replies waiting now, return the line that says how many and why."""
    if not waiting["total"]:
        return ["Waiting now: no reply"]
    line = f"Waiting now: {waiting['total']} repl{'y' if waiting['total'] == 1 else 'ies'}"
    if waiting["flood_mode"]:
        oldest = _local_time(waiting["oldest_flood"])
        line += f", {waiting['flood_mode']} from flood mode (oldest {oldest:%Y-%m-%d %H:%M})"
    lines = [line]
    if waiting["held_by"]:
        lines.append(f"  held back: {waiting['held_by']}")
    return lines


def _flood_section(episodes: Sequence[dict]) -> list[str]:
    """Given the flood episodes, return the table of the latest ones."""
    if not episodes:
        return ["Flood episodes: none"]
    lines = [
        "Flood episodes",
        f"  {'start':16}  {'end':16}  {'lasted':8}  {'messages':>8}  {'calls':>5}  {'replies':>7}",
    ]
    hidden = len(episodes) - FLOOD_EPISODES_SHOWN
    for episode in episodes[-FLOOD_EPISODES_SHOWN:]:
        start = f"{_local_time(episode['start']):%Y-%m-%d %H:%M}"
        end = (
            "ongoing" if episode["end"] is None else f"{_local_time(episode['end']):%Y-%m-%d %H:%M}"
        )
        seconds = episode["duration_seconds"]
        # Minutes are enough once a raid has lasted an hour.
        lasted = format_duration(round(seconds / 60) * 60 if seconds >= 3600 else seconds)
        lines.append(
            f"  {start:16}  {end:16}  {lasted:8}  {episode['messages']:>8}"
            f"  {episode['calls']:>5}  {episode['replies_sent']:>7}"
        )
    if hidden > 0:
        lines.append(
            f"  ({hidden} earlier episode{'s' if hidden > 1 else ''} not shown; see --json)"
        )
    return lines


def render(stats: dict, width: int = 72) -> str:
    """Given what `gather` returned and the terminal width, return the statistics as text,
    no line wider than `width`, times in the machine's local time.
    """
    now = _local_time(stats["now"])
    sections = [
        [f"antirelou statistics, {now:%Y-%m-%d %H:%M} {now.tzname() or ''} (local time)"],
        _chart_section("Messages per hour", _hour_rows(stats["messages_per_hour"]), width),
        _chart_section("Messages per day", _day_rows(stats["messages_per_day"]), width),
        _chart_section(
            "Calls per hour",
            _hour_rows(stats["messages_per_hour"], "calls"),
            width,
            fold_empty=True,
        ),
        _chart_section(
            "Calls per day", _day_rows(stats["messages_per_day"], "calls"), width, fold_empty=True
        ),
        _totals_section(stats["totals"]),
        _top_senders_section(stats["top_senders"]),
        _replies_section(stats["replies"], width),
        _waiting_section(stats["waiting"]),
        _budgets_section(stats["budgets"]),
        _flood_section(stats["flood_episodes"]),
    ]
    # Each section is laid out for `width`; cutting here as well keeps the promise for widths
    # too narrow for a table.
    lines = [fit(line.rstrip(), width) for section in sections for line in [*section, ""]]
    return "\n".join(lines[:-1]) + "\n"
