"""Crash safety: SIGKILL the service at random moments, restart it, lose nothing, pay once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections import Counter

import pytest
from conftest import query

from antirelou import livestate
from antirelou.clock import wait_until
from antirelou.config import load
from antirelou.simulator import SimulatedDongle

KILLS = 30


def spawn(config_path: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "antirelou", "run", "-c", config_path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkill_at_random_moments_loses_nothing_and_answers_nobody_twice(tmp_path, write_config):
    chance = random.Random(2017)
    injected: list[tuple[str, str]] = []
    with SimulatedDongle(
        str(tmp_path / "modem"),
        memories={"SM": 30},
        command_latency=0.002,
        send_latency=(0.02, 0.15),
        seed=4,
    ) as dongle:
        config = load(
            write_config("flood:\n  enabled: false\nbudgets:\n  segments_per_hour: unlimited\n")
        )
        for round_number in range(KILLS):
            for index in range(chance.randint(1, 4)):
                sender = f"+33670{round_number:03d}{index:03d}"
                text = f"message {round_number}.{index} " + "é" * chance.choice((0, 0, 80))
                injected.append((sender, text.strip()))
                dongle.inject(sender, text.strip())
            process = spawn(config.path)
            # Die somewhere in start-up, listing, committing, deleting or sending.
            with pytest.raises(subprocess.TimeoutExpired):
                process.wait(chance.uniform(0.3, 1.2))  # it must not exit by itself
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        final = spawn(config.path)
        try:
            assert wait_until(
                lambda: (
                    (beat := livestate.read(config.database)) is not None
                    and (beat.pid, beat.state) == (final.pid, "running")
                ),
                20,
            )
            assert wait_until(
                lambda: (
                    not dongle.stored()
                    and _logged(config) == len(injected)
                    and _unsettled(config) == 0
                ),
                60,
            )
        finally:
            final.send_signal(signal.SIGTERM)
            assert final.wait(10) == 0
    logged = query(config.database, "SELECT sender, text FROM messages")
    assert Counter(logged) == Counter(injected)  # every message exactly once, exact text
    sends = Counter(sent.number for sent in dongle.sent)
    assert max(sends.values()) == 1  # nobody answered twice
    statuses = dict(query(config.database, "SELECT recipient, status FROM replies"))
    for number in sends:
        assert statuses[number] in ("sent", "unknown")
    # A reply whose outcome a kill made unknown is marked so, never re-sent.
    assert all(status in ("sent", "unknown") for status in statuses.values()), statuses


def _logged(config) -> int:
    return query(config.database, "SELECT COUNT(*) FROM messages")[0][0]


def _unsettled(config) -> int:
    return query(
        config.database, "SELECT COUNT(*) FROM replies WHERE status IN ('queued', 'sending')"
    )[0][0]
