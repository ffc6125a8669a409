"""Soak bench: a steady inbound rate and a random fault every minute; is anything lost?

The simulated dongle has realistic timings (one 30-slot SIM storage, 20 ms per AT command,
1 to 3 s per sent segment, 115200 baud). A pool of senders writes at a steady rate (one
message a second by default; the mix of bench/common.message_mix: short GSM 7-bit, short
UCS-2, two-part texts). The daemon runs as a subprocess with replies on (a sequence of
distinct texts, one step a minute per number at most, budgets unlimited and flood mode off,
so that nothing hides a reply sent twice), command_timeout 3s, poll_interval 5s, logging
warning.

Every --fault-every seconds the bench draws one fault (a shuffled deck of every kind, dealt
again when spent): the dongle unplugged 2-10 s then replugged, hung 5-40 s, garbage bytes
(invalid UTF-8) between answers, garbage inside the next AT+CMGL answer, +CMS ERROR on
AT+CMGL, AT+CMGD or AT+CMGS, a slow answer, a storage-full notice, a malformed PDU stored,
a modem reboot; and two process faults: SIGKILL of the daemon, restarted 1-3 s later as
systemd's Restart= would, and the database write-locked 5-20 s by the bench (BEGIN
EXCLUSIVE): the daemon must keep the messages on the modem, then resume. A daemon that
exits on its own is restarted after RestartSec (10 s, as the unit) and counted.

Every 0.5 s a read-only connection samples the heartbeat (state, pid) and /proc gives the
daemon's memory. At the end the faults stop, the bench waits for the storage and the
network queue to empty and every message to be logged, stops the daemon (SIGTERM, exit 0
expected) and checks: every injected (sender, text) logged once (malformed PDUs: logged
flagged with an error), no reply sent twice (per number and text in what the dongle sent,
against the replies table), replies whose outcome is 'unknown', reconnects, the longest
outage (longest time without any PDU committed, and longest time the heartbeat was not
'running'), memory at start and at end.

    .venv/bin/python bench/soak.py                 # 5 minutes, a fault every 30 s
    .venv/bin/python bench/soak.py --full          # 60 minutes, a fault every 60 s
    options: [--minutes N] [--fault-every SECONDS] [--rate 1] [--senders 15]
             [--faults KIND,KIND...] [--settle-timeout 600] [--seed 2017] [--keep] [--json]

Exit status: 0 measured and every check passed, 1 a check failed, 2 no measure (the
daemon could not start, a time-out, a misconfiguration).
"""

from __future__ import annotations

import argparse
import bisect
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from common import (
    BenchError,
    DaemonProcess,
    Sms,
    command_seen,
    connect_readonly,
    dump_json,
    median,
    message_mix,
    read_usage,
    stop_on_signals,
    table,
    wait_until,
)

from antirelou import config as config_module
from antirelou.simulator import MALFORMED_KINDS, SimulatedDongle

SHORT_MINUTES = 5
FULL_MINUTES = 60
SLOTS = 30  # one SIM storage, as on a cheap dongle
LATENCY = 0.02  # seconds per AT command
SEND_LATENCY = (1.0, 3.0)  # seconds per sent segment
BAUD = 115200
COMMAND_TIMEOUT = 3  # seconds (modem.command_timeout)
SEND_TIMEOUT = 10  # seconds (modem.send_timeout): a slow AT+CMGS may outlast it
POLL = 5  # seconds (modem.poll_interval)
RETRY_BACKOFF = 5  # seconds (replies.retry.backoff)
SAMPLE_EVERY = 0.5  # heartbeat and memory sampler period, seconds
STARTUP_TIMEOUT = 60.0
RESTART_SEC = 10.0  # systemd/antirelou.service: Restart=on-failure, RestartSec=10s
WATCHDOG_SEC = 90.0  # systemd/antirelou.service: WatchdogSec=90s
STOP_TIMEOUT = 15.0  # systemd/antirelou.service: TimeoutStopSec=15s
EXIT_CONFIG = 78  # the unit does not restart on it
REPLY_SETTLE = 180.0  # seconds to wait for queued replies at the end
MALFORMED_SENDER = "+33612345678"  # the simulator's broken PDUs come "from" it

# Every byte string is invalid UTF-8; none holds "\r\n" when it goes inside an answer.
GARBAGE_BETWEEN = (
    b"\xff\xfe\xfd\x80 bruit \xc3\x28",
    b"\r\n\xf0\x28\x8c\xbc\xa0\r\n",
    b"\xc0\xaf\xed\xa0\x80",
    b"\r\n+CM\xff\xfe",
)
GARBAGE_INSIDE = (b"\xff\xfe\x80", b"\xc3\x28\xa0\xa1", b"\xed\xa0\x80\xf8")
CMS_ERRORS = {
    "AT+CMGL": ("+CMS ERROR: 500", "+CMS ERROR: 302"),
    "AT+CMGD": ("+CMS ERROR: 500", "+CMS ERROR: 321"),
    "AT+CMGS": ("+CMS ERROR: 500", "+CMS ERROR: 38", "+CMS ERROR: 304"),
}
SLOW_COMMANDS = ("AT+CMGL", "AT+CMGD", "AT+CMGS", "AT+CSQ")

FAULT_KINDS = (
    "unplug",
    "hang",
    "garbage",
    "garbage-in-cmgl",
    "cms-error",
    "slow",
    "storage-full",
    "malformed",
    "reboot",
    "sigkill",
    "db-lock",
)
STATES = ("running", "modem lost", "connecting", "waiting for network", "database error", "stopped")
_LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    r"(.*)$"
)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Steady inbound SMS and a random fault every minute through the simulated "
        "dongle; check nothing is lost and nobody is answered twice."
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"the issue's run: {FULL_MINUTES} minutes, a fault every 60 s",
    )
    parser.add_argument(
        "--minutes",
        type=float,
        metavar="N",
        help=f"length of the faulty phase (default {SHORT_MINUTES}; --full {FULL_MINUTES})",
    )
    parser.add_argument(
        "--fault-every",
        type=float,
        metavar="SECONDS",
        help="one random fault per this many seconds (default 60; 30 for runs "
        "shorter than 30 minutes, so that the 5-minute default gets 10)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=1.0,
        metavar="PER_SECOND",
        help="inbound messages per second (default 1)",
    )
    parser.add_argument(
        "--senders",
        type=int,
        default=15,
        metavar="P",
        help="pool of sender numbers (default 15; each may be answered once a minute)",
    )
    parser.add_argument(
        "--faults",
        metavar="KIND,...",
        help=f"only these kinds of fault (default all: {','.join(FAULT_KINDS)})",
    )
    parser.add_argument(
        "--settle-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="after the faults, wait this long at most for every message to be "
        "logged and the storage to empty (default 600)",
    )
    parser.add_argument("--seed", type=int, default=2017, help="seed of the traffic and faults")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the working directory (database, config, daemon logs); it is "
        "kept anyway when a check fails",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args(argv)
    if arguments.minutes is None:
        arguments.minutes = FULL_MINUTES if arguments.full else SHORT_MINUTES
    if arguments.fault_every is None:
        arguments.fault_every = 60.0 if arguments.minutes >= 30 else 30.0
    kinds = (
        FAULT_KINDS
        if arguments.faults is None
        else tuple(kind.strip() for kind in arguments.faults.split(",") if kind.strip())
    )
    unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
    if unknown or not kinds:
        parser.error(
            f"--faults: unknown kind(s) {', '.join(unknown) or '(none given)'}; "
            f"choose among {', '.join(FAULT_KINDS)}"
        )
    arguments.fault_kinds = kinds
    if (
        not 0 < arguments.minutes <= 24 * 60
        or not 5 <= arguments.fault_every <= 3600
        or not 0.05 <= arguments.rate <= 20
        or not 1 <= arguments.senders <= 10000
        or arguments.settle_timeout < 30
    ):
        parser.error(
            "need 0 < --minutes <= 1440, 5 <= --fault-every <= 3600, "
            "0.05 <= --rate <= 20, 1 <= --senders <= 10000, --settle-timeout >= 30"
        )
    return arguments


# --- the configuration ---------------------------------------------------------------------

CONFIG = """\
# Written by bench/soak.py; see etc/antirelou.yaml for every key.
modem:
  port: {port}
  baudrate: {baud}
  poll_interval: {poll}s
  command_timeout: {command_timeout}s
  send_timeout: {send_timeout}s
database: {database}
replies:
  enabled: true
  # One distinct text per step, so that what the dongle sent tells which reply it was.
  sequence:
{sequence}
  cooldown: 1m
  restart_after: {restart_after}
  delay: 0s
  retry:
    attempts: 3
    backoff: {backoff}s
budgets:
  segments_per_hour: unlimited
  segments_per_day: unlimited
  segments_per_month: unlimited
  numbers_per_month: unlimited
flood:
  enabled: false
logging:
  level: warning
"""


def step_text(step: int) -> str:
    return f"Si une femme dit non, inutile d'insister. ({step})"


def write_soak_config(directory: str, port: str, minutes: float) -> str:
    """Write the bench's config in `directory`; return its path. Raise BenchError if the
    daemon's own loader refuses it.
    """
    steps = int(minutes) + 10  # at most one reply a minute per number: never finished
    path = os.path.join(directory, "antirelou.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            CONFIG.format(
                port=port,
                baud=BAUD,
                poll=POLL,
                command_timeout=COMMAND_TIMEOUT,
                send_timeout=SEND_TIMEOUT,
                database=os.path.join(directory, "antirelou.db"),
                sequence="\n".join(f'    - "{step_text(step)}"' for step in range(1, steps + 1)),
                restart_after=f"{max(1, int(minutes // 60) + 2)}h",
                backoff=RETRY_BACKOFF,
            )
        )
    try:
        config_module.load(path)
    except config_module.ConfigError as error:
        raise BenchError(f"the bench's config is refused:\n{error}") from error
    return path


# --- the traffic -------------------------------------------------------------------------


def build_traffic(count: int, senders: int, seed: int) -> list[Sms]:
    """message_mix's texts (70 % short GSM 7-bit, 20 % short UCS-2, 10 % two parts), each
    sent by one of a pool of `senders` French mobile numbers, drawn at random.
    """
    rng = random.Random(seed + 1)
    pool: list[str] = []
    while len(pool) < senders:
        number = "+33" + rng.choice("67") + "".join(rng.choice("0123456789") for _ in range(8))
        if number not in pool and number != MALFORMED_SENDER:
            pool.append(number)
    return [replace(sms, sender=rng.choice(pool)) for sms in message_mix(count, seed)]


# --- the daemon, restarted like systemd would --------------------------------------------


@dataclass
class ProcessRecord:
    number: int
    pid: int
    log_path: str
    started: float  # time.time()
    ended: float | None = None
    how: str = ""  # 'SIGKILL by the bench', 'exited N on its own', 'SIGTERM: exit N'
    start_rss: int | None = None  # KiB, first sample once its heartbeat said 'running'
    last_rss: int | None = None
    max_rss: int = 0
    hwm: int = 0
    cpu: float = 0.0


class Service:
    """The daemon as systemd runs it: restarted after a SIGKILL (by the bench, 1-3 s later)
    or after an exit on its own (RestartSec later; never after exit status 78).
    """

    def __init__(self, config: str, directory: str) -> None:
        self.config = config
        self.directory = directory
        self.lock = threading.RLock()
        self.daemon: DaemonProcess | None = None
        self.records: list[ProcessRecord] = []
        self.restarting = False
        self.stopping = False
        self.unexpected: list[dict] = []
        self.fatal: str | None = None

    def start(self) -> DaemonProcess:
        with self.lock:
            number = len(self.records) + 1
            daemon = DaemonProcess(
                self.config, os.path.join(self.directory, f"daemon-{number}.log")
            ).start()
            self.daemon = daemon
            self.records.append(ProcessRecord(number, daemon.pid, daemon.log_path, time.time()))
            return daemon

    @property
    def record(self) -> ProcessRecord:
        return self.records[-1]

    def kill_and_restart(self, pause: float) -> None:
        """SIGKILL the daemon now, start a new one `pause` seconds later."""
        with self.lock:
            if self.stopping or self.restarting or self.daemon is None:
                return
            self.restarting = True
            daemon = self.daemon
            if daemon.alive():
                daemon.process.send_signal(signal.SIGKILL)
                daemon.process.wait(10)
                self._ended(daemon, "SIGKILL by the bench")
        try:
            time.sleep(pause)
        finally:
            with self.lock:
                self.restarting = False
                if not self.stopping:
                    self.start()

    def check(self) -> None:
        """Called by the sampler: restart a daemon that exited on its own, as systemd would."""
        with self.lock:
            daemon = self.daemon
            if self.stopping or self.restarting or daemon is None or daemon.alive():
                return
            code = daemon.process.returncode
            self._ended(daemon, f"exited {code} on its own")
            self.unexpected.append(
                {
                    "pid": daemon.pid,
                    "status": code,
                    "at": time.time(),
                    "log_tail": daemon.log_tail(8),
                }
            )
            if code == EXIT_CONFIG:
                self.fatal = f"the daemon exited {code} (EX_CONFIG):\n{daemon.log_tail()}"
                return
            self.restarting = True
        threading.Thread(target=self._restart_later, name="soak-restart", daemon=True).start()

    def _restart_later(self) -> None:
        time.sleep(RESTART_SEC)
        with self.lock:
            self.restarting = False
            if not self.stopping:
                self.start()

    def _ended(self, daemon: DaemonProcess, how: str) -> None:
        record = next(r for r in self.records if r.pid == daemon.pid)
        if record.ended is None:
            record.ended, record.how = time.time(), how

    def stop(self) -> int | None:
        """SIGTERM the running daemon (SIGKILL after TimeoutStopSec); return its status."""
        with self.lock:
            self.stopping = True
            daemon = self.daemon
        if daemon is None:
            return None
        was_alive = daemon.alive()
        code = daemon.stop(STOP_TIMEOUT)
        if was_alive:
            self._ended(
                daemon,
                "SIGKILL after SIGTERM timed out" if daemon.killed else f"SIGTERM: exit {code}",
            )
        return code

    def wait_running(self, timeout: float) -> None:
        """Wait until no restart is pending and the daemon runs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.fatal:
                    raise BenchError(self.fatal)
                if not self.restarting and self.daemon is not None and self.daemon.alive():
                    return
            time.sleep(0.2)
        raise BenchError(f"the daemon is not running after {timeout:.0f} s")


# --- sampling ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    at: float  # time.time()
    state: str | None  # heartbeat state, None when unreadable
    heartbeat_pid: int | None
    heartbeat_age: float | None  # seconds since the heartbeat was written
    pid: int | None  # the daemon the bench runs now
    alive: bool
    stored: int
    waiting: int  # segments in the network queue

    @property
    def ok(self) -> bool:
        return self.alive and self.state == "running" and self.heartbeat_pid == self.pid


class Sampler(threading.Thread):
    """Every SAMPLE_EVERY seconds: the heartbeat (read-only), the daemon's memory and CPU,
    the dongle's storage; and restart a daemon that died on its own.
    """

    def __init__(self, database: str, service: Service, dongle: SimulatedDongle) -> None:
        super().__init__(name="soak-sampler", daemon=True)
        self.database = database
        self.service = service
        self.dongle = dongle
        self.samples: list[Sample] = []
        self.halt = threading.Event()
        self.errors: Counter[str] = Counter()
        self._db: sqlite3.Connection | None = None

    def run(self) -> None:
        try:
            while not self.halt.wait(SAMPLE_EVERY):
                try:
                    self.sample()
                except Exception as error:  # noqa: BLE001 - the sampler must keep sampling
                    self.errors[f"{type(error).__name__}: {error}"] += 1
        finally:
            if self._db is not None:
                self._db.close()

    def heartbeat(self) -> tuple[str, int, str] | None:
        try:
            if self._db is None:
                if not os.path.exists(self.database):
                    return None
                self._db = connect_readonly(self.database)
            row = self._db.execute("SELECT state, pid, at FROM heartbeat WHERE id = 1").fetchone()
            return None if row is None else (row[0], row[1], row[2])
        except sqlite3.Error as error:
            self.errors[f"heartbeat: {error}"] += 1
            if self._db is not None:
                self._db.close()
            self._db = None
            return None

    def sample(self) -> None:
        self.service.check()
        beat = self.heartbeat()
        now = time.time()
        with self.service.lock:
            daemon = self.service.daemon
            record = self.service.record if self.service.records else None
            alive = daemon is not None and daemon.alive()
            pid = daemon.pid if daemon is not None else None
        state = heartbeat_pid = age = None
        if beat is not None:
            state, heartbeat_pid = beat[0], beat[1]
            age = now - datetime.fromisoformat(beat[2]).timestamp()
        if alive and record is not None and record.pid == pid:
            try:
                usage = read_usage(pid)
            except BenchError:
                usage = None
            if usage is not None:
                record.last_rss, record.cpu = usage.rss, usage.cpu
                record.max_rss = max(record.max_rss, usage.rss)
                record.hwm = max(record.hwm, usage.hwm)
                if record.start_rss is None and state == "running" and heartbeat_pid == pid:
                    record.start_rss = usage.rss
        self.samples.append(
            Sample(
                now,
                state,
                heartbeat_pid,
                age,
                pid,
                alive,
                len(self.dongle.stored()),
                self.dongle.pending_network,
            )
        )

    def stop(self) -> None:
        self.halt.set()
        self.join(5)


# --- faults ------------------------------------------------------------------------------


@dataclass
class FaultRecord:
    number: int
    kind: str
    detail: str
    started: float  # time.time()
    ended: float | None = None  # when the fault stopped acting (= started if instantaneous)
    note: str = ""


class Faults:
    """Deal the faults, run the lasting ones in threads, and end them on demand."""

    def __init__(
        self,
        dongle: SimulatedDongle,
        service: Service,
        database: str,
        kinds: tuple[str, ...],
        rng: random.Random,
    ) -> None:
        self.dongle = dongle
        self.service = service
        self.database = database
        self.kinds = kinds
        self.rng = rng
        self.deck: list[str] = []
        self.records: list[FaultRecord] = []
        self.threads: list[threading.Thread] = []
        self.malformed = 0
        self.lock_errors: list[str] = []

    def draw(self) -> str:
        if not self.deck:
            self.deck = list(self.kinds)
            self.rng.shuffle(self.deck)
        return self.deck.pop()

    def inject(self) -> FaultRecord:
        kind = self.draw()
        rng = self.rng
        record = FaultRecord(len(self.records) + 1, kind, "", time.time())
        self.records.append(record)
        if kind == "unplug":
            seconds = rng.uniform(2, 10)
            record.detail = f"unplugged {seconds:.1f} s, then replugged"
            self.dongle.unplug()
            self._later(seconds, record, self.dongle.replug)
        elif kind == "hang":
            seconds = rng.uniform(5, 40)
            record.detail = f"hung {seconds:.1f} s"
            self.dongle.hang(seconds)
            self._later(seconds, record, lambda: None)
        elif kind == "garbage":
            data = rng.choice(GARBAGE_BETWEEN)
            record.detail = f"{len(data)} bytes between answers: {data!r}"
            self.dongle.garbage(data)
            record.ended = record.started
        elif kind == "garbage-in-cmgl":
            data = rng.choice(GARBAGE_INSIDE)
            record.detail = f"{data!r} inside the next AT+CMGL answer"
            self.dongle.garbage_inside_next("AT+CMGL", data)
            record.ended = record.started
        elif kind == "cms-error":
            command = rng.choice(sorted(CMS_ERRORS))
            error, count = rng.choice(CMS_ERRORS[command]), rng.randint(1, 3)
            record.detail = f"{error} to the next {count} {command}"
            self.dongle.fail_next(command, error, count)
            record.ended = record.started
        elif kind == "slow":
            command = rng.choice(SLOW_COMMANDS)
            seconds = rng.uniform(2, 15 if command == "AT+CMGS" else 8)
            record.detail = f"next {command} answered {seconds:.1f} s late"
            self.dongle.slow_next(command, seconds)
            record.ended = record.started
        elif kind == "storage-full":
            record.detail = "^SMMEMFULL notice (storage not full)"
            self.dongle.storage_full_notice()
            record.ended = record.started
        elif kind == "malformed":
            malformed = rng.choice(MALFORMED_KINDS)
            index = self.dongle.inject_malformed(malformed)
            self.malformed += 1
            where = "queued in the network" if index is None else f"slot {index}"
            record.detail = f"{malformed} PDU stored ({where})"
            record.ended = record.started
        elif kind == "reboot":
            record.detail = "modem rebooted (settings lost, storage kept)"
            self.dongle.reboot()
            record.ended = record.started
        elif kind == "sigkill":
            pause = rng.uniform(1, 3)
            pid = self.service.daemon.pid if self.service.daemon else None
            record.detail = f"SIGKILL pid {pid}, restarted {pause:.1f} s later"
            self._thread(lambda: self._kill(record, pause))
        elif kind == "db-lock":
            seconds = rng.uniform(5, 20)
            record.detail = f"database write-locked {seconds:.1f} s (BEGIN EXCLUSIVE)"
            self._thread(lambda: self._hold_lock(record, seconds))
        else:  # pragma: no cover - parse_arguments checks the kinds
            raise BenchError(f"unknown fault {kind}")
        return record

    def _thread(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name="soak-fault", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _later(self, seconds: float, record: FaultRecord, action: Callable[[], None]) -> None:
        def end() -> None:
            time.sleep(seconds)
            action()
            record.ended = time.time()

        self._thread(end)

    def _kill(self, record: FaultRecord, pause: float) -> None:
        self.service.kill_and_restart(pause)
        record.ended = time.time()

    def _hold_lock(self, record: FaultRecord, seconds: float) -> None:
        try:
            db = sqlite3.connect(self.database, timeout=30, isolation_level=None)
        except sqlite3.Error as error:
            self.lock_errors.append(str(error))
            record.note = f"could not open the database: {error}"
            record.ended = time.time()
            return
        try:
            # Waits for a transaction of the daemon's own, as any other writer would.
            db.execute("BEGIN EXCLUSIVE")
            record.started = time.time()
            time.sleep(seconds)
            db.execute("ROLLBACK")
        except sqlite3.Error as error:
            self.lock_errors.append(str(error))
            record.note = f"lock failed: {error}"
        finally:
            db.close()
            record.ended = time.time()

    def finish(self, timeout: float = 60.0) -> None:
        """Wait for every lasting fault to end; then disarm what never fired."""
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in self.threads):
            raise BenchError("a fault did not end within a minute")
        if not self.dongle.plugged:
            self.dongle.replug()


def faults_log_summary(entries: list[tuple[float, str]]) -> Counter[str]:
    """Count the simulator's faults_log entries per kind (and fired ones per command)."""
    counts: Counter[str] = Counter()
    for _, description in entries:
        if description.startswith("fired: answer to "):
            command = description[len("fired: answer to ") :].split("=")[0].split()[0]
            key = f"fired: {command} answer rewritten"
        elif description.startswith("fired: "):
            command = description[len("fired: ") :].split("=")[0].split()[0]
            key = f"fired: {command} " + (
                "answered an error" if " answered " in description else "delayed"
            )
        elif description.startswith(("fail_next(", "slow_next(", "garbage_inside_next(")):
            name, _, rest = description.partition("(")
            key = f"{name} {rest.split(',')[0].strip(chr(39))}"
        elif description.startswith("inject_malformed "):
            key = " ".join(description.split()[:2])
        else:
            key = description.split()[0]
        counts[key] += 1
    return counts


# --- the run -------------------------------------------------------------------------------


@dataclass
class Run:
    arguments: argparse.Namespace
    messages: list[Sms]
    directory: str = ""
    t0: float = 0.0  # time.time() of the first injection
    injected_at: list[float] = field(default_factory=list)
    faults_end: float = 0.0
    settled_at: float = 0.0
    settled: bool = False
    replies_settled: bool = False
    stuck_sending: int = 0  # replies still 'sending' in a live daemon with nothing to send
    exit_code: int | None = None
    end_usage_rss: int | None = None


def inject_steadily(dongle: SimulatedDongle, run: Run, stop: threading.Event) -> None:
    period = 1.0 / run.arguments.rate
    for number, sms in enumerate(run.messages):
        delay = run.t0 + number * period - time.time()
        if delay > 0 and stop.wait(delay):
            return
        dongle.inject(sms.sender, sms.text)
        run.injected_at.append(time.time())


def logged_pairs(database: str) -> Counter[tuple[str, str]]:
    with closing(connect_readonly(database)) as db:
        return Counter(
            (sender, text)
            for sender, text in db.execute("SELECT sender, text FROM messages WHERE error IS NULL")
        )


def wait_settled(
    dongle: SimulatedDongle,
    service: Service,
    database: str,
    expected: Counter[tuple[str, str]],
    timeout: float,
) -> bool:
    """Wait until the storage and the network queue are empty and every injected message
    is logged; return whether that happened within `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.fatal:
            raise BenchError(service.fatal)
        if not dongle.stored() and not dongle.pending_network:
            try:
                if not expected - logged_pairs(database):
                    return True
            except sqlite3.Error:
                pass
        time.sleep(1.0)
    return False


def count_replies(database: str, statuses: str) -> int:
    try:
        with closing(connect_readonly(database)) as db:
            return db.execute(
                f"SELECT COUNT(*) FROM replies WHERE status IN {statuses}"  # noqa: S608
            ).fetchone()[0]
    except sqlite3.Error:
        return -1


def wait_replies(database: str, timeout: float) -> tuple[bool, int]:
    """Wait until no reply is queued, then up to SEND_TIMEOUT + 5 s more until none is
    being sent; return (whether the queue emptied, replies still 'sending' then). A live
    daemon sends one reply at a time: a row left 'sending' after that is stuck.
    """
    deadline = time.monotonic() + timeout
    while count_replies(database, "('queued')") != 0:
        if time.monotonic() > deadline:
            return False, count_replies(database, "('sending')")
        time.sleep(1.0)
    deadline = time.monotonic() + SEND_TIMEOUT + 5
    while count_replies(database, "('sending')") > 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    return True, max(0, count_replies(database, "('sending')"))


def soak(arguments: argparse.Namespace, messages: list[Sms], directory: str) -> dict:
    """Run the whole soak in `directory`; return the figures."""
    run = Run(arguments, messages, directory)
    link = os.path.join(directory, "modem")
    database = os.path.join(directory, "antirelou.db")
    rng = random.Random(arguments.seed)
    dongle = SimulatedDongle(
        link,
        memories={"SM": SLOTS},
        command_latency=LATENCY,
        send_latency=SEND_LATENCY,
        baudrate=BAUD,
        seed=arguments.seed,
    )
    dongle.start()
    offset = time.time() - time.monotonic()  # faults_log is in monotonic time
    service = Service(write_soak_config(directory, link, arguments.minutes), directory)
    sampler = Sampler(database, service, dongle)
    faults = Faults(dongle, service, database, arguments.fault_kinds, rng)
    stop_injecting = threading.Event()
    injector = threading.Thread(
        target=inject_steadily,
        args=(dongle, run, stop_injecting),
        name="soak-injector",
        daemon=True,
    )
    try:
        daemon = service.start()
        wait_until(
            dongle,
            command_seen(dongle, "AT+CMGL"),
            STARTUP_TIMEOUT,
            daemon,
            "the daemon's first AT+CMGL",
        )
        sampler.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while service.record.start_rss is None:
            daemon.check_alive()
            if time.monotonic() > deadline:
                raise BenchError("the heartbeat never said 'running'")
            time.sleep(0.1)
        run.t0 = time.time() + 0.5
        injector.start()
        duration = arguments.minutes * 60
        when = arguments.fault_every / 2
        while when < duration:
            while time.time() < run.t0 + when:
                if service.fatal:
                    raise BenchError(service.fatal)
                time.sleep(min(0.2, max(0.0, run.t0 + when - time.time())))
            record = faults.inject()
            if not arguments.json:
                print(
                    f"  +{when:6.0f} s  fault {record.number}: {record.kind}: {record.detail}",
                    file=sys.stderr,
                    flush=True,
                )
            when += arguments.fault_every
        while time.time() < run.t0 + duration:
            if service.fatal:
                raise BenchError(service.fatal)
            time.sleep(0.2)
        stop_injecting.set()
        injector.join(10)
        faults.finish()
        run.faults_end = time.time()
        dongle.clear_faults()  # armed faults that never fired
        service.wait_running(RESTART_SEC + STARTUP_TIMEOUT)
        if not arguments.json:
            print(
                "faults over; waiting for every message to be logged...",
                file=sys.stderr,
                flush=True,
            )
        injected = Counter((sms.sender, sms.text) for sms in messages[: len(run.injected_at)])
        run.settled = wait_settled(dongle, service, database, injected, arguments.settle_timeout)
        run.settled_at = time.time()
        if run.settled:
            run.replies_settled, run.stuck_sending = wait_replies(database, REPLY_SETTLE)
        time.sleep(2 * SAMPLE_EVERY)
        with service.lock:
            current = service.daemon
        if current is not None and current.alive():
            run.end_usage_rss = read_usage(current.pid).rss
        sampler.stop()
        run.exit_code = service.stop()
        save_dongle_logs(dongle, directory, offset)
        return analyse(run, dongle, service, sampler, faults, database, offset)
    finally:
        stop_injecting.set()
        sampler.halt.set()
        service.stop()
        dongle.stop()


def save_dongle_logs(dongle: SimulatedDongle, directory: str, offset: float) -> None:
    """Write the dongle's command log and faults log next to the daemon's logs."""
    with open(os.path.join(directory, "dongle-commands.log"), "w", encoding="utf-8") as handle:
        handle.writelines(f"{line}\n" for line in dongle.command_log)
    with open(os.path.join(directory, "dongle-faults.log"), "w", encoding="utf-8") as handle:
        for at, description in dongle.faults_log:
            stamp = datetime.fromtimestamp(at + offset, UTC).strftime("%H:%M:%S.%f")[:-3]
            handle.write(f"{stamp} {description}\n")
    with open(os.path.join(directory, "dongle-sent.log"), "w", encoding="utf-8") as handle:
        for message in dongle.sent:
            handle.write(
                f"{message.time:%H:%M:%S.%f} {message.number} {message.references} {message.text}\n"
            )


# --- the analysis --------------------------------------------------------------------------


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def longest_gap(times: list[float], start: float, end: float) -> tuple[float, float]:
    """Given sorted commit times, return (longest interval without a commit between start
    and end, when it began).
    """
    points = [start] + [t for t in times if start < t <= end]
    best, began = 0.0, start
    for before, after in zip(points, points[1:], strict=False):
        if after - before > best:
            best, began = after - before, before
    return best, began


def gap_around(commits: list[float], start: float, until: float) -> float:
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


def heartbeat_outages(samples: list[Sample]) -> list[tuple[float, float, str]]:
    """Spans (start, end, states seen) in which the heartbeat was not 'running' for the
    daemon the bench runs (or no daemon was alive).
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


def count_log_lines(paths: list[str]) -> dict:
    levels: Counter[str] = Counter()
    shapes: Counter[str] = Counter()
    tracebacks = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            continue
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


def analyse(
    run: Run,
    dongle: SimulatedDongle,
    service: Service,
    sampler: Sampler,
    faults: Faults,
    database: str,
    offset: float,
) -> dict:
    arguments = run.arguments
    injected = run.messages[: len(run.injected_at)]
    with closing(connect_readonly(database)) as db:
        rows = db.execute("SELECT id, sender, text, error FROM messages").fetchall()
        pdu_rows = db.execute("SELECT received_at, pdu, message_id FROM pdus").fetchall()
        replies = db.execute(
            "SELECT message_id, recipient, text, status, error, attempts FROM replies"
        ).fetchall()
        events = Counter(kind for (kind,) in db.execute("SELECT kind FROM events"))
        on_modem = db.execute("SELECT COUNT(*) FROM pdus WHERE on_modem = 1").fetchone()[0]

    # Messages: delivered vs logged.
    want = Counter((sms.sender, sms.text) for sms in injected)
    clean = Counter((sender, text) for _, sender, text, error in rows if error is None)
    flagged = [
        (message_id, sender, text, error)
        for message_id, sender, text, error in rows
        if error is not None
    ]
    pdus_of: dict[int, list[str]] = defaultdict(list)
    for _, pdu, message_id in pdu_rows:
        if message_id is not None:
            pdus_of[message_id].append(pdu)
    # A copy damaged on the wire holds the replacement character the reader put for the
    # invalid UTF-8 garbage; a malformed PDU from the storage does not.
    damaged = [row for row in flagged if any("\ufffd" in pdu for pdu in pdus_of[row[0]])]
    malformed_logged = len(flagged) - len(damaged)
    missing, extra = want - clean, clean - want
    # Reception latency: injection to the commit of the message's last PDU.
    commit_of: dict[int, float] = {}
    for received_at, _, message_id in pdu_rows:
        if message_id is not None:
            commit_of[message_id] = max(commit_of.get(message_id, 0.0), _epoch(received_at))
    logged_times: dict[tuple[str, str], list[float]] = defaultdict(list)
    for message_id, sender, text, error in sorted(rows):
        if error is None and message_id in commit_of:
            logged_times[(sender, text)].append(commit_of[message_id])
    latencies = []
    for sms, at in zip(injected, run.injected_at, strict=True):
        times = logged_times.get((sms.sender, sms.text))
        if times:
            latencies.append(times.pop(0) - at)
    latencies.sort()

    # Replies: sent twice? Per (number, text) in what the dongle sent, and per number.
    sent = dongle.sent
    sent_pairs = Counter((message.number, message.text) for message in sent)
    sent_numbers = Counter(message.number for message in sent)
    status_count = Counter(status for _, _, _, status, _, _ in replies)
    # 'sending' left after the stop: the outcome was never recorded (checked apart).
    paid = [
        (recipient, text)
        for _, recipient, text, status, _, _ in replies
        if status in ("sent", "unknown", "sending")
    ]
    sending_pairs = Counter(
        (recipient, text) for _, recipient, text, status, _, _ in replies if status == "sending"
    )
    paid_pairs, paid_numbers = Counter(paid), Counter(recipient for recipient, _ in paid)
    twice = {
        f"{number} {text!r}": count for (number, text), count in sent_pairs.items() if count > 1
    }
    beyond = {
        number: (count, paid_numbers[number])
        for number, count in sent_numbers.items()
        if count > paid_numbers[number]
    }
    unrecorded = {
        f"{number} {text!r}": count
        for (number, text), count in sent_pairs.items()
        if count > paid_pairs[(number, text)]
    }
    recorded_sent = Counter(
        (recipient, text) for _, recipient, text, status, _, _ in replies if status == "sent"
    )
    claimed_not_sent = sum((recorded_sent - sent_pairs).values())
    sent_recorded_sending = sum((sending_pairs & sent_pairs).values())
    message_ids = [message_id for message_id, *_ in replies]
    unknown = [
        (recipient, text, error)
        for _, recipient, text, status, error, _ in replies
        if status == "unknown"
    ]
    unknown_left = sum(1 for recipient, text, _ in unknown if sent_pairs[(recipient, text)])

    # Outages.
    commits = sorted(_epoch(received_at) for received_at, _, _ in pdu_rows)
    end = max(commits) if commits else run.faults_end
    gap, gap_start = longest_gap(commits, run.t0, end)
    spans = heartbeat_outages([s for s in sampler.samples if run.t0 <= s.at <= run.settled_at])
    longest_span = max(spans, key=lambda span: span[1] - span[0], default=(0.0, 0.0, ""))
    ages = [
        s.heartbeat_age
        for s in sampler.samples
        if s.alive and s.heartbeat_pid == s.pid and s.heartbeat_age is not None
    ]
    fault_rows = []
    for record in faults.records:
        ended = record.ended if record.ended is not None else record.started
        after = bisect.bisect_right(commits, ended)
        next_commit = commits[after] if after < len(commits) else None
        window_gap = gap_around(
            commits, record.started, next_commit if next_commit is not None else end
        )
        fault_rows.append(
            {
                "number": record.number,
                "at": record.started - run.t0,
                "kind": record.kind,
                "detail": record.detail + (f" ({record.note})" if record.note else ""),
                "lasted": ended - record.started,
                "recovered_after": None if next_commit is None else next_commit - ended,
                "commit_gap": window_gap,
            }
        )
    overlapping = [
        (a["number"], b["number"])
        for a, b in zip(fault_rows, fault_rows[1:], strict=False)
        if a["at"] + a["lasted"] > b["at"]
    ]

    # The process(es).
    records = service.records
    first, last = records[0], records[-1]
    end_rss = run.end_usage_rss if run.end_usage_rss is not None else last.last_rss
    logs = count_log_lines([record.log_path for record in records])
    faults_summary = faults_log_summary(dongle.faults_log)
    for record in faults.records:
        if record.kind in ("sigkill", "db-lock"):
            faults_summary[f"(bench) {record.kind}"] += 1
    drawn = Counter(record.kind for record in faults.records)
    kills = sum(1 for record in faults.records if record.kind == "sigkill")

    figures = {
        "settings": {key: value for key, value in vars(arguments).items()},
        "directory": run.directory,
        "seconds": (run.faults_end - run.t0),
        "settle_seconds": run.settled_at - run.faults_end,
        "settled": run.settled,
        "replies_settled": run.replies_settled,
        "stuck_sending": run.stuck_sending,
        "delivered": len(injected),
        "delivered_kinds": dict(Counter(sms.kind for sms in injected)),
        "pdus_delivered": sum(sms.segments for sms in injected),
        "malformed_injected": faults.malformed,
        "logged": len(rows),
        "logged_clean": sum(clean.values()),
        "logged_flagged": len(flagged),
        "malformed_logged": malformed_logged,
        "damaged_copies": len(damaged),
        "damaged_examples": [f"{sender}: {error}" for _, sender, _, error in damaged[:3]],
        "lost": sum(missing.values()),
        "lost_examples": [repr(pair) for pair in list(missing)[:5]],
        "duplicated": sum(extra.values()),
        "duplicated_examples": [repr(pair) for pair in list(extra)[:5]],
        "pdus_still_marked_on_modem": on_modem,
        "stored_at_end": len(dongle.stored()),
        "network_queue_at_end": dongle.pending_network,
        "latency_median": median(latencies),
        "latency_p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "latency_max": latencies[-1] if latencies else None,
        "replies": dict(status_count),
        "replies_sent_by_dongle": len(sent),
        "numbers_answered": len(sent_numbers),
        "replies_sent_twice": sum(count - 1 for count in twice.values()),
        "sent_twice_examples": list(twice.items())[:5],
        "sent_beyond_records": sum(count - paid for count, paid in beyond.values()),
        "sent_beyond_examples": list(beyond.items())[:5],
        "sent_without_record": sum(
            count - paid_pairs[pair]
            for pair, count in sent_pairs.items()
            if count > paid_pairs[pair]
        ),
        "unrecorded_examples": list(unrecorded.items())[:5],
        "recorded_sent_not_sent": claimed_not_sent,
        "sending_at_end": sum(sending_pairs.values()),
        "sent_but_recorded_sending": sent_recorded_sending,
        "reply_message_ids_unique": len(message_ids) == len(set(message_ids)),
        "unknown": len(unknown),
        "unknown_that_left": unknown_left,
        "unknown_examples": [f"{recipient}: {error}" for recipient, _, error in unknown[:5]],
        "events": dict(events),
        "connected": events["connected"],
        "reconnects": max(0, events["connected"] - 1),
        "modem_lost_events": events["modem lost"],
        "modem_resets": events["modem reset"],
        "daemon_starts": len(records),
        "sigkills": kills,
        "unexpected_exits": [{**exit_, "at": exit_["at"] - run.t0} for exit_ in service.unexpected],
        "longest_outage": gap,
        "longest_outage_at": gap_start - run.t0,
        "longest_heartbeat_outage": longest_span[1] - longest_span[0],
        "longest_heartbeat_outage_at": (longest_span[0] - run.t0) if spans else None,
        "longest_heartbeat_outage_states": longest_span[2],
        "heartbeat_outages": len(spans),
        "heartbeat_max_age": max(ages, default=None),
        "samples": len(sampler.samples),
        "sampler_errors": dict(sampler.errors),
        "max_backlog": max((s.stored + s.waiting for s in sampler.samples), default=0),
        "processes": [
            record.__dict__
            | {
                "started": record.started - run.t0,
                "ended": None if record.ended is None else record.ended - run.t0,
            }
            for record in records
        ],
        "rss_start_first_kib": first.start_rss,
        "rss_start_last_kib": last.start_rss,
        "rss_end_kib": end_rss,
        "rss_max_kib": max(max(record.max_rss, record.hwm) for record in records),
        "cpu_seconds": sum(record.cpu for record in records),
        "exit_code": run.exit_code,
        "log": logs,
        "faults": fault_rows,
        "faults_drawn": dict(drawn),
        "faults_not_drawn": [kind for kind in arguments.fault_kinds if kind not in drawn],
        "overlapping_faults": overlapping,
        "faults_log": dict(sorted(faults_summary.items())),
        "lock_errors": faults.lock_errors,
    }
    checks = {
        "lost": figures["lost"] == 0,
        "duplicated": figures["duplicated"] == 0,
        "malformed": malformed_logged == faults.malformed,
        "sent_twice": figures["replies_sent_twice"] == 0,
        "sent_beyond_records": figures["sent_beyond_records"] == 0,
        "sent_without_record": figures["sent_without_record"] == 0,
        "recorded_sent_not_sent": claimed_not_sent == 0,
        "reply_message_ids_unique": figures["reply_message_ids_unique"],
        "no_reply_stuck_sending": run.stuck_sending == 0,
        "settled": run.settled
        and figures["stored_at_end"] == 0
        and figures["network_queue_at_end"] == 0,
        "unexpected_exits": not service.unexpected,
        "exit_code": run.exit_code == 0,
        "watchdog": (figures["heartbeat_max_age"] or 0) < WATCHDOG_SEC,
    }
    figures["checks"] = checks
    figures["ok"] = all(checks.values())
    return figures


# --- the report ----------------------------------------------------------------------------


def _ok(value: bool) -> str:
    return "ok" if value else "FAILED"


def _mib(kib: int | None) -> str:
    return "?" if kib is None else f"{kib / 1024:.1f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def report(figures: dict, when: str, command: str) -> str:
    s = figures["settings"]
    checks = figures["checks"]
    kinds = figures["delivered_kinds"]
    processes = figures["processes"]
    first, last = processes[0], processes[-1]
    lines = [
        f"antirelou soak bench, {when}",
        f"command: {command}",
        f"host: {platform.node()}, {os.cpu_count()} CPU(s), Linux {platform.release()}, "
        f"Python {platform.python_version()}",
        f"dongle: simulated, SIM storage {SLOTS} slots, {LATENCY * 1000:g} ms per AT command, "
        f"{SEND_LATENCY[0]:g}-{SEND_LATENCY[1]:g} s per sent segment, {BAUD} baud",
        f"daemon: {sys.executable} -m antirelou run, command_timeout {COMMAND_TIMEOUT}s, "
        f"send_timeout {SEND_TIMEOUT}s, poll_interval {POLL}s, logging warning; replies: a "
        f"sequence of distinct texts, cooldown 1m, retry backoff {RETRY_BACKOFF}s; budgets "
        f"unlimited, flood mode off",
        f"traffic: {s['minutes']:g} min at {s['rate']:g} message/s from {s['senders']} senders: "
        f"{figures['delivered']} messages = {kinds.get('gsm7', 0)} short GSM-7 + "
        f"{kinds.get('ucs2', 0)} short UCS-2 + {kinds.get('long', 0)} in two parts = "
        f"{figures['pdus_delivered']} PDUs (seed {s['seed']})",
        f"faults: one every {s['fault_every']:g} s, {len(figures['faults'])} in all"
        + (
            f"; not drawn this run: {', '.join(figures['faults_not_drawn'])}"
            if figures["faults_not_drawn"]
            else ""
        )
        + f"; then {figures['settle_seconds']:.0f} s to log the backlog",
        "",
    ]
    rows = [
        ("messages delivered (injected)", figures["delivered"], ""),
        (
            "messages logged",
            f"{figures['logged']} = {figures['logged_clean']} clean + "
            f"{figures['logged_flagged']} flagged",
            "",
        ),
        ("lost", figures["lost"], _ok(checks["lost"])),
        ("duplicated", figures["duplicated"], _ok(checks["duplicated"])),
        (
            "malformed PDUs injected / logged flagged",
            f"{figures['malformed_injected']} / {figures['malformed_logged']}",
            _ok(checks["malformed"]),
        ),
        ("copies damaged on the wire, logged flagged", figures["damaged_copies"], ""),
        (
            "replies sent (dongle) / numbers answered",
            f"{figures['replies_sent_by_dongle']} / {figures['numbers_answered']}",
            "",
        ),
        ("replies sent twice", figures["replies_sent_twice"], _ok(checks["sent_twice"])),
        (
            "sends beyond the replies recorded",
            figures["sent_beyond_records"] + figures["sent_without_record"],
            _ok(checks["sent_beyond_records"] and checks["sent_without_record"]),
        ),
        (
            "replies 'unknown' (of which left)",
            f"{figures['unknown']} ({figures['unknown_that_left']})",
            "",
        ),
        (
            "replies stuck 'sending' in the live daemon",
            figures["stuck_sending"],
            _ok(checks["no_reply_stuck_sending"]),
        ),
        (
            "replies left 'sending' / of which left",
            f"{figures['sending_at_end']} / {figures['sent_but_recorded_sending']}",
            "",
        ),
        (
            "replies by status",
            ", ".join(f"{k} {v}" for k, v in sorted(figures["replies"].items())) or "none",
            "",
        ),
        ("reconnects (connected - 1)", figures["reconnects"], ""),
        (
            "'modem lost' events / modem resets",
            f"{figures['modem_lost_events']} / {figures['modem_resets']}",
            "",
        ),
        (
            "daemon starts (SIGKILLs, exits on its own)",
            f"{figures['daemon_starts']} ({figures['sigkills']}, "
            f"{len(figures['unexpected_exits'])})",
            _ok(checks["unexpected_exits"]),
        ),
        (
            "longest outage: no PDU committed (s)",
            f"{figures['longest_outage']:.1f} at +{figures['longest_outage_at']:.0f} s",
            "",
        ),
        (
            "longest outage: heartbeat not running (s)",
            f"{figures['longest_heartbeat_outage']:.1f}"
            + (
                f" at +{figures['longest_heartbeat_outage_at']:.0f} s "
                f"({figures['longest_heartbeat_outage_states']})"
                if figures["longest_heartbeat_outage_at"] is not None
                else ""
            ),
            "",
        ),
        (
            "oldest heartbeat seen (s; watchdog 90)",
            _seconds(figures["heartbeat_max_age"]),
            _ok(checks["watchdog"]),
        ),
        (
            "reception latency median / p95 / max (s)",
            f"{_seconds(figures['latency_median'])} / {_seconds(figures['latency_p95'])} / "
            f"{_seconds(figures['latency_max'])}",
            "",
        ),
        ("largest backlog (stored + network queue)", figures["max_backlog"], ""),
        ("RSS at start, first process (MiB)", _mib(figures["rss_start_first_kib"]), ""),
        ("RSS at start, last process (MiB)", _mib(figures["rss_start_last_kib"]), ""),
        ("RSS at end (MiB)", _mib(figures["rss_end_kib"]), ""),
        ("RSS max, any process (MiB)", _mib(figures["rss_max_kib"]), ""),
        ("daemon CPU, all processes (s)", f"{figures['cpu_seconds']:.1f}", ""),
        (
            "error lines in the daemon's log (warnings)",
            f"{figures['log']['errors']} ({figures['log']['warnings']})",
            "",
        ),
        ("tracebacks in the daemon's log", figures["log"]["tracebacks"], ""),
        (
            "storage empty, every message logged",
            "yes" if checks["settled"] else "NO",
            _ok(checks["settled"]),
        ),
        ("exit status on SIGTERM", figures["exit_code"], _ok(checks["exit_code"])),
    ]
    lines.append(table(("measure", "value", "check"), rows))
    lines += [
        "",
        "faults (at: seconds after the first message; gap: longest time without a "
        "commit around the fault; recovered: first commit after the fault ended):",
    ]
    lines.append(
        table(
            ("#", "at s", "fault", "lasted s", "gap s", "recovered s", "detail"),
            [
                (
                    row["number"],
                    f"{row['at']:.0f}",
                    row["kind"],
                    f"{row['lasted']:.1f}",
                    f"{row['commit_gap']:.1f}",
                    _seconds(row["recovered_after"]),
                    row["detail"],
                )
                for row in figures["faults"]
            ],
        )
    )
    lines += ["", "faults log of the simulator (count per kind; '(bench)' ones are the bench's):"]
    lines.append(
        "  " + ", ".join(f"{key} x{count}" for key, count in figures["faults_log"].items())
    )
    lines += ["", "processes:"]
    for record in processes:
        lines.append(
            f"  {record['number']}: pid {record['pid']}, started +{record['started']:.0f}"
            f" s, RSS at start {_mib(record['start_rss'])} MiB, last "
            f"{_mib(record['last_rss'])} MiB, peak {_mib(record['hwm'])} MiB, CPU "
            f"{record['cpu']:.1f} s; ended: {record['how'] or 'running'}"
        )
    if figures["log"]["top_errors"]:
        lines += ["", "most frequent error lines in the daemon's log (digits as #):"]
        lines += [f"  {count:4d}  {shape}" for shape, count in figures["log"]["top_errors"]]
    problems = []
    for key in (
        "lost_examples",
        "duplicated_examples",
        "sent_twice_examples",
        "sent_beyond_examples",
        "unrecorded_examples",
        "damaged_examples",
        "unknown_examples",
    ):
        for example in figures[key]:
            problems.append(f"  {key.replace('_', ' ')}: {example}")
    for exit_ in figures["unexpected_exits"]:
        problems.append(
            f"  exit on its own at +{exit_['at']:.0f} s, status {exit_['status']}: "
            + exit_["log_tail"].replace("\n", "\n    ")
        )
    for error, count in figures["sampler_errors"].items():
        problems.append(f"  sampler: {error} x{count}")
    if problems:
        lines += ["", "details:"] + problems
    if figures["overlapping_faults"]:
        lines.append(f"overlapping faults: {figures['overlapping_faults']}")
    verdict = (
        "every check passed"
        if figures["ok"]
        else "SOME CHECKS FAILED: " + ", ".join(name for name, value in checks.items() if not value)
    )
    lines += [
        "",
        f"verdict: {verdict} (first process RSS {_mib(first['start_rss'])} -> "
        f"last {_mib(figures['rss_end_kib'])} MiB; {last['number']} process(es))",
    ]
    if figures["directory"]:
        lines.append(f"working directory kept: {figures['directory']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    stop_on_signals()
    count = max(1, round(arguments.minutes * 60 * arguments.rate))
    messages = build_traffic(count, arguments.senders, arguments.seed)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = (
        " ".join([".venv/bin/python", "bench/soak.py", *sys.argv[1:]])
        if argv is None
        else " ".join(["bench/soak.py", *argv])
    )
    directory = tempfile.mkdtemp(prefix="antirelou-bench-soak-")
    keep = arguments.keep
    if not arguments.json:
        print(
            f"soak: {arguments.minutes:g} min, {count} messages, a fault every "
            f"{arguments.fault_every:g} s, in {directory}",
            file=sys.stderr,
            flush=True,
        )
    try:
        figures = soak(arguments, messages, directory)
    except BenchError as error:
        print(
            f"soak bench: no measure: {error}\n(working directory kept: {directory})",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print(
            f"soak bench: interrupted; the daemon and the dongle were stopped "
            f"(working directory kept: {directory})",
            file=sys.stderr,
        )
        return 130
    keep = keep or not figures["ok"]
    if not keep:
        shutil.rmtree(directory, ignore_errors=True)
        figures["directory"] = ""
    figures["date"] = when
    figures["command"] = command
    if arguments.json:
        print(dump_json(figures))
    else:
        print(report(figures, when, command))
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
