"""`antirelou status`: the typed heartbeat, today (the local day, as `stats` counts it) and the
one list of budgets."""

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from operator_log import add_message, paris_time

from antirelou import exits, livestate
from antirelou.checks import describe_costs
from antirelou.cli import main
from antirelou.clock import local_day_start
from antirelou.config import load
from antirelou.heartbeat import Heartbeat, ModemIdentity
from antirelou.store import Store


@pytest.fixture(autouse=True)
def local_time_paris(monkeypatch):
    with paris_time(monkeypatch):
        yield


@pytest.fixture
def config_path(tmp_path):
    path = tmp_path / "antirelou.yaml"
    path.write_text(
        f"modem:\n  port: /dev/null\ndatabase: {tmp_path / 'antirelou.db'}\n"
        "budgets:\n  segments_per_month: unlimited\n",
        encoding="utf-8",
    )
    Store(str(tmp_path / "antirelou.db")).close()
    return str(path)


def write_heartbeat(config_path: str, state: str = "running", **fields) -> Heartbeat:
    now = datetime.now(UTC).replace(microsecond=0)  # the log keeps milliseconds
    beat = Heartbeat(
        pid=os.getpid(),
        at=now - timedelta(seconds=2),
        started_at=datetime(2026, 3, 8, 11, 0, tzinfo=UTC),
        state=state,
        **fields,
    )
    database = load(config_path).database
    Store(database).close()  # the log exists: the service has run
    livestate.write(livestate.write_path(database), beat)
    return beat


def status(capsys, config_path: str, *options: str) -> tuple[int, str]:
    code = main(["status", "-c", config_path, *options])
    return code, capsys.readouterr().out


def test_status_shows_the_heartbeat_fields_and_each_budget(capsys, config_path):
    write_heartbeat(
        config_path,
        port="/dev/antirelou-modem",
        modem=ModemIdentity("huawei", "E3531", "21.0", "861234056789012"),
        network="home network, operator Orange F, signal 20/31",
        storages=(("ME", 3, 23), ("SM", 0, 0)),
        flood_since=datetime(2026, 3, 8, 11, 30, tzinfo=UTC),
    )
    code, out = status(capsys, config_path)
    assert code == exits.OK
    lines = out.splitlines()
    assert lines[0].startswith(f"antirelou: running since 2026-03-08 12:00:00 (pid {os.getpid()})")
    assert "  modem:    huawei E3531 on /dev/antirelou-modem (IMEI 861234056789012)" in lines
    assert "  network:  home network, operator Orange F, signal 20/31" in lines
    assert "  storage:  ME 3/23, SM 0/0 slots used" in lines
    assert (
        "  FLOOD MODE since 2026-03-08 12:30:00: only numbers never answered get a reply,"
        " held and sent within the flood budgets" in lines
    )
    budgets = lines[lines.index("  budgets:") + 1 :]
    assert budgets == [
        "    last hour: 0/60 SMS, 60 left",
        "    last 24h:  0/300 SMS, 300 left",
        "    30 days:   0 SMS (unlimited)",
        "    30 days:   0/140 numbers, 140 left",
        "    flood mode, last hour: 0/10 SMS, 10 left",
        "    raids, 30 days: 0 SMS (unlimited)",
        "    raids, 30 days: 0/35 numbers, 35 left",
        "    alerts, last 24h: 0/10 SMS, 10 left",
    ]


def test_status_of_a_stopped_service_names_its_problem_and_exits_3(capsys, config_path):
    write_heartbeat(config_path, state="stopped", state_detail="the SIM asks for its PIN")
    code, out = status(capsys, config_path)
    assert code == exits.NOT_RUNNING
    assert out.startswith("antirelou: NOT RUNNING (last seen ")
    assert "state stopped)" in out.splitlines()[0]
    assert "  problem:  the SIM asks for its PIN" in out.splitlines()


def test_status_json_prints_the_heartbeat_record_as_it_is(capsys, config_path):
    beat = write_heartbeat(config_path, port="/dev/x", storages=(("ME", 0, 20),))
    code, out = status(capsys, config_path, "--json")
    printed = json.loads(out)
    assert code == exits.OK and printed["running"] is True
    expected = beat.as_json(datetime.now(UTC))
    assert printed["heartbeat"].keys() == expected.keys()
    assert {key: value for key, value in printed["heartbeat"].items() if key != "age"} == {
        key: value for key, value in expected.items() if key != "age"
    }
    assert printed["budgets"][0] == "last hour: 0/60 SMS, 60 left"
    assert printed["today"]["messages"] == 0 and printed["recent_events"] == []


def test_status_of_a_database_never_run_exits_3(capsys, config_path):
    code, out = status(capsys, config_path)
    assert code == exits.NOT_RUNNING
    assert out == "antirelou: has never run with this database\n"
    code, out = status(capsys, config_path, "--json")
    assert code == exits.NOT_RUNNING and json.loads(out)["heartbeat"] is None


def test_status_and_stats_count_a_message_after_local_midnight_as_today(capsys, config_path):
    # Issue 7, defect 3: `status` counted the UTC day and `stats` the local day.
    now = datetime.now(UTC)
    midnight = local_day_start(now)
    # 00:30 local time, when Paris is already past it; the day before in UTC either way.
    received = midnight + min(timedelta(minutes=30), (now - midnight) / 2)
    with Store(load(config_path).database) as store:
        add_message(store, "+33612345678", received)
        add_message(store, "+33612345678", midnight - timedelta(minutes=1))  # yesterday, local
    today = json.loads(status(capsys, config_path, "--json")[1])["today"]
    main(["stats", "--json", "-c", config_path])
    stats = json.loads(capsys.readouterr().out)
    assert stats["messages_per_day"][-1]["count"] == 1
    assert today["messages"] == 1


def test_check_prices_the_worst_case_from_the_budgets(config_path, tmp_path):
    path = tmp_path / "hourly.yaml"
    path.write_text(
        f"modem:\n  port: /dev/null\ndatabase: {tmp_path / 'x.db'}\n"
        "budgets:\n  segments_per_hour: 4\n  segments_per_day: 200\n",
        encoding="utf-8",
    )
    assert describe_costs(load(str(path)))[-3:] == [
        "worst case: 96 SMS a day for replies (budgets), each costing up to 1 SMS, and 10 for"
        " alerts (alerts.reserve)",
        "            3000 SMS over 30 days",
        "a raid: its replies spend at most 35 numbers and 750 SMS over 30 days (25% of the monthly"
        " budgets, flood.share_of_month), at most 10 SMS an hour while it lasts; at least 105"
        " numbers stay for the weeks after",
    ]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            "flood:\n  share_of_month: 10%\nbudgets:\n  segments_per_month: unlimited\n",
            "a raid: its replies spend at most 14 numbers over 30 days (10% of the monthly"
            " budgets, flood.share_of_month), at most 10 SMS an hour while it lasts; at least 126"
            " numbers stay for the weeks after",
        ),
        (
            "budgets:\n  segments_per_month: unlimited\n  numbers_per_month: unlimited\n",
            "a raid: the 30-day budgets are unlimited, so flood.share_of_month limits nothing:"
            " only the hourly and daily budgets bound what a raid spends",
        ),
        (
            "flood:\n  enabled: false\n",
            "a raid: flood detection is off (flood.enabled: false): a raid spends the budgets"
            " like ordinary messages, up to the whole month's",
        ),
    ],
)
def test_check_shows_the_worst_a_raid_can_spend(tmp_path, settings, expected):
    path = tmp_path / "raid.yaml"
    path.write_text(
        f"modem:\n  port: /dev/null\ndatabase: {tmp_path / 'x.db'}\n{settings}", encoding="utf-8"
    )
    assert describe_costs(load(str(path)))[-1] == expected
