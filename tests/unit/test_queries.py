"""The read-only queries behind `status`, `log`, `blocked`, `stats` and the demo, on a real
SQLite file filled through `Store`."""

from datetime import UTC, datetime, timedelta

import pytest
from operator_log import add_message, block_number, log_event

from antirelou.reasons import Reason
from antirelou.store import CALL, Store, iso, queries

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "log.db")) as opened:
        yield opened


def test_counts_since_counts_messages_senders_replies_and_segments_from_the_start(store):
    add_message(store, "+33611111111", NOW - timedelta(hours=2), status="sent", segments_sent=2)
    add_message(
        store, "+33611111111", NOW - timedelta(hours=1), status="skipped", code=Reason.COOLDOWN
    )
    add_message(store, "+33622222222", NOW - timedelta(minutes=5), status="queued")
    add_message(store, "+33644444444", NOW - timedelta(minutes=4), call=True)
    add_message(store, None, NOW - timedelta(minutes=3), call=True)
    yesterday = NOW - timedelta(days=1)  # before the start
    add_message(store, "+33633333333", yesterday, status="sent", segments_sent=1)
    counts = queries.counts_since(store, NOW - timedelta(hours=3))
    assert counts == {
        "messages": 3,
        "senders": 2,
        "calls": 2,
        "replies_sent": 1,
        "replies_skipped": 1,
        "replies_queued": 1,
        "replies_failed": 0,
        "replies_unknown": 0,
        "segments_sent": 2,
    }


def test_counts_since_compares_times_not_text_whatever_the_zone_of_the_start(store):
    add_message(store, "+33611111111", NOW)
    paris = NOW.astimezone(datetime.fromisoformat("2026-03-08T00:00+01:00").tzinfo)
    assert queries.counts_since(store, paris - timedelta(minutes=1))["messages"] == 1
    assert queries.counts_since(store, paris + timedelta(minutes=1))["messages"] == 0


def test_recent_events_are_the_latest_first(store):
    for minute in range(7):
        log_event(store, NOW + timedelta(minutes=minute), "connected", f"event {minute}")
    events = queries.recent_events(store)
    assert [event["detail"] for event in events] == [
        f"event {minute}" for minute in (6, 5, 4, 3, 2)
    ]
    assert events[0] == {
        "at": iso(NOW + timedelta(minutes=6)),
        "kind": "connected",
        "detail": "event 6",
    }


def test_messages_with_replies_gives_the_latest_oldest_first_with_reply_and_reason_code(store):
    for minute in range(4):
        add_message(
            store, "+33611111111", NOW + timedelta(minutes=minute), status="sent", segments_sent=1
        )
    add_message(
        store,
        "+33622222222",
        NOW + timedelta(minutes=10),
        status="skipped",
        reason="already answered 2m ago (cooldown 24h)",
        code=Reason.COOLDOWN,
    )
    add_message(store, "+33633333333", NOW + timedelta(minutes=11))  # no reply yet
    records = queries.messages_with_replies(store, 3)
    assert [record["id"] for record in records] == [4, 5, 6]
    assert records[1]["reply"] == {
        "status": "skipped",
        "reason": "already answered 2m ago (cooldown 24h)",
        "reason_code": "cooldown",
        "in_flood": False,
        "held_by": None,
        "text": "non",
        "updated_at": iso(NOW + timedelta(minutes=10)),
        "segments_sent": 0,
    }
    assert records[1]["complete"] is False  # no PDU behind these messages
    assert records[2]["reply"]["status"] is None
    assert len(queries.messages_with_replies(store, 0)) == 6
    only = queries.messages_with_replies(store, 0, "+33611111111")
    assert [record["id"] for record in only] == [1, 2, 3, 4]


def test_messages_with_replies_gives_each_row_its_kind_and_finds_calls_by_sender(store):
    add_message(store, "+33611111111", NOW)
    add_message(store, "+33611111111", NOW + timedelta(minutes=1), call=True)
    add_message(store, None, NOW + timedelta(minutes=2), call=True)
    records = queries.messages_with_replies(store, 0)
    assert [(record["kind"], record["sender"]) for record in records] == [
        ("sms", "+33611111111"),
        ("call", "+33611111111"),
        ("call", None),
    ]
    assert records[1]["text"] is None and records[1]["complete"] is True
    only = queries.messages_with_replies(store, 0, "+33611111111")
    assert [record["kind"] for record in only] == ["sms", "call"]


def test_blocked_numbers_lists_oldest_first(store):
    block_number(store, "+33622222222", "menaces", NOW + timedelta(minutes=1))
    block_number(store, "+33611111111", "insultes", NOW)
    assert queries.blocked_numbers(store) == [
        {"number": "+33611111111", "reason": "insultes", "at": iso(NOW)},
        {"number": "+33622222222", "reason": "menaces", "at": iso(NOW + timedelta(minutes=1))},
    ]


def test_message_count_and_waiting_replies(store):
    for status in ("queued", "sending", "sent", "skipped", None):
        add_message(store, "+33611111111", NOW, status=status)
    assert queries.message_count(store) == 5
    assert queries.waiting_replies(store).total == 2


def test_messages_between_counts_each_range_start_included_end_excluded(store):
    for minute in (0, 30, 60, 90):
        add_message(store, "+33611111111", NOW + timedelta(minutes=minute))
    hour = timedelta(hours=1)
    ranges = [(NOW - hour, NOW), (NOW, NOW + hour), (NOW + hour, NOW + 2 * hour)]
    assert queries.messages_between(store, ranges) == [0, 2, 2]
    add_message(store, "+33611111111", NOW + timedelta(minutes=10), call=True)
    assert queries.messages_between(store, ranges) == [0, 2, 2]
    assert queries.messages_between(store, ranges, CALL) == [0, 1, 0]


def test_message_tallies_count_per_period_overall_and_by_kind(store):
    add_message(store, "+33611111111", NOW - timedelta(days=2))
    add_message(store, "+33611111111", NOW - timedelta(hours=1))
    add_message(store, "+33622222222", NOW - timedelta(hours=1))
    overall, by_kind = queries.message_tallies(store, [NOW - timedelta(days=1), None])
    assert overall == [queries.Tally(2, 2), queries.Tally(3, 2)]
    assert by_kind == {"phone": [queries.Tally(2, 2), queries.Tally(3, 2)]}
    add_message(store, "+33633333333", NOW - timedelta(hours=1), call=True)
    add_message(store, None, NOW - timedelta(days=2), kind="invalid", call=True)
    assert queries.message_tallies(store, [NOW - timedelta(days=1), None])[0] == overall
    calls, by_kind = queries.message_tallies(store, [NOW - timedelta(days=1), None], CALL)
    assert calls == [queries.Tally(1, 1), queries.Tally(2, 1)]
    assert by_kind == {
        "phone": [queries.Tally(1, 1), queries.Tally(1, 1)],
        "invalid": [queries.Tally(0, 0), queries.Tally(1, 0)],
    }


def test_top_senders_rank_and_flag_blocked_numbers(store):
    add_message(store, "+33611111111", NOW - timedelta(hours=2))
    add_message(store, "+33611111111", NOW - timedelta(hours=1))
    add_message(store, "+33622222222", NOW - timedelta(minutes=1))
    add_message(store, "+33633333333", NOW - timedelta(days=9))  # before the start
    block_number(store, "+33622222222", "menaces", NOW)
    top = queries.top_senders(store, NOW - timedelta(days=7), 10)
    assert top == [
        {
            "sender": "+33611111111",
            "kind": "phone",
            "messages": 2,
            "calls": 0,
            "last_seen": iso(NOW - timedelta(hours=1)),
            "blocked": False,
        },
        {
            "sender": "+33622222222",
            "kind": "phone",
            "messages": 1,
            "calls": 0,
            "last_seen": iso(NOW - timedelta(minutes=1)),
            "blocked": True,
        },
    ]


def test_top_senders_rank_by_messages_and_calls_together(store):
    add_message(store, "+33611111111", NOW - timedelta(hours=2))
    add_message(store, "+33611111111", NOW - timedelta(hours=1))
    add_message(store, "+33622222222", NOW - timedelta(minutes=3))
    add_message(store, "+33622222222", NOW - timedelta(minutes=2), call=True)
    add_message(store, "+33622222222", NOW - timedelta(minutes=1), call=True)
    add_message(store, None, NOW - timedelta(minutes=1), call=True)  # no number to rank
    top = queries.top_senders(store, NOW - timedelta(days=7), 10)
    assert [(row["sender"], row["messages"], row["calls"]) for row in top] == [
        ("+33622222222", 1, 2),
        ("+33611111111", 2, 0),
    ]


def test_reply_groups_split_skips_by_code_only(store):
    add_message(store, "+33611111111", NOW - timedelta(hours=1), status="sent", segments_sent=2)
    add_message(store, "+33622222222", NOW - timedelta(days=3), status="sent", segments_sent=1)
    add_message(
        store, "+33633333333", NOW - timedelta(hours=1), status="skipped", code=Reason.COOLDOWN
    )
    add_message(
        store, "+33644444444", NOW - timedelta(days=3), status="skipped", code=Reason.COOLDOWN
    )
    add_message(store, "+33655555555", NOW - timedelta(hours=1), status="skipped", code=None)
    groups = queries.reply_groups(store, [NOW - timedelta(days=1), NOW - timedelta(days=7)])
    assert sorted(groups, key=lambda group: (group.status, group.reason_code or "")) == [
        queries.ReplyGroup("sent", None, (1, 2), (2, 3)),
        queries.ReplyGroup("skipped", None, (1, 1), (0, 0)),
        queries.ReplyGroup("skipped", "cooldown", (1, 2), (0, 0)),
    ]


def test_flood_events_and_volume_between(store):
    start, end = NOW - timedelta(hours=1), NOW
    log_event(store, start, "flood started", "x")
    log_event(store, start, "connected", "not a flood event")
    log_event(store, end, "flood ended", "y")
    add_message(store, "+33611111111", start, status="sent", segments_sent=2)
    add_message(store, "+33622222222", end, status="skipped", code=Reason.FLOOD_ALREADY_ANSWERED)
    after = end + timedelta(seconds=1)
    add_message(store, "+33633333333", after, status="sent", segments_sent=1)
    assert queries.flood_events(store) == [
        (iso(start), "flood started"),
        (iso(end), "flood ended"),
    ]
    assert queries.volume_between(store, start, end) == (2, 1, 2, 0)
    add_message(store, "+33644444444", end, call=True)
    assert queries.volume_between(store, start, end) == (2, 1, 2, 1)
