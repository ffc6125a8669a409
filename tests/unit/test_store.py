import os
import sqlite3
import stat
from datetime import UTC, datetime

import pytest

from antirelou.store import MIGRATIONS, Store, StoredPdu, StoreError

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
    with pytest.raises(RuntimeError), store.transaction() as db:
        store.insert_pdu(db, StoredPdu(1, 0, "00"), "SM", NOW, None, None)
        raise RuntimeError("boom")
    assert store.read("SELECT COUNT(*) FROM pdus")[0][0] == 0


def test_abandon_interrupted_sends_marks_unknown_and_never_requeues(store):
    with store.transaction() as db:
        message = store.insert_message(
            db,
            pdu_ids=[],
            sender="+33612345678",
            sender_kind="phone",
            text="x",
            smsc_time=None,
            received_at=NOW.isoformat(),
            parts_expected=1,
            encoding="gsm7",
            error=None,
        )
        reply = store.insert_reply(
            db,
            message_id=message,
            recipient="+33612345678",
            text="r",
            status="queued",
            reason="",
            segments=1,
            due_at=NOW,
            now=NOW,
        )
    store.update_reply(reply, NOW, status="sending", attempts=1)
    assert store.abandon_interrupted_sends(NOW) == 1
    assert store.read("SELECT status FROM replies")[0][0] == "unknown"
    assert store.next_due_reply(NOW) is None


def test_reply_unique_per_message(store):
    with store.transaction() as db:
        message = store.insert_message(
            db,
            pdu_ids=[],
            sender="+33612345678",
            sender_kind="phone",
            text="x",
            smsc_time=None,
            received_at=NOW.isoformat(),
            parts_expected=1,
            encoding="gsm7",
            error=None,
        )
        store.insert_reply(
            db,
            message_id=message,
            recipient="+33612345678",
            text="r",
            status="queued",
            reason="",
            segments=1,
            due_at=NOW,
            now=NOW,
        )
    with pytest.raises(StoreError, match="UNIQUE"), store.transaction() as db:
        store.insert_reply(
            db,
            message_id=message,
            recipient="+33612345678",
            text="r",
            status="queued",
            reason="",
            segments=1,
            due_at=NOW,
            now=NOW,
        )


def test_readonly_store_cannot_write(tmp_path):
    path = str(tmp_path / "log.db")
    Store(path).close()
    with Store(path, readonly=True) as reader, pytest.raises(StoreError):
        reader.event(NOW, "x", "y")


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
        assert store.block("+33612345678", "test", NOW)
