"""Every query on the hot path (intake, the sender's re-check and send, alerts, the loop's
waits) is planned without a full scan of a table that grows with the log.

The statements are not listed by hand: they are captured (sqlite3's trace callback) while the
real intake, re-check and send paths run against a populated log, then each is planned with
EXPLAIN QUERY PLAN. A new query that scans messages, replies, pdus, events or alerts fails here.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from growth import LogBuilder

from antirelou.config import loads
from antirelou.flood import FloodDetector
from antirelou.intake import commit_listing, expire_partials
from antirelou.listing import Listing, StoredPdu
from antirelou.reasons import Reason
from antirelou.simulator.network_pdu import encode_deliver
from antirelou.store import Store

GROWING = ("pdus", "messages", "replies", "events", "alerts")
FULL_SCAN = re.compile(rf"^SCAN ({'|'.join(GROWING)})\b(?: USING (?:COVERING )?INDEX (\w+))?")
CONFIG = loads(
    "modem:\n  port: /dev/x\ndatabase: /tmp/x.db\n"
    "alerts:\n  numbers: ['+33600000001']\n"
    "flood:\n  messages_per_minute: 5\n  new_numbers_per_minute: 5\n"
    # The built log does not keep to the budgets: they must not refuse everything here.
    "budgets:\n  segments_per_day: unlimited\n  segments_per_month: unlimited\n"
    "  numbers_per_month: unlimited\n"
)


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("plans") / "log.db")
    with Store(path) as store:
        builder = LogBuilder(store, random.Random(12), 3000)
        builder.grow_to(3000)
        yield store, builder.moment(3000)


def _listing(now, count: int, base: int) -> Listing:
    return Listing(
        "SM",
        tuple(
            # Half numbers the log knows, half never seen.
            StoredPdu(
                slot, 0, encode_deliver(f"+33{6 + slot % 2}{base + slot:08d}", "salut", now)[0]
            )
            for slot in range(1, count + 1)
        ),
        clean=True,
    )


def test_the_hot_path_never_scans_a_growing_table(populated):
    store, now = populated
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    try:
        flood = FloodDetector(CONFIG.flood)
        # A raid's listings: known and new numbers, flood mode on, replies held.
        for round_ in range(3):
            result = commit_listing(store, _listing(now, 30, round_ * 7), CONFIG, now, flood)
            flood = result.flood
            now += timedelta(seconds=20)
        assert flood.active
        expire_partials(store, CONFIG, now, flood)
        store.arrivals_since(now - timedelta(minutes=31))
        # The sender: what is due, the re-check, a send, a deferral, a drop.
        later = now + timedelta(minutes=10)
        reply = store.next_due_reply(later)
        assert reply is not None
        store.blocked_reason(reply.recipient)
        store.wrote_again(reply.recipient, reply.message_id)
        store.spending(later, reply.recipient)
        store.next_due_time()
        store.last_alert_at("flood mode on")
        store.next_alert()
        with store.transaction() as tx:
            tx.mark_sending(reply.id, later, 1)
            tx.mark_sent(reply.id, later, [1])
            tx.defer_flood_replies(later, later + timedelta(minutes=5), "hourly budget spent")
            other = store.next_due_reply(later + timedelta(minutes=5))
            tx.skip(other.id, later, "wrote again", Reason.INSISTED_DURING_HOLD)
            tx.pdus_on_modem("SM")
    finally:
        store._db.set_trace_callback(None)

    planned = [s for s in statements if re.match(r"\s*(SELECT|UPDATE|DELETE|INSERT)", s, re.I)]
    # Reading a whole partial index is fine: it holds only rows that do not pile up (queued
    # alerts, parts of messages not yet assembled, replies waiting).
    partial = {
        row[0]
        for row in store._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'"
        )
    }
    assert len(planned) > 50  # the capture saw the paths
    scans = {}
    for statement in planned:
        plan = [row[3] for row in store._db.execute(f"EXPLAIN QUERY PLAN {statement}")]
        bad = [
            step
            for step in plan
            if (scan := FULL_SCAN.match(step)) and scan.group(2) not in partial
        ]
        if bad:
            scans[" ".join(statement.split())[:160]] = bad
    assert not scans, "\n".join(f"{steps}: {sql}" for sql, steps in scans.items())
