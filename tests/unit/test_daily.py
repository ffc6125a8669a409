"""Once a local day the service purges and writes a checkpoint, to journald and by SMS to the
operators; the device is recorded when it changes. On a real log, with a fake clock."""

from __future__ import annotations

import logging

import pytest
from evidence_log import START, config_for, receive, tamper

from antirelou.alerts import Alerter
from antirelou.clock import FakeClock
from antirelou.daily import DailyTasks
from antirelou.equipment import Equipment
from antirelou.modem import Identity
from antirelou.store import Store
from antirelou.store.dossier import latest_device

OPERATOR = "+33600000001"
DAY = 86400


@pytest.fixture
def service(tmp_path):
    config = config_for(
        str(tmp_path / "log.db"), f'alerts:\n  numbers: ["{OPERATOR}"]\n  min_interval: 1m\n'
    )
    clock = FakeClock(START)
    with Store(config.database) as store:
        alerter = Alerter(config, store)

        def alert(kind: str, detail: str) -> None:
            alerter.raise_alert(kind, detail, clock.now())

        yield store, config, clock, alert


def _alerts(store: Store) -> list[tuple[str, str, str]]:
    return [
        tuple(row) for row in store.read("SELECT kind, recipient, text FROM alerts ORDER BY id")
    ]


def test_a_checkpoint_each_local_day_to_journald_and_the_operators(service, caplog):
    store, config, clock, alert = service
    receive(store, config, [("+33611111111", "salut")], START)
    tasks = DailyTasks(store, clock, alert)
    tasks.run_if_due(config)
    assert store.last_checkpoint("daily") is None  # a new log: the first at next midnight
    clock.advance(DAY)
    with caplog.at_level(logging.WARNING, logger="antirelou"):
        tasks.run_if_due(config)
    checkpoint = store.last_checkpoint("daily")
    assert checkpoint.size == store.read("SELECT COUNT(*) FROM ledger")[0][0] == 3
    assert f"keep a copy off the Pi: {checkpoint.text()}" in caplog.text
    kind, recipient, text = _alerts(store)[-1]
    assert (kind, recipient) == ("checkpoint", OPERATOR)
    assert text == f"antirelou: checkpoint. {checkpoint.text()}"
    assert len(text) <= 160  # one SMS, from the alerts' reserve
    # Once a day, including after a restart (memory follows the database).
    clock.advance(3600)
    tasks.run_if_due(config)
    DailyTasks(store, clock, alert).run_if_due(config)
    assert len(store.read("SELECT id FROM checkpoints WHERE why = 'daily'")) == 1


def test_a_log_rewritten_under_yesterdays_checkpoint_alerts_the_operators(service):
    store, config, clock, alert = service
    receive(store, config, [("+33611111111", "salut"), ("+33622222222", "re")], START)
    tasks = DailyTasks(store, clock, alert)
    clock.advance(DAY)
    tasks.run_if_due(config)
    tamper(config.database, "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 1")
    receive(store, config, [("+33633333333", "encore")], clock.now())
    clock.advance(DAY)
    tasks.run_if_due(config)
    assert [kind for kind, _, _ in _alerts(store)] == ["checkpoint", "log altered", "checkpoint"]


def test_the_device_is_recorded_when_it_changes(service):
    store, _, clock, _ = service
    synchronised = [False]
    equipment = Equipment(store, clock, synchronised=lambda: synchronised[0])
    identity = Identity(
        "huawei", "E3531", "22.521.23.00.00", "861234056789012",
        "208011234567890", "8933010319000123456", "+33612345678",
    )  # fmt: skip
    equipment.note(identity, "Orange F")
    equipment.note(identity, "Orange F")
    assert store.read("SELECT COUNT(*) FROM device")[0][0] == 1
    synchronised[0] = True  # the network set the clock
    equipment.note(identity, "Orange F")
    Equipment(store, clock, synchronised=lambda: True).note(identity, "Orange F")
    assert store.read("SELECT COUNT(*) FROM device")[0][0] == 2
    device = latest_device(store)
    assert (device.imsi, device.iccid, device.own_number) == (
        "208011234567890",
        "8933010319000123456",
        "+33612345678",
    )
    assert device.clock_synchronised is True and device.modem_firmware == "22.521.23.00.00"
