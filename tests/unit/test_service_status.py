"""The service's state as the outside sees it, on a fake clock: no modem, no database."""

from antirelou.clock import FakeClock
from antirelou.config import loads
from antirelou.modem import Registration
from antirelou.status import ServiceStatus
from antirelou.systemd import Notifier

CONFIG = loads("modem:\n  port: /dev/x\ndatabase: /tmp/x.db\nalerts:\n  modem_lost_after: 10m\n")


def _status(clock: FakeClock) -> tuple[ServiceStatus, list[tuple[str, str]]]:
    alerts: list[tuple[str, str]] = []
    status = ServiceStatus(
        CONFIG, None, clock, Notifier({}), lambda kind, detail: alerts.append((kind, detail))
    )
    return status, alerts


def test_service_status_alerts_once_when_the_dongle_is_lost_too_long():
    clock = FakeClock()
    status, alerts = _status(clock)
    status.modem_lost("cannot open /dev/x")
    clock.advance(599)
    status.check_lost_too_long()
    assert alerts == []
    clock.advance(1)
    status.modem_lost("still gone")  # the loss is counted from its start, not the last error
    status.check_lost_too_long()
    status.check_lost_too_long()
    assert alerts == [("modem lost", "no dongle for 10m: still gone")]


def test_service_status_a_dongle_found_again_starts_the_count_afresh():
    clock = FakeClock()
    status, alerts = _status(clock)
    status.modem_lost("unplugged")
    clock.advance(500)
    status.modem_found()
    status.modem_lost("unplugged again")
    clock.advance(500)
    status.check_lost_too_long()
    assert alerts == []


def test_service_status_line_names_the_problem_or_the_network():
    status, _ = _status(FakeClock())
    status.set_state("database error", "disk full")
    assert status.line() == "Database error: disk full"
    status.registration = Registration(1, "Orange F", 20)
    status.set_state("running", "home network")
    assert status.line() == "Running: home network, operator Orange F, signal 20/31"
    assert status.problem is None
