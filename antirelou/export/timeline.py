"""Messages per hour over a dossier's period: the raid's shape, for the HTML and PDF charts.

A raid is judged on its rhythm as much as its words (number, hours, intervals:
shared/research/evidence.md §1.1), so the chart counts every message, flagged ones apart.
Hours are counted in UTC and labelled in local time, so the hour that happens twice when
summer time ends stays two bars. Past `max_bins` hours (a week by default) bars are days.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from antirelou.export.model import Message

HOUR, DAY = "hour", "day"


@dataclass(frozen=True)
class Bin:
    start: datetime  # aware, in the dossier's zone
    count: int
    flagged: int


@dataclass(frozen=True)
class Timeline:
    step: str  # HOUR or DAY
    bins: tuple[Bin, ...]

    @property
    def peak(self) -> int:
        return max((item.count for item in self.bins), default=0)


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def timeline(messages: Sequence[Message], zone: str, max_bins: int = 24 * 7) -> Timeline:
    """Given messages and a zone, return their counts per hour (per day past `max_bins`
    hours), every bin from the first message's to the last's, empty ones included."""
    if not messages:
        return Timeline(HOUR, ())
    local = ZoneInfo(zone)
    first = _hour(min(message.received_at for message in messages))
    last = _hour(max(message.received_at for message in messages))
    if (last - first) / timedelta(hours=1) < max_bins:
        key, step = _hour, HOUR
        starts, moment = [], first
        while moment <= last:
            starts.append(moment)
            moment += timedelta(hours=1)
    else:

        def key(moment: datetime) -> datetime:
            day = moment.astimezone(local).date()
            return datetime(day.year, day.month, day.day, tzinfo=local)

        step, starts = DAY, []
        day = key(first)
        while day <= key(last):
            starts.append(day)
            following = day.date() + timedelta(days=1)
            day = datetime(following.year, following.month, following.day, tzinfo=local)
    counts = Counter(key(message.received_at) for message in messages)
    flagged = Counter(key(message.received_at) for message in messages if message.flags)
    return Timeline(
        step,
        tuple(Bin(start.astimezone(local), counts[start], flagged[start]) for start in starts),
    )
