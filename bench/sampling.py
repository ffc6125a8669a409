"""One sampler for the benches: at a steady period, what the daemon says (its heartbeat, read
only), what it uses (RSS and CPU from /proc), how many messages it logged, and what the
dongle holds.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from common import BenchError, DaemonProcess, Usage, connect_readonly, read_usage

from antirelou import livestate
from antirelou.simulator import SimulatedDongle


@dataclass(frozen=True)
class Sample:
    at: float  # time.time()
    monotonic: float  # time.monotonic()
    state: str | None  # heartbeat state, None when unreadable
    heartbeat_pid: int | None
    heartbeat_age: float | None  # seconds since the heartbeat was written
    pid: int | None  # the daemon the bench runs now
    alive: bool
    usage: Usage | None  # its CPU and memory, None when it is gone
    logged: int | None  # messages in the log, None when unreadable
    stored: int
    waiting: int  # segments in the network queue

    @property
    def ok(self) -> bool:
        return self.alive and self.state == "running" and self.heartbeat_pid == self.pid


class Sampler(threading.Thread):
    """Every `every` seconds, call `tick` (the flood bench watches the storage there, the soak
    restarts a daemon that died); every `sample_every` seconds (at least `every`), take a
    Sample of the daemon `current()` returns and hand it to `on_sample`.
    """

    def __init__(
        self,
        database: str,
        dongle: SimulatedDongle,
        current: Callable[[], DaemonProcess | None],
        *,
        every: float,
        sample_every: float | None = None,
        tick: Callable[[], None] | None = None,
        on_sample: Callable[[Sample], None] | None = None,
    ) -> None:
        super().__init__(name="bench-sampler", daemon=True)
        self.database = database
        self.dongle = dongle
        self.current = current
        self.every = every
        self.sample_every = sample_every or every
        self.tick = tick
        self.on_sample = on_sample
        self.samples: list[Sample] = []
        self.halt = threading.Event()
        self.errors: Counter[str] = Counter()
        self.last_error: str | None = None
        self._db: sqlite3.Connection | None = None

    def run(self) -> None:
        next_sample = 0.0
        try:
            while not self.halt.wait(self.every):
                try:
                    if self.tick is not None:
                        self.tick()
                    if time.monotonic() >= next_sample:
                        next_sample = time.monotonic() + self.sample_every
                        sample = self.sample()
                        self.samples.append(sample)
                        if self.on_sample is not None:
                            self.on_sample(sample)
                except Exception as error:  # noqa: BLE001 - the sampler must keep sampling
                    self._error(f"{type(error).__name__}: {error}")
        finally:
            if self._db is not None:
                self._db.close()

    def _error(self, description: str) -> None:
        self.errors[description] += 1
        self.last_error = description

    def _read(self) -> tuple[tuple[str, int, str] | None, int | None]:
        """The heartbeat (state, pid, at) and the messages logged; None for what is
        unreadable."""
        try:
            if self._db is None:
                if not os.path.exists(self.database):
                    return None, None
                self._db = connect_readonly(self.database)
            logged = self._db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            beat = livestate.read(self.database)
            if beat is None:
                return None, logged
            return (beat.state, beat.pid, beat.at.isoformat(timespec="milliseconds")), logged
        except sqlite3.Error as error:
            self._error(f"heartbeat: {error}")
            if self._db is not None:
                self._db.close()
            self._db = None
            return None, None

    def sample(self) -> Sample:
        beat, logged = self._read()
        now = time.time()
        daemon = self.current()
        alive = daemon is not None and daemon.alive()
        pid = daemon.pid if daemon is not None else None
        state = heartbeat_pid = age = None
        if beat is not None:
            state, heartbeat_pid = beat[0], beat[1]
            age = now - datetime.fromisoformat(beat[2]).timestamp()
        usage = None
        if alive:
            try:
                usage = read_usage(pid)
            except BenchError:
                usage = None
        return Sample(
            now,
            time.monotonic(),
            state,
            heartbeat_pid,
            age,
            pid,
            alive,
            usage,
            logged,
            len(self.dongle.stored()),
            self.dongle.pending_network,
        )

    def stop(self) -> None:
        self.halt.set()
        self.join(5)
