"""Retention on a real SQLite file: what a purge removes and keeps, the keyed pseudonyms the
service still decides with, and no readable copy of a purged number left in the files."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import timedelta

import pytest
from evidence_log import START, THREAT, config_for, file_bytes, receive
from operator_log import add_message

from antirelou.pseudonyms import KEY_FILE, PREFIX
from antirelou.simulator.network_pdu import encode_deliver
from antirelou.store import Store
from antirelou.store.purge import cutoffs, plan_purge, purge

ORDINARY, THREATENER, RECENT = "+33611111111", "+33633333333", "+33655555555"
DAY = timedelta(days=1)


@pytest.fixture
def setup(tmp_path):
    # Replies are decided, not sent, here: one still queued would keep its message.
    config = config_for(str(tmp_path / "log.db"), "replies:\n  enabled: false\n")
    with Store(config.database) as store:
        receive(store, config, [(ORDINARY, "Salut c'est Kevin du bar"), (THREATENER, THREAT)])
        receive(store, config, [(THREATENER, "tu réponds ?")], START + 100 * DAY)
        receive(store, config, [(RECENT, "bonjour")], START + 150 * DAY)
        yield store, config


def _senders(store: Store, purged: bool) -> list[str]:
    rows = store.read("SELECT sender, purged_at FROM messages ORDER BY id")
    return [sender for sender, purged_at in rows if bool(purged_at) == purged]


def test_a_flagged_number_is_kept_until_retention_flagged_after_its_last_message(setup):
    store, config = setup
    plan = purge(store, config.retention, START + 200 * DAY, "camille", "purge")
    assert plan.kept_flagged == 2  # the threat, and what its number wrote after
    assert _senders(store, purged=False) == [THREATENER, THREATENER, RECENT]
    assert _senders(store, purged=True)[0].startswith(PREFIX)
    # 6 years (of 366 days) after its last message, the threatener's series goes too.
    last = START + 100 * DAY
    assert purge(store, config.retention, last + 6 * 366 * DAY - DAY, "x", "purge").messages == [4]
    assert purge(store, config.retention, last + 6 * 366 * DAY + DAY, "x", "purge").messages == [
        2,
        3,
    ]
    assert store.read("SELECT COUNT(*) FROM flags")[0][0] == 0


def test_unflagged_messages_are_ordinary_again(setup, tmp_path):
    store, config = setup
    with store.transaction() as tx:
        tx.unflag(2, START, "camille")
    plan = purge(store, config.retention, START + 200 * DAY, "camille", "purge")
    assert plan.messages == [1, 2, 3] and plan.kept_flagged == 0


def test_a_purged_number_is_still_seen_and_ever_answered_through_its_keyed_pseudonym(setup):
    store, config = setup
    answered = "+33612121212"
    message_id = add_message(store, answered, START, status="sent", segments=1)
    assert store.seen_before(answered) and store.reply_history(answered)[3]
    purge(store, config.retention, START + 200 * DAY, "camille", "purge")
    assert store.read("SELECT text FROM messages WHERE id = ?", (message_id,))[0][0] is None
    assert store.seen_before(answered)
    assert store.reply_history(answered)[3]  # ever answered: flood mode still knows
    assert not store.seen_before("+33600000000")
    key = os.path.join(os.path.dirname(config.database), KEY_FILE)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    # Keyed: a plain hash of the number is found nowhere.
    plain = hashlib.sha256(ORDINARY.encode()).hexdigest()
    assert plain[:32].encode() not in file_bytes(config.database)


def test_purge_leaves_no_readable_copy_of_a_purged_number_in_the_database_files(setup):
    store, config = setup
    # The number as text, as the PDU's semi-octets, and the text itself.
    number_in_pdu = encode_deliver(ORDINARY, "x", START)[0][18:30]
    traces = [ORDINARY.encode(), ORDINARY[1:].encode(), number_in_pdu.encode(), b"Kevin du bar"]
    with store.transaction() as tx:  # a block list change about it, undone since
        tx.block(ORDINARY, "relou", START, "camille")
        tx.unblock(ORDINARY, START, "camille")
    before = file_bytes(config.database)
    assert all(trace in before for trace in traces)  # the check below can fail
    purge(store, config.retention, START + 200 * DAY, "camille", "purge")
    after = file_bytes(config.database)
    assert [trace for trace in traces if trace in after] == []
    assert os.path.getsize(config.database + "-wal") == 0  # emptied into the file, truncated
    # What the service keeps of the others is still readable.
    assert THREATENER.encode() in after and RECENT.encode() in after


def test_a_reply_still_waiting_keeps_its_message(tmp_path):
    config = config_for(str(tmp_path / "log.db"))
    with Store(config.database) as store:
        add_message(store, ORDINARY, START, status="queued")
        add_message(store, RECENT, START, status="sent")
        plan = plan_purge(store, cutoffs(config.retention, START + 200 * DAY), config.database)
        assert plan.messages == [2]


def test_old_access_records_block_changes_and_pre_upgrade_copies_go(setup):
    store, config = setup
    with store.transaction() as tx:
        tx.block(ORDINARY, "relou", START, "camille")
        tx.unblock(ORDINARY, START, "camille")
        tx.block(THREATENER, "menace", START, "camille")
        tx.access(START, "export", "camille", "pdf, 3 messages")
    old_copy, new_copy = config.database + ".v6.bak", config.database + ".v7.bak"
    for path in (old_copy, new_copy):
        with open(path, "wb") as file:
            file.write(b"SQLite format 3\x00")
    os.utime(old_copy, (START.timestamp(), START.timestamp()))
    now = START + 400 * DAY
    os.utime(new_copy, (now.timestamp(), now.timestamp()))
    plan = purge(store, config.retention, now, "camille", "purge")
    assert len(plan.blocks) == 2 and len(plan.access) == 1 and plan.backups == [old_copy]
    numbers = [row[0] for row in store.read("SELECT number FROM block_events ORDER BY id")]
    assert numbers[0].startswith(PREFIX) and numbers[1].startswith(PREFIX)
    assert numbers[2] == THREATENER  # still blocked: the block list holds it anyway
    assert store.read("SELECT kind FROM events WHERE kind LIKE '%blocked'") == []
    assert not os.path.exists(old_copy) and os.path.exists(new_copy)
    # The purge itself is an access record: who erased, and how much.
    assert tuple(store.read("SELECT command, user FROM access")[0]) == ("purge", "camille")


def test_the_budgets_look_back_less_than_the_shortest_retention(tmp_path):
    # retention.messages is at least 31 days, and a message goes only once its reply settled
    # before the cut-off: nothing a 30-day budget counts is ever pseudonymised.
    config = config_for(str(tmp_path / "log.db"), "retention:\n  messages: 31d\n")
    with Store(config.database) as store:
        for day in range(0, 60, 3):
            add_message(store, f"+336100000{day:02d}", START + day * DAY, status="sent", segments=1)
        now = START + 60 * DAY
        before = store.spending(now)
        plan = purge(store, config.retention, now, "x", "purge")
        assert plan.messages  # some went
        assert store.spending(now) == before
