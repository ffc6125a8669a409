"""Month bench: thirty days of service in minutes (issue 9, item 5).

The real daemon (`antirelou.daemon.Daemon.run`, in this process) lives through a month of
traffic (bench/month_traffic.py): every day 20 genuine one-off senders and a few insisting
people; a raid on days 3 to 5 modelled on 2017 (20,000 messages from 2,000 numbers, a third of
which write once, in afternoon and evening waves peaking near 20 messages a second); on day 12
a two-hour outage (the Pi and its dongle off, messages waiting at the network, 40 one-off
senders among them), after which a new Daemon starts on the same database and gets the
backlog with its real time stamps; then ordinary traffic to day 30.

The clock is a FakeClock whose waits jump to the next arrival, so the month passes as fast as
the CPU allows. Only the serial line is not antirelou's code (issue 9 allows it: "not the
serial line"): bench/month_modem.py answers the daemon's calls on the modem from a 30-slot SIM
fed by a network that keeps what the SIM cannot take, with real SMS-DELIVER PDUs (time stamp
= when written), and charges each call its time on a real line (2 s per SMS segment sent).
Intake, policy, store, sender, alerts and flood detection are the real code, with the shipped
settings (etc/antirelou.yaml; only the database path, the port, alerts.numbers = two operators
and the log level are set here). The database lives in /dev/shm when there is one: fsync costs
are not what this bench measures.

It prints a table per day and the four goals of issue 9 with PASS or FAIL, then the checks that
must hold besides (nothing lost, nothing sent twice or to a name or short code, every budget
kept according to the send log, the backlog logged as a backlog and not as a raid).

    .venv/bin/python bench/month.py            # the month (one to two minutes)
    .venv/bin/python bench/month.py --quick    # 4 days, a raid of 600 messages on day 2
    options: [--days N] [--one-offs N] [--no-raid] [--config PATH] [--seed 2017] [--keep]
             [--json]

Exit status: 0 every goal and check met, 1 one failed, 2 no measure (a daemon stopped on its
own), 78 (antirelou.exits.CONFIG) the --config file is not a valid configuration.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from common import (
    CHECK_FAILED,
    NO_MEASURE,
    REPO,
    BenchError,
    connect_readonly,
    dump_json,
    stop_on_signals,
)
from month_figures import month_figures
from month_modem import BenchModem, MonthClock, Network
from month_report import report
from month_traffic import MONTH, OPERATORS, QUICK, Message, Scenario, build_month, with_one_offs

from antirelou import exits
from antirelou.config import Config, ConfigError, load
from antirelou.daemon import Daemon
from antirelou.systemd import Notifier

SHIPPED_CONFIG = os.path.join(REPO, "etc", "antirelou.yaml")
NO_PORT = "/dev/null/bench-month"  # never opened: the bench modem stands in for it


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Thirty days of service in minutes: the real daemon on a fake clock."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a scaled-down month: 4 days, a raid of 600 messages on day 2, the outage on day 3",
    )
    parser.add_argument("--days", type=int, metavar="N", help="run only the first N days")
    parser.add_argument(
        "--one-offs",
        type=int,
        metavar="N",
        help=f"genuine one-off senders a day (default {MONTH.one_offs} as in issue 9,"
        f" {QUICK.one_offs} with --quick); insisting people and the outage's backlog follow",
    )
    parser.add_argument("--no-raid", action="store_true", help="the same month without the raid")
    parser.add_argument(
        "--config",
        default=SHIPPED_CONFIG,
        metavar="PATH",
        help="the settings to measure (default: the shipped etc/antirelou.yaml); the database,"
        " the port, alerts.numbers and the log level are always the bench's",
    )
    parser.add_argument("--seed", type=int, default=2017, help="seed of the traffic")
    parser.add_argument(
        "--keep", action="store_true", help="keep the working directory (database, daemon log)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args(argv)
    scenario = QUICK if arguments.quick else MONTH
    if arguments.days is not None:
        if not 1 <= arguments.days <= scenario.days:
            parser.error(f"--days must be 1 to {scenario.days}")
        scenario = replace(
            scenario,
            days=arguments.days,
            raid_days=tuple(day for day in scenario.raid_days if day <= arguments.days),
        )
    if arguments.no_raid:
        scenario = replace(scenario, raid_days=())
    if arguments.one_offs is not None:
        if not 0 <= arguments.one_offs <= 1000:
            parser.error("--one-offs must be 0 to 1000")
        scenario = with_one_offs(scenario, arguments.one_offs)
    arguments.scenario = scenario
    return arguments


def bench_config(database: str, path: str = SHIPPED_CONFIG) -> Config:
    """Return the configuration at `path` (the shipped one by default) with only what a bench
    must set: the database, the port (never opened), two operators to alert, and warnings
    only in the daemon's log. Raise ConfigError if the file is not a valid configuration."""
    shipped = load(path)
    return replace(
        shipped,
        database=database,
        modem=replace(shipped.modem, port=NO_PORT),
        alerts=replace(shipped.alerts, numbers=OPERATORS),
        logging=replace(shipped.logging, level="warning"),
    )


def work_directory() -> str:
    # In memory when the machine has /dev/shm: the bench measures decisions, not fsync.
    parent = "/dev/shm" if os.path.isdir("/dev/shm") else None
    return tempfile.mkdtemp(prefix="antirelou-month-", dir=parent)


@contextmanager
def daemon_log(path: str, level: str) -> Iterator[None]:
    """Send the daemon's log to `path` (not the terminal) while the block runs."""
    logger = logging.getLogger("antirelou")
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


@dataclass
class Run:
    """What a month left besides the database: the traffic, the dongle's send log, what is
    still at the network, each daemon's exit status, and the time it took."""

    messages: list[Message]
    modem: BenchModem
    network: Network
    exit_codes: list[int]
    wall: float  # seconds
    cpu: float  # seconds of this process's CPU (the daemon, the bench modem and the clock)


def run_month(config: Config, scenario: Scenario, messages: list[Message]) -> Run:
    """Run the daemon through the month: until the outage, then (the Pi off, the network
    keeping what is written) a new daemon on the same database until the end. Raise
    BenchError if a daemon stops on its own."""
    network = Network(messages)
    clock = MonthClock(scenario.day_start(1), network)
    modem = BenchModem(network, clock)
    outage = scenario.outage if scenario.has_outage else None
    stops = [outage[0], scenario.end] if outage else [scenario.end]
    codes: list[int] = []
    wall, cpu = time.perf_counter(), time.process_time()
    for stop_at in stops:
        daemon = Daemon(config, clock=clock, modem=modem, notifier=Notifier({}))
        clock.stop_at = stop_at
        clock.on_stop = _stopper(
            daemon, network, power_off=outage is not None and stop_at == outage[0]
        )
        code = daemon.run()
        codes.append(code)
        if code != exits.OK or clock.now() < stop_at:
            raise BenchError(
                f"the daemon stopped by itself at {clock.now().isoformat(timespec='seconds')}"
                f" with exit status {code}; see the daemon's log (--keep)"
            )
        if outage is not None and stop_at == outage[0]:
            clock.advance((outage[1] - clock.now()).total_seconds())
            network.powered = True  # the Pi and its dongle are back
    return Run(
        messages, modem, network, codes, time.perf_counter() - wall, time.process_time() - cpu
    )


def _stopper(daemon: Daemon, network: Network, *, power_off: bool) -> Callable[[], None]:
    def stop() -> None:
        if power_off:
            network.powered = False  # a power cut: nothing reaches the SIM until it is back
        daemon.request_stop()

    return stop


@dataclass(frozen=True)
class Log:
    """The rows of the database the figures read."""

    messages: list[tuple]  # id, sender, text, received_at, smsc_time
    replies: list[tuple]  # id, message_id, recipient, status, reason_code, in_flood, updated_at
    alerts: list[tuple]  # id, kind, recipient, status
    events: list[tuple]  # at, kind, detail


def read_log(path: str) -> Log:
    """Given the database's path, return the rows the figures read."""
    with closing(connect_readonly(path)) as db:
        return Log(
            db.execute(
                "SELECT id, sender, text, received_at, smsc_time FROM messages ORDER BY id"
            ).fetchall(),
            db.execute(
                "SELECT id, message_id, recipient, status, reason_code, in_flood, updated_at"
                " FROM replies ORDER BY id"
            ).fetchall(),
            db.execute("SELECT id, kind, recipient, status FROM alerts ORDER BY id").fetchall(),
            db.execute("SELECT at, kind, detail FROM events ORDER BY id").fetchall(),
        )


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    scenario: Scenario = arguments.scenario
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    messages = build_month(scenario, arguments.seed)
    directory = work_directory()
    database = os.path.join(directory, "antirelou.db")
    try:
        config = bench_config(database, arguments.config)
        if not arguments.json:
            print(
                f"month bench: {scenario.days} days, {len(messages)} messages"
                f" ({Counter(message.role for message in messages)['raider']} from insisting"
                f" raiders); work directory {directory}",
                file=sys.stderr,
                flush=True,
            )
        with daemon_log(os.path.join(directory, "daemon.log"), config.logging.level):
            run = run_month(config, scenario, messages)
        figures = month_figures(scenario, config, run, read_log(database))
    except ConfigError as error:
        print(f"month bench: {error}", file=sys.stderr)
        return exits.CONFIG
    except BenchError as error:
        print(f"month bench: no measure: {error}", file=sys.stderr)
        return NO_MEASURE
    except KeyboardInterrupt:
        print("month bench: interrupted", file=sys.stderr)
        return exits.INTERRUPTED
    finally:
        if not arguments.keep:
            shutil.rmtree(directory, ignore_errors=True)
    if arguments.json:
        print(
            dump_json({"date": when, "seed": arguments.seed, "config": arguments.config, **figures})
        )
    else:
        settings = "shipped settings" if arguments.config == SHIPPED_CONFIG else arguments.config
        print(report(scenario, figures, f"{when}, seed {arguments.seed}, {settings}"))
    return exits.OK if figures["ok"] else CHECK_FAILED


if __name__ == "__main__":
    stop_on_signals()
    sys.exit(main())
