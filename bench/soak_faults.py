"""The soak's faults: a deck of every kind, dealt again when spent; each one injected into
the simulated dongle, the daemon's process or its database, the lasting ones ended by a
thread of their own.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from common import BenchError
from supervisor import Service

from antirelou.clock import wait_until
from antirelou.simulator import MALFORMED_KINDS, SimulatedDongle

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
        if not wait_until(
            lambda: not any(thread.is_alive() for thread in self.threads), timeout, interval=0.1
        ):
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
