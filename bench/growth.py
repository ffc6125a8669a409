"""Growth bench: does taking in a message, and do the operators' commands, cost more as the
log grows to a million messages?

A year of use with a few raids is 10^5 to 10^6 logged messages. This bench builds such a log
through the store's own API (antirelou.store.Transaction: the same writes the daemon makes),
on a fake clock, quickly: messages from 100,000 numbers (a few write a lot, most once), each
with its raw PDU and its decision (one reply per number per cooldown, the rest skipped with
a reason, within the shipped budgets of numbers as the daemon keeps to them), calls, flood
episodes and blocked numbers. At 0, 10,000, 100,000 and
1,000,000 logged messages it measures:

- the CPU per message of the intake path (antirelou.intake.commit_listing with the shipped
  config and a flood detector, on listings of 30 real SMS-DELIVER PDUs: decode, commit,
  history, budgets, raid detection, decision, reply queue), median and p99 over listings;
- the wall time of `status`, `log`, `stats`, `blocked` and `check --no-modem`, run in-process
  as `antirelou` runs them;
- the database size per message.

    .venv/bin/python bench/growth.py            # 0, 10k, 100k, 1M messages
    .venv/bin/python bench/growth.py --quick    # 0, 1k, 10k (for a quick look)
    options: [--sizes 0,10000,...] [--listings 40] [--seed 2017] [--keep] [--json]

The database lives in a temporary directory (/dev/shm when it exists: what is measured is
CPU, not the disk's fsync). Exit status: 0 measured and every goal met, 1 a goal missed,
2 no measure.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from common import CHECK_FAILED, NO_MEASURE, dump_json, table

from antirelou import cli, exits, livestate
from antirelou.clock import FakeClock
from antirelou.config import load
from antirelou.flood import FloodDetector
from antirelou.heartbeat import Heartbeat
from antirelou.intake import commit_listing
from antirelou.listing import Listing, StoredPdu
from antirelou.numbers import classify
from antirelou.policy import Decision
from antirelou.reasons import Reason
from antirelou.simulator.network_pdu import encode_deliver
from antirelou.store import CALL, Store

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = (0, 10_000, 100_000, 1_000_000)
QUICK = (0, 1_000, 10_000)
NUMBERS = 100_000
LISTING = 30  # PDUs per listing: a full SIM
BATCH = 5_000  # messages per transaction while building
NUMBERS_PER_MONTH = 140  # the shipped budgets.numbers_per_month
START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=365)  # the log covers a year

# The goals of issue 12.
GOAL_RATIO = 1.2  # CPU per message at the largest size / at 0
GOAL_MS = 1.0  # CPU per message at the largest size, ms
GOAL_COMMAND_S = {"status": 0.5, "log": 0.5, "stats": 2.0}

COMMANDS = {
    "status": ["status"],
    "log": ["log"],
    "stats": ["stats"],
    "blocked": ["blocked"],
    "check --no-modem": ["check", "--no-modem"],
}


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated log sizes (messages)")
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK}")
    parser.add_argument("--listings", type=int, default=40, help="listings measured per size")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args(argv)
    if arguments.sizes:
        arguments.sizes = tuple(sorted(int(size) for size in arguments.sizes.split(",")))
    else:
        arguments.sizes = QUICK if arguments.quick else SIZES
    return arguments


class LogBuilder:
    """Grows a log through the store's API: a year of messages, in order, on a fake clock."""

    def __init__(self, store: Store, rng: random.Random, total: int) -> None:
        self.store = store
        self.rng = rng
        self.total = max(total, 1)
        self.logged = 0
        self.answered: dict[str, datetime] = {}
        # When each of the last 30 days' replies left: the daemon never answers more numbers
        # than budgets.numbers_per_month over 30 days, so neither does this log.
        self.recent: collections.deque[datetime] = collections.deque()
        self.slot = 0
        # A few numbers write a lot (raiders), most once or twice: a Zipf-like draw.
        self.weights = [1.0 / (rank + 1) ** 0.8 for rank in range(NUMBERS)]
        self.numbers = [f"+336{index:08d}" for index in range(NUMBERS)]

    def moment(self, index: int) -> datetime:
        return START + SPAN * (index / self.total)

    def grow_to(self, target: int) -> None:
        while self.logged < target:
            count = min(BATCH, target - self.logged)
            senders = self.rng.choices(self.numbers, self.weights, k=count)
            with self.store.transaction() as tx:
                for sender in senders:
                    self._one(tx, sender, self.moment(self.logged))
                    self.logged += 1
                    if self.logged % 50_000 == 0:
                        # A flood episode now and then, as the daemon records them.
                        at = self.moment(self.logged)
                        tx.event(at, "flood started", "bench: 200 messages in a minute")
                        tx.event(at + timedelta(minutes=40), "flood ended", "bench")
                    if self.logged % 10_000 == 0:
                        tx.block(sender, "bench: raid", self.moment(self.logged))

    def _one(self, tx, sender: str, at: datetime) -> None:
        call = self.rng.random() < 0.02
        self.slot = self.slot % 30 + 1
        if call:
            message_id = tx.insert_message(
                pdu_ids=[],
                sender=sender,
                sender_kind="phone",
                text=None,
                smsc_time=None,
                received_at=at.isoformat(timespec="milliseconds"),
                parts_expected=0,
                encoding=None,
                error=None,
                kind=CALL,
            )
        else:
            pdu = encode_deliver(sender, f"message {self.logged}", at)[0]
            pdu_id = tx.insert_pdu(StoredPdu(self.slot, 0, pdu), "SM", at, sender, None)
            message_id = tx.insert_message(
                pdu_ids=[pdu_id],
                sender=sender,
                sender_kind="phone",
                text=f"message {self.logged}",
                smsc_time=at,
                received_at=at.isoformat(timespec="milliseconds"),
                parts_expected=1,
                encoding="gsm7",
                error=None,
            )
            tx.forget_on_modem([pdu_id])
        number = classify(sender, 33)
        last = self.answered.get(sender)
        while self.recent and at - self.recent[0] > timedelta(days=30):
            self.recent.popleft()
        if (
            not call
            and (last is None or at - last > timedelta(days=1))
            and len(self.recent) < NUMBERS_PER_MONTH
        ):
            self.recent.append(at)
            decision = Decision(True, Reason.FIRST_MESSAGE, "first message", text="Non.", step=0)
            reply_id = tx.record_decision(message_id, number, decision, at)
            tx.mark_sending(reply_id, at, 1)
            tx.mark_sent(reply_id, at + timedelta(seconds=3), [self.logged % 256])
            self.answered[sender] = at
        else:
            code = (
                Reason.CALL_NOT_ANSWERED
                if call
                else Reason.COOLDOWN
                if last is not None and at - last <= timedelta(days=1)
                else Reason.BUDGET_NUMBERS
            )
            tx.record_decision(message_id, number, Decision(False, code, code.label), at)


def measure_intake(store: Store, config, rng: random.Random, listings: int, now: datetime):
    """Return the CPU seconds per message of commit_listing, one value per listing."""
    clock = FakeClock(now)
    flood = FloodDetector(config.flood)
    per_message = []
    for index in range(listings):
        entries = []
        for slot in range(1, LISTING + 1):
            # Half from numbers already in the log, half never seen.
            known = rng.random() < 0.5
            sender = (
                f"+336{rng.randrange(NUMBERS):08d}" if known else f"+337{rng.randrange(10**8):08d}"
            )
            text = f"growth {index}.{slot}"
            entries.append(StoredPdu(slot, 0, encode_deliver(sender, text, clock.now())[0]))
        listing = Listing("SM", tuple(entries), clean=True)
        began = time.process_time()
        result = commit_listing(store, listing, config, clock.now(), flood)
        per_message.append((time.process_time() - began) / LISTING)
        flood = result.flood  # what was deleted is noted by the next listing, as in the daemon
        clock.advance(20)  # a listing every 20 s: no raid, ordinary pressure
    return per_message


def time_commands(config_path: str) -> dict[str, float]:
    """Return the wall seconds each operator command takes, run in-process."""
    seconds = {}
    for name, words in COMMANDS.items():
        began = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            status = cli.main([*words, "-c", config_path])
        seconds[name] = time.perf_counter() - began
        if status not in (exits.OK, exits.NOT_RUNNING):
            raise RuntimeError(f"antirelou {' '.join(words)} exited {status}")
    return seconds


def database_bytes(path: str) -> int:
    return sum(
        os.path.getsize(path + suffix)
        for suffix in ("", "-wal", "-shm")
        if os.path.exists(path + suffix)
    )


def run(arguments: argparse.Namespace) -> dict:
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    directory = tempfile.mkdtemp(prefix="antirelou-bench-growth-", dir=base)
    try:
        database = os.path.join(directory, "antirelou.db")
        config_path = os.path.join(directory, "antirelou.yaml")
        with open(config_path, "w", encoding="utf-8") as file:
            file.write(f"modem:\n  port: {directory}/modem\ndatabase: {database}\n")
        config = load(config_path)
        rng = random.Random(arguments.seed)
        rows = []
        with Store(database) as store:
            builder = LogBuilder(store, rng, max(arguments.sizes))
            for size in arguments.sizes:
                began = time.perf_counter()
                builder.grow_to(size)
                built = time.perf_counter() - began
                now = builder.moment(builder.logged) + timedelta(minutes=1)
                livestate.write(
                    livestate.write_path(database), Heartbeat(os.getpid(), now, now, "running")
                )
                costs = measure_intake(store, config, rng, arguments.listings, now)
                measured = builder.logged + arguments.listings * LISTING
                rows.append(
                    {
                        "messages": size,
                        "build_seconds": built,
                        "intake_ms_median": statistics.median(costs) * 1000,
                        "intake_ms_p99": sorted(costs)[max(0, int(len(costs) * 0.99) - 1)] * 1000,
                        "commands_s": time_commands(config_path),
                        "bytes_per_message": database_bytes(database) / max(measured, 1),
                    }
                )
                # What the measure added stays in the log: the next size counts it.
                builder.logged = measured
        return {"rows": rows, "directory": directory}
    finally:
        if arguments.keep:
            print(f"growth bench: working directory kept: {directory}", file=sys.stderr)
        else:
            shutil.rmtree(directory, ignore_errors=True)


def verdict(rows: list[dict]) -> dict[str, bool]:
    """Given the rows, say which of issue 12's goals hold at the largest size."""
    first, last = rows[0], rows[-1]
    ratio = last["intake_ms_median"] / first["intake_ms_median"]
    goals = {
        f"intake per message at the largest size <= {GOAL_RATIO}x the first": ratio <= GOAL_RATIO,
        f"intake per message at the largest size <= {GOAL_MS} ms": last["intake_ms_median"]
        <= GOAL_MS,
    }
    for name, limit in GOAL_COMMAND_S.items():
        goals[f"{name} <= {limit} s"] = last["commands_s"][name] <= limit
    return goals


def report(rows: list[dict], goals: dict[str, bool]) -> str:
    headers = [
        "messages",
        "intake ms/msg (median)",
        "p99",
        *COMMANDS,
        "bytes/msg",
        "built in",
    ]
    lines = [
        f"antirelou growth bench (bench/growth.py), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        table(
            headers,
            [
                [
                    f"{row['messages']:,}",
                    f"{row['intake_ms_median']:.3f}",
                    f"{row['intake_ms_p99']:.3f}",
                    *(f"{row['commands_s'][name]:.3f} s" for name in COMMANDS),
                    f"{row['bytes_per_message']:.0f}",
                    f"{row['build_seconds']:.0f} s",
                ]
                for row in rows
            ],
        ),
        "",
        *(f"{'ok  ' if met else 'MISS'} {goal}" for goal, met in goals.items()),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        figures = run(arguments)
    except Exception as error:  # noqa: BLE001 - a bench reports, it does not trace back
        print(f"growth bench: no measure: {error!r}", file=sys.stderr)
        return NO_MEASURE
    goals = verdict(figures["rows"])
    if arguments.json:
        print(dump_json({**figures, "goals": goals}))
    else:
        print(report(figures["rows"], goals))
    return 0 if all(goals.values()) else CHECK_FAILED


if __name__ == "__main__":
    sys.exit(main())
