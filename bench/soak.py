"""Soak bench: a steady inbound rate and a random fault every minute; is anything lost?

The simulated dongle has realistic timings (one 30-slot SIM storage, 20 ms per AT command,
1 to 3 s per sent segment, 115200 baud). A pool of senders writes at a steady rate (one
message a second by default; the mix of bench/common.message_mix: short GSM 7-bit, short
UCS-2, two-part texts). The daemon runs as a subprocess with replies on (a sequence of
distinct texts, one step a minute per number at most, budgets unlimited and flood mode off,
so that nothing hides a reply sent twice), command_timeout 3s, poll_interval 5s, logging
warning.

Every --fault-every seconds the bench draws one fault (a shuffled deck of every kind, dealt
again when spent): the dongle unplugged 2-10 s then replugged, hung 5-40 s, garbage bytes
(invalid UTF-8) between answers, garbage inside the next AT+CMGL answer, +CMS ERROR on
AT+CMGL, AT+CMGD or AT+CMGS, a slow answer, a storage-full notice, a malformed PDU stored,
a modem reboot; and two process faults: SIGKILL of the daemon, restarted 1-3 s later as
systemd's Restart= would, and the database write-locked 5-20 s by the bench (BEGIN
EXCLUSIVE): the daemon must keep the messages on the modem, then resume. A daemon that
exits on its own is restarted after RestartSec (10 s, as the unit) and counted.

Every 0.5 s a read-only connection samples the heartbeat (state, pid) and /proc gives the
daemon's memory. At the end the faults stop, the bench waits for the storage and the
network queue to empty and every message to be logged, stops the daemon (SIGTERM, exit 0
expected) and checks: every injected (sender, text) logged once (malformed PDUs: logged
flagged with an error), no reply sent twice (per number and text in what the dongle sent,
against the replies table), replies whose outcome is 'unknown', reconnects, the longest
outage (longest time without any PDU committed, and longest time the heartbeat was not
'running'), memory at start and at end.

    .venv/bin/python bench/soak.py                 # 5 minutes, a fault every 30 s
    .venv/bin/python bench/soak.py --full          # 60 minutes, a fault every 60 s
    options: [--minutes N] [--fault-every SECONDS] [--rate 1] [--senders 15]
             [--faults KIND,KIND...] [--settle-timeout 600] [--seed 2017] [--keep] [--json]

Exit status: 0 measured and every check passed, 1 a check failed, 2 no measure (the
daemon could not start, a time-out, a misconfiguration).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import soak_checks
from common import (
    CHECK_FAILED,
    NO_MEASURE,
    BenchError,
    Sms,
    check_text,
    command_seen,
    connect_readonly,
    decimal_text,
    dump_json,
    message_mix,
    read_usage,
    stop_on_signals,
    table,
    wait_for,
    wait_for_dongle,
)
from sampling import Sampler
from soak_faults import FAULT_KINDS, Faults, faults_log_summary
from supervisor import RESTART_SEC, Service

from antirelou import config as config_module
from antirelou import exits
from antirelou.clock import wait_until
from antirelou.simulator import SimulatedDongle

SHORT_MINUTES = 5
FULL_MINUTES = 60
SLOTS = 30  # one SIM storage, as on a cheap dongle
LATENCY = 0.02  # seconds per AT command
SEND_LATENCY = (1.0, 3.0)  # seconds per sent segment
BAUD = 115200
COMMAND_TIMEOUT = 3  # seconds (modem.command_timeout)
SEND_TIMEOUT = 10  # seconds (modem.send_timeout): a slow AT+CMGS may outlast it
POLL = 5  # seconds (modem.poll_interval)
RETRY_BACKOFF = 5  # seconds (replies.retry.backoff)
SAMPLE_EVERY = 0.5  # heartbeat and memory sampler period, seconds
STARTUP_TIMEOUT = 60.0
WATCHDOG_SEC = 90.0  # systemd/antirelou.service: WatchdogSec=90s
REPLY_SETTLE = 180.0  # seconds to wait for queued replies at the end
MALFORMED_SENDER = "+33612345678"  # the simulator's broken PDUs come "from" it


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Steady inbound SMS and a random fault every minute through the simulated "
        "dongle; check nothing is lost and nobody is answered twice."
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"the issue's run: {FULL_MINUTES} minutes, a fault every 60 s",
    )
    parser.add_argument(
        "--minutes",
        type=float,
        metavar="N",
        help=f"length of the faulty phase (default {SHORT_MINUTES}; --full {FULL_MINUTES})",
    )
    parser.add_argument(
        "--fault-every",
        type=float,
        metavar="SECONDS",
        help="one random fault per this many seconds (default 60; 30 for runs "
        "shorter than 30 minutes, so that the 5-minute default gets 10)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=1.0,
        metavar="PER_SECOND",
        help="inbound messages per second (default 1)",
    )
    parser.add_argument(
        "--senders",
        type=int,
        default=15,
        metavar="P",
        help="pool of sender numbers (default 15; each may be answered once a minute)",
    )
    parser.add_argument(
        "--faults",
        metavar="KIND,...",
        help=f"only these kinds of fault (default all: {','.join(FAULT_KINDS)})",
    )
    parser.add_argument(
        "--settle-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="after the faults, wait this long at most for every message to be "
        "logged and the storage to empty (default 600)",
    )
    parser.add_argument("--seed", type=int, default=2017, help="seed of the traffic and faults")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the working directory (database, config, daemon logs); it is "
        "kept anyway when a check fails",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args(argv)
    if arguments.minutes is None:
        arguments.minutes = FULL_MINUTES if arguments.full else SHORT_MINUTES
    if arguments.fault_every is None:
        arguments.fault_every = 60.0 if arguments.minutes >= 30 else 30.0
    kinds = (
        FAULT_KINDS
        if arguments.faults is None
        else tuple(kind.strip() for kind in arguments.faults.split(",") if kind.strip())
    )
    unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
    if unknown or not kinds:
        parser.error(
            f"--faults: unknown kind(s) {', '.join(unknown) or '(none given)'}; "
            f"choose among {', '.join(FAULT_KINDS)}"
        )
    arguments.fault_kinds = kinds
    if (
        not 0 < arguments.minutes <= 24 * 60
        or not 5 <= arguments.fault_every <= 3600
        or not 0.05 <= arguments.rate <= 20
        or not 1 <= arguments.senders <= 10000
        or arguments.settle_timeout < 30
    ):
        parser.error(
            "need 0 < --minutes <= 1440, 5 <= --fault-every <= 3600, "
            "0.05 <= --rate <= 20, 1 <= --senders <= 10000, --settle-timeout >= 30"
        )
    return arguments


# --- the configuration ---------------------------------------------------------------------

CONFIG = """\
# Written by bench/soak.py; see etc/antirelou.yaml for every key.
modem:
  port: {port}
  baudrate: {baud}
  poll_interval: {poll}s
  command_timeout: {command_timeout}s
  send_timeout: {send_timeout}s
database: {database}
replies:
  enabled: true
  # One distinct text per step, so that what the dongle sent tells which reply it was.
  sequence:
{sequence}
  cooldown: 1m
  restart_after: {restart_after}
  delay: 0s
  retry:
    attempts: 3
    backoff: {backoff}s
budgets:
  segments_per_hour: unlimited
  segments_per_day: unlimited
  segments_per_month: unlimited
  numbers_per_month: unlimited
flood:
  enabled: false
logging:
  level: warning
"""


def step_text(step: int) -> str:
    return f"Si une femme dit non, inutile d'insister. ({step})"


def write_soak_config(directory: str, port: str, minutes: float) -> str:
    """Write the bench's config in `directory`; return its path. Raise BenchError if the
    daemon's own loader refuses it.
    """
    steps = int(minutes) + 10  # at most one reply a minute per number: never finished
    path = os.path.join(directory, "antirelou.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            CONFIG.format(
                port=port,
                baud=BAUD,
                poll=POLL,
                command_timeout=COMMAND_TIMEOUT,
                send_timeout=SEND_TIMEOUT,
                database=os.path.join(directory, "antirelou.db"),
                sequence="\n".join(f'    - "{step_text(step)}"' for step in range(1, steps + 1)),
                restart_after=f"{max(1, int(minutes // 60) + 2)}h",
                backoff=RETRY_BACKOFF,
            )
        )
    try:
        config_module.load(path)
    except config_module.ConfigError as error:
        raise BenchError(f"the bench's config is refused:\n{error}") from error
    return path


# --- the traffic -------------------------------------------------------------------------


def build_traffic(count: int, senders: int, seed: int) -> list[Sms]:
    """message_mix's texts (70 % short GSM 7-bit, 20 % short UCS-2, 10 % two parts), each
    sent by one of a pool of `senders` French mobile numbers, drawn at random.
    """
    rng = random.Random(seed + 1)
    pool: list[str] = []
    while len(pool) < senders:
        number = "+33" + rng.choice("67") + "".join(rng.choice("0123456789") for _ in range(8))
        if number not in pool and number != MALFORMED_SENDER:
            pool.append(number)
    return [replace(sms, sender=rng.choice(pool)) for sms in message_mix(count, seed)]


# --- the run -------------------------------------------------------------------------------


@dataclass
class Run:
    arguments: argparse.Namespace
    messages: list[Sms]
    directory: str = ""
    t0: float = 0.0  # time.time() of the first injection
    injected_at: list[float] = field(default_factory=list)
    faults_end: float = 0.0
    settled_at: float = 0.0
    settled: bool = False
    replies_settled: bool = False
    stuck_sending: int = 0  # replies still 'sending' in a live daemon with nothing to send
    exit_code: int | None = None
    end_usage_rss: int | None = None


def inject_steadily(dongle: SimulatedDongle, run: Run, stop: threading.Event) -> None:
    period = 1.0 / run.arguments.rate
    for number, sms in enumerate(run.messages):
        delay = run.t0 + number * period - time.time()
        if delay > 0 and stop.wait(delay):
            return
        dongle.inject(sms.sender, sms.text)
        run.injected_at.append(time.time())


def logged_pairs(database: str) -> Counter[tuple[str, str]]:
    with closing(connect_readonly(database)) as db:
        return Counter(
            (sender, text)
            for sender, text in db.execute("SELECT sender, text FROM messages WHERE error IS NULL")
        )


def wait_settled(
    dongle: SimulatedDongle,
    service: Service,
    database: str,
    expected: Counter[tuple[str, str]],
    timeout: float,
) -> bool:
    """Wait until the storage and the network queue are empty and every injected message
    is logged; return whether that happened within `timeout` seconds. Raise BenchError if
    the daemon exited in a way systemd would not restart.
    """

    def settled() -> bool:
        service.raise_if_fatal()
        if dongle.stored() or dongle.pending_network:
            return False
        try:
            return not expected - logged_pairs(database)
        except sqlite3.Error:
            return False

    return wait_until(settled, timeout, interval=1.0)


def count_replies(database: str, statuses: str) -> int:
    try:
        with closing(connect_readonly(database)) as db:
            return db.execute(
                f"SELECT COUNT(*) FROM replies WHERE status IN {statuses}"  # noqa: S608 - ours
            ).fetchone()[0]
    except sqlite3.Error:
        return -1


def wait_replies(database: str, timeout: float) -> tuple[bool, int]:
    """Wait until no reply is queued, then up to SEND_TIMEOUT + 5 s more until none is
    being sent; return (whether the queue emptied, replies still 'sending' then). A live
    daemon sends one reply at a time: a row left 'sending' after that is stuck.
    """
    if not wait_until(lambda: count_replies(database, "('queued')") == 0, timeout, interval=1.0):
        return False, count_replies(database, "('sending')")
    wait_until(lambda: count_replies(database, "('sending')") <= 0, SEND_TIMEOUT + 5, interval=0.5)
    return True, max(0, count_replies(database, "('sending')"))


def wait_for_moment(service: Service, moment: float) -> None:
    """Wait until time.time() reaches `moment`. Raise BenchError if the daemon exited in a way
    systemd would not restart meanwhile."""

    def reached() -> bool:
        service.raise_if_fatal()
        return time.time() >= moment

    wait_until(reached, max(0.0, moment - time.time()) + 1.0, interval=0.05)


def soak(arguments: argparse.Namespace, messages: list[Sms], directory: str) -> dict:
    """Run the whole soak in `directory`; return the figures."""
    run = Run(arguments, messages, directory)
    link = os.path.join(directory, "modem")
    database = os.path.join(directory, "antirelou.db")
    rng = random.Random(arguments.seed)
    dongle = SimulatedDongle(
        link,
        memories={"SM": SLOTS},
        command_latency=LATENCY,
        send_latency=SEND_LATENCY,
        baudrate=BAUD,
        seed=arguments.seed,
    )
    dongle.start()
    offset = time.time() - time.monotonic()  # faults_log is in monotonic time
    service = Service(write_soak_config(directory, link, arguments.minutes), directory)
    sampler = Sampler(
        database,
        dongle,
        service.current,
        every=SAMPLE_EVERY,
        tick=service.check,
        on_sample=service.observe,
    )
    faults = Faults(dongle, service, database, arguments.fault_kinds, rng)
    stop_injecting = threading.Event()
    injector = threading.Thread(
        target=inject_steadily,
        args=(dongle, run, stop_injecting),
        name="soak-injector",
        daemon=True,
    )
    try:
        daemon = service.start()
        wait_for_dongle(
            dongle,
            command_seen(dongle, "AT+CMGL"),
            STARTUP_TIMEOUT,
            daemon,
            "the daemon's first AT+CMGL",
        )
        sampler.start()
        wait_for(
            lambda: service.record.start_rss is not None,
            STARTUP_TIMEOUT,
            daemon,
            "the heartbeat to say 'running'",
            interval=0.1,
        )
        run.t0 = time.time() + 0.5
        injector.start()
        duration = arguments.minutes * 60
        when = arguments.fault_every / 2
        while when < duration:
            wait_for_moment(service, run.t0 + when)
            record = faults.inject()
            if not arguments.json:
                print(
                    f"  +{when:6.0f} s  fault {record.number}: {record.kind}: {record.detail}",
                    file=sys.stderr,
                    flush=True,
                )
            when += arguments.fault_every
        wait_for_moment(service, run.t0 + duration)
        stop_injecting.set()
        injector.join(10)
        faults.finish()
        run.faults_end = time.time()
        dongle.clear_faults()  # armed faults that never fired
        service.wait_running(RESTART_SEC + STARTUP_TIMEOUT)
        if not arguments.json:
            print(
                "faults over; waiting for every message to be logged...",
                file=sys.stderr,
                flush=True,
            )
        injected = Counter((sms.sender, sms.text) for sms in messages[: len(run.injected_at)])
        run.settled = wait_settled(dongle, service, database, injected, arguments.settle_timeout)
        run.settled_at = time.time()
        if run.settled:
            run.replies_settled, run.stuck_sending = wait_replies(database, REPLY_SETTLE)
        time.sleep(2 * SAMPLE_EVERY)
        current = service.current()
        if current is not None and current.alive():
            run.end_usage_rss = read_usage(current.pid).rss
        sampler.stop()
        run.exit_code = service.stop()
        save_dongle_logs(dongle, directory, offset)
        return analyse(run, dongle, service, sampler, faults, database)
    finally:
        stop_injecting.set()
        sampler.halt.set()
        service.stop()
        dongle.stop()


def save_dongle_logs(dongle: SimulatedDongle, directory: str, offset: float) -> None:
    """Write the dongle's command log and faults log next to the daemon's logs."""
    with open(os.path.join(directory, "dongle-commands.log"), "w", encoding="utf-8") as handle:
        handle.writelines(f"{line}\n" for line in dongle.command_log)
    with open(os.path.join(directory, "dongle-faults.log"), "w", encoding="utf-8") as handle:
        for at, description in dongle.faults_log:
            stamp = datetime.fromtimestamp(at + offset, UTC).strftime("%H:%M:%S.%f")[:-3]
            handle.write(f"{stamp} {description}\n")
    with open(os.path.join(directory, "dongle-sent.log"), "w", encoding="utf-8") as handle:
        for message in dongle.sent:
            handle.write(
                f"{message.time:%H:%M:%S.%f} {message.number} {message.references} {message.text}\n"
            )


# --- the analysis --------------------------------------------------------------------------


def daemon_log_lines(paths: list[str]) -> list[str]:
    """The lines of the daemon's logs that can be read, in order."""
    lines: list[str] = []
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines += handle.read().splitlines()
        except OSError:
            continue
    return lines


def analyse(
    run: Run,
    dongle: SimulatedDongle,
    service: Service,
    sampler: Sampler,
    faults: Faults,
    database: str,
) -> dict:
    """Read the log and gather what the bench saw; return the figures and their checks."""
    arguments = run.arguments
    injected = run.messages[: len(run.injected_at)]
    pairs = [(sms.sender, sms.text) for sms in injected]
    with closing(connect_readonly(database)) as db:
        rows = db.execute("SELECT id, sender, text, error FROM messages").fetchall()
        pdu_rows = db.execute("SELECT received_at, pdu, message_id FROM pdus").fetchall()
        replies = db.execute(
            "SELECT message_id, recipient, text, status, error FROM replies"
        ).fetchall()
        events = Counter(kind for (kind,) in db.execute("SELECT kind FROM events"))
        on_modem = db.execute("SELECT COUNT(*) FROM pdus WHERE on_modem = 1").fetchone()[0]

    commits = sorted(soak_checks.epoch(received_at) for received_at, _, _ in pdu_rows)
    end = max(commits) if commits else run.faults_end
    fault_rows = soak_checks.fault_figures(faults.records, commits, run.t0, end)
    faults_summary = faults_log_summary(dongle.faults_log)
    for record in faults.records:
        if record.kind in ("sigkill", "db-lock"):
            faults_summary[f"(bench) {record.kind}"] += 1
    drawn = Counter(record.kind for record in faults.records)
    records = service.records
    figures = {
        "settings": {key: value for key, value in vars(arguments).items()},
        "directory": run.directory,
        "seconds": (run.faults_end - run.t0),
        "settle_seconds": run.settled_at - run.faults_end,
        "settled": run.settled,
        "replies_settled": run.replies_settled,
        "stuck_sending": run.stuck_sending,
        "delivered": len(injected),
        "delivered_kinds": dict(Counter(sms.kind for sms in injected)),
        "pdus_delivered": sum(sms.segments for sms in injected),
        "malformed_injected": faults.malformed,
        **soak_checks.message_figures(pairs, rows, pdu_rows),
        "pdus_still_marked_on_modem": on_modem,
        "stored_at_end": len(dongle.stored()),
        "network_queue_at_end": dongle.pending_network,
        **soak_checks.latency_figures(
            soak_checks.reception_latencies(pairs, run.injected_at, rows, pdu_rows)
        ),
        **soak_checks.reply_figures(
            replies, [(message.number, message.text) for message in dongle.sent]
        ),
        "events": dict(events),
        "connected": events["connected"],
        "reconnects": max(0, events["connected"] - 1),
        "modem_lost_events": events["modem lost"],
        "modem_resets": events["modem reset"],
        "sigkills": drawn["sigkill"],
        "unexpected_exits": [{**exit_, "at": exit_["at"] - run.t0} for exit_ in service.unexpected],
        **soak_checks.outage_figures(commits, sampler.samples, run.t0, end, run.settled_at),
        "sampler_errors": dict(sampler.errors),
        **soak_checks.process_figures(records, run.t0, run.end_usage_rss),
        "exit_code": run.exit_code,
        "log": soak_checks.log_figures(daemon_log_lines([record.log_path for record in records])),
        "faults": fault_rows,
        "faults_drawn": dict(drawn),
        "faults_not_drawn": [kind for kind in arguments.fault_kinds if kind not in drawn],
        "overlapping_faults": soak_checks.overlapping_faults(fault_rows),
        "faults_log": dict(sorted(faults_summary.items())),
        "lock_errors": faults.lock_errors,
    }
    checks = soak_checks.verdict(figures, WATCHDOG_SEC)
    figures["checks"] = checks
    figures["ok"] = all(checks.values())
    return figures


# --- the report ----------------------------------------------------------------------------


def _mib(kib: int | None) -> str:
    return "?" if kib is None else f"{kib / 1024:.1f}"


def report(figures: dict, when: str, command: str) -> str:
    s = figures["settings"]
    checks = figures["checks"]
    kinds = figures["delivered_kinds"]
    processes = figures["processes"]
    first, last = processes[0], processes[-1]
    lines = [
        f"antirelou soak bench, {when}",
        f"command: {command}",
        f"host: {platform.node()}, {os.cpu_count()} CPU(s), Linux {platform.release()}, "
        f"Python {platform.python_version()}",
        f"dongle: simulated, SIM storage {SLOTS} slots, {LATENCY * 1000:g} ms per AT command, "
        f"{SEND_LATENCY[0]:g}-{SEND_LATENCY[1]:g} s per sent segment, {BAUD} baud",
        f"daemon: {sys.executable} -m antirelou run, command_timeout {COMMAND_TIMEOUT}s, "
        f"send_timeout {SEND_TIMEOUT}s, poll_interval {POLL}s, logging warning; replies: a "
        f"sequence of distinct texts, cooldown 1m, retry backoff {RETRY_BACKOFF}s; budgets "
        f"unlimited, flood mode off",
        f"traffic: {s['minutes']:g} min at {s['rate']:g} message/s from {s['senders']} senders: "
        f"{figures['delivered']} messages = {kinds.get('gsm7', 0)} short GSM-7 + "
        f"{kinds.get('ucs2', 0)} short UCS-2 + {kinds.get('long', 0)} in two parts = "
        f"{figures['pdus_delivered']} PDUs (seed {s['seed']})",
        f"faults: one every {s['fault_every']:g} s, {len(figures['faults'])} in all"
        + (
            f"; not drawn this run: {', '.join(figures['faults_not_drawn'])}"
            if figures["faults_not_drawn"]
            else ""
        )
        + f"; then {figures['settle_seconds']:.0f} s to log the backlog",
        "",
    ]
    rows = [
        ("messages delivered (injected)", figures["delivered"], ""),
        (
            "messages logged",
            f"{figures['logged']} = {figures['logged_clean']} clean + "
            f"{figures['logged_flagged']} flagged",
            "",
        ),
        ("lost", figures["lost"], check_text(checks["lost"])),
        ("duplicated", figures["duplicated"], check_text(checks["duplicated"])),
        (
            "malformed PDUs injected / logged flagged",
            f"{figures['malformed_injected']} / {figures['malformed_logged']}",
            check_text(checks["malformed"]),
        ),
        ("copies damaged on the wire, logged flagged", figures["damaged_copies"], ""),
        (
            "replies sent (dongle) / numbers answered",
            f"{figures['replies_sent_by_dongle']} / {figures['numbers_answered']}",
            "",
        ),
        ("replies sent twice", figures["replies_sent_twice"], check_text(checks["sent_twice"])),
        (
            "sends beyond the replies recorded",
            figures["sent_beyond_records"] + figures["sent_without_record"],
            check_text(checks["sent_beyond_records"] and checks["sent_without_record"]),
        ),
        (
            "replies 'unknown' (of which left)",
            f"{figures['unknown']} ({figures['unknown_that_left']})",
            "",
        ),
        (
            "replies stuck 'sending' in the live daemon",
            figures["stuck_sending"],
            check_text(checks["no_reply_stuck_sending"]),
        ),
        (
            "replies left 'sending' / of which left",
            f"{figures['sending_at_end']} / {figures['sent_but_recorded_sending']}",
            "",
        ),
        (
            "replies by status",
            ", ".join(f"{k} {v}" for k, v in sorted(figures["replies"].items())) or "none",
            "",
        ),
        ("reconnects (connected - 1)", figures["reconnects"], ""),
        (
            "'modem lost' events / modem resets",
            f"{figures['modem_lost_events']} / {figures['modem_resets']}",
            "",
        ),
        (
            "daemon starts (SIGKILLs, exits on its own)",
            f"{figures['daemon_starts']} ({figures['sigkills']}, "
            f"{len(figures['unexpected_exits'])})",
            check_text(checks["unexpected_exits"]),
        ),
        (
            "longest outage: no PDU committed (s)",
            f"{figures['longest_outage']:.1f} at +{figures['longest_outage_at']:.0f} s",
            "",
        ),
        (
            "longest outage: heartbeat not running (s)",
            f"{figures['longest_heartbeat_outage']:.1f}"
            + (
                f" at +{figures['longest_heartbeat_outage_at']:.0f} s "
                f"({figures['longest_heartbeat_outage_states']})"
                if figures["longest_heartbeat_outage_at"] is not None
                else ""
            ),
            "",
        ),
        (
            "oldest heartbeat seen (s; watchdog 90)",
            decimal_text(figures["heartbeat_max_age"]),
            check_text(checks["watchdog"]),
        ),
        (
            "reception latency median / p95 / max (s)",
            f"{decimal_text(figures['latency_median'])} / {decimal_text(figures['latency_p95'])} / "
            f"{decimal_text(figures['latency_max'])}",
            "",
        ),
        ("largest backlog (stored + network queue)", figures["max_backlog"], ""),
        ("RSS at start, first process (MiB)", _mib(figures["rss_start_first_kib"]), ""),
        ("RSS at start, last process (MiB)", _mib(figures["rss_start_last_kib"]), ""),
        ("RSS at end (MiB)", _mib(figures["rss_end_kib"]), ""),
        ("RSS max, any process (MiB)", _mib(figures["rss_max_kib"]), ""),
        ("daemon CPU, all processes (s)", f"{figures['cpu_seconds']:.1f}", ""),
        (
            "error lines in the daemon's log (warnings)",
            f"{figures['log']['errors']} ({figures['log']['warnings']})",
            "",
        ),
        ("tracebacks in the daemon's log", figures["log"]["tracebacks"], ""),
        (
            "storage empty, every message logged",
            "yes" if checks["settled"] else "NO",
            check_text(checks["settled"]),
        ),
        ("exit status on SIGTERM", figures["exit_code"], check_text(checks["exit_code"])),
    ]
    lines.append(table(("measure", "value", "check"), rows))
    lines += [
        "",
        "faults (at: seconds after the first message; gap: longest time without a "
        "commit around the fault; recovered: first commit after the fault ended):",
    ]
    lines.append(
        table(
            ("#", "at s", "fault", "lasted s", "gap s", "recovered s", "detail"),
            [
                (
                    row["number"],
                    f"{row['at']:.0f}",
                    row["kind"],
                    f"{row['lasted']:.1f}",
                    f"{row['commit_gap']:.1f}",
                    decimal_text(row["recovered_after"]),
                    row["detail"],
                )
                for row in figures["faults"]
            ],
        )
    )
    lines += ["", "faults log of the simulator (count per kind; '(bench)' ones are the bench's):"]
    lines.append(
        "  " + ", ".join(f"{key} x{count}" for key, count in figures["faults_log"].items())
    )
    lines += ["", "processes:"]
    for record in processes:
        lines.append(
            f"  {record['number']}: pid {record['pid']}, started +{record['started']:.0f}"
            f" s, RSS at start {_mib(record['start_rss'])} MiB, last "
            f"{_mib(record['last_rss'])} MiB, peak {_mib(record['hwm'])} MiB, CPU "
            f"{record['cpu']:.1f} s; ended: {record['how'] or 'running'}"
        )
    if figures["log"]["top_errors"]:
        lines += ["", "most frequent error lines in the daemon's log (digits as #):"]
        lines += [f"  {count:4d}  {shape}" for shape, count in figures["log"]["top_errors"]]
    problems = []
    for key in (
        "lost_examples",
        "duplicated_examples",
        "sent_twice_examples",
        "sent_beyond_examples",
        "unrecorded_examples",
        "damaged_examples",
        "unknown_examples",
    ):
        for example in figures[key]:
            problems.append(f"  {key.replace('_', ' ')}: {example}")
    for exit_ in figures["unexpected_exits"]:
        problems.append(
            f"  exit on its own at +{exit_['at']:.0f} s, status {exit_['status']}: "
            + exit_["log_tail"].replace("\n", "\n    ")
        )
    for error, count in figures["sampler_errors"].items():
        problems.append(f"  sampler: {error} x{count}")
    if problems:
        lines += ["", "details:"] + problems
    if figures["overlapping_faults"]:
        lines.append(f"overlapping faults: {figures['overlapping_faults']}")
    verdict = (
        "every check passed"
        if figures["ok"]
        else "SOME CHECKS FAILED: " + ", ".join(name for name, value in checks.items() if not value)
    )
    lines += [
        "",
        f"verdict: {verdict} (first process RSS {_mib(first['start_rss'])} -> "
        f"last {_mib(figures['rss_end_kib'])} MiB; {last['number']} process(es))",
    ]
    if figures["directory"]:
        lines.append(f"working directory kept: {figures['directory']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    stop_on_signals()
    count = max(1, round(arguments.minutes * 60 * arguments.rate))
    messages = build_traffic(count, arguments.senders, arguments.seed)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = (
        " ".join([".venv/bin/python", "bench/soak.py", *sys.argv[1:]])
        if argv is None
        else " ".join(["bench/soak.py", *argv])
    )
    directory = tempfile.mkdtemp(prefix="antirelou-bench-soak-")
    keep = arguments.keep
    if not arguments.json:
        print(
            f"soak: {arguments.minutes:g} min, {count} messages, a fault every "
            f"{arguments.fault_every:g} s, in {directory}",
            file=sys.stderr,
            flush=True,
        )
    try:
        figures = soak(arguments, messages, directory)
    except BenchError as error:
        print(
            f"soak bench: no measure: {error}\n(working directory kept: {directory})",
            file=sys.stderr,
        )
        return NO_MEASURE
    except KeyboardInterrupt:
        print(
            f"soak bench: interrupted; the daemon and the dongle were stopped "
            f"(working directory kept: {directory})",
            file=sys.stderr,
        )
        return exits.INTERRUPTED
    keep = keep or not figures["ok"]
    if not keep:
        shutil.rmtree(directory, ignore_errors=True)
        figures["directory"] = ""
    figures["date"] = when
    figures["command"] = command
    if arguments.json:
        print(dump_json(figures))
    else:
        print(report(figures, when, command))
    return exits.OK if figures["ok"] else CHECK_FAILED


if __name__ == "__main__":
    sys.exit(main())
