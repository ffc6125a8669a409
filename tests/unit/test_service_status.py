"""The service's state as the outside sees it, on a fake clock: a modem never opened, no
database; the live state goes to a file beside where the database would be."""

import threading
from pathlib import Path

import pytest

from antirelou import livestate
from antirelou.clock import FakeClock
from antirelou.config import loads
from antirelou.modem import Modem, Registration
from antirelou.status import ServiceStatus
from antirelou.systemd import Notifier


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setattr(livestate, "RUN_DIRECTORY", str(tmp_path / "no-run-directory"))
    monkeypatch.delenv("RUNTIME_DIRECTORY", raising=False)
    return loads(
        f"modem:\n  port: /dev/x\ndatabase: {tmp_path}/x.db\nalerts:\n  modem_lost_after: 10m\n"
    )


def _status(clock: FakeClock, config) -> tuple[ServiceStatus, list[tuple[str, str]]]:
    alerts: list[tuple[str, str]] = []
    modem = Modem(config.modem, threading.Event())
    status = ServiceStatus(
        config, modem, clock, Notifier({}), lambda kind, detail: alerts.append((kind, detail))
    )
    return status, alerts


def test_service_status_alerts_once_when_the_dongle_is_lost_too_long(config):
    clock = FakeClock()
    status, alerts = _status(clock, config)
    status.modem_lost("cannot open /dev/x")
    clock.advance(599)
    status.check_lost_too_long()
    assert alerts == []
    clock.advance(1)
    status.modem_lost("still gone")  # the loss is counted from its start, not the last error
    status.check_lost_too_long()
    status.check_lost_too_long()
    assert alerts == [("modem lost", "no dongle for 10m: still gone")]


def test_service_status_a_dongle_found_again_starts_the_count_afresh(config):
    clock = FakeClock()
    status, alerts = _status(clock, config)
    status.modem_lost("unplugged")
    clock.advance(500)
    status.modem_found()
    status.modem_lost("unplugged again")
    clock.advance(500)
    status.check_lost_too_long()
    assert alerts == []


def test_service_status_line_names_the_problem_or_the_network(config):
    status, _ = _status(FakeClock(), config)
    status.set_state("database error", "disk full")
    assert status.line() == "Database error: disk full"
    status.registration = Registration(1, "Orange F", 20)
    status.set_state("running", "home network")
    assert status.line() == "Running: home network, operator Orange F, signal 20/31"
    assert status.problem is None


def test_the_live_state_is_a_file_read_back_as_written_and_the_database_is_not_touched(config):
    clock = FakeClock()
    status, _ = _status(clock, config)
    status.set_state("waiting for network", "searching")
    beat = livestate.read(config.database)
    assert (beat.state, beat.state_detail, beat.at) == (
        "waiting for network",
        "searching",
        clock.now(),
    )
    assert status.live_path == config.database + ".live.json"
    assert not (Path(config.database)).exists()
