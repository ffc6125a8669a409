"""Flood bench: replay the 2017 raid through the simulated dongle and check nothing is lost.

A raid (about ten messages per raider number, in bursts of up to --max-rate messages a
second) over ordinary traffic (genuine senders who write exactly once, spread uniformly
through the run) is injected into a simulated dongle with realistic timings: one 30-slot
SIM storage, 20 ms per AT command, 1 to 3 s per sent segment, 115200 baud. Messages that
find the storage full wait in the network (the simulator's SMSC queue) as they would in
real life. The daemon runs as a subprocess with replies enabled and the shipped budgets
and flood settings (etc/antirelou.yaml, written explicitly in the bench config), on the
real clock by default: modem timings are never skipped, and the policy windows (budgets, flood
windows, cooldown) run on the real clock unless --clock-speed K makes the daemon's wall clock
run K times faster (its waits and every modem timing stay real).

At the end the bench waits for the storage and the network queue to empty, every message
to be logged and every queued reply to be sent, stops the daemon (SIGTERM) and checks the
database read-only: every injected (sender, text) logged exactly once, replies and
segments against the budgets (rolling windows, flood-mode budget, numbers per 30 days),
the share of genuine one-off senders answered and why the others were not, flood
episodes, nobody answered beyond the sequence, reception latency, drain rate against the
serial-bound limit, the daemon's CPU per message and its peak memory.

    .venv/bin/python bench/flood.py            # 2,000 messages, 200 raiders, 60 genuine
    .venv/bin/python bench/flood.py --full     # 20,000 messages, 2,000 raiders, 600 genuine
    options: [--messages N] [--raiders R] [--genuine G] [--max-rate 20] [--poll 2]
             [--clock-speed 1] [--seed 2017] [--keep] [--json]

Exit status: 0 measured and every check passed, 1 a check failed, 2 no measure (the
daemon died or timed out).
"""

from __future__ import annotations

import argparse
import bisect
import math
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from common import (
    CHECK_FAILED,
    CLOCK_TICKS,
    NO_MEASURE,
    REPO,
    BenchError,
    DaemonProcess,
    Sms,
    check_database,
    check_text,
    command_seen,
    connect_readonly,
    decimal_text,
    dump_json,
    median,
    message_text,
    stop_on_signals,
    table,
    wait_for,
    wait_for_dongle,
    write_config,
)
from flood_checks import flood_checks, flood_spans, window_peak, within
from sampling import Sample, Sampler
from soak_checks import most_replies_per_message, reasons_by_status

from antirelou import config as config_module
from antirelou import exits
from antirelou.durations import format_duration
from antirelou.simulator import Fault, SimulatedDongle
from antirelou.simulator.network_pdu import encode_deliver

SMALL = {"messages": 2000, "raiders": 200, "genuine": 60}
FULL = {"messages": 20000, "raiders": 2000, "genuine": 600}
SLOTS = 30  # one SIM storage, as on a cheap dongle
LATENCY = 0.02  # seconds per AT command
SEND_LATENCY = (1.0, 3.0)  # seconds per sent segment
BAUD = 115200
STARTUP_TIMEOUT = 60.0
SAMPLE_EVERY = 0.02  # storage sampler period, seconds
USAGE_EVERY = 1.0  # daemon CPU / logged count sampler period, seconds
INJECTION_MARGIN = 600.0  # seconds the injector may lag behind its schedule before giving up
SMSC = "+33695000695"  # the simulator's service centre (only its length matters here)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Replay a raid (bursts over ordinary traffic) through the simulated dongle."
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"the issue's run: {FULL['messages']} messages, {FULL['raiders']} "
        f"raiders, {FULL['genuine']} genuine senders (about 25 minutes)",
    )
    parser.add_argument(
        "--messages", type=int, metavar="N", help=f"messages in all (default {SMALL['messages']})"
    )
    parser.add_argument(
        "--raiders",
        type=int,
        metavar="R",
        help=f"raider numbers, each writes many times (default {SMALL['raiders']})",
    )
    parser.add_argument(
        "--genuine",
        type=int,
        metavar="G",
        help=f"genuine senders, each writes once (default {SMALL['genuine']})",
    )
    parser.add_argument(
        "--max-rate",
        type=float,
        default=20.0,
        metavar="PER_SECOND",
        help="fastest burst, messages per second (default 20)",
    )
    parser.add_argument(
        "--poll",
        type=int,
        default=2,
        metavar="SECONDS",
        help="the daemon's modem.poll_interval (default 2)",
    )
    parser.add_argument(
        "--clock-speed",
        type=float,
        default=1.0,
        metavar="K",
        help="run the daemon's wall clock (policy windows: budgets, flood "
        "detection, cooldown) K times faster; modem timings stay real "
        "(default 1: the headline run)",
    )
    parser.add_argument("--seed", type=int, default=2017, help="seed of the traffic")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the working directory (database, config, daemon log)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args(argv)
    sizes = FULL if arguments.full else SMALL
    for name, value in sizes.items():
        if getattr(arguments, name) is None:
            setattr(arguments, name, value)
    if (
        arguments.genuine < 0
        or arguments.raiders < 1
        or arguments.messages < arguments.genuine + arguments.raiders
    ):
        parser.error(
            "need --raiders >= 1, --genuine >= 0 and --messages >= raiders + genuine "
            "(every raider writes at least once)"
        )
    if (
        not 1 <= arguments.max_rate <= 200
        or not 1 <= arguments.poll <= 600
        or not 1 <= arguments.clock_speed <= 10000
    ):
        parser.error("--max-rate must be 1 to 200, --poll 1 to 600, --clock-speed 1 to 10000")
    return arguments


# --- the traffic -------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    at: float  # seconds after the first injection
    sms: Sms
    genuine: bool


def build_traffic(
    count: int, raiders: int, genuine: int, max_rate: float, seed: int
) -> list[Arrival]:
    """Given the sizes and a seed, return the same arrivals every time, sorted by time.

    Raid messages come in bursts (rate 60-100 % of max_rate for 3-15 s, pauses 0.2-2 s);
    raiders are picked with heavy-tailed weights (a few write dozens of times, each at least
    once); 75 % of raid messages are short GSM 7-bit, 20 % short UCS-2, 5 % in two parts.
    Genuine senders write once each (70/20/10 %), at uniform times over the raid.
    """
    rng = random.Random(seed)
    used: set[str] = set()

    def new_number() -> str:
        while True:
            number = "+33" + rng.choice("67") + "".join(rng.choice("0123456789") for _ in range(8))
            if number not in used:
                used.add(number)
                return number

    pool = [new_number() for _ in range(raiders)]
    weights = [rng.paretovariate(1.2) for _ in pool]
    raid_count = count - genuine
    senders = pool + rng.choices(pool, weights, k=raid_count - raiders)
    rng.shuffle(senders)

    times: list[float] = []
    clock = 0.0
    while len(times) < raid_count:
        rate = max_rate * rng.uniform(0.6, 1.0)
        burst = max(1, round(rate * rng.uniform(3.0, 15.0)))
        times.extend(clock + index / rate for index in range(burst))
        clock += burst / rate + rng.uniform(0.2, 2.0)
    times = times[:raid_count]
    end = times[-1] if times else 0.0

    arrivals: list[Arrival] = []
    kinds = ("gsm7", "ucs2", "long")
    for number, (at, sender) in enumerate(zip(times, senders, strict=True)):
        kind = rng.choices(kinds, (75, 20, 5))[0]
        text, segments = message_text(rng, kind, number)
        arrivals.append(Arrival(at, Sms(sender, text, kind, segments), False))
    for number in range(genuine):
        kind = rng.choices(kinds, (70, 20, 10))[0]
        text, segments = message_text(rng, kind, number)
        arrivals.append(
            Arrival(rng.uniform(0.0, end), Sms(new_number(), text, kind, segments), True)
        )
    arrivals.sort(key=lambda arrival: arrival.at)
    return arrivals


def serial_bound(arrivals: list[Arrival]) -> dict:
    """The fastest this simulated dongle could hand the messages over: every PDU listed once
    (its +CMGL line and hex at 115200 baud, 10 bits a byte), in full 30-slot listings of one
    AT+CMGL and one AT+CMGD each (20 ms per command, their OK lines on the wire too).
    """
    moment = datetime(2017, 5, 1, 12, tzinfo=UTC)
    entry_bytes = 0
    pdus = 0
    for arrival in arrivals:
        for pdu in encode_deliver(
            arrival.sms.sender, arrival.sms.text, moment, smsc=SMSC, concat_reference=0
        ):
            data = bytes.fromhex(pdu)
            tpdu = len(data) - 1 - data[0]
            entry_bytes += len(f"+CMGL: {pdus % SLOTS},1,,{tpdu}\r\n{pdu}\r\n")
            pdus += 1
    listings = math.ceil(pdus / SLOTS)
    wire = (entry_bytes + listings * (len("\r\n\r\nOK\r\n") + len("\r\nOK\r\n"))) * 10 / BAUD
    seconds = wire + listings * 2 * LATENCY
    return {
        "pdus": pdus,
        "listing_bytes": entry_bytes,
        "listings": listings,
        "wire_seconds": wire,
        "seconds": seconds,
        "per_second": len(arrivals) / seconds if seconds else math.inf,
    }


# --- watching the dongle -------------------------------------------------------------------


def _command_name(line: str) -> str:
    upper = line.upper()
    for prefix in ("AT+CMGL", "AT+CMGD", "AT+CMGS"):
        if upper.startswith(prefix):
            return prefix[3:]
    return "other"


class Monitor(Fault):
    """Peaks of the storage and the network queue, and what kept the dongle busy.

    `sample` is called from every thread that can change the storage (the injector after
    each message, the dongle's thread before each command, a sampler every 20 ms).
    The hooks run on the dongle's thread: `on_command` after the command latency,
    `on_answer` when the whole answer is ready (for AT+CMGS, after the PDU was "sent").
    """

    def __init__(self, dongle: SimulatedDongle) -> None:
        self.dongle = dongle
        self.lock = threading.Lock()
        self.peak_slots = 0
        self.peak_pending = 0
        self.samples = 0
        self.full_samples = 0
        self.written = 0  # bytes the dongle wrote to the host
        self.commands: Counter[str] = Counter()
        self.busy: Counter[str] = Counter()  # seconds per command kind, answer on the wire too
        self.listed: list[tuple[float, int]] = []  # (monotonic, PDUs) per AT+CMGL answer
        self.sends: list[tuple[float, float]] = []  # (start, end) monotonic, per AT+CMGS
        self.queued_at: list[float] = []  # monotonic, periodic samples with a network queue
        self._started: dict[str, float] = {}

    def sample(self, *, periodic: bool = False) -> None:
        slots, pending = len(self.dongle.stored()), self.dongle.pending_network
        with self.lock:
            self.peak_slots = max(self.peak_slots, slots)
            self.peak_pending = max(self.peak_pending, pending)
            if periodic:
                self.samples += 1
                self.full_samples += slots >= SLOTS
                if pending:
                    self.queued_at.append(time.monotonic())

    def on_command(self, line: str) -> str | None:
        self.sample()
        name = _command_name(line)
        self.commands[name] += 1
        self._started[line] = time.monotonic() - LATENCY
        return None

    def on_answer(self, line: str, data: bytes) -> bytes:
        now = time.monotonic()
        started = self._started.pop(line, None)
        name = _command_name(line)
        if started is not None:
            self.busy[name] += now - started + len(data) * 10 / BAUD
        if name == "CMGL":
            self.listed.append((now, data.count(b"+CMGL:")))
        elif name == "CMGS" and started is not None:
            self.sends.append((started, now))
        return data

    def queue_seconds(self, margin: float = 1.0) -> tuple[float, float]:
        """Seconds with a network queue: in all, and within `margin` of a send (AT+CMGS)."""
        with self.lock:
            queued = list(self.queued_at)
        starts = [start for start, _ in self.sends]
        near = 0
        for moment in queued:
            index = bisect.bisect_right(starts, moment + margin) - 1
            near += index >= 0 and moment <= self.sends[index][1] + margin
        return len(queued) * SAMPLE_EVERY, near * SAMPLE_EVERY

    def on_write(self, data: bytes) -> bytes:
        self.written += len(data)
        return data


class Injector(threading.Thread):
    """Inject the arrivals on schedule; record when each one went in."""

    def __init__(
        self,
        dongle: SimulatedDongle,
        arrivals: list[Arrival],
        monitor: Monitor,
        network_time: Callable[[], datetime],
    ) -> None:
        """`network_time` is the time the network stamps each message with (SCTS): the
        daemon's, so that an accelerated run counts rates on its own clock."""
        super().__init__(name="flood-injector", daemon=True)
        self.dongle = dongle
        self.network_time = network_time
        self.arrivals = arrivals
        self.monitor = monitor
        self.stopping = threading.Event()
        self.started_at = 0.0
        self.finished_at = 0.0
        self.times: list[float] = []  # monotonic, per arrival injected
        self.walls: list[float] = []  # time.time(), per arrival injected
        self.late = 0.0  # worst lag behind the schedule, seconds
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.started_at = start = time.monotonic()
            for arrival in self.arrivals:
                delay = start + arrival.at - time.monotonic()
                if delay > 0 and self.stopping.wait(delay):
                    break
                self.late = max(self.late, -delay)
                self.walls.append(time.time())
                self.dongle.inject(
                    arrival.sms.sender, arrival.sms.text, timestamp=self.network_time()
                )
                self.times.append(time.monotonic())
                self.monitor.sample()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            self.error = error
        finally:
            self.finished_at = time.monotonic()


# --- the daemon, its wall clock optionally accelerated --------------------------------------


class BenchDaemon(DaemonProcess):
    """The daemon, its wall clock (budgets, flood windows, cooldown, timestamps) running
    `speed` times faster from the moment it starts: bench/run_daemon.py hands it a
    ScaledClock. Monotonic time (its waits, the poll interval) and the dongle's timings stay
    real. At speed 1 it is `python -m antirelou run`.
    """

    def __init__(
        self, config: str, log_path: str, speed: float, *, resume_at: datetime | None = None
    ) -> None:
        """`resume_at`: the daemon's wall time as it starts (a restart that goes on where an
        earlier daemon's clock stopped); by default the real time."""
        super().__init__(config, log_path)
        self.speed = speed
        self.resume_at = resume_at
        self.origin_wall = time.time()
        self.origin = time.monotonic()

    def command(self) -> list[str]:
        if self.speed == 1 and self.resume_at is None:
            return super().command()
        return [
            sys.executable,
            os.path.join(REPO, "bench", "run_daemon.py"),
            "--clock-speed",
            repr(self.speed),
            "--origin-wall",
            repr(self.origin_wall),
            "--origin-monotonic",
            repr(self.origin),
            "-c",
            self.config,
        ]

    def start(self) -> BenchDaemon:
        # The daemon's clock and real_time() agree on one mapping, taken as it starts.
        self.origin_wall, self.origin = time.time(), time.monotonic()
        if self.resume_at is not None:
            self.origin_wall = self.resume_at.timestamp()
        super().start()
        return self

    def now(self) -> datetime:
        """Return the daemon's wall time now (what its ScaledClock reads)."""
        elapsed = time.monotonic() - self.origin
        return datetime.fromtimestamp(self.origin_wall + elapsed * self.speed, UTC)

    def real_time(self, stamp: str) -> float:
        """Given a timestamp the daemon wrote, return the real time.time() it meant."""
        moment = datetime.fromisoformat(stamp).timestamp()
        return self.origin_wall + (moment - self.origin_wall) / self.speed


# --- the run -----------------------------------------------------------------------------

POLICY_TEMPLATE = """\
budgets:
  segments_per_hour: {b.segments_per_hour}
  segments_per_day: {b.segments_per_day}
  segments_per_month: {b.segments_per_month}
  numbers_per_month: {b.numbers_per_month}
flood:
  enabled: {enabled}
  messages_per_minute: {f.messages_per_minute}
  new_numbers_per_minute: {f.new_numbers_per_minute}
  calm_after: {calm}
  segments_per_hour: {f.segments_per_hour}
  hold: {hold}
"""


def _limit(value: int | None) -> str:
    return "unlimited" if value is None else str(value)


def policy_yaml() -> str:
    """The shipped budgets and flood settings, written out so the bench knows them."""
    shipped = config_module.load(os.path.join(REPO, "etc", "antirelou.yaml"))
    budgets = shipped.budgets
    limits = {
        name: _limit(getattr(budgets, name))
        for name in (
            "segments_per_hour",
            "segments_per_day",
            "segments_per_month",
            "numbers_per_month",
        )
    }
    return POLICY_TEMPLATE.format(
        b=argparse.Namespace(**limits),
        f=shipped.flood,
        enabled="true" if shipped.flood.enabled else "false",
        calm=f"{int(shipped.flood.calm_after)}s",
        hold=f"{int(shipped.flood.hold)}s",
    )


def _scalar(db: sqlite3.Connection, sql: str, parameters: tuple = ()) -> int:
    return db.execute(sql, parameters).fetchone()[0]


def wait_for_database(
    daemon: DaemonProcess, database: str, sql: str, want, timeout: float, what: str
) -> float:
    """Poll `sql` (one number) until want(value); return time.monotonic() then. Raise
    BenchError if the daemon dies or `timeout` seconds pass."""

    def holds() -> bool:
        try:
            with connect_readonly(database) as db:
                return want(_scalar(db, sql))
        except sqlite3.Error:
            return False

    return wait_for(holds, timeout, daemon, what, interval=0.2)


def run(arguments: argparse.Namespace, arrivals: list[Arrival]) -> dict:
    directory = tempfile.mkdtemp(prefix="antirelou-bench-flood-")
    try:
        return run_in(arguments, arrivals, directory)
    finally:
        if arguments.keep:
            print(f"flood bench: working directory kept: {directory}", file=sys.stderr)
        else:
            shutil.rmtree(directory, ignore_errors=True)


def run_in(arguments: argparse.Namespace, arrivals: list[Arrival], directory: str) -> dict:
    link = os.path.join(directory, "modem")
    database = os.path.join(directory, "antirelou.db")
    dongle = SimulatedDongle(
        link,
        memories={"SM": SLOTS},
        command_latency=LATENCY,
        send_latency=SEND_LATENCY,
        baudrate=BAUD,
        seed=arguments.seed,
    )
    dongle.start()
    injector: Injector | None = None
    sampler: Sampler | None = None
    try:
        monitor = Monitor(dongle)
        dongle.set_fault(monitor)
        config_path = write_config(
            directory,
            link,
            baud=BAUD,
            poll=f"{arguments.poll}s",
            replies=True,
            level="warning",
            extra=policy_yaml(),
        )
        config = config_module.load(config_path)
        with BenchDaemon(
            config_path, os.path.join(directory, "daemon.log"), arguments.clock_speed
        ) as daemon:
            ready = wait_for_dongle(
                dongle,
                command_seen(dongle, "AT+CMGL"),
                STARTUP_TIMEOUT,
                daemon,
                "the daemon's first AT+CMGL",
            )
            at_start = daemon.usage()
            sampler = Sampler(
                database,
                dongle,
                lambda: daemon,
                every=SAMPLE_EVERY,
                sample_every=USAGE_EVERY,
                tick=lambda: monitor.sample(periodic=True),
            )
            injector = Injector(dongle, arrivals, monitor, daemon.now)
            sampler.start()
            injector.start()
            wait_for(
                lambda: not injector.is_alive(),
                arrivals[-1].at + INJECTION_MARGIN,
                daemon,
                "the injector to finish",
                interval=0.5,
            )
            if injector.error is not None:
                raise BenchError(f"injecting failed: {injector.error!r}")
            last_injection = injector.times[-1]
            emptied = wait_for_dongle(
                dongle,
                lambda: dongle.pending_network == 0 and not dongle.stored(),
                120.0,
                daemon,
                "the storage and the network queue to empty",
            )
            logged_at = wait_for_database(
                daemon,
                database,
                "SELECT COUNT(*) FROM messages",
                lambda value: value >= len(arrivals),
                60.0,
                "every message to be logged",
            )
            at_logged = daemon.usage()
            with connect_readonly(database) as db:
                queued = _scalar(db, _DUE_NOW)
            replies_done = wait_for_database(
                daemon,
                database,
                _DUE_NOW,
                lambda value: value == 0,
                60.0 + 2 * SEND_LATENCY[1] * (queued + 1),
                "the replies decided outside flood mode to be sent",
            )
            at_end = daemon.usage()
            sampler.stop()
            exit_code = daemon.stop()
            log_tail = daemon.log_tail(10)
            stopped_at = daemon.now()
        after = after_the_raid(config_path, directory, database, config, stopped_at, dongle)
        figures = analyse(database, arrivals, config, dongle, daemon.real_time)
    finally:
        if injector is not None:
            injector.stopping.set()
        if sampler is not None:
            sampler.halt.set()
        dongle.stop()

    injected = len(injector.times)
    first = injector.times[0]
    span = last_injection - first
    figures.update(
        after_the_raid=after,
        exit_code=exit_code,
        daemon_log=log_tail if exit_code or log_tail != "(no output)" else "",
        sampler_error=sampler.last_error,
        startup_seconds=ready - daemon.started_at,
        startup_cpu_ms=at_start.cpu * 1000,
        injected=injected,
        injection_seconds=span,
        injection_late_max=injector.late,
        arrival_per_second=injected / span if span else math.inf,
        peak_arrival_per_second=_peak_rate(injector.times, 1.0),
        lag_to_empty=emptied - last_injection,
        lag_to_logged=max(0.0, logged_at - last_injection),
        drain_seconds=logged_at - first,
        drain_per_second=injected / (logged_at - first),
        replies_tail_seconds=replies_done - logged_at,
        replies_queued_at_end=queued,
        cpu_ms=(at_logged.cpu - at_start.cpu) * 1000,
        cpu_ms_per_message=(at_logged.cpu - at_start.cpu) * 1000 / injected,
        cpu_ms_total=at_end.cpu * 1000,
        cpu_by_quarter=_cpu_by_quarter(sampler.samples, at_start.cpu, len(arrivals)),
        rss_mib=at_end.rss / 1024,
        peak_rss_mib=at_end.hwm / 1024,
        peak_slots=monitor.peak_slots,
        peak_pending_network=monitor.peak_pending,
        full_share=monitor.full_samples / monitor.samples if monitor.samples else 0.0,
        dongle_commands=dict(monitor.commands),
        dongle_busy_seconds={name: round(value, 2) for name, value in monitor.busy.items()},
        dongle_bytes_written=monitor.written,
        listings=len(monitor.listed),
        listed_pdus=sum(count for _, count in monitor.listed),
        largest_listing=max((count for _, count in monitor.listed), default=0),
        wall_seconds=time.monotonic() - first,
    )
    queue_all, queue_sending = monitor.queue_seconds()
    figures.update(
        queue_seconds=queue_all,
        queue_seconds_near_sends=queue_sending,
        sends_seconds=sum(end - start for start, end in monitor.sends),
        clock_speed=arguments.clock_speed,
    )
    figures["latency"] = _latencies(figures.pop("_received"), arrivals, injector.walls)
    figures["peak_drain_per_second_10s"] = _peak_rate(figures.pop("_received_times"), 10.0)
    figures["serial_bound"] = serial_bound(arrivals)
    figures["checks"] = flood_checks(figures)
    figures["ok"] = all(figures["checks"].values())
    return figures


def _peak_rate(times: list[float], window: float) -> float:
    """The most events in any `window` seconds, per second."""
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best / window


def _cpu_by_quarter(samples: list[Sample], base: float, count: int) -> list[float | None]:
    """CPU ms per message logged within each quarter of the messages (by sampled counts)."""
    points = [(0, base)] + [
        (sample.logged, sample.usage.cpu)
        for sample in samples
        if sample.logged is not None and sample.usage is not None
    ]
    result: list[float | None] = []
    for quarter in range(4):
        low, high = count * quarter / 4, count * (quarter + 1) / 4
        inside = [(logged, cpu) for logged, cpu in points if low <= logged <= high]
        if len(inside) < 2 or inside[-1][0] == inside[0][0]:
            result.append(None)
            continue
        (logged0, cpu0), (logged1, cpu1) = inside[0], inside[-1]
        result.append((cpu1 - cpu0) * 1000 / (logged1 - logged0))
    return result


def _latencies(
    received: list[tuple[str, str, float]], arrivals: list[Arrival], walls: list[float]
) -> dict:
    """Injection to commit, pairing each (sender, text) in time order."""
    injected: dict[tuple[str, str], deque[float]] = defaultdict(deque)
    for arrival, wall in zip(arrivals, walls, strict=False):
        injected[(arrival.sms.sender, arrival.sms.text)].append(wall)
    delays = []
    for sender, text, at in sorted(received, key=lambda row: row[2]):
        queue = injected.get((sender, text))
        if queue:
            delays.append(at - queue.popleft())
    delays.sort()
    if not delays:
        return {"count": 0}

    def quantile(share: float) -> float:
        return delays[min(len(delays) - 1, int(share * len(delays)))]

    return {
        "count": len(delays),
        "median": median(delays),
        "p95": quantile(0.95),
        "p99": quantile(0.99),
        "max": delays[-1],
    }


# --- the database ------------------------------------------------------------------------

_SPENT = ("sent", "unknown")
_COMMITTED = ("queued", "sending", "sent", "unknown")  # what the daemon's budgets count


# Replies the raid phase waits for: those decided outside flood mode (they reserved their
# budgets and leave at once). Flood-mode replies are held, then deferred until a budget
# allows: after_the_raid follows them.
_DUE_NOW = (
    "SELECT COUNT(*) FROM replies WHERE status = 'sending' OR (status = 'queued' AND in_flood = 0)"
)

# The daemon's clock runs this much faster after the raid: a day of deferred replies (the
# calm that ends the raid, flood.answer_within) passes in minutes.
AFTER_SPEED = 600.0


def after_the_raid(
    config_path: str,
    directory: str,
    database: str,
    config,
    resume_at: datetime,
    dongle: SimulatedDongle,
) -> dict:
    """Restart the daemon where its clock stopped, that clock running AFTER_SPEED times
    faster, until every flood-mode reply has left or been dropped (at most
    flood.answer_within after its decision). Return what it took and what became of them."""
    with connect_readonly(database) as db:
        waiting = _scalar(db, "SELECT COUNT(*) FROM replies WHERE status = 'queued'")
    if not waiting:
        return {"waiting": 0, "policy_seconds": 0.0, "real_seconds": 0.0}
    began = time.monotonic()
    sent_before = len(dongle.sent)
    with BenchDaemon(
        config_path,
        os.path.join(directory, "daemon-after.log"),
        AFTER_SPEED,
        resume_at=resume_at,
    ) as daemon:
        budget = (config.flood.calm_after + config.flood.answer_within + 3600) / AFTER_SPEED
        wait_for_database(
            daemon,
            database,
            "SELECT COUNT(*) FROM replies WHERE status IN ('queued', 'sending')",
            lambda value: value == 0,
            budget + 2 * SEND_LATENCY[1] * (waiting + 1),
            "the deferred replies to be sent or dropped",
        )
        policy_seconds = (daemon.now() - resume_at).total_seconds()
        daemon.stop()
    return {
        "waiting": waiting,
        "sent": len(dongle.sent) - sent_before,
        "policy_seconds": policy_seconds,
        "real_seconds": time.monotonic() - began,
    }


def analyse(
    database: str,
    arrivals: list[Arrival],
    config,
    dongle: SimulatedDongle,
    real_time: Callable[[str], float],
) -> dict:
    """Check the database; policy windows in the daemon's time, latencies in real time."""
    check = check_database(database, [arrival.sms for arrival in arrivals])
    with connect_readonly(database) as db:
        messages = db.execute("SELECT id, sender, text, received_at FROM messages").fetchall()
        replies = db.execute(
            "SELECT r.message_id, r.recipient, r.status, r.reason_code, r.segments, r.segments_sent,"
            # when each reply counted against the budgets: queued, or sent if held
            " COALESCE(r.spent_at, r.created_at), r.in_flood, m.sender FROM replies r JOIN messages m"
            " ON m.id = r.message_id"
        ).fetchall()
        events = db.execute(
            "SELECT at, kind, detail FROM events WHERE kind IN "
            "('flood started', 'flood ended') ORDER BY id"
        ).fetchall()
        alerts = _scalar(
            db,
            "SELECT COUNT(*) FROM alerts WHERE status IN ('queued', 'sending', 'sent', 'unknown')",
        )
        pdus_on_modem = _scalar(db, "SELECT COUNT(*) FROM pdus WHERE on_modem = 1")
        reply_message_ids = [
            message_id for (message_id,) in db.execute("SELECT message_id FROM replies")
        ]
    without_decision = len({row[0] for row in messages} - {row[0] for row in replies})

    def stamp(text: str) -> float:
        return datetime.fromisoformat(text).timestamp()

    status = Counter(row[2] for row in replies)
    spent = [row for row in replies if row[2] in _SPENT]
    committed = [row for row in replies if row[2] in _COMMITTED]
    segments_db = sum(row[4] for row in spent)
    segments_sent_db = sum(row[5] for row in spent)
    sent_segments = dongle.sent_segments
    sent_messages = dongle.sent
    per_number_db = Counter(row[1] for row in committed)
    per_number_dongle = Counter(message.number for message in sent_messages)
    genuine_numbers = {arrival.sms.sender for arrival in arrivals if arrival.genuine}
    raider_numbers = {arrival.sms.sender for arrival in arrivals if not arrival.genuine}
    genuine_rows = [row for row in replies if row[8] in genuine_numbers]
    genuine_answered = sum(row[2] == "sent" for row in genuine_rows)
    not_answered = reasons_by_status((row[2], row[3]) for row in genuine_rows if row[2] != "sent")
    raiders_answered = len({row[1] for row in spent if row[8] in raider_numbers})

    timed = [(stamp(row[6]), row[4]) for row in committed]
    # The flood-mode hourly budget holds while a flood lasts; after it, deferred flood-mode
    # replies leave within the normal budgets (counted above with every reply).
    episodes = flood_spans([(stamp(at), kind) for at, kind, _ in events])
    flood_timed = [
        (moment, segments)
        for moment, segments, in_flood in ((stamp(row[6]), row[4], row[7]) for row in committed)
        if in_flood and any(start <= moment <= end for start, end in episodes)
    ]
    budgets, flood = config.budgets, config.flood
    received_times = [stamp(row[3]) for row in messages]
    first = min(received_times, default=0.0)
    last = max(received_times + [moment for moment, _ in timed], default=first)
    duration = max(1.0, last - first)
    hours = math.ceil(duration / 3600)
    days = math.ceil(duration / 86400)
    allowed = [
        limit
        for limit in (
            None if budgets.segments_per_hour is None else budgets.segments_per_hour * hours,
            None if budgets.segments_per_day is None else budgets.segments_per_day * days,
            budgets.segments_per_month,
        )
        if limit is not None
    ]
    flood_started = [row for row in events if row[1] == "flood started"]
    steps = max(
        len(config.replies.steps_for(number)) for number in (genuine_numbers | raider_numbers)
    )
    return {
        "logged": check.messages,
        "logged_pdus": check.pdus,
        "pdus_left_on_modem": pdus_on_modem,
        "lost": check.missing,
        "duplicated": check.extra,
        "flagged": check.flagged,
        "examples": list(check.examples),
        "messages_without_decision": without_decision,
        "reply_rows_per_message_max": most_replies_per_message(reply_message_ids),
        "reply_status": dict(status),
        "replies_sent": len(spent),
        "segments_sent_db": segments_db,
        "segments_sent_counted_db": segments_sent_db,
        "segments_sent_dongle": len(sent_segments),
        "messages_sent_dongle": len(sent_messages),
        "alerts_sent": alerts,
        "policy_seconds": duration,
        "allowed_segments": min(allowed) if allowed else None,
        "allowed_flood_segments": None
        if flood.segments_per_hour is None
        else flood.segments_per_hour * hours,
        "budgets": {
            "segments_per_hour": budgets.segments_per_hour,
            "segments_per_day": budgets.segments_per_day,
            "segments_per_month": budgets.segments_per_month,
            "numbers_per_month": budgets.numbers_per_month,
            "flood_segments_per_hour": flood.segments_per_hour,
            "flood_messages_per_minute": flood.messages_per_minute,
            "flood_new_numbers_per_minute": flood.new_numbers_per_minute,
            "flood_calm_after": flood.calm_after,
            "cooldown": config.replies.cooldown,
        },
        "peak_segments_hour": window_peak(timed, 3600),
        "peak_segments_day": window_peak(timed, 86400),
        "peak_segments_month": window_peak(timed, 30 * 86400),
        "peak_flood_segments_hour": window_peak(flood_timed, 3600),
        "flood_segments": sum(segments for _, segments in flood_timed),
        "numbers_answered": len(per_number_db),
        "most_replies_to_one_number": max(per_number_db.values(), default=0),
        "most_messages_sent_to_one_number": max(per_number_dongle.values(), default=0),
        "sequence_steps": steps,
        "dongle_recipients_match": per_number_dongle == Counter(row[1] for row in spent),
        "genuine_senders": len(genuine_numbers),
        "genuine_answered": genuine_answered,
        "genuine_not_answered": dict(not_answered.most_common()),
        "raiders": len(raider_numbers),
        "raiders_answered": raiders_answered,
        "flood_episodes": len(flood_started),
        "flood_events": [{"at": at, "kind": kind, "detail": detail} for at, kind, detail in events],
        "_received": [(row[1], row[2], real_time(row[3])) for row in messages],
        "_received_times": [real_time(row[3]) for row in messages],
    }


# --- the report ----------------------------------------------------------------------------


def report(arguments: argparse.Namespace, arrivals: list[Arrival], figures: dict, when: str) -> str:
    budgets = figures["budgets"]
    checks = {name: check_text(passed) for name, passed in figures["checks"].items()}
    bound = figures["serial_bound"]
    latency = figures["latency"]
    kinds = Counter(arrival.sms.kind for arrival in arrivals)
    genuine = figures["genuine_senders"]
    share = figures["genuine_answered"] / genuine if genuine else 0.0
    command = "bench/flood.py" + (" --full" if arguments.full else "")
    lines = [
        f"antirelou flood bench ({command}), {when}",
        f"host: {platform.node()}, {os.cpu_count()} CPU(s), Linux {platform.release()}, "
        f"Python {platform.python_version()}",
        f"dongle: simulated in the bench process, storage SM {SLOTS} slots only, "
        f"{LATENCY * 1000:g} ms per AT command, {SEND_LATENCY[0]:g}-{SEND_LATENCY[1]:g} s per "
        f"sent segment, {BAUD} baud; a full storage makes the network queue messages",
        f"daemon: {sys.executable} "
        + (
            "-m antirelou run"
            if arguments.clock_speed == 1
            else f"bench/run_daemon.py --clock-speed {arguments.clock_speed:g}"
        )
        + f", replies enabled, poll_interval "
        f"{arguments.poll}s, logging warning, "
        + (
            "real clock (policy windows not accelerated)"
            if arguments.clock_speed == 1
            else f"wall clock {arguments.clock_speed:g}x faster for the policy windows (modem "
            f"timings real)"
        ),
        f"policy (etc/antirelou.yaml): {budgets['segments_per_hour']}/hour, "
        f"{budgets['segments_per_day']}/day, {budgets['segments_per_month']}/30 days, "
        f"{budgets['numbers_per_month']} numbers/30 days; flood mode at "
        f"{budgets['flood_messages_per_minute']} msg/min or {budgets['flood_new_numbers_per_minute']}"
        f" new numbers/min, {budgets['flood_segments_per_hour']} SMS/hour, calm after "
        f"{budgets['flood_calm_after'] / 60:g} min; sequence of {figures['sequence_steps']} "
        f"repl{'y' if figures['sequence_steps'] == 1 else 'ies'}, cooldown "
        f"{budgets['cooldown'] / 3600:g} h",
        f"traffic (seed {arguments.seed}): {len(arrivals)} messages = "
        f"{len(arrivals) - genuine} from {figures['raiders']} raider numbers in bursts up to "
        f"{arguments.max_rate:g}/s + {genuine} genuine one-off senders spread through; "
        f"{kinds['gsm7']} short GSM-7, {kinds['ucs2']} short UCS-2, {kinds['long']} in two "
        f"parts = {bound['pdus']} PDUs",
        "",
    ]
    rows = [
        (
            "messages injected",
            figures["injected"],
            len(arrivals),
            check_text(figures["injected"] == len(arrivals)),
        ),
        (
            "messages logged",
            figures["logged"],
            "all",
            check_text(figures["logged"] == len(arrivals)),
        ),
        ("lost (injected, not logged)", figures["lost"], 0, checks["lost"]),
        (
            "duplicated or unexpected",
            figures["duplicated"],
            0,
            checks["duplicated"],
        ),
        ("logged with an error flag", figures["flagged"], 0, checks["flagged"]),
        (
            "PDUs still marked on the modem",
            figures["pdus_left_on_modem"],
            0,
            checks["pdus_left_on_modem"],
        ),
        (
            "messages without a decision",
            figures["messages_without_decision"],
            0,
            checks["messages_without_decision"],
        ),
        (
            "decisions for one message, most",
            figures["reply_rows_per_message_max"],
            1,
            checks["one_decision_per_message"],
        ),
        ("storage slots used, peak", figures["peak_slots"], SLOTS, "info"),
        ("time storage full, % of samples", decimal_text(figures["full_share"] * 100), "-", "info"),
        ("network queue, peak (segments)", figures["peak_pending_network"], "-", "info"),
        ("network queue not empty, s", decimal_text(figures["queue_seconds"]), "-", "info"),
        ("replies sent (sent/unknown)", figures["replies_sent"], "-", "info"),
        (
            "segments sent, database",
            figures["segments_sent_db"],
            f"<= {figures['allowed_segments']}",
            check_text(within(figures["segments_sent_db"], figures["allowed_segments"])),
        ),
        (
            "segments sent, dongle",
            figures["segments_sent_dongle"],
            figures["segments_sent_db"],
            checks["segments_match"],
        ),
        (
            "segments in any hour, peak",
            figures["peak_segments_hour"],
            budgets["segments_per_hour"],
            checks["segments_hour"],
        ),
        (
            "segments in any day, peak",
            figures["peak_segments_day"],
            budgets["segments_per_day"],
            checks["segments_day"],
        ),
        (
            "flood-mode segments in any hour",
            figures["peak_flood_segments_hour"],
            budgets["flood_segments_per_hour"],
            checks["flood_segments_hour"],
        ),
        (
            "distinct numbers answered",
            figures["numbers_answered"],
            budgets["numbers_per_month"],
            checks["numbers"],
        ),
        (
            "replies to one number, most",
            figures["most_replies_to_one_number"],
            figures["sequence_steps"],
            checks["sequence"],
        ),
        (
            "genuine one-off senders answered",
            f"{figures['genuine_answered']}/{genuine}",
            "policy",
            f"{share * 100:.0f} %",
        ),
        (
            "raider numbers answered",
            f"{figures['raiders_answered']}/{figures['raiders']}",
            "policy",
            "info",
        ),
        (
            "after the raid: replies waiting / sent",
            f"{figures['after_the_raid']['waiting']} / {figures['after_the_raid'].get('sent', 0)}",
            # Minutes are enough for a day of the daemon's clock.
            f"within {format_duration(round(figures['after_the_raid']['policy_seconds'] / 60) * 60)}"
            " (daemon)",
            "info",
        ),
        ("flood episodes started", figures["flood_episodes"], "-", "info"),
        (
            "arrival rate, msg/s (peak 1 s)",
            f"{figures['arrival_per_second']:.1f} ({figures['peak_arrival_per_second']:.0f})",
            f"<= {arguments.max_rate:g} + genuine",
            "info",
        ),
        (
            "drain rate over the run, msg/s",
            decimal_text(figures["drain_per_second"]),
            f"{bound['per_second']:.1f} serial bound",
            "info",
        ),
        (
            "drain rate, best 10 s, msg/s",
            decimal_text(figures["peak_drain_per_second_10s"]),
            f"{bound['per_second']:.1f} serial bound",
            "info",
        ),
        ("lag: last injection to empty, s", decimal_text(figures["lag_to_empty"], 2), "-", "info"),
        ("injection to commit, median s", decimal_text(latency.get("median"), 2), "-", "info"),
        (
            "injection to commit, p99 / max s",
            f"{decimal_text(latency.get('p99'), 2)} / {decimal_text(latency.get('max'), 2)}",
            "-",
            "info",
        ),
        ("daemon CPU ms per message", decimal_text(figures["cpu_ms_per_message"], 2), "-", "info"),
        ("daemon peak RSS (VmHWM), MiB", decimal_text(figures["peak_rss_mib"]), "-", "info"),
        (
            "daemon exit status (SIGTERM)",
            figures["exit_code"],
            0,
            checks["exit_code"],
        ),
    ]
    lines.append(table(("measure", "value", "limit / goal", "check"), rows))
    quarters = ", ".join(decimal_text(value, 2) for value in figures["cpu_by_quarter"])
    busy = figures["dongle_busy_seconds"]
    commands = figures["dongle_commands"]
    lines += [
        "",
        "details:",
        f"  allowed: the run's policy time is {figures['policy_seconds']:.0f} s (first message "
        f"logged to last reply), so at most {figures['allowed_segments']} segments "
        f"(hour/day/30-day budgets) and {figures['allowed_flood_segments']} in flood mode; "
        f"{figures['flood_segments']} segments were committed in flood mode; reply statuses "
        f"{figures['reply_status']}; alerts sent {figures['alerts_sent']}",
        "  genuine senders not answered, by status and reason: "
        + (
            "; ".join(
                f"{count} x {reason}" for reason, count in figures["genuine_not_answered"].items()
            )
            or "none"
        ),
        "  flood events: "
        + (
            "; ".join(
                f"{event['at']} {event['kind']}: {event['detail']}"
                for event in figures["flood_events"]
            )
            or "none"
        ),
        f"  serial bound: {bound['pdus']} PDUs = {bound['listing_bytes']} bytes of +CMGL "
        f"listing = {bound['wire_seconds']:.1f} s at {BAUD} baud, + {bound['listings']} full "
        f"listings x 2 commands x {LATENCY * 1000:g} ms = {bound['seconds']:.1f} s: at best "
        f"{bound['per_second']:.1f} messages/s; here the rate is bounded by the arrivals "
        f"({figures['arrival_per_second']:.1f}/s over {figures['injection_seconds']:.0f} s)",
        f"  dongle: {commands.get('CMGL', 0)} AT+CMGL ({figures['listed_pdus']} PDUs listed, "
        f"largest listing {figures['largest_listing']}), {commands.get('CMGD', 0)} AT+CMGD, "
        f"{commands.get('CMGS', 0)} AT+CMGS, {commands.get('other', 0)} other; busy "
        f"{busy.get('CMGL', 0):.1f} s listing, {busy.get('CMGD', 0):.1f} s deleting, "
        f"{busy.get('CMGS', 0):.1f} s sending, {busy.get('other', 0):.1f} s other, of "
        f"{figures['wall_seconds']:.0f} s; {figures['dongle_bytes_written']} bytes written",
        f"  network queue: messages waited in the network (storage full) for "
        f"{figures['queue_seconds']:.1f} s, {figures['queue_seconds_near_sends']:.1f} s of it "
        f"during or within 1 s of a send; the dongle spent {figures['sends_seconds']:.1f} s in "
        f"{commands.get('CMGS', 0)} AT+CMGS, each taking the line from reception",
        f"  timing: start-up {figures['startup_seconds']:.1f} s; injection "
        f"{figures['injection_seconds']:.0f} s (at most {figures['injection_late_max'] * 1000:.0f}"
        f" ms behind schedule); last injection to empty storage {figures['lag_to_empty']:.2f} s,"
        f" to all logged {figures['lag_to_logged']:.2f} s; {figures['replies_queued_at_end']} "
        f"replies still queued then, sent within {figures['replies_tail_seconds']:.1f} s",
        f"  injection to commit over {latency.get('count', 0)} messages: median "
        f"{decimal_text(latency.get('median'), 2)} s, p95 {decimal_text(latency.get('p95'), 2)} s, p99 "
        f"{decimal_text(latency.get('p99'), 2)} s, max {decimal_text(latency.get('max'), 2)} s",
        f"  daemon CPU: {figures['cpu_ms']:.0f} ms from the first injection to all logged "
        f"({figures['cpu_ms_per_message']:.2f} ms/message; by quarter of the messages: "
        f"{quarters}), {figures['startup_cpu_ms']:.0f} ms start-up, "
        f"{figures['cpu_ms_total']:.0f} ms in all; RSS {figures['rss_mib']:.1f} MiB at the "
        f"end, peak {figures['peak_rss_mib']:.1f} MiB (resolution {1000 / CLOCK_TICKS:g} ms)",
    ]
    for example in figures["examples"]:
        lines.append(f"  {example}")
    if figures["sampler_error"]:
        lines.append(f"  sampler: {figures['sampler_error']}")
    if figures["daemon_log"]:
        lines.append("  daemon output: " + figures["daemon_log"].replace("\n", "\n    "))
    lines += ["", "verdict: " + ("every check passed" if figures["ok"] else "a check FAILED")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    stop_on_signals()
    arrivals = build_traffic(
        arguments.messages, arguments.raiders, arguments.genuine, arguments.max_rate, arguments.seed
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not arguments.json:
        print(
            f"flood bench: {len(arrivals)} messages over about {arrivals[-1].at:.0f} s...",
            file=sys.stderr,
            flush=True,
        )
    try:
        figures = run(arguments, arrivals)
    except BenchError as error:
        print(f"flood bench: no measure: {error}", file=sys.stderr)
        return NO_MEASURE
    except KeyboardInterrupt:
        print("flood bench: interrupted; the daemon and the dongle were stopped", file=sys.stderr)
        return exits.INTERRUPTED
    if arguments.json:
        print(dump_json({"date": when, "settings": vars(arguments), **figures}))
    else:
        print(report(arguments, arrivals, figures, when))
    return exits.OK if figures["ok"] else CHECK_FAILED


if __name__ == "__main__":
    sys.exit(main())
