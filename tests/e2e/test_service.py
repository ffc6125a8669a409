"""The service as systemd runs it: a process, signals, exit codes, the CLI around it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from conftest import query

from antirelou import livestate
from antirelou.calls import IncomingCall, commit_call
from antirelou.clock import wait_until
from antirelou.config import load
from antirelou.modem import Modem, ModemUnavailable
from antirelou.simulator import SimulatedDongle
from antirelou.store import Store


def spawn(config_path: str, *arguments: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "antirelou", *arguments, "-c", config_path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def antirelou(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "antirelou", *arguments], capture_output=True, text=True, timeout=60
    )


def stops_cleanly_within_10s(process: subprocess.Popen) -> bool:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    return process.wait(10) == 0 and time.monotonic() - started < 10


def wait_running(config) -> bool:
    def running() -> bool:
        beat = livestate.read(config.database)
        return beat is not None and beat.state == "running"

    return wait_until(running, 15)


def test_run_exits_0_within_10s_on_sigterm(dongle, write_config):
    config = load(write_config())
    process = spawn(config.path, "run")
    try:
        assert wait_running(config)
        dongle.inject("+33611111111", "salut")
        assert dongle.wait_for(lambda: len(dongle.sent) == 1, 10)
        assert stops_cleanly_within_10s(process)
    finally:
        process.kill()
        process.communicate()
    assert livestate.read(config.database).state == "stopped"


def test_run_reloads_config_on_sighup_and_refuses_a_broken_one(dongle, write_config):
    path = write_config()
    config = load(path)
    process = spawn(path, "run")
    try:
        assert wait_running(config)
        write_config('replies:\n  text: "Non, c\'est non."\n')
        process.send_signal(signal.SIGHUP)
        assert wait_until(
            lambda: (
                query(config.database, "SELECT COUNT(*) FROM events WHERE kind = 'reloaded'")
                == [(1,)]
            )
        )
        dongle.inject("+33611111111", "salut")
        assert dongle.wait_for(lambda: len(dongle.sent) == 1, 10)
        assert dongle.sent[0].text == "Non, c'est non."

        write_config("replies:\n  cooldwn: 1h\n")
        process.send_signal(signal.SIGHUP)
        assert wait_until(
            lambda: (
                query(config.database, "SELECT COUNT(*) FROM events WHERE kind = 'reload refused'")
                == [(1,)]
            )
        )
        dongle.inject("+33622222222", "toujours là ?")
        assert dongle.wait_for(lambda: len(dongle.sent) == 2, 10)
        assert dongle.sent[1].text == "Non, c'est non."
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        process.kill()
        _, stderr = process.communicate()
    assert "reload refused" in stderr
    assert "replies.cooldwn: unknown key (did you mean 'cooldown'?)" in stderr


def test_run_with_broken_config_names_file_line_key_and_exits_78(tmp_path):
    path = tmp_path / "antirelou.yaml"
    path.write_text("modem:\n  port: /dev/x\n  baudrate: fast\ndatabase: db.sqlite\n")
    result = antirelou("run", "-c", str(path))
    assert result.returncode == 78
    assert f"invalid configuration: {path}:3:3: modem.baudrate:" in result.stderr
    assert "Traceback" not in result.stderr


def test_log_json_and_status_after_a_run(dongle, start_daemon, write_config):
    config = load(write_config())
    runner = start_daemon(config.path)
    dongle.inject("+33611111111", "Réponds 😡")
    dongle.inject("Orange", "Info")
    assert wait_until(
        lambda: (
            len(dongle.sent) == 1
            and query(config.database, "SELECT COUNT(*) FROM replies WHERE status != 'queued'")
            == [(2,)]
        )
    )
    status = antirelou("status", "-c", config.path)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "running since" in status.stdout and "huawei" in status.stdout
    runner.stop()
    lines = antirelou("log", "--json", "-c", config.path).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["sender"], r["text"], r["reply"]["status"]) for r in records] == [
        ("+33611111111", "Réponds 😡", "sent"),
        ("Orange", "Info", "skipped"),
    ]
    assert records[0]["received_at"].endswith("+00:00")
    assert all("reason_code" in record["reply"] for record in records)
    table = antirelou("-c", config.path, "log")
    assert table.returncode == 0 and "skipped: sender 'Orange' is a name" in table.stdout
    stopped = antirelou("status", "-c", config.path)
    assert stopped.returncode == 3 and "NOT RUNNING" in stopped.stdout


def test_check_probes_the_modem_and_prices_the_reply(dongle, write_config):
    path = write_config('replies:\n  text: "Non, c\'est non. Vraiment: même pas en rêve."\n')
    result = antirelou("check", "-c", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "UCS2" in result.stdout and "'ê'" in result.stdout
    assert "huawei E3531" in result.stdout and "home network" in result.stdout


def test_check_says_what_to_do_when_no_modem_is_plugged(write_config):
    result = antirelou("check", "-c", write_config())
    assert result.returncode == 69
    assert "Plug the dongle in" in result.stdout


def test_help_is_readable_for_every_command():
    for command in ("run", "check", "status", "log", "simulate", "demo"):
        result = antirelou(command, "--help")
        assert (
            result.returncode == 0
            and "--config" in result.stdout
            or command in ("simulate", "demo")
        )


def test_stats_json_counts_what_the_service_logged(dongle, start_daemon, write_config):
    config = load(write_config())
    start_daemon(config.path)
    dongle.inject("+33611111111", "un")
    dongle.inject("+33611111111", "deux")
    assert wait_until(
        lambda: (
            len(dongle.sent) == 1
            and query(config.database, "SELECT COUNT(*) FROM replies WHERE status = 'skipped'")
            == [(1,)]
        )
    )
    stats = json.loads(antirelou("stats", "--json", "-c", config.path).stdout)
    assert stats["totals"]["last_24_hours"]["messages"] == 2
    assert stats["top_senders"][0]["sender"] == "+33611111111"
    assert antirelou("stats", "-c", config.path).returncode == 0


def test_log_and_stats_show_calls_beside_messages(write_config):
    config = load(write_config())
    now = datetime.now(UTC)
    with Store(config.database) as store:
        for caller in ("0611111111", None):
            commit_call(store, IncomingCall(caller, now - timedelta(seconds=5)), config, now)
    lines = antirelou("log", "--json", "-c", config.path).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["kind"], r["sender"], r["text"]) for r in records] == [
        ("call", "+33611111111", None),
        ("call", None, None),
    ]
    assert records[0]["reply"]["reason_code"] == "call_not_answered"
    table = antirelou("-c", config.path, "log").stdout.splitlines()
    assert "+33611111111      📞 appel / call" in table[1]
    assert "calls are not answered by SMS (calls.reply: false)" in table[1]
    assert "📞 appel / call (numéro masqué / hidden number)" in table[2]
    only = antirelou("log", "--json", "--sender", "0611111111", "-c", config.path).stdout
    assert [json.loads(line)["kind"] for line in only.splitlines()] == ["call"]
    stats = json.loads(antirelou("stats", "--json", "-c", config.path).stdout)
    day = stats["totals"]["last_24_hours"]
    assert (day["messages"], day["calls"], day["callers"]) == (0, 2, 1)
    assert sum(bucket["calls"] for bucket in stats["messages_per_day"]) == 2
    text = antirelou("stats", "-c", config.path).stdout
    assert "Calls per day (max " in text and "Messages per hour: none" in text


def test_second_service_on_the_same_modem_is_refused(dongle, start_daemon, write_config):
    config = load(write_config())
    start_daemon(config.path)
    result = antirelou("check", "-c", config.path)
    assert result.returncode == 0 and "the service is running" in result.stdout
    with pytest.raises(ModemUnavailable, match="another antirelou holds it"):
        Modem(config.modem, threading.Event()).open()


def test_usage_error_exits_64():
    assert antirelou("frobnicate").returncode == 64


def test_sigterm_during_a_stuck_send_exits_0_within_10s_and_marks_it_unknown(dongle, write_config):
    config = load(write_config(modem_extra="send_timeout: 2m\n"))
    process = spawn(config.path, "run")
    try:
        assert wait_running(config)
        dongle.slow_next("AT+CMGS", 60)
        dongle.inject("+33611111111", "salut")
        assert dongle.wait_for(lambda: any(c.startswith("AT+CMGS") for c in dongle.command_log), 10)
        assert stops_cleanly_within_10s(process)
    finally:
        process.kill()
        process.communicate()
    assert query(config.database, "SELECT status FROM replies") == [("unknown",)]


def test_check_trace_records_the_exchange_masked_and_deletes_nothing(tmp_path, write_config):
    link = str(tmp_path / "modem")
    with SimulatedDongle(link, profile="huawei", pin="4321", command_latency=0.0) as dongle:
        dongle.preload([("+33612345678", "je sais où tu habites")])
        path = write_config(modem_extra='pin: "4321"\n')
        trace = tmp_path / "trace.txt"
        result = antirelou("check", "-c", path, "--trace", str(trace), "--listen", "1s")
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"trace: written to {trace}" in result.stdout
        recorded = trace.read_text(encoding="utf-8")
        assert "AT+CPMS=?" in recorded and "AT+CMGL=4" in recorded and "AT+CMGD" not in recorded
        assert "<PDU SMS-DELIVER" in recorded
        for secret in ("4321", "12345678", "habites", "861234056789012"):
            assert secret not in recorded
        assert len(dongle.stored_in("SM")) == 1  # nothing deleted
