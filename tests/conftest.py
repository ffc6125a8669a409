"""Shared fixtures: a simulated dongle on a pty, configs, a daemon in a thread."""

from __future__ import annotations

import sqlite3
import textwrap
import threading
from collections.abc import Callable, Iterator

import pytest

from antirelou.config import Config, load
from antirelou.daemon import Daemon
from antirelou.simulator import SimulatedDongle

# Short latencies keep the suite fast; the realistic ones live in bench/.
FAST = {"command_latency": 0.0, "send_latency": 0.02}


@pytest.fixture
def dongle(tmp_path) -> Iterator[SimulatedDongle]:
    with SimulatedDongle(str(tmp_path / "modem"), **FAST) as simulated:
        yield simulated


@pytest.fixture
def write_config(tmp_path) -> Callable[..., str]:
    """Return a function writing a config (YAML body appended) and returning its path."""

    def write(extra: str = "", *, name: str = "antirelou.yaml", modem_extra: str = "") -> str:
        path = tmp_path / name
        body = textwrap.dedent(f"""\
            modem:
              port: {tmp_path / "modem"}
              poll_interval: 1s
              command_timeout: 2s
            {textwrap.indent(textwrap.dedent(modem_extra), "  ")}
            database: {tmp_path / "antirelou.db"}
            """) + textwrap.dedent(extra)
        path.write_text(body, encoding="utf-8")
        return str(path)

    return write


class DaemonThread:
    """A Daemon running in a background thread, stopped at teardown."""

    def __init__(self, config: Config, **options) -> None:
        self.daemon = Daemon(config, heartbeat_interval=0.5, **options)
        self.exit_code: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.exit_code = self.daemon.run()

    def start(self, wait_ready: bool = True) -> DaemonThread:
        self.thread.start()
        if wait_ready:
            assert self.daemon.ready.wait(10), "daemon never became ready"
        return self

    def stop(self, timeout: float = 10) -> int | None:
        self.daemon.request_stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "daemon did not stop"
        return self.exit_code


@pytest.fixture
def start_daemon(write_config) -> Iterator[Callable[..., DaemonThread]]:
    started: list[DaemonThread] = []

    def start(config_path: str | None = None, *, wait_ready: bool = True, **options):
        runner = DaemonThread(load(config_path or write_config()), **options)
        started.append(runner)
        return runner.start(wait_ready)

    yield start
    for runner in started:
        if runner.thread.is_alive():
            runner.stop()


def query(database: str, sql: str, parameters=()) -> list[tuple]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return connection.execute(sql, parameters).fetchall()
    finally:
        connection.close()
