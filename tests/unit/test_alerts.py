"""Alerts to the operators: their own reserve, still one per kind per min_interval."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from antirelou.alerts import Alerter
from antirelou.config import AlertsConfig, BudgetsConfig, loads
from antirelou.reasons import Reason
from antirelou.store import Store

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
BASE = loads("modem:\n  port: /dev/x\ndatabase: /tmp/x.db\n")


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "log.db")) as opened:
        yield opened


def alerter(store, *, reserve=10, numbers=("+33600000001", "+33600000002"), budgets=None):
    config = replace(
        BASE,
        alerts=AlertsConfig(numbers=numbers, reserve=reserve, min_interval=60),
        budgets=budgets or BASE.budgets,
    )
    return Alerter(config, store)


def alerts(store):
    return [
        (row[0], row[1], row[2])
        for row in store.read("SELECT kind, status, reason_code FROM alerts ORDER BY id")
    ]


def test_an_alert_is_sent_when_the_replies_budgets_are_all_spent(store):
    spent = BudgetsConfig(segments_per_hour=0, segments_per_day=0, segments_per_month=0)
    assert alerter(store, budgets=spent).raise_alert("daily budget spent", "300 of 300", NOW)
    assert alerts(store) == [("daily budget spent", "queued", Reason.ALERT.value)] * 2


def test_the_reserve_limits_alert_sms_over_24_hours_then_frees_up(store):
    operators = alerter(store, reserve=3)
    assert operators.raise_alert("flood mode on", "x", NOW)
    assert operators.raise_alert("flood mode off", "x", NOW + timedelta(minutes=1))
    assert [status for _, status, _ in alerts(store)] == ["queued", "queued", "queued", "skipped"]
    assert alerts(store)[-1][2] == Reason.ALERT_RESERVE.value
    assert operators.raise_alert("flood mode on", "x", NOW + timedelta(hours=25))
    assert [status for _, status, _ in alerts(store)][-2:] == ["queued", "queued"]


def test_an_alert_of_a_kind_is_raised_once_per_min_interval(store):
    operators = alerter(store)
    assert operators.raise_alert("flood mode on", "x", NOW)
    assert not operators.raise_alert("flood mode on", "x", NOW + timedelta(seconds=30))
    assert operators.raise_alert("flood mode on", "x", NOW + timedelta(seconds=61))


def test_a_budget_that_stays_spent_is_told_once_a_day(store):
    operators = alerter(store)
    day = 86400
    assert operators.raise_alert("daily budget spent", "x", NOW, every=day)
    later = NOW + timedelta(hours=2)
    assert not operators.raise_alert("daily budget spent", "x", later, every=day)
    assert operators.raise_alert("flood mode on", "x", later)  # other kinds are not held
    assert operators.raise_alert("daily budget spent", "x", NOW + timedelta(days=1), every=day)
