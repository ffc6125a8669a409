"""The daemon as systemd runs it (systemd/antirelou.service): restarted after a crash, never
after a configuration error, stopped with SIGTERM then SIGKILL; one record per process.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass

from common import BenchError, DaemonProcess
from sampling import Sample

from antirelou import exits
from antirelou.clock import wait_until

RESTART_SEC = 10.0  # systemd/antirelou.service: Restart=on-failure, RestartSec=10s
STOP_TIMEOUT = 15.0  # systemd/antirelou.service: TimeoutStopSec=15s


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
    or after an exit on its own (RestartSec later; never after exits.CONFIG).
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

    def current(self) -> DaemonProcess | None:
        """The daemon the bench runs now (None before the first start)."""
        with self.lock:
            return self.daemon

    def raise_if_fatal(self) -> None:
        """Raise BenchError if the daemon exited in a way systemd would not restart."""
        if self.fatal:
            raise BenchError(self.fatal)

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
            if code == exits.CONFIG:
                self.fatal = f"the daemon exited {code} (EX_CONFIG):\n{daemon.log_tail()}"
                return
            self.restarting = True
        threading.Thread(target=self._restart_later, name="soak-restart", daemon=True).start()

    def observe(self, sample: Sample) -> None:
        """Called by the sampler: note the memory and CPU of the process sampled, and its RSS
        at start once its heartbeat says 'running'."""
        if sample.usage is None:
            return
        with self.lock:
            record = self.record if self.records else None
        if record is None or record.pid != sample.pid:
            return
        usage = sample.usage
        record.last_rss, record.cpu = usage.rss, usage.cpu
        record.max_rss = max(record.max_rss, usage.rss)
        record.hwm = max(record.hwm, usage.hwm)
        if record.start_rss is None and sample.ok:
            record.start_rss = usage.rss

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

    def running(self) -> bool:
        """True when no restart is pending and the daemon runs. Raise BenchError if it exited
        in a way systemd would not restart."""
        with self.lock:
            self.raise_if_fatal()
            return not self.restarting and self.daemon is not None and self.daemon.alive()

    def wait_running(self, timeout: float) -> None:
        """Wait until no restart is pending and the daemon runs. Raise BenchError if it does
        not within `timeout` seconds."""
        if not wait_until(self.running, timeout, interval=0.2):
            raise BenchError(f"the daemon is not running after {timeout:.0f} s")
