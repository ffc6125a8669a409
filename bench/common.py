"""Helpers shared by the benches (drain, flood, soak).

A bench runs the simulated dongle in its own process and the daemon as a
subprocess (`python -m antirelou run -c CONFIG`, or bench/run_daemon.py on a scaled
clock), so that the CPU time and the memory read from /proc/<pid> are the daemon's alone.
Waiting goes through antirelou.clock.wait_until (wait_for, wait_for_dongle); the pure
verdict functions live in soak_checks.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from soak_checks import compare_messages

from antirelou.clock import wait_until
from antirelou.pdu import segment_info
from antirelou.simulator import Fault, SimulatedDongle

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# What a bench's command ends with (besides antirelou.exits.OK and INTERRUPTED).
CHECK_FAILED = 1  # measured, and a check failed
NO_MEASURE = 2  # the daemon could not start, died or timed out


class BenchError(Exception):
    """The bench could not measure: the daemon died, timed out or was misconfigured."""


# --- the message mix ---------------------------------------------------------------------

_GSM7_WORDS = (
    "Salut",
    "c'est Karim du métro",
    "t'es où ?",
    "on se voit ce soir",
    "juste un verre",
    "pourquoi tu réponds pas",
    "je t'ai vue à la station",
    "allez sois pas comme ça",
    "tu m'as donné un faux numéro ?",
    "je suis quelqu'un de bien",
    "réponds stp",
    "bonne soirée",
    "tu es très jolie",
    "j'attends ta réponse",
    "demain 20h au café",
    "franchement c'est pas cool",
    "rappelle-moi",
    "ok",
    "??",
    "!!!",
    "bisous",
    "je passe te chercher",
    "t'as un copain ?",
    "laisse-moi une chance",
    "on s'est croisés au bar",
    "je t'écris quand même",
    "tu fais semblant de pas me voir",
    "c'était sympa hier",
)
# Each of these needs UCS-2: ê ç œ « » or an emoji.
_UCS2_WORDS = (
    "« juste un verre »",
    "ça va ?",
    "t'es fâchée ?",
    "être honnête",
    "mon cœur",
    "leçon",
    "tête de mule",
    "ça m'énerve",
    "« réponds »",
    "c'est ça",
    "sœur",
    "fenêtre",
    "😉",
    "😡",
    "🙏",
    "😘",
    "❤️",
    "tu me plais « vraiment »",
    "peut-être demain",
    "ça te dit ?",
)
_UCS2_MARKS = ("ê", "ç", "œ", "«", "»")


@dataclass(frozen=True)
class Sms:
    sender: str
    text: str
    kind: str  # 'gsm7' (short), 'ucs2' (short) or 'long' (two parts)
    segments: int


def _sentence(
    rng: random.Random, words: Sequence[str], low: int, high: int, extra: Sequence[str] = ()
) -> str:
    target = rng.randint(low, high)
    pieces: list[str] = []
    while len(" ".join(pieces)) < target:
        pool = extra if extra and rng.random() < 0.35 else words
        pieces.append(rng.choice(pool))
    return " ".join(pieces)


def _fits(text: str, encoding: str, segments: int) -> bool:
    info = segment_info(text)
    return info.encoding == encoding and info.segments == segments


def message_text(rng: random.Random, kind: str, number: int) -> tuple[str, int]:
    """Given a kind ('gsm7', 'ucs2' or 'long'), return (text, segments): one segment, or two
    (GSM 7-bit for odd `number`, UCS-2 for even)."""
    for _ in range(1000):
        if kind == "gsm7":
            text, encoding, segments = _sentence(rng, _GSM7_WORDS, 10, 150), "gsm7", 1
        elif kind == "ucs2":
            text, encoding, segments = _sentence(rng, _GSM7_WORDS, 10, 55, _UCS2_WORDS), "ucs2", 1
        elif number % 2:
            text, encoding, segments = _sentence(rng, _GSM7_WORDS, 175, 290), "gsm7", 2
        else:
            text = _sentence(rng, _GSM7_WORDS, 80, 125, _UCS2_WORDS)
            encoding, segments = "ucs2", 2
        if encoding == "ucs2" and not any(mark in text for mark in _UCS2_MARKS):
            continue
        if _fits(text, encoding, segments):
            return text, segments
    raise BenchError(f"could not build a {kind} message")  # pragma: no cover


def message_mix(
    count: int, seed: int = 2017, *, short_gsm7: float = 0.7, short_ucs2: float = 0.2
) -> list[Sms]:
    """Given a count and a seed, return the same SMS every time: `short_gsm7` of them one
    GSM 7-bit segment, `short_ucs2` one UCS-2 segment (French accents ê ç œ « » and some
    emoji), the rest two segments (half GSM 7-bit, half UCS-2). Senders are +336XXXXXXXX;
    a few insistent ones write several times, but a two-part message always comes from a
    sender of its own (the simulator's 8-bit concatenation references wrap after 256).
    """
    rng = random.Random(seed)
    n_gsm7 = round(count * short_gsm7)
    n_ucs2 = round(count * short_ucs2)
    kinds = ["gsm7"] * n_gsm7 + ["ucs2"] * n_ucs2 + ["long"] * (count - n_gsm7 - n_ucs2)
    rng.shuffle(kinds)
    used: set[str] = set()

    def new_sender() -> str:
        while True:
            sender = "+336" + "".join(rng.choice("0123456789") for _ in range(8))
            if sender not in used:
                used.add(sender)
                return sender

    insistent = [new_sender() for _ in range(max(1, count // 30))]
    messages: list[Sms] = []
    for number, kind in enumerate(kinds):
        if kind == "long":
            sender = new_sender()
        else:
            sender = rng.choice(insistent) if rng.random() < 0.2 else new_sender()
        text, segments = message_text(rng, kind, number)
        messages.append(Sms(sender, text, kind, segments))
    return messages


# --- the simulated dongle ----------------------------------------------------------------


def start_dongle(
    link: str,
    *,
    latency: float,
    baud: int | None,
    slots: int = 400,
    sim_slots: int = 30,
    seed: int = 2017,
) -> SimulatedDongle:
    """Start a dongle whose first (and receiving) storage is ME with `slots`, plus a SIM.

    ME comes first so that `preload` fills it; the daemon's storage "auto" then picks it
    as the largest.
    """
    dongle = SimulatedDongle(
        link,
        memories={"ME": slots, "SM": sim_slots},
        command_latency=latency,
        baudrate=baud,
        seed=seed,
    )
    return dongle.start()


def storage_empty(dongle: SimulatedDongle) -> bool:
    """True when no storage holds a message and none waits in the network."""
    return dongle.pending_network == 0 and not any(dongle.stored_in(name) for name in ("ME", "SM"))


def listing_bytes(dongle: SimulatedDongle) -> int:
    """Bytes the dongle writes to answer AT+CMGL=4 on each storage with what it stores now
    (echo off; the OK of each listing but one left out: a lower bound)."""
    lines: list[str] = []
    stored = [item for name in ("ME", "SM") for item in dongle.stored_in(name).items()]
    for index, (stat, pdu) in stored:
        data = bytes.fromhex(pdu)
        lines.append(f"+CMGL: {index},{stat},,{len(data) - 1 - data[0]}")
        lines.append(pdu)
    text = ("\r\n" + "\r\n".join(lines) + "\r\n") if lines else ""
    return len((text + "\r\nOK\r\n").encode("latin-1"))


_DELETED_BY_FLAG = {1: {1}, 2: {1, 3}, 3: {1, 2, 3}, 4: {0, 1, 2, 3}}


class DeleteProbe(Fault):
    """At every AT+CMGD, before the dongle deletes anything, check that each PDU about to
    be deleted is already committed in the daemon's database (table `pdus`).

    Runs in the dongle's thread, after its command latency; `seconds` is the time it took.
    """

    def __init__(self, dongle: SimulatedDongle, database: str) -> None:
        self.dongle = dongle
        self.database = database
        self.deletes = 0
        self.checked = 0
        self.uncommitted: list[str] = []
        self.errors: list[str] = []
        self.seconds = 0.0

    def on_command(self, line: str) -> str | None:
        upper = line.upper()
        if not upper.startswith("AT+CMGD=") or upper.endswith("=?"):
            return None
        started = time.perf_counter()
        try:
            self._check(line[len("AT+CMGD=") :])
        except Exception as error:  # noqa: BLE001 - a probe must never break the dongle
            self.errors.append(f"{line}: {error}")
        self.seconds += time.perf_counter() - started
        return None

    def _check(self, arguments: str) -> None:
        self.deletes += 1
        values = [value.strip() for value in arguments.split(",")]
        flag = int(values[1] or 0) if len(values) > 1 else 0
        # AT+CMGD acts on the storage being read (mem1), not necessarily the receive one.
        stored = self.dongle.stored_in(self.dongle.memories_now()[0])
        if flag == 0:
            doomed = [stored[int(values[0])][1]] if int(values[0]) in stored else []
        else:
            doomed = [pdu for stat, pdu in stored.values() if stat in _DELETED_BY_FLAG[flag]]
        if not doomed:
            return
        with connect_readonly(self.database) as db:
            committed = {row[0] for row in db.execute("SELECT pdu FROM pdus")}
        self.checked += len(doomed)
        self.uncommitted.extend(pdu for pdu in doomed if pdu not in committed)


# --- the daemon ----------------------------------------------------------------------------

CONFIG_TEMPLATE = """\
# Written by bench/common.py; see etc/antirelou.yaml for every key.
modem:
  port: {port}
  baudrate: {baud}
  poll_interval: {poll}
database: {database}
replies:
  enabled: {replies}
logging:
  level: {level}
"""


def write_config(
    directory: str,
    port: str,
    *,
    baud: int = 115200,
    poll: str = "1s",
    replies: bool = False,
    level: str = "warning",
    extra: str = "",
) -> str:
    """Write a config in `directory` and return its path (database: directory/antirelou.db)."""
    path = os.path.join(directory, "antirelou.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            CONFIG_TEMPLATE.format(
                port=port,
                baud=baud,
                poll=poll,
                database=os.path.join(directory, "antirelou.db"),
                replies="true" if replies else "false",
                level=level,
            )
            + extra
        )
    return path


@dataclass(frozen=True)
class Usage:
    """A process's CPU time so far (user + system, all threads) and memory."""

    cpu: float  # seconds
    rss: int  # KiB, now
    hwm: int  # KiB, peak resident set


def read_usage(pid: int) -> Usage:
    """Read /proc/<pid>/stat and /proc/<pid>/status. Raise BenchError if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            stat = handle.read()
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            status = handle.read()
    except (FileNotFoundError, ProcessLookupError) as error:
        raise BenchError(f"process {pid} is gone") from error
    fields = stat[stat.rindex(")") + 2 :].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    memory = {}
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            memory[name] = int(value.split()[0])
    return Usage(cpu, memory.get("VmRSS", 0), memory.get("VmHWM", 0))


class SyncCounter:
    """Counts a process's synced writes (fsync, fdatasync: what wears an SD card and waits on
    it) with strace attached to all its threads, each with its time. Absent strace, counts
    nothing and says so (`available`)."""

    def __init__(self, pid: int, path: str) -> None:
        self.path = path
        self.available = shutil.which("strace") is not None
        self._process: subprocess.Popen | None = None
        if self.available:
            self._process = subprocess.Popen(
                ["strace", "-f", "-qq", "-ttt", "-e", "trace=fsync,fdatasync", "-o", path]
                + ["-p", str(pid)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(0.5)  # attached before anything is measured

    def stop(self) -> list[float]:
        """Detach; return the time.time() of every synced write seen."""
        if self._process is None:
            return []
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        times = []
        with open(self.path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.split()
                # "[pid] 1712345678.123456 fsync(5) = 0", or without the pid in one thread
                stamps = [field for field in fields[:2] if re.fullmatch(r"\d+\.\d+", field)]
                if stamps and re.search(r"\b(fsync|fdatasync)\(", line):
                    times.append(float(stamps[0]))
        return times


class DaemonProcess:
    """`python -m antirelou run -c CONFIG` in its own session, output to a log file.

    Use as a context manager: leaving it always stops the daemon (SIGTERM, then SIGKILL).
    """

    def __init__(self, config: str, log_path: str) -> None:
        self.config = config
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.exit_code: int | None = None
        self.killed = False

    def command(self) -> list[str]:
        """The command line that starts the daemon."""
        return [sys.executable, "-m", "antirelou", "run", "-c", self.config]

    def start(self) -> DaemonProcess:
        if self.process is not None:
            raise BenchError("this daemon was already started")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                start_new_session=True,
            )  # a Ctrl-C reaches the bench, which stops us
        self.started_at = time.monotonic()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def usage(self) -> Usage:
        return read_usage(self.pid)

    def check_alive(self) -> None:
        if not self.alive():
            code = None if self.process is None else self.process.returncode
            raise BenchError(f"the daemon exited with status {code}:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait up to `timeout`, then SIGKILL. Return the exit status."""
        if self.process is None or self.exit_code is not None:
            return self.exit_code
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.process.kill()
                self.process.wait(5)
        self.exit_code = self.process.returncode
        return self.exit_code

    def log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as handle:
                return "".join(handle.readlines()[-lines:]).rstrip() or "(no output)"
        except OSError:
            return "(no output)"

    def __enter__(self) -> DaemonProcess:
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exception: object) -> None:
        self.stop()


def stop_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt, so that `finally` blocks stop the
    daemon (it runs in its own session: a terminal's Ctrl-C reaches the bench only).
    """

    def interrupt(number: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(number).name)

    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, interrupt)


def wait_for(
    condition: Callable[[], bool],
    timeout: float,
    daemon: DaemonProcess,
    what: str,
    *,
    interval: float = 0.02,
) -> float:
    """Given a condition, wait until it holds, trying it every `interval` seconds
    (antirelou.clock.wait_until); return time.monotonic() then. Raise BenchError if the
    daemon dies or `timeout` seconds pass.
    """

    def holds() -> bool:
        daemon.check_alive()
        return condition()

    if not wait_until(holds, timeout, interval=interval):
        raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}\n{daemon.log_tail()}")
    return time.monotonic()


def wait_for_dongle(
    dongle: SimulatedDongle,
    predicate: Callable[[], bool],
    timeout: float,
    daemon: DaemonProcess,
    what: str,
) -> float:
    """Given a predicate on the dongle's state, wait until it holds; return time.monotonic()
    then. Raise BenchError, naming the dongle's last commands, if the daemon dies or `timeout`
    seconds pass.
    """
    try:
        # The predicate is evaluated at each of the dongle's changes for up to half a second:
        # the moment it holds is seen at once, not at the next poll.
        return wait_for(lambda: dongle.wait_for(predicate, 0.5), timeout, daemon, what)
    except BenchError as error:
        raise BenchError(f"{error}\nlast commands: {dongle.command_log[-5:]}") from None


def command_seen(dongle: SimulatedDongle, prefix: str, after: int = 0) -> Callable[[], bool]:
    """A predicate: a command starting with `prefix` arrived after the first `after`."""
    prefix = prefix.upper()

    def seen() -> bool:
        return any(line.upper().startswith(prefix) for line in dongle.command_log[after:])

    return seen


# --- the database ------------------------------------------------------------------------


def connect_readonly(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    db.execute("PRAGMA query_only = ON")
    return db


@dataclass(frozen=True)
class DatabaseCheck:
    messages: int
    pdus: int
    pdus_on_modem: int
    missing: int  # injected (sender, text) not logged
    extra: int  # logged (sender, text) never injected, or logged twice
    flagged: int  # messages logged with an error
    examples: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.flagged)


def check_database(path: str, expected: Iterable[Sms]) -> DatabaseCheck:
    """Compare the logged messages with what was injected, as multisets of (sender, text)."""
    with connect_readonly(path) as db:
        rows = db.execute("SELECT sender, text, error FROM messages").fetchall()
        pdus, on_modem = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(on_modem), 0) FROM pdus"
        ).fetchone()
    comparison = compare_messages(
        [(sms.sender, sms.text) for sms in expected], [(sender, text) for sender, text, _ in rows]
    )
    examples = [f"missing: {pair!r}" for pair in list(comparison.missing)[:3]]
    examples += [f"unexpected: {pair!r}" for pair in list(comparison.extra)[:3]]
    flagged = [error for _, _, error in rows if error]
    examples += [f"flagged: {error}" for error in flagged[:3]]
    return DatabaseCheck(
        len(rows),
        pdus,
        on_modem,
        comparison.lost,
        comparison.duplicated,
        len(flagged),
        tuple(examples),
    )


# --- reporting -----------------------------------------------------------------------------


def check_text(passed: bool) -> str:
    """Given a check's outcome, return what a report's check column says."""
    return "ok" if passed else "FAILED"


def decimal_text(value: float | None, digits: int = 1) -> str:
    """Given a figure that may be missing, return it with `digits` decimals, or "-"."""
    return "-" if value is None else f"{value:.{digits}f}"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table; columns whose every cell is a number are right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(value) for value in row] for row in rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    numeric = [all(_is_number(row[column]) for row in cells[1:]) for column in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(row, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def dump_json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
