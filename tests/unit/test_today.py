"""One "today" for every command: the local day (issue 7, defect 3)."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from antirelou.cli import main
from antirelou.clock import local_day_start
from antirelou.store import Store, iso


@pytest.fixture(autouse=True)
def local_time_paris(monkeypatch):
    """Run in Paris time (UTC+1 or +2), so that local and UTC days begin at different times."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def log_message(store: Store, received_at: datetime) -> None:
    with store.transaction() as db:
        store.insert_message(
            db,
            pdu_ids=[],
            sender="+33612345678",
            sender_kind="phone",
            text="relou",
            smsc_time=None,
            received_at=iso(received_at.astimezone(UTC)),
            parts_expected=1,
            encoding="gsm7",
            error=None,
        )


def run_json(capsys, *arguments: str) -> dict:
    main(list(arguments))
    return json.loads(capsys.readouterr().out)


def test_status_and_stats_count_a_message_after_local_midnight_as_today(tmp_path, capsys):
    database = tmp_path / "antirelou.db"
    config = tmp_path / "antirelou.yaml"
    config.write_text(f"modem:\n  port: /dev/null\ndatabase: {database}\n", encoding="utf-8")
    now = datetime.now(UTC)
    midnight = local_day_start(now)
    # 00:30 local time, when Paris is already past it; the day before in UTC either way.
    received = midnight + min(timedelta(minutes=30), (now - midnight) / 2)
    with Store(str(database)) as store:
        log_message(store, received)
        log_message(store, midnight - timedelta(minutes=1))  # yesterday, local time
    status = run_json(capsys, "status", "--json", "-c", str(config))
    stats = run_json(capsys, "stats", "--json", "-c", str(config))
    assert stats["messages_per_day"][-1]["count"] == 1
    assert status["today"]["messages"] == 1
