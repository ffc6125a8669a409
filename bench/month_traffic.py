"""The month's traffic for bench/month.py: who writes, what and when; the same every time for
one seed.

Days are Paris days (Europe/Paris, the users' zone, whatever the machine's): the table reads
the same on every machine, and the month of March 2026 crosses the change to summer time
(day 28 lasts 23 hours). Every time handed out is aware and in UTC, as the daemon keeps it.

Ordinary traffic, every day: `one_offs` genuine senders who write once, at uniform times from
08:00 to 23:00 (20 in issue 9); `insisting` people (3 for 20 one-offs) who write 3 to 6 times
within an hour; and one sender nobody may answer (a name, a short code or a premium 08
number, in turn).

The raid is modelled on 2017: a forum posts the number and its readers write in waves, in the
afternoon and evening, most messages inside the waves and a trickle outside (RAID_* below).
A third of the raid's numbers write once (they look exactly like genuine senders); the others
write 2 to a few hundred times, in one session each, a message every RAID_GAP seconds on
average. With seed 2017 the full raid peaks at 19 messages in one second (11 a second over
10 s).

The outage day adds `backlog` genuine senders who write during the outage, evenly spaced (40
in two hours, 3 minutes apart: issue 9's case): enough new numbers that, counted when
received rather than when written, they would look like a raid.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from common import message_text

ZONE = ZoneInfo("Europe/Paris")
FIRST_DAY = date(2026, 3, 2)  # a Monday

# Roles of a sender, as the table counts them.
ONE_OFF = "one-off"  # genuine, writes once
INSISTING = "insisting"  # genuine, writes 3 to 6 times within an hour
RAID_ONCE = "raid-once"  # a raid number that writes once
RAIDER = "raider"  # a raid number that writes twice or more
SERVICE = "service"  # a name, a short code or a premium number: never answered

OPERATORS = ("+33600000001", "+33600000002")  # alerts.numbers
# Senders no reply may go to, one a day in turn: the operator's name, a short code, a premium
# 08 number (numbers.never_reply_prefixes).
SERVICE_SENDERS = ("FreeMobile", "36173", "+33899101010")

ORDINARY_HOURS = (8, 23)  # genuine senders write between these local hours
INSISTING_MESSAGES = (3, 6)
# More new numbers than flood.new_numbers_per_minute (10): received in one listing and
# counted when received rather than when written, they would look like a raid.
BACKLOG_LEAST = 15
INSISTING_WITHIN = 3600.0  # seconds

# The raid (2017: "over 20,000 insults", the number posted on a forum).
RAID_ONCE_SHARE = 1 / 3  # raid numbers that write only once
RAID_DAY_SHARES = (0.6, 0.25, 0.15)  # the first day carries most, then it dies down
RAID_WAVES_PER_DAY = 3  # the thread bumped again: a wave of readers
RAID_WAVE_STARTS = (14, 23)  # local hours a wave may start in (afternoon, evening)
RAID_WAVE_MINUTES = (3, 10)  # a wave's length; its rate rises then falls (triangular)
RAID_IN_WAVES = 0.85  # share of the raid's sessions that start inside a wave
RAID_TRICKLE_HOURS = (9, 26)  # the rest start from 09:00 to 02:00 the next night
RAID_GAP = 8.0  # seconds between two messages of one raider, on average (exponential)
RAID_WEIGHT_TAIL = 1.5  # Pareto shape of how much each raider writes (heavier tail: lower)
RAID_WEIGHT_CAP = 30.0  # the most active raider writes a few hundred messages, not thousands


@dataclass(frozen=True)
class Scenario:
    """The month's shape. Days are counted from 1 (day 1 = Monday 2 March 2026)."""

    days: int
    raid_days: tuple[int, ...]
    raid_messages: int
    raid_numbers: int
    outage_day: int
    outage_start: time
    outage_hours: float
    one_offs: int  # genuine one-off senders a day
    insisting: float  # insisting people a day, on average
    backlog: int  # genuine one-offs writing during the outage, evenly spaced

    def calendar_day(self, day: int) -> date:
        """Given a day (1-based), return its date."""
        return FIRST_DAY + timedelta(days=day - 1)

    def day_start(self, day: int) -> datetime:
        """Given a day (1-based), return when it starts, in UTC."""
        return local(self.calendar_day(day), 0.0)

    def day_of(self, moment: datetime) -> int:
        """Given an aware time, return its day (1-based, Paris days)."""
        return (moment.astimezone(ZONE).date() - FIRST_DAY).days + 1

    @property
    def end(self) -> datetime:
        return self.day_start(self.days + 1)

    @property
    def has_outage(self) -> bool:
        return 1 <= self.outage_day <= self.days

    @property
    def outage(self) -> tuple[datetime, datetime]:
        """Return when the service stops and when it starts again, in UTC."""
        start = self.outage_start
        begin = local(self.calendar_day(self.outage_day), start.hour + start.minute / 60)
        return begin, begin + timedelta(hours=self.outage_hours)


MONTH = Scenario(
    days=30,
    raid_days=(3, 4, 5),
    raid_messages=20_000,
    raid_numbers=2_000,
    outage_day=12,
    outage_start=time(14, 0),
    outage_hours=2.0,
    one_offs=20,
    insisting=3.0,
    backlog=40,
)


def with_one_offs(scenario: Scenario, one_offs: int) -> Scenario:
    """Given a month and a number of genuine one-off senders a day, return the month with
    that ordinary traffic: insisting people in issue 9's proportion (3 for 20), and a backlog
    of two days' one-off senders, at least BACKLOG_LEAST."""
    return replace(
        scenario,
        one_offs=one_offs,
        insisting=one_offs * MONTH.insisting / MONTH.one_offs,
        backlog=max(BACKLOG_LEAST, 2 * one_offs),
    )


# A scaled-down month: ordinary traffic the numbers budget can carry for 30 days.
QUICK = with_one_offs(
    replace(MONTH, days=4, raid_days=(2,), raid_messages=600, raid_numbers=60, outage_day=3), 4
)


# Given the kinds of text a sender may write and their weights, return one text.
Texts = Callable[[tuple[str, ...], tuple[int, ...]], str]


@dataclass(frozen=True)
class Message:
    """One SMS as written: when (the network's time stamp), by whom, what, and the sender's
    role."""

    at: datetime
    sender: str
    text: str
    role: str


def local(day: date, hours: float) -> datetime:
    """Given a date and a wall time in Paris as hours after its midnight (beyond 24: the next
    day), return that moment, aware, in UTC."""
    # Aware arithmetic in one zone is wall-clock arithmetic: 14:00 stays 14:00 on the day the
    # clocks change.
    return (datetime.combine(day, time(), tzinfo=ZONE) + timedelta(hours=hours)).astimezone(UTC)


def _between(rng: random.Random, begin: datetime, end: datetime) -> datetime:
    seconds = rng.uniform(0.0, (end - begin).total_seconds())
    return (begin + timedelta(seconds=seconds)).replace(microsecond=0)


def _hours(scenario: Scenario, day: int, hours: tuple[float, float]) -> tuple[datetime, datetime]:
    """Given a day and local hours (the second may pass midnight), return them in UTC."""
    begin, end = hours
    return local(scenario.calendar_day(day), begin), local(scenario.calendar_day(day), end)


class _Numbers:
    """Fresh French mobile numbers, never the same twice, never an operator's."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set(OPERATORS)

    def new(self) -> str:
        while True:
            number = "+33" + self.rng.choice("67") + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used:
                self.used.add(number)
                return number


def build_month(scenario: Scenario, seed: int) -> list[Message]:
    """Given the month's shape and a seed, return every message written, sorted by time.

    The ordinary traffic and the raid draw from random streams of their own: a month with
    fewer one-off senders (--one-offs) or none of the raid (--no-raid) keeps the rest as it is.
    """
    numbers = _Numbers(random.Random(f"{seed}:numbers"))
    rng = random.Random(f"{seed}:ordinary")
    text = _texts(rng)
    messages: list[Message] = []
    for day in range(1, scenario.days + 1):
        begin, end = _hours(scenario, day, ORDINARY_HOURS)
        for _ in range(scenario.one_offs):
            at = _between(rng, begin, end)
            messages.append(Message(at, numbers.new(), _ordinary_text(text), ONE_OFF))
        insisting = int(scenario.insisting) + (rng.random() < scenario.insisting % 1)
        for _ in range(insisting):
            messages += _insisting(rng, numbers.new(), begin, end, text)
        sender = SERVICE_SENDERS[(day - 1) % len(SERVICE_SENDERS)]
        messages.append(Message(_between(rng, begin, end), sender, "Votre facture", SERVICE))
    messages += _backlog(scenario, numbers, text)
    messages += raid(scenario, random.Random(f"{seed}:raid"), numbers)
    messages.sort(key=lambda message: message.at)
    return messages


def _texts(rng: random.Random) -> Texts:
    """Return the texts of one random stream (bench/common's sentences)."""
    counter = itertools.count()

    def text(kinds: tuple[str, ...], weights: tuple[int, ...]) -> str:
        return message_text(rng, rng.choices(kinds, weights)[0], next(counter))[0]

    return text


def _ordinary_text(text: Texts) -> str:
    # 70 % short GSM 7-bit, 20 % short UCS-2, 10 % in two parts (bench/common's mix).
    return text(("gsm7", "ucs2", "long"), (70, 20, 10))


def _insisting(
    rng: random.Random, sender: str, begin: datetime, end: datetime, text: Texts
) -> list[Message]:
    first = _between(rng, begin, end - timedelta(seconds=INSISTING_WITHIN))
    count = rng.randint(*INSISTING_MESSAGES)
    moments = [first] + sorted(
        _between(rng, first, first + timedelta(seconds=INSISTING_WITHIN)) for _ in range(count - 1)
    )
    return [Message(at, sender, text(("gsm7", "ucs2"), (80, 20)), INSISTING) for at in moments]


def _backlog(scenario: Scenario, numbers: _Numbers, text: Texts) -> list[Message]:
    if not scenario.has_outage:
        return []
    begin, end = scenario.outage
    step = (end - begin) / max(scenario.backlog, 1)
    return [
        Message(begin + step * (index + 0.5), numbers.new(), _ordinary_text(text), ONE_OFF)
        for index in range(scenario.backlog)
    ]


def raid(scenario: Scenario, rng: random.Random, numbers: _Numbers) -> list[Message]:
    """Given the month's shape, return the raid's messages (see the module's docstring)."""
    if not scenario.raid_days or not scenario.raid_messages:
        return []
    text = _texts(rng)
    count = scenario.raid_numbers
    once = round(count * RAID_ONCE_SHARE)
    counts = [1] * once + _apportion(rng, scenario.raid_messages - once, count - once, minimum=2)
    shares = RAID_DAY_SHARES[: len(scenario.raid_days)]
    waves = {day: _waves(rng, scenario, day) for day in scenario.raid_days}
    messages: list[Message] = []
    for written in counts:
        sender = numbers.new()
        day = rng.choices(scenario.raid_days, shares)[0]
        if rng.random() < RAID_IN_WAVES:
            start = _in_wave(rng, rng.choice(waves[day]))
        else:
            start = _between(rng, *_hours(scenario, day, RAID_TRICKLE_HOURS))
        role = RAID_ONCE if written == 1 else RAIDER
        for at in _session(rng, start, written):
            messages.append(Message(at, sender, text(("gsm7", "ucs2"), (80, 20)), role))
    return messages


def _apportion(rng: random.Random, total: int, parts: int, *, minimum: int) -> list[int]:
    """Given a total, split it in `parts` of at least `minimum`, heavy-tailed (a few write
    a lot), summing exactly to `total`."""
    if parts == 0:
        return []
    # Lomax (Pareto shifted to 0): many write the minimum, a few write a lot.
    weights = [min(rng.paretovariate(RAID_WEIGHT_TAIL) - 1, RAID_WEIGHT_CAP) for _ in range(parts)]
    extra = total - minimum * parts
    whole = sum(weights)
    shares = [extra * weight / whole for weight in weights]
    counts = [minimum + int(share) for share in shares]
    by_remainder = sorted(range(parts), key=lambda index: shares[index] - int(shares[index]))
    for index in by_remainder[len(by_remainder) - (total - sum(counts)) :]:
        counts[index] += 1
    return counts


def _waves(rng: random.Random, scenario: Scenario, day: int) -> list[tuple[datetime, float]]:
    """Return the day's waves: (start, length in seconds)."""
    begin, end = _hours(scenario, day, RAID_WAVE_STARTS)
    return [
        (_between(rng, begin, end), 60.0 * rng.uniform(*RAID_WAVE_MINUTES))
        for _ in range(RAID_WAVES_PER_DAY)
    ]


def _in_wave(rng: random.Random, wave: tuple[datetime, float]) -> datetime:
    start, length = wave
    # Triangular: readers arrive slowly, peak in the middle, then fall off.
    return (start + timedelta(seconds=rng.triangular(0.0, length))).replace(microsecond=0)


def _session(rng: random.Random, start: datetime, written: int) -> Iterator[datetime]:
    at = start
    for _ in range(written):
        yield at
        at += timedelta(seconds=max(1.0, rng.expovariate(1 / RAID_GAP)))
        at = at.replace(microsecond=0)
