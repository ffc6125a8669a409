import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from operator_log import add_message, block_number, log_event, paris_time

from antirelou.config import (
    BudgetsConfig,
    Config,
    FloodConfig,
    LoggingConfig,
    ModemConfig,
    NumbersConfig,
    RepliesConfig,
)
from antirelou.reasons import Reason
from antirelou.stats import (
    bar,
    bar_chart,
    day_buckets,
    fit,
    gather,
    hour_buckets,
    pair_flood_events,
    reason_label,
    render,
)
from antirelou.store import Store

# 13:30 in Paris (CET, UTC+1).
NOW = datetime(2026, 3, 8, 12, 30, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(autouse=True)
def local_time_paris(monkeypatch):
    with paris_time(monkeypatch):
        yield


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "log.db")) as opened:
        yield opened


def make_config(budgets: BudgetsConfig | None = None, flood: FloodConfig | None = None) -> Config:
    return Config(
        path="/etc/antirelou/antirelou.yaml",
        modem=ModemConfig(port="/dev/ttyUSB0"),
        database="/var/lib/antirelou/antirelou.db",
        numbers=NumbersConfig(),
        replies=RepliesConfig(),
        logging=LoggingConfig(),
        budgets=budgets or BudgetsConfig(),
        flood=flood or FloodConfig(),
    )


# --- time buckets ------------------------------------------------------------------------------


def test_hour_buckets_are_the_last_24_local_clock_hours():
    buckets = hour_buckets(NOW)
    assert len(buckets) == 24
    assert buckets[0][0] == utc("2026-03-07T13:00")  # 14:00 in Paris, the day before
    assert buckets[-1] == (utc("2026-03-08T12:00"), utc("2026-03-08T13:00"))  # under way
    assert all(
        end == next_start
        for (_, end), (next_start, _) in zip(buckets[:-1], buckets[1:], strict=True)
    )


def test_hour_buckets_begin_on_local_hours_in_half_hour_zones(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+5:30
    time.tzset()
    buckets = hour_buckets(utc("2026-03-08T10:10"))  # 15:40 local
    assert buckets[-1] == (utc("2026-03-08T09:30"), utc("2026-03-08T10:30"))


def test_hour_buckets_skip_the_hour_clocks_jump_over():
    # On 29 March 2026 Paris goes from 02:00 CET straight to 03:00 CEST.
    buckets = hour_buckets(utc("2026-03-29T02:30"))  # 04:30 CEST
    labels = [start.astimezone().strftime("%H:%M") for start, _ in buckets[-4:]]
    assert labels == ["00:00", "01:00", "03:00", "04:00"]


def test_day_buckets_are_local_calendar_days():
    buckets = day_buckets(NOW)
    assert len(buckets) == 7
    assert buckets[0][0] == utc("2026-03-01T23:00")  # midnight, 2 March, Paris
    assert buckets[-1] == (utc("2026-03-07T23:00"), utc("2026-03-08T23:00"))


def test_day_buckets_last_23_hours_on_the_day_clocks_go_forward():
    start, end = day_buckets(utc("2026-03-29T12:00"))[-1]
    assert start == utc("2026-03-28T23:00")
    assert end == utc("2026-03-29T22:00")


def test_day_buckets_follow_each_other_across_the_day_clocks_go_back():
    # On 25 October 2026 Paris goes from 03:00 CEST back to 02:00 CET: a 25-hour day.
    buckets = day_buckets(utc("2026-10-27T12:00"))
    assert buckets[-3] == (utc("2026-10-24T22:00"), utc("2026-10-25T23:00"))
    assert [start.astimezone().strftime("%d %H:%M") for start, _ in buckets] == [
        f"{day} 00:00" for day in range(21, 28)
    ]
    assert all(end == start for (_, end), (start, _) in zip(buckets, buckets[1:], strict=False))


# --- gather -----------------------------------------------------------------------------------


def test_gather_counts_messages_per_local_hour_and_day(store):
    for moment in (
        "2026-03-08T12:29:59",  # 13:29 local: the hour under way
        "2026-03-08T12:00:00",  # 13:00 local exactly: still the hour under way
        "2026-03-08T11:59:59.999",  # 12:59 local: the hour before
        "2026-03-07T13:00:00",  # 14:00 yesterday: the oldest hour shown
        "2026-03-07T12:59:00",  # 13:59 yesterday: before the chart
        "2026-03-07T23:30:00",  # 00:30 on 8 March local, though 7 March in UTC
        "2026-03-07T22:59:00",  # 23:59 on 7 March local
        "2026-03-01T23:00:00",  # midnight starting 2 March local: the oldest day shown
        "2026-03-01T22:59:00",  # 1 March local: before the chart
    ):
        add_message(store, "+33612345678", utc(moment))
    stats = gather(store, make_config(), NOW)
    hours = [bucket["count"] for bucket in stats["messages_per_hour"]]
    assert hours[-1] == 2 and hours[-2] == 1 and hours[0] == 1
    assert hours[10] == 1  # 00:00 local on 8 March
    assert hours[9] == 1  # 23:00 local on 7 March
    assert sum(hours) == 6
    assert stats["messages_per_hour"][0]["start"] == "2026-03-07T14:00:00+01:00"
    days = {bucket["date"]: bucket["count"] for bucket in stats["messages_per_day"]}
    assert days == {
        "2026-03-02": 1,
        "2026-03-03": 0,
        "2026-03-04": 0,
        "2026-03-05": 0,
        "2026-03-06": 0,
        "2026-03-07": 3,
        "2026-03-08": 4,
    }


def test_gather_totals_messages_and_senders_by_period_and_kind(store):
    add_message(store, "+33611111111", NOW - timedelta(hours=1))
    add_message(store, "+33611111111", NOW - timedelta(hours=2))
    add_message(store, "+33622222222", NOW - timedelta(days=3))
    add_message(store, "FREE", NOW - timedelta(hours=5), kind="alphanumeric")
    add_message(store, None, NOW - timedelta(days=2), kind="invalid")
    add_message(store, "+33611111111", NOW - timedelta(days=40))
    add_message(store, "36180", NOW - timedelta(days=40), kind="short code")
    totals = gather(store, make_config(), NOW)["totals"]
    day, week, ever = totals["last_24_hours"], totals["last_7_days"], totals["all_time"]
    assert (day["messages"], day["senders"]) == (3, 2)
    assert (week["messages"], week["senders"]) == (5, 3)
    assert (ever["messages"], ever["senders"]) == (7, 4)
    assert day["by_kind"] == {
        "phone": {"messages": 2, "senders": 1},
        "short code": {"messages": 0, "senders": 0},
        "alphanumeric": {"messages": 1, "senders": 1},
        "invalid": {"messages": 0, "senders": 0},
    }
    assert week["by_kind"]["invalid"] == {"messages": 1, "senders": 0}
    assert ever["by_kind"]["phone"] == {"messages": 4, "senders": 2}
    assert ever["by_kind"]["short code"] == {"messages": 1, "senders": 1}


def test_gather_top_senders_ranks_by_messages_then_last_seen(store):
    for index in range(12):
        number = f"+336000000{index:02d}"
        for count in range(index + 1):
            add_message(store, number, NOW - timedelta(hours=count + 1, minutes=index))
    add_message(store, "+33699999999", NOW - timedelta(days=8))  # too old to count
    add_message(store, "+33699999999", NOW - timedelta(days=9))
    for _ in range(20):
        add_message(store, "+33699999999", NOW - timedelta(days=8))
    add_message(store, "+33600000000", NOW - timedelta(minutes=1))  # ties with +33600000001
    block_number(store, "+33600000011", "insultes", NOW)
    top = gather(store, make_config(), NOW)["top_senders"]
    assert [entry["sender"] for entry in top] == [
        f"+336000000{index:02d}" for index in range(11, 1, -1)
    ]
    assert top[0] == {
        "sender": "+33600000011",
        "kind": "phone",
        "messages": 12,
        "calls": 0,
        "last_seen": "2026-03-08T12:19:00+01:00",
        "blocked": True,
    }
    assert not top[1]["blocked"]


def test_gather_counts_calls_beside_messages_per_hour_day_and_period(store):
    add_message(store, "+33611111111", NOW - timedelta(minutes=10))
    add_message(store, "+33611111111", NOW - timedelta(minutes=5), call=True)
    add_message(store, None, NOW - timedelta(days=2), kind="invalid", call=True)
    stats = gather(store, make_config(), NOW)
    assert [(bucket["count"], bucket["calls"]) for bucket in stats["messages_per_hour"][-1:]] == [
        (1, 1)
    ]
    assert [bucket["calls"] for bucket in stats["messages_per_day"]] == [0, 0, 0, 0, 1, 0, 1]
    totals = stats["totals"]
    assert (totals["last_24_hours"]["messages"], totals["last_24_hours"]["calls"]) == (1, 1)
    assert (totals["all_time"]["calls"], totals["all_time"]["callers"]) == (2, 1)
    assert totals["all_time"]["by_kind"]["invalid"] == {"messages": 0, "senders": 0}
    [top] = stats["top_senders"]
    assert (top["sender"], top["messages"], top["calls"]) == ("+33611111111", 1, 1)


def test_gather_top_senders_breaks_ties_by_latest_message(store):
    add_message(store, "+33611111111", NOW - timedelta(hours=3))
    add_message(store, "+33622222222", NOW - timedelta(hours=1))
    top = gather(store, make_config(), NOW)["top_senders"]
    assert [entry["sender"] for entry in top] == ["+33622222222", "+33611111111"]


def test_reason_label_names_the_code_and_calls_a_missing_code_other():
    assert reason_label("cooldown") == "already answered (cooldown)"
    assert reason_label("budget_hour") == "hourly budget spent"
    assert reason_label(None) == "other"
    assert reason_label("invented_later") == "invented_later"


def test_gather_replies_groups_skipped_by_reason_code_per_period(store):
    hour_ago, week_ago = NOW - timedelta(hours=1), NOW - timedelta(days=7)
    add_message(store, "+33611111111", hour_ago, status="sent", segments=2, segments_sent=2)
    add_message(store, "+33622222222", week_ago, status="sent", segments=1, segments_sent=1)
    add_message(
        store,
        "+33611111111",
        hour_ago,
        status="skipped",
        reason="already answered 5m ago (cooldown 24h)",
        code=Reason.COOLDOWN,
    )
    add_message(
        store,
        "+33611111111",
        hour_ago,
        status="skipped",
        reason="already answered 7m ago (cooldown 24h)",
        code=Reason.COOLDOWN,
    )
    add_message(
        store,
        "+33633333333",
        hour_ago,
        status="skipped",
        reason="hourly budget spent (60 of 60 SMS)",
        code=Reason.BUDGET_HOUR,
    )
    add_message(
        store,
        "+33644444444",
        week_ago,
        status="skipped",
        reason="hourly budget spent (59 of 60 SMS)",
        code=Reason.BUDGET_HOUR,
    )
    add_message(
        store,
        "+33655555555",
        week_ago,
        status="skipped",
        reason="hourly budget spent (60 of 60 SMS)",
        code=Reason.BUDGET_HOUR,
    )
    # Worded like a cooldown, but the code is what counts; and a row with no code at all.
    add_message(
        store, "+33611111111", hour_ago, status="skipped", reason="already answered", code=None
    )
    add_message(store, "+33666666666", hour_ago, status="failed", segments=2, segments_sent=1)
    add_message(store, "+33677777777", hour_ago, status="unknown", segments=1)
    add_message(store, "+33688888888", hour_ago, status="queued", segments=1)
    add_message(store, "+33699999999", hour_ago, status="sending", segments=1)
    add_message(
        store, "+33600000000", NOW - timedelta(days=31), status="sent", segments=1, segments_sent=1
    )
    replies = gather(store, make_config(), NOW)["replies"]
    assert replies["last_24_hours"] == {
        "sent": 1,
        "skipped": 4,
        "failed": 1,
        "unknown": 1,
        "waiting": 2,
        "segments_sent": 3,
        "skipped_by_reason": [
            {"reason": "already answered (cooldown)", "code": "cooldown", "count": 2},
            {"reason": "hourly budget spent", "code": "budget_hour", "count": 1},
            {"reason": "other", "code": None, "count": 1},
        ],
    }
    assert replies["last_30_days"] == {
        "sent": 2,
        "skipped": 6,
        "failed": 1,
        "unknown": 1,
        "waiting": 2,
        "segments_sent": 4,
        "skipped_by_reason": [
            {"reason": "hourly budget spent", "code": "budget_hour", "count": 3},
            {"reason": "already answered (cooldown)", "code": "cooldown", "count": 2},
            {"reason": "other", "code": None, "count": 1},
        ],
    }


def test_gather_budgets_show_used_limit_and_left(store):
    add_message(
        store,
        "+33611111111",
        NOW - timedelta(minutes=10),
        status="sent",
        segments=2,
        segments_sent=2,
    )
    add_message(store, "+33622222222", NOW - timedelta(hours=5), status="queued", segments=1)
    add_message(
        store, "+33633333333", NOW - timedelta(days=3), status="sent", segments=3, segments_sent=3
    )
    add_message(store, "+33644444444", NOW - timedelta(minutes=5), status="skipped", segments=0)
    config = make_config(
        BudgetsConfig(
            segments_per_hour=2,
            segments_per_day=300,
            segments_per_month=None,
            numbers_per_month=140,
        )
    )
    budgets = gather(store, config, NOW)["budgets"]
    assert budgets == [
        {"name": "budgets.segments_per_hour", "used": 2, "limit": 2, "left": 0},
        {"name": "budgets.segments_per_day", "used": 3, "limit": 300, "left": 297},
        {"name": "budgets.segments_per_month", "used": 6, "limit": None, "left": None},
        {"name": "budgets.numbers_per_month", "used": 3, "limit": 140, "left": 137},
        {"name": "flood.segments_per_hour", "used": 0, "limit": 10, "left": 10},
        {"name": "flood.share_of_month.segments", "used": 0, "limit": None, "left": None},
        {"name": "flood.share_of_month.numbers", "used": 0, "limit": 35, "left": 35},
        {"name": "alerts.reserve", "used": 0, "limit": 10, "left": 10},
    ]


def test_gather_budgets_leave_out_flood_budget_when_flood_mode_is_off(store):
    config = make_config(flood=FloodConfig(enabled=False))
    names = [budget["name"] for budget in gather(store, config, NOW)["budgets"]]
    assert "flood.segments_per_hour" not in names


def test_pair_flood_events_pairs_starts_with_following_ends():
    events = [
        ("t1", "flood ended"),  # no start before it: ignored
        ("t2", "flood started"),
        ("t3", "flood started"),  # same raid seen again after a restart
        ("t4", "flood ended"),
        ("t5", "flood started"),
    ]
    assert pair_flood_events(events) == [("t2", "t4"), ("t5", None)]


def test_gather_flood_episodes_count_volume_and_replies_including_ongoing(store):
    start, end = utc("2026-03-07T20:00"), utc("2026-03-07T21:05")
    add_message(store, "+33611111111", start - timedelta(minutes=1))  # before: not counted
    for minute in range(0, 65, 5):  # 13 messages, the first at the start, the last at the end
        add_message(
            store,
            f"+336222222{minute:02d}",
            start + timedelta(minutes=minute),
            status="sent" if minute < 10 else "skipped",
            segments=1,
            segments_sent=1 if minute < 10 else 0,
        )
    add_message(store, "+33633333333", end + timedelta(minutes=1))  # after: not counted
    add_message(store, None, start + timedelta(minutes=7), call=True)  # a call, not a message
    log_event(store, start, "flood started", "25 messages and 12 new numbers in the last minute")
    log_event(store, end, "flood ended", "13 messages in 1h5m")
    ongoing_since = NOW - timedelta(minutes=20)
    log_event(store, ongoing_since, "flood started", "30 messages in the last minute")
    for minute in range(3):
        add_message(
            store,
            f"+3364444444{minute}",
            ongoing_since + timedelta(minutes=minute),
            status="sent",
            segments=1,
            segments_sent=1,
        )
    episodes = gather(store, make_config(), NOW)["flood_episodes"]
    assert episodes == [
        {
            "start": "2026-03-07T21:00:00+01:00",
            "end": "2026-03-07T22:05:00+01:00",
            "ongoing": False,
            "duration_seconds": 3900,
            "messages": 13,
            "replies_sent": 2,
            "segments_sent": 2,
            "calls": 1,
        },
        {
            "start": "2026-03-08T13:10:00+01:00",
            "end": None,
            "ongoing": True,
            "duration_seconds": 1200,
            "messages": 3,
            "replies_sent": 3,
            "segments_sent": 3,
            "calls": 0,
        },
    ]


def test_gather_returns_json_serialisable_data(store):
    add_message(store, "+33611111111", NOW - timedelta(hours=1), status="sent", segments=1)
    log_event(store, NOW - timedelta(hours=2), "flood started", "x")
    stats = gather(store, make_config(), NOW)
    assert json.loads(json.dumps(stats)) == stats


def test_gather_accepts_now_in_any_zone(store):
    add_message(store, "+33611111111", NOW - timedelta(minutes=1))
    in_paris = NOW.astimezone()
    assert gather(store, make_config(), in_paris) == gather(store, make_config(), NOW)


# --- rendering --------------------------------------------------------------------------------


def test_bar_scales_to_the_maximum_in_eighths():
    assert bar(10, 10, 5) == "█████"
    assert bar(5, 10, 5) == "██▌"
    assert bar(0, 10, 5) == ""


def test_bar_shows_a_sliver_for_any_value_above_zero():
    assert bar(1, 100000, 40) == "▏"


def test_bar_chart_aligns_labels_and_values():
    lines = bar_chart([("Sat 14:00", 2), ("    15:00", 10), ("    16:00", 0)], 30)
    assert lines == [
        "  Sat 14:00  2 ███",
        "      15:00 10 ███████████████",
        "      16:00  0",
    ]


def test_fit_replaces_control_characters_and_cuts_to_columns():
    assert fit("\x1b[31mROUGE\nx", 40) == "?[31mROUGE?x"
    assert fit("+33612345678901234567", 10) == "+33612345…"
    assert fit("日本語テキスト", 6) == "日本…"


def populated_stats(store: Store) -> dict:
    for hour in range(30):
        for _ in range(hour % 7):
            add_message(
                store,
                f"+3361234567{hour % 3}",
                NOW - timedelta(hours=hour),
                status="skipped",
                reason="already answered 3h ago (cooldown 24h)",
                code=Reason.COOLDOWN,
            )
    add_message(
        store,
        "+33699999999",
        NOW - timedelta(minutes=3),
        status="sent",
        segments=1,
        segments_sent=1,
    )
    add_message(
        store,
        "\x1b[2JUN NOM TRES TRES LONG\n",
        NOW - timedelta(minutes=2),
        kind="alphanumeric",
        status="skipped",
        reason="sender '\\x1b[2JUN NOM' is a name, not a phone number",
        code=Reason.ALPHANUMERIC,
    )
    for minutes in (10, 5):
        add_message(store, "+33655555555", NOW - timedelta(minutes=minutes), call=True)
    add_message(store, None, NOW - timedelta(days=1, hours=1), kind="invalid", call=True)
    block_number(store, "+33699999999", "menaces", NOW)
    log_event(store, utc("2026-03-07T20:00"), "flood started", "x")
    log_event(store, utc("2026-03-07T21:05"), "flood ended", "x")
    log_event(store, NOW - timedelta(minutes=20), "flood started", "x")
    return gather(store, make_config(), NOW)


def test_render_shows_every_section_in_local_time(store):
    lines = render(populated_stats(store)).splitlines()
    assert lines[0] == "antirelou statistics, 2026-03-08 13:30 CET (local time)"
    assert "Messages per hour (max 6, Sat 17:00)" in lines
    assert "  Sat 14:00 2 ███████████████████▍" in lines
    assert "      16:00 0" in lines
    assert "  Sun 00:00 6 ██████████████████████████████████████████████████████████" in lines
    assert "      13:00 2 ███████████████████▍" in lines
    assert "Messages per day (max 44, Sun 2026-03-08)" in lines
    assert "  Fri 2026-03-06  0" in lines
    assert "  Sat 2026-03-07 43 ██████████████████████████████████████████████████▉" in lines
    assert "Totals                     24 hours    7 days  all time" in lines
    assert "  messages                       71        87        87" in lines
    assert "    names (alphanumeric)          1         1         1" in lines
    assert "  +33612345670              30      0  2026-03-08 10:30" in lines
    assert "  +33655555555               0      2  2026-03-08 13:25" in lines
    assert "  ?[2JUN NOM TRES T…         1      0  2026-03-08 13:28" in lines
    assert "  +33699999999               1      0  2026-03-08 13:27  blocked" in lines
    assert "Replies                                    24 hours   30 days" in lines
    assert "  skipped                                        70        86" in lines
    assert "    already answered (cooldown)                  69        85" in lines
    assert "    sender is a name, not a phone number          1         1" in lines
    assert "  SMS, last hour                        1       60       59" in lines
    assert "  2026-03-07 21:00  2026-03-07 22:05  1h5m             2      0        0" in lines
    assert "  2026-03-08 13:10  ongoing           20m              2      2        1" in lines
    assert "Calls per hour (max 2, Sun 13:00)" in lines
    assert "      13:00 2 ██████████████████████████████████████████████████████████" in lines
    assert "Calls per day (max 2, Sun 2026-03-08)" in lines
    assert "  Sat 2026-03-07 1 ██████████████████████████▌" in lines
    assert "  calls                           2         3         3" in lines
    assert "  different callers               1         1         1" in lines


def test_render_marks_a_spent_budget(store):
    add_message(store, "+33611111111", NOW - timedelta(minutes=5), status="sent", segments=2)
    config = make_config(BudgetsConfig(segments_per_hour=2, segments_per_month=None))
    lines = render(gather(store, config, NOW)).splitlines()
    assert "  SMS, last hour                        2        2        0  SPENT" in lines
    assert "  SMS, last 30 days                     2 no limit        -" in lines


@pytest.mark.parametrize("width", [40, 60, 72, 120])
def test_render_keeps_every_line_within_width(store, width):
    text = render(populated_stats(store), width)
    assert all(len(line) <= width for line in text.splitlines())
    assert "\x1b" not in text


def test_render_reports_an_empty_log(store):
    text = render(gather(store, make_config(), NOW))
    assert "Messages per hour: none" in text
    assert "Calls per hour: none\n\nCalls per day: none\n\nTotals" in text  # one line each
    assert "Top senders, last 7 days: none" in text
    assert "Flood episodes: none" in text
    assert all(len(line) <= 72 for line in text.splitlines())


def test_render_shows_only_the_latest_flood_episodes(store):
    for day in range(12):
        started = NOW - timedelta(days=12 - day)
        log_event(store, started, "flood started", "x")
        log_event(store, started + timedelta(minutes=30), "flood ended", "x")
    lines = render(gather(store, make_config(), NOW)).splitlines()
    assert "  2026-02-25 13:30  2026-02-25 14:00  30m              0      0        0" not in lines
    assert "  2026-02-26 13:30  2026-02-26 14:00  30m              0      0        0" in lines
    assert "  (2 earlier episodes not shown; see --json)" in lines
