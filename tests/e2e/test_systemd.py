"""The service speaks sd_notify as systemd expects: READY, STATUS, WATCHDOG, STOPPING."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from antirelou.config import load
from antirelou.systemd import Notifier


def listen(path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    return sock


def collect(sock: socket.socket, until, timeout: float) -> list[tuple[float, str]]:
    received: list[tuple[float, str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not until(received):
        try:
            received.append((time.monotonic(), sock.recv(4096).decode()))
        except TimeoutError:
            pass
    return received


def test_service_notifies_ready_status_watchdog_and_stopping(dongle, tmp_path):
    path = tmp_path / "antirelou.yaml"
    path.write_text(
        f"modem:\n  port: {dongle.port}\n  poll_interval: 1s\n"
        f"  command_timeout: 6s\ndatabase: {tmp_path / 'antirelou.db'}\n"
    )
    config = load(path)
    sock = listen(str(tmp_path / "notify"))
    environment = {
        **os.environ,
        "NOTIFY_SOCKET": str(tmp_path / "notify"),
        "WATCHDOG_USEC": "3000000",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "antirelou", "run", "-c", config.path],
        env=environment,
        stderr=subprocess.DEVNULL,
    )
    try:

        def ready_and_pinging(got: list[tuple[float, str]]) -> bool:
            texts = [text for _, text in got]
            return any("READY=1" in text for text in texts) and "WATCHDOG=1" in texts[-1]

        messages = collect(sock, ready_and_pinging, 15)
        texts = [text for _, text in messages]
        ready = next(text for text in texts if "READY=1" in text)
        assert "STATUS=Running: home network, operator Orange F" in ready
        assert any(text.startswith("STATUS=Connecting") for text in texts)

        # A loop stuck on a modem that does not answer stops feeding the watchdog
        # (every 1 s when healthy, WATCHDOG_USEC / 3): systemd would restart it.
        hang_started = time.monotonic()
        dongle.hang(None)
        hung = collect(sock, lambda got: False, 6)
        dongle.unhang()
        pings = [hang_started] + [at for at, text in hung if "WATCHDOG=1" in text]
        assert (
            max(
                later - earlier
                for earlier, later in zip(pings, pings[1:] + [time.monotonic()], strict=True)
            )
            > 3.5
        )

        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        tail = collect(sock, lambda got: any("STOPPING=1" in m for _, m in got), 3)
        assert any("STOPPING=1" in text for _, text in tail)
    finally:
        process.kill()
        process.wait()
        sock.close()


def test_notifier_does_nothing_outside_systemd():
    notifier = Notifier({})
    assert notifier.watchdog_interval is None
    notifier.ready("x")  # no socket: no error


def test_notifier_reads_watchdog_interval_for_this_process_only():
    assert Notifier({"WATCHDOG_USEC": "90000000"}).watchdog_interval == 90
    other = Notifier({"WATCHDOG_USEC": "90000000", "WATCHDOG_PID": "1"})
    assert other.watchdog_interval is None
