"""Evidence bench: what a raid costs the evidence features, on this machine.

A database of N messages (20,000 by default: the 2017 raid) is built through the service's
own intake (intake.commit_listing, with its flood detector, flags and tamper-evident log), as
the daemon commits a full storage: 50 messages per listing, over 6 hours, with the drain
bench's mix of GSM 7-bit, UCS-2 and two-part messages, 1 % of them threats. Then the real
commands run on it, in this process: `export` in each format, `verify`, `verify --export`,
`purge --dry-run`, and a purge of everything (every message older than the retention), whose
files are then grepped for a purged number.

    .venv/bin/python bench/evidence.py [--messages 20000] [--seed 2017] [--keep DIR] [--json]

Exit status: 0 measured and every check passed, 1 a check failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from common import CHECK_FAILED, dump_json, message_mix, table

from antirelou import exits
from antirelou.cli import main as cli
from antirelou.config import load
from antirelou.flood import FloodDetector
from antirelou.intake import commit_listing
from antirelou.listing import Listing, StoredPdu
from antirelou.simulator.network_pdu import encode_deliver
from antirelou.store import Store
from antirelou.store.purge import purge

START = datetime(2017, 10, 30, 14, 0, tzinfo=UTC)
RAID = timedelta(hours=6)
PER_LISTING = 50
THREATS = (
    "Je sais où tu habites, salope",
    "je vais te buter 🔪",
    "On va venir chez toi ce soir",
    "t'es morte",
)


def build(path: str, count: int, seed: int) -> tuple[float, float]:
    """Fill a new database at `path` with the raid, then send (in the log) every reply it
    queued, as the daemon would over the day; return (seconds, CPU seconds) of the intake."""
    config = load(path)
    rng = random.Random(seed)
    mix = message_mix(count, seed)
    texts = [rng.choice(THREATS) if rng.random() < 0.01 else sms.text for sms in mix]
    detector = FloodDetector(config.flood)
    began, cpu = time.perf_counter(), time.process_time()
    with Store(config.database) as store:
        for first in range(0, count, PER_LISTING):
            now = START + RAID * first / count
            entries = []
            for index in range(first, min(first + PER_LISTING, count)):
                for pdu in encode_deliver(mix[index].sender, texts[index], now):
                    entries.append(StoredPdu(len(entries), 1, pdu))
            result = commit_listing(store, Listing("ME", tuple(entries), clean=True), config, now)
            detector = result.flood or detector
        took = time.perf_counter() - began, time.process_time() - cpu
        sent_at = START + RAID
        with store.transaction() as tx:
            for (reply_id,) in tx._rows("SELECT id FROM replies WHERE status = 'queued'"):
                tx.mark_sending(reply_id, sent_at, 1)
                tx.mark_sent(reply_id, sent_at, [reply_id % 256])
    return took


def run(*arguments: str) -> tuple[int, float, str]:
    """Run one antirelou command in this process; return (status, seconds, what it printed)."""
    printed = io.StringIO()
    began = time.perf_counter()
    with contextlib.redirect_stdout(printed):
        status = cli(list(arguments))
    return status, time.perf_counter() - began, printed.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep it (default: temp)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args()
    folder = arguments.keep or tempfile.mkdtemp(prefix="antirelou-evidence-")
    os.makedirs(folder, exist_ok=True)
    config_path = os.path.join(folder, "antirelou.yaml")
    database = os.path.join(folder, "antirelou.db")
    with open(config_path, "w", encoding="utf-8") as file:
        file.write(f"modem:\n  port: /dev/null\ndatabase: {database}\n")
    seconds, cpu = build(config_path, arguments.messages, arguments.seed)
    with Store(database, readonly=True) as store:
        records = store.read("SELECT COUNT(*) FROM ledger")[0][0]
        flagged = store.read("SELECT COUNT(DISTINCT message_id) FROM flags")[0][0]
    rows = [["build (intake)", f"{seconds:.1f}", f"{cpu / arguments.messages * 1000:.2f}", ""]]
    sizes = {"database": os.path.getsize(database)}
    checks: dict[str, bool] = {}
    for format in ("json", "csv", "html", "pdf"):
        out = os.path.join(folder, f"raid.{format}")
        status, took, _ = run("export", "-c", config_path, "--format", format, "--out", out)
        checks[f"export {format}"] = status == exits.OK
        sizes[format] = os.path.getsize(out)
        rows.append(
            [f"export --format {format}", f"{took:.1f}", "", f"{sizes[format] / 2**20:.1f}"]
        )
    status, took, printed = run("verify", "-c", config_path)
    checks["verify"] = status == exits.OK
    rows.append(["verify (the whole log)", f"{took:.1f}", "", ""])
    status, took, _ = run("verify", "--export", os.path.join(folder, "raid.json"))
    checks["verify --export"] = status == exits.OK
    rows.append(["verify --export raid.json", f"{took:.1f}", "", ""])
    status, took, _ = run("purge", "-c", config_path, "--dry-run")
    rows.append(["purge --dry-run", f"{took:.1f}", "", ""])
    # Everything is older than the retention a year later: the purge of a whole raid.
    with Store(database) as store:
        config = load(config_path)
        began = time.perf_counter()
        plan = purge(store, config.retention, START + timedelta(days=400), "bench", "purge")
        took = time.perf_counter() - began
        number = store.read("SELECT sender FROM messages WHERE id = 1")[0][0]
    rows.append([f"purge ({len(plan.messages)} messages)", f"{took:.1f}", "", ""])
    leftovers = b""
    for suffix in ("", "-wal"):
        with contextlib.suppress(FileNotFoundError), open(database + suffix, "rb") as file:
            leftovers += file.read()
    original = message_mix(arguments.messages, arguments.seed)[0].sender
    checks["purged number unreadable"] = original.encode() not in leftovers
    checks["purged sender is a pseudonym"] = number.startswith("pseudo:")
    status, took, _ = run("verify", "-c", config_path)
    checks["verify after the purge"] = status == exits.OK
    rows.append(["verify after the purge", f"{took:.1f}", "", ""])
    summary = {
        "host": f"{platform.node()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}",
        "messages": arguments.messages,
        "flagged": flagged,
        "records": records,
        "sizes_bytes": sizes,
        "rows": rows,
        "checks": checks,
        "folder": folder,
    }
    if arguments.json:
        print(dump_json(summary))
    else:
        print(f"antirelou evidence bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        print(f"host: {summary['host']}, {platform.system()} {platform.release()}")
        print(
            f"raid: {arguments.messages} messages (seed {arguments.seed}) over 6 h, "
            f"{flagged} flagged, {records} records in the tamper-evident log, database "
            f"{sizes['database'] / 2**20:.1f} MiB"
        )
        print()
        print(table(["step", "seconds", "CPU ms/msg", "MiB"], rows))
        print()
        print(
            "checks: "
            + ", ".join(f"{name} {'ok' if ok else 'FAILED'}" for name, ok in checks.items())
        )
        print(f"files: {folder}")
    return 0 if all(checks.values()) else CHECK_FAILED


if __name__ == "__main__":
    sys.exit(main())
