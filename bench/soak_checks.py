"""The soak's verdict, from rows: pure functions, no I/O (tests/unit/test_bench_checks.py).

Given what was injected, what the log holds, what the dongle sent and what the bench saw,
say what was lost or duplicated, which replies were sent twice or left 'sending', how long
the outages lasted and what the processes used: the figures the README quotes. The flood
and drain benches compare messages and count replies per message with the same functions.
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from antirelou.reasons import Reason

if TYPE_CHECKING:  # only for the type hints: these modules start threads and processes
    from sampling import Sample
    from soak_faults import FaultRecord
    from supervisor import ProcessRecord

Pair = tuple[str, str]  # (number, text)
MessageRow = tuple[int, str, str, str | None]  # messages: (id, sender, text, error)
PduRow = tuple[str, str, int | None]  # pdus: (received_at, pdu, message_id)
ReplyRow = tuple[int, str, str, str, str | None]  # replies: (message_id, recipient, text,
#                                                   status, error)
SPENT = ("sent", "unknown", "sending")  # statuses of a reply that may have left the dongle

_LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    r"(.*)$"
)


# --- messages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageComparison:
    """What was expected and not logged (`missing`), and what was logged beyond it (`extra`:
    never expected, or logged twice)."""

    missing: Counter[Pair]
    extra: Counter[Pair]

    @property
    def lost(self) -> int:
        return sum(self.missing.values())

    @property
    def duplicated(self) -> int:
        return sum(self.extra.values())


def compare_messages(expected: Iterable[Pair], logged: Iterable[Pair]) -> MessageComparison:
    """Given the (sender, text) injected and those logged, compare them as multisets."""
    want, got = Counter(expected), Counter(logged)
    return MessageComparison(want - got, got - want)


def message_figures(
    injected: Sequence[Pair], rows: Sequence[MessageRow], pdu_rows: Sequence[PduRow]
) -> dict[str, Any]:
    """Given the messages injected and the rows of `messages` and `pdus`, return what was
    logged, lost (injected, not logged clean) and duplicated, and which flagged rows are
    copies damaged on the wire rather than malformed PDUs.
    """
    clean = [(sender, text) for _, sender, text, error in rows if error is None]
    flagged = [row for row in rows if row[3] is not None]
    pdus_of: dict[int, list[str]] = defaultdict(list)
    for _, pdu, message_id in pdu_rows:
        if message_id is not None:
            pdus_of[message_id].append(pdu)
    # A copy damaged on the wire holds the replacement character the reader put for the
    # invalid UTF-8 garbage; a malformed PDU from the storage does not.
    damaged = [row for row in flagged if any("\ufffd" in pdu for pdu in pdus_of[row[0]])]
    comparison = compare_messages(injected, clean)
    return {
        "logged": len(rows),
        "logged_clean": len(clean),
        "logged_flagged": len(flagged),
        "malformed_logged": len(flagged) - len(damaged),
        "damaged_copies": len(damaged),
        "damaged_examples": [f"{sender}: {error}" for _, sender, _, error in damaged[:3]],
        "lost": comparison.lost,
        "lost_examples": [repr(pair) for pair in list(comparison.missing)[:5]],
        "duplicated": comparison.duplicated,
        "duplicated_examples": [repr(pair) for pair in list(comparison.extra)[:5]],
    }


def epoch(stamp: str) -> float:
    """Given an ISO 8601 time the daemon wrote, return it as seconds since the epoch."""
    return datetime.fromisoformat(stamp).timestamp()


def reception_latencies(
    injected: Sequence[Pair],
    injected_at: Sequence[float],
    rows: Sequence[MessageRow],
    pdu_rows: Sequence[PduRow],
) -> list[float]:
    """Given each injection and its time, return the sorted delays from injection to the
    commit of the message's last PDU, pairing equal (sender, text) in order.
    """
    commit_of: dict[int, float] = {}
    for received_at, _, message_id in pdu_rows:
        if message_id is not None:
            commit_of[message_id] = max(commit_of.get(message_id, 0.0), epoch(received_at))
    logged_times: dict[Pair, list[float]] = defaultdict(list)
    for message_id, sender, text, error in sorted(rows):
        if error is None and message_id in commit_of:
            logged_times[(sender, text)].append(commit_of[message_id])
    latencies = []
    for pair, at in zip(injected, injected_at, strict=True):
        times = logged_times.get(pair)
        if times:
            latencies.append(times.pop(0) - at)
    return sorted(latencies)


def latency_figures(latencies: Sequence[float]) -> dict[str, float | None]:
    """Given sorted latencies, return their median, 95th percentile and maximum."""
    return {
        "latency_median": statistics.median(latencies) if latencies else float("nan"),
        "latency_p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "latency_max": latencies[-1] if latencies else None,
    }


# --- replies -------------------------------------------------------------------------------


def most_replies_per_message(message_ids: Iterable[int]) -> int:
    """Given the message of each reply row, return the most rows one message has (0 if
    none): more than 1 means a message was decided, or answered, twice."""
    return max(Counter(message_ids).values(), default=0)


def reply_figures(replies: Sequence[ReplyRow], sent: Sequence[Pair]) -> dict[str, Any]:
    """Given the rows of `replies` and what the dongle sent (number, text), return the
    replies sent twice (same number and text), sent beyond what the log recorded, recorded
    'sent' but never sent, left 'sending', and those whose outcome is 'unknown'.
    """
    sent_pairs = Counter(sent)
    sent_numbers = Counter(number for number, _ in sent)
    # 'sending' left after the stop: the outcome was never recorded (counted apart).
    paid_pairs = Counter(
        (recipient, text) for _, recipient, text, status, _ in replies if status in SPENT
    )
    paid_numbers = Counter(recipient for recipient, _ in paid_pairs.elements())
    sending_pairs = Counter(
        (recipient, text) for _, recipient, text, status, _ in replies if status == "sending"
    )
    recorded_sent = Counter(
        (recipient, text) for _, recipient, text, status, _ in replies if status == "sent"
    )
    twice = {
        f"{number} {text!r}": count for (number, text), count in sent_pairs.items() if count > 1
    }
    beyond = {
        number: (count, paid_numbers[number])
        for number, count in sent_numbers.items()
        if count > paid_numbers[number]
    }
    unrecorded = {
        (number, text): count
        for (number, text), count in sent_pairs.items()
        if count > paid_pairs[(number, text)]
    }
    unknown = [
        (recipient, text, error)
        for _, recipient, text, status, error in replies
        if status == "unknown"
    ]
    return {
        "replies": dict(Counter(status for _, _, _, status, _ in replies)),
        "replies_sent_by_dongle": len(sent),
        "numbers_answered": len(sent_numbers),
        "replies_sent_twice": sum(count - 1 for count in twice.values()),
        "sent_twice_examples": list(twice.items())[:5],
        "sent_beyond_records": sum(count - paid for count, paid in beyond.values()),
        "sent_beyond_examples": list(beyond.items())[:5],
        "sent_without_record": sum(count - paid_pairs[pair] for pair, count in unrecorded.items()),
        "unrecorded_examples": [
            (f"{number} {text!r}", count) for (number, text), count in list(unrecorded.items())[:5]
        ],
        "recorded_sent_not_sent": sum((recorded_sent - sent_pairs).values()),
        "sending_at_end": sum(sending_pairs.values()),
        "sent_but_recorded_sending": sum((sending_pairs & sent_pairs).values()),
        "reply_message_ids_unique": most_replies_per_message(row[0] for row in replies) <= 1,
        "unknown": len(unknown),
        "unknown_that_left": sum(
            1 for recipient, text, _ in unknown if sent_pairs[(recipient, text)]
        ),
        "unknown_examples": [f"{recipient}: {error}" for recipient, _, error in unknown[:5]],
    }


def reason_label(code: str | None) -> str:
    """Given a replies.reason_code, return its family name (Reason.label); rows written
    before the daemon stored codes have none."""
    if code is None:
        return "(no code)"
    try:
        return Reason(code).label
    except ValueError:
        return code


def reasons_by_status(rows: Iterable[tuple[str, str | None]]) -> Counter[str]:
    """Given (status, reason_code) of replies, count them as 'status: reason label'."""
    return Counter(f"{status}: {reason_label(code)}" for status, code in rows)


# --- outages -------------------------------------------------------------------------------


def longest_gap(times: Sequence[float], start: float, end: float) -> tuple[float, float]:
    """Given sorted commit times, return (longest interval without a commit between start
    and end, when it began).
    """
    points = [start] + [moment for moment in times if start < moment <= end]
    best, began = 0.0, start
    for before, after in zip(points, points[1:], strict=False):
        if after - before > best:
            best, began = after - before, before
    return best, began


def gap_around(commits: Sequence[float], start: float, until: float) -> float:
    """Given sorted commit times, return the longest interval between two consecutive
    commits that overlaps [start, until].
    """
    first = max(0, bisect.bisect_right(commits, start) - 1)
    best = 0.0
    for before, after in zip(commits[first:], commits[first + 1 :], strict=False):
        if before >= until:
            break
        best = max(best, after - before)
    return best


def heartbeat_outages(samples: Sequence[Sample]) -> list[tuple[float, float, str]]:
    """Given the samples in time order, return the spans (start, end, states seen) in which
    the heartbeat was not 'running' for the daemon the bench runs (or no daemon was alive).
    """
    spans: list[tuple[float, float, str]] = []
    start: float | None = None
    seen: list[str] = []
    for sample in samples:
        if not sample.ok:
            if start is None:
                start, seen = sample.at, []
            label = sample.state if sample.alive else "no process"
            if sample.alive and sample.heartbeat_pid != sample.pid:
                label = "starting"
            if label and label not in seen:
                seen.append(label)
        elif start is not None:
            spans.append((start, sample.at, ", ".join(seen)))
            start = None
    if start is not None and samples:
        spans.append((start, samples[-1].at, ", ".join(seen)))
    return spans


def outage_figures(
    commits: Sequence[float], samples: Sequence[Sample], t0: float, end: float, settled_at: float
) -> dict[str, Any]:
    """Given sorted commit times, the samples, the first injection, the last commit and the
    moment the backlog was logged, return the longest time without a commit, the longest
    time the heartbeat was not 'running' and the oldest heartbeat seen.
    """
    gap, gap_start = longest_gap(commits, t0, end)
    spans = heartbeat_outages([sample for sample in samples if t0 <= sample.at <= settled_at])
    longest = max(spans, key=lambda span: span[1] - span[0], default=(0.0, 0.0, ""))
    ages = [
        sample.heartbeat_age
        for sample in samples
        if sample.alive and sample.heartbeat_pid == sample.pid and sample.heartbeat_age is not None
    ]
    return {
        "longest_outage": gap,
        "longest_outage_at": gap_start - t0,
        "longest_heartbeat_outage": longest[1] - longest[0],
        "longest_heartbeat_outage_at": (longest[0] - t0) if spans else None,
        "longest_heartbeat_outage_states": longest[2],
        "heartbeat_outages": len(spans),
        "heartbeat_max_age": max(ages, default=None),
        "samples": len(samples),
        "max_backlog": max((sample.stored + sample.waiting for sample in samples), default=0),
    }


def fault_figures(
    faults: Sequence[FaultRecord], commits: Sequence[float], t0: float, end: float
) -> list[dict[str, Any]]:
    """Given the faults and sorted commit times, return per fault when it struck (seconds
    after t0), how long it lasted, the longest gap between commits around it, and how long
    after its end the next commit came.
    """
    rows = []
    for record in faults:
        ended = record.ended if record.ended is not None else record.started
        after = bisect.bisect_right(commits, ended)
        next_commit = commits[after] if after < len(commits) else None
        rows.append(
            {
                "number": record.number,
                "at": record.started - t0,
                "kind": record.kind,
                "detail": record.detail + (f" ({record.note})" if record.note else ""),
                "lasted": ended - record.started,
                "recovered_after": None if next_commit is None else next_commit - ended,
                "commit_gap": gap_around(
                    commits, record.started, next_commit if next_commit is not None else end
                ),
            }
        )
    return rows


def overlapping_faults(rows: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    """Given fault_figures' rows, return the (number, number) of faults that overlap."""
    return [
        (first["number"], second["number"])
        for first, second in zip(rows, rows[1:], strict=False)
        if first["at"] + first["lasted"] > second["at"]
    ]


# --- the processes -------------------------------------------------------------------------


def process_figures(
    records: Sequence[ProcessRecord], t0: float, end_rss: int | None
) -> dict[str, Any]:
    """Given the daemon's processes in start order, the first injection and the RSS read
    after the backlog (None if the daemon was gone), return the starts, memory and CPU."""
    first, last = records[0], records[-1]
    return {
        "daemon_starts": len(records),
        "processes": [
            record.__dict__
            | {
                "started": record.started - t0,
                "ended": None if record.ended is None else record.ended - t0,
            }
            for record in records
        ],
        "rss_start_first_kib": first.start_rss,
        "rss_start_last_kib": last.start_rss,
        "rss_end_kib": end_rss if end_rss is not None else last.last_rss,
        "rss_max_kib": max(max(record.max_rss, record.hwm) for record in records),
        "cpu_seconds": sum(record.cpu for record in records),
    }


def log_figures(lines: Iterable[str]) -> dict[str, Any]:
    """Given the daemon's log lines, count them per level, the tracebacks, and the most
    frequent error lines with their digits as '#'."""
    levels: Counter[str] = Counter()
    shapes: Counter[str] = Counter()
    tracebacks = 0
    for line in lines:
        if line.startswith("Traceback"):
            tracebacks += 1
        match = _LOG_LINE.match(line)
        if match:
            levels[match.group(1)] += 1
            if match.group(1) in ("ERROR", "CRITICAL"):
                shape = re.sub(r"\d+(\.\d+)?", "#", match.group(2))
                shapes[shape[:110]] += 1
    return {
        "levels": dict(levels),
        "errors": levels["ERROR"] + levels["CRITICAL"],
        "warnings": levels["WARNING"],
        "tracebacks": tracebacks,
        "top_errors": shapes.most_common(8),
    }


# --- the verdict ---------------------------------------------------------------------------


def verdict(figures: dict[str, Any], watchdog: float) -> dict[str, bool]:
    """Given the soak's figures and the unit's WatchdogSec, return each check and whether it
    passed: nothing lost or duplicated, every malformed PDU logged flagged, no reply sent
    twice or without a record, none stuck 'sending', the backlog logged, no exit on its own,
    exit 0 on SIGTERM, and a heartbeat always younger than the watchdog.
    """
    return {
        "lost": figures["lost"] == 0,
        "duplicated": figures["duplicated"] == 0,
        "malformed": figures["malformed_logged"] == figures["malformed_injected"],
        "sent_twice": figures["replies_sent_twice"] == 0,
        "sent_beyond_records": figures["sent_beyond_records"] == 0,
        "sent_without_record": figures["sent_without_record"] == 0,
        "recorded_sent_not_sent": figures["recorded_sent_not_sent"] == 0,
        "reply_message_ids_unique": figures["reply_message_ids_unique"],
        "no_reply_stuck_sending": figures["stuck_sending"] == 0,
        "settled": figures["settled"]
        and figures["stored_at_end"] == 0
        and figures["network_queue_at_end"] == 0,
        "unexpected_exits": not figures["unexpected_exits"],
        "exit_code": figures["exit_code"] == 0,
        "watchdog": (figures["heartbeat_max_age"] or 0) < watchdog,
    }
