import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta

import pytest

from antirelou.budgets import Spending
from antirelou.listing import StoredPdu
from antirelou.reasons import Reason
from antirelou.store import MIGRATIONS, Store, StoreError

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "log.db")) as opened:
        yield opened


def test_store_creates_database_readable_by_owner_only(tmp_path):
    path = tmp_path / "sub" / "log.db"
    Store(str(path)).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for suffix in ("-wal", "-shm"):
        sidecar = str(path) + suffix
        if os.path.exists(sidecar):
            assert stat.S_IMODE(os.stat(sidecar).st_mode) & 0o077 == 0


def test_store_migrates_to_latest_version_and_uses_wal(store):
    assert store.schema_version == len(MIGRATIONS)
    assert store.read("PRAGMA journal_mode")[0][0] == "wal"


def test_store_refuses_database_from_newer_version(tmp_path):
    path = str(tmp_path / "log.db")
    Store(path).close()
    database = sqlite3.connect(path)
    database.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    database.close()
    with pytest.raises(StoreError, match="newer antirelou"):
        Store(path)


def test_transaction_rolls_back_on_error(store):
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.insert_pdu(StoredPdu(1, 0, "00"), "SM", NOW, None, None)
        raise RuntimeError("boom")
    assert store.read("SELECT COUNT(*) FROM pdus")[0][0] == 0


def _queue_reply(
    store: Store,
    *,
    segments: int = 1,
    in_flood: bool = False,
    recipient: str = "+33612345678",
    at: datetime = NOW,
) -> int:
    with store.transaction() as tx:
        message = tx.insert_message(
            pdu_ids=[],
            sender=recipient,
            sender_kind="phone",
            text="x",
            smsc_time=None,
            received_at=NOW.isoformat(),
            parts_expected=1,
            encoding="gsm7",
            error=None,
        )
        return tx.insert_reply(
            message_id=message,
            recipient=recipient,
            text="r",
            queued=True,
            reason="first message",
            code=Reason.FIRST_MESSAGE,
            segments=segments,
            due_at=at,
            now=at,
            in_flood=in_flood,
        )


def _reply_row(store: Store) -> tuple:
    return tuple(
        store.read(
            "SELECT status, attempts, segments_sent, modem_reference, error, reason_code, due_at"
            " FROM replies"
        )[0]
    )


def test_abandon_interrupted_sends_marks_unknown_and_never_requeues(store):
    reply = _queue_reply(store)
    with store.transaction() as tx:
        tx.mark_sending(reply, NOW, attempt=1)
    with store.transaction() as tx:
        assert tx.abandon_interrupted_sends(NOW) == 1
    assert store.read("SELECT status FROM replies")[0][0] == "unknown"
    assert store.next_due_reply(NOW) is None


@pytest.mark.parametrize(
    ("transition", "expected"),
    [
        (lambda tx, r: tx.mark_sent(r, NOW, [7, 8]), ("sent", 1, 2, "7,8", None)),
        (
            lambda tx, r: tx.mark_unknown(r, NOW, "no answer", 1),
            ("unknown", 1, 1, None, "no answer"),
        ),
        (lambda tx, r: tx.mark_failed(r, NOW, "refused"), ("failed", 1, 0, None, "refused")),
        (
            lambda tx, r: tx.requeue(r, NOW, NOW + timedelta(minutes=1), "refused"),
            ("queued", 1, 0, None, "refused"),
        ),
    ],
)
def test_reply_transitions_after_sending_record_their_outcome(store, transition, expected):
    reply = _queue_reply(store)
    with store.transaction() as tx:
        tx.mark_sending(reply, NOW, attempt=1)
        transition(tx, reply)
    assert _reply_row(store)[:5] == expected


def test_requeue_makes_the_reply_due_again_later(store):
    reply = _queue_reply(store)
    later = NOW + timedelta(minutes=2)
    with store.transaction() as tx:
        tx.mark_sending(reply, NOW, attempt=1)
        tx.requeue(reply, NOW, later, "refused")
    assert store.next_due_reply(NOW) is None
    assert store.next_due_reply(later).id == reply


def test_skip_drops_a_queued_reply_with_its_code_and_frees_its_budget(store):
    reply = _queue_reply(store, segments=2)
    assert store.spending(NOW).segments_hour == 2
    with store.transaction() as tx:
        tx.skip(reply, NOW, "blocked before it was sent (x)", Reason.BLOCKED_WHILE_WAITING)
    assert _reply_row(store)[0] == "skipped"
    assert _reply_row(store)[5] == "blocked_while_waiting"
    assert store.spending(NOW).segments_hour == 0


def test_skip_and_mark_sending_leave_a_reply_that_is_no_longer_queued_alone(store):
    reply = _queue_reply(store)
    with store.transaction() as tx:
        tx.mark_sending(reply, NOW, attempt=1)
        tx.skip(reply, NOW, "too late", Reason.BLOCKED_WHILE_WAITING)
        tx.mark_sending(reply, NOW, attempt=2)
    assert _reply_row(store)[:2] == ("sending", 1)


def test_spending_is_typed_and_held_flood_replies_reserve_nothing(store):
    _queue_reply(store, segments=3, in_flood=True)
    spent = store.spending(NOW, "+33612345678")
    assert spent == Spending()
    _queue_reply(store, segments=2)
    spent = store.spending(NOW, "+33612345678")
    assert (spent.segments_hour, spent.numbers_month, spent.number_answered_this_month) == (
        2,
        1,
        True,
    )


def test_a_flood_mode_reply_counts_from_when_it_left_not_when_it_was_decided(store):
    held = _queue_reply(store, segments=2, in_flood=True)
    sent_at = NOW + timedelta(hours=3)
    with store.transaction() as tx:
        tx.mark_sending(held, sent_at, attempt=1)
        tx.mark_sent(held, sent_at, [1, 2])
    # Three hours after its decision, it is in the hour it left, and in the raids' share.
    spent = store.spending(sent_at + timedelta(minutes=30))
    assert (spent.segments_hour, spent.flood_segments_hour) == (2, 2)
    assert (spent.flood_segments_month, spent.flood_numbers_month, spent.numbers_month) == (2, 1, 1)
    assert store.spending(sent_at + timedelta(minutes=61)).segments_hour == 0


def test_the_cooldown_of_a_deferred_reply_counts_from_when_it_left(store):
    held = _queue_reply(store, in_flood=True)
    assert store.reply_history("+33612345678")[0] == NOW  # waiting: from its decision
    left = NOW + timedelta(hours=20)
    with store.transaction() as tx:
        tx.mark_sending(held, left, attempt=1)
        tx.mark_sent(held, left, [1])
    assert store.reply_history("+33612345678")[0] == left


def test_a_reply_decided_outside_a_flood_counts_from_its_decision(store):
    reply = _queue_reply(store, segments=1)
    with store.transaction() as tx:
        tx.mark_sending(reply, NOW + timedelta(minutes=59), attempt=1)
    spent = store.spending(NOW + timedelta(minutes=61))
    assert (spent.segments_hour, spent.segments_day, spent.flood_segments_month) == (0, 1, 0)


def test_alerts_spend_their_reserve_and_never_the_replies_budgets(store):
    with store.transaction() as tx:
        tx.insert_alert(
            kind="flood mode on",
            recipient="+33600000001",
            text="antirelou: flood mode on",
            queued=True,
            reason="alert",
            code=Reason.ALERT,
            segments=1,
            now=NOW,
        )
    spent = store.spending(NOW)
    assert (spent.alert_segments_day, spent.segments_hour, spent.segments_day) == (1, 0, 0)
    assert store.spending(NOW + timedelta(hours=25)).alert_segments_day == 0


def test_deferring_pushes_every_due_flood_reply_and_the_oldest_goes_first(store):
    first = _queue_reply(store, in_flood=True, recipient="+33611111111")
    normal = _queue_reply(store, recipient="+33622222222", at=NOW + timedelta(minutes=1))
    second = _queue_reply(
        store, in_flood=True, recipient="+33633333333", at=NOW + timedelta(minutes=2)
    )
    until = NOW + timedelta(minutes=7)
    with store.transaction() as tx:
        assert tx.defer_flood_replies(NOW + timedelta(minutes=2), until, "hourly budget spent") == 2
    later = NOW + timedelta(minutes=3)
    assert store.next_due_reply(later).id == normal  # not held by a flood budget
    with store.transaction() as tx:
        tx.mark_sending(normal, later, attempt=1)
    assert store.next_due_reply(later) is None
    # Once due again, the oldest decision first, whatever came due in between.
    newer = _queue_reply(store, in_flood=True, recipient="+33644444444", at=later)
    assert store.next_due_reply(until).id == first
    with store.transaction() as tx:
        tx.skip(first, until, "wrote again", Reason.INSISTED_DURING_HOLD)
    assert store.next_due_reply(until).id == second
    assert newer > second
    assert store.read("SELECT held_by FROM replies WHERE id = ?", (second,))[0][0] == (
        "hourly budget spent"
    )


def test_reply_unique_per_message(store):
    _queue_reply(store)
    message = store.read("SELECT id FROM messages")[0][0]
    with pytest.raises(StoreError, match="UNIQUE"), store.transaction() as tx:
        tx.insert_reply(
            message_id=message,
            recipient="+33612345678",
            text="r",
            queued=True,
            reason="",
            code=Reason.FIRST_MESSAGE,
            segments=1,
            due_at=NOW,
            now=NOW,
        )


def test_readonly_store_cannot_write(tmp_path):
    path = str(tmp_path / "log.db")
    Store(path).close()
    with Store(path, readonly=True) as reader, pytest.raises(StoreError):
        with reader.transaction() as tx:
            tx.event(NOW, "x", "y")


def test_readonly_store_without_database_says_so(tmp_path):
    with pytest.raises(StoreError, match="no database yet"):
        Store(str(tmp_path / "missing.db"), readonly=True)


def test_store_upgrades_a_version_1_database_in_place(tmp_path):
    path = str(tmp_path / "log.db")
    database = sqlite3.connect(path)
    database.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    database.execute("INSERT INTO events (at, kind, detail) VALUES ('2026', 'started', 'v1')")
    database.commit()
    database.close()
    with pytest.raises(StoreError, match="older format"):
        Store(path, readonly=True)
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.read("SELECT detail FROM events")[0][0] == "v1"
        with store.transaction() as tx:
            assert tx.block("+33612345678", "test", NOW)


def test_store_keeps_a_private_copy_before_upgrading(tmp_path):
    path = str(tmp_path / "log.db")
    database = sqlite3.connect(path)
    for script in MIGRATIONS[:4]:
        database.executescript(script)
    database.execute("PRAGMA user_version = 4")
    database.execute("INSERT INTO events (at, kind, detail) VALUES ('2026', 'started', 'v4')")
    database.execute(
        "INSERT INTO messages (sender, sender_kind, received_at, parts, parts_expected)"
        " VALUES ('+33612345678', 'phone', '2026', 1, 1)"
    )
    database.execute(
        "INSERT INTO replies (message_id, status, reason, created_at, updated_at)"
        " VALUES (1, 'skipped', 'already answered 2h ago (cooldown 24h)', '2026', '2026')"
    )
    database.commit()
    database.close()
    Store(path).close()
    backup = f"{path}.v4.bak"
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    copy = sqlite3.connect(backup)
    assert copy.execute("PRAGMA user_version").fetchone()[0] == 4
    assert copy.execute("SELECT detail FROM events").fetchall() == [("v4",)]
    copy.close()
    with Store(path, readonly=True) as store:
        # The upgrade gave the old sentence its code.
        assert store.read("SELECT reason_code FROM replies")[0][0] == "cooldown"


def test_store_upgrade_to_version_6_makes_every_logged_row_an_sms(tmp_path):
    path = str(tmp_path / "log.db")
    database = sqlite3.connect(path)
    for script in MIGRATIONS[:5]:
        database.executescript(script)
    database.execute("PRAGMA user_version = 5")
    database.execute(
        "INSERT INTO messages (sender, sender_kind, received_at, parts, parts_expected)"
        " VALUES ('+33612345678', 'phone', '2026', 1, 1)"
    )
    database.commit()
    database.close()
    with Store(path) as store:
        assert store.read("SELECT kind FROM messages")[0][0] == "sms"
        assert os.path.exists(f"{path}.v5.bak")


def test_store_upgrade_to_version_7_counts_old_replies_from_their_decision(tmp_path):
    path = str(tmp_path / "log.db")
    database = sqlite3.connect(path)
    for script in MIGRATIONS[:6]:
        database.executescript(script)
    database.execute("PRAGMA user_version = 6")
    for message, (status, in_flood) in enumerate(
        [("sent", 0), ("queued", 0), ("queued", 1), ("skipped", 0)], start=1
    ):
        database.execute(
            "INSERT INTO messages (sender, sender_kind, received_at, parts, parts_expected)"
            " VALUES (?, 'phone', ?, 1, 1)",
            (f"+3361234567{message}", NOW.isoformat()),
        )
        database.execute(
            "INSERT INTO replies (message_id, recipient, status, reason, segments, created_at,"
            " updated_at, in_flood) VALUES (?, ?, ?, 'first message', 1, ?, ?, ?)",
            (message, f"+3361234567{message}", status, NOW.isoformat(), NOW.isoformat(), in_flood),
        )
    database.commit()
    database.close()
    with Store(path) as store:
        spent = [row[0] is not None for row in store.read("SELECT spent_at FROM replies")]
        assert spent == [True, True, False, False]
        assert store.spending(NOW).segments_hour == 2


def test_store_makes_no_copy_of_a_new_or_current_database(tmp_path):
    path = str(tmp_path / "log.db")
    Store(path).close()
    Store(path).close()
    assert [name for name in os.listdir(tmp_path) if name.endswith(".bak")] == []


def _spending_from_rows(store: Store, now: datetime) -> tuple:
    """What the budgets must read, computed the slow way: from every reply row."""
    hour, day, month = (
        (now - timedelta(seconds=s)).isoformat(timespec="milliseconds")
        for s in (3600, 86400, 30 * 86400)
    )
    return tuple(
        store.read(
            "SELECT COALESCE(SUM(CASE WHEN spent_at >= ? THEN segments END), 0),"
            " COALESCE(SUM(CASE WHEN spent_at >= ? THEN segments END), 0),"
            " COALESCE(SUM(segments), 0), COUNT(DISTINCT recipient),"
            " COALESCE(SUM(CASE WHEN spent_at >= ? AND in_flood = 1 THEN segments END), 0),"
            " COALESCE(SUM(in_flood * segments), 0),"
            " COUNT(DISTINCT CASE WHEN in_flood = 1 THEN recipient END)"
            " FROM replies WHERE status IN ('queued', 'sending', 'sent', 'unknown')"
            " AND spent_at >= ?",
            (hour, day, hour, month),
        )[0]
    )


@pytest.mark.parametrize("seed", range(6))
def test_the_budget_counters_always_agree_with_the_replies(store, seed):
    import random

    rng = random.Random(seed)
    replies: list[int] = []
    now = NOW
    for _ in range(150):
        now += timedelta(minutes=rng.choice([1, 7, 45, 180, 900]))
        action = rng.random()
        if action < 0.35 or not replies:
            replies.append(
                _queue_reply(
                    store,
                    segments=rng.randint(1, 3),
                    in_flood=rng.random() < 0.4,
                    recipient=f"+336000000{rng.randrange(8)}",
                    at=now,
                )
            )
            continue
        reply = rng.choice(replies)
        with store.transaction() as tx:
            if action < 0.55:
                tx.mark_sending(reply, now, attempt=1)
            elif action < 0.65:
                tx.mark_sent(reply, now, [1])
            elif action < 0.75:
                tx.skip(reply, now, "dropped", Reason.INSISTED_DURING_HOLD)
            elif action < 0.85:
                tx.mark_failed(reply, now, "refused")
            elif action < 0.92:
                tx.requeue(reply, now, now, "refused")
            else:
                tx.mark_unknown(reply, now, "no answer", 1)
        spent = store.spending(now)
        assert (
            spent.segments_hour,
            spent.segments_day,
            spent.segments_month,
            spent.numbers_month,
            spent.flood_segments_hour,
            spent.flood_segments_month,
            spent.flood_numbers_month,
        ) == _spending_from_rows(store, now)
