"""The reply decision as a pure function: tables of (sender, history, usage, config) → decision."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from antirelou.budgets import Spending
from antirelou.config import BudgetsConfig, FloodConfig, RepliesConfig, loads
from antirelou.numbers import classify
from antirelou.policy import History, decide
from antirelou.templates import render

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
BASE = loads("modem:\n  port: /dev/x\ndatabase: /tmp/x.db\n")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def config(**sections):
    return replace(BASE, **sections)


SEQUENCE = config(replies=RepliesConfig(sequence=(("un",), ("deux",), ("trois",)), cooldown=60))


@pytest.mark.parametrize(
    ("sender", "alphanumeric", "history", "usage", "settings", "in_flood", "reply", "reason"),
    [
        ("+33612345678", False, History(), Spending(), BASE, False, True, "first message"),
        ("0612345678", False, History(), Spending(), BASE, False, True, "first message"),
        ("Orange", True, History(), Spending(), BASE, False, False, "is a name"),
        ("36179", False, History(), Spending(), BASE, False, False, "short code"),
        ("+33899123456", False, History(), Spending(), BASE, False, False, "never-answered range"),
        (
            "12345678901234567",
            False,
            History(),
            Spending(),
            BASE,
            False,
            False,
            "not a full phone number",
        ),
        (None, False, History(), Spending(), BASE, False, False, "not a full phone number"),
        (
            "+33612345678",
            False,
            History(blocked="insultes"),
            Spending(),
            BASE,
            False,
            False,
            "blocked (insultes)",
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(),
            config(replies=RepliesConfig(enabled=False)),
            False,
            False,
            "disabled",
        ),
        # one text, default window 30 days: one reply, then silence until the window ends
        (
            "+33612345678",
            False,
            History(NOW - 2 * HOUR, 0, ever_answered=True),
            Spending(),
            BASE,
            False,
            False,
            "sequence finished",
        ),
        (
            "+33612345678",
            False,
            History(NOW - 29 * DAY, 0, ever_answered=True),
            Spending(),
            BASE,
            False,
            False,
            "sequence finished",
        ),
        (
            "+33612345678",
            False,
            History(NOW - 31 * DAY, 0, ever_answered=True),
            Spending(),
            BASE,
            False,
            True,
            "first message",
        ),
        # a sequence: step after step, then silence; cooldown between steps
        (
            "+33612345678",
            False,
            History(NOW - HOUR, 0, ever_answered=True),
            Spending(),
            SEQUENCE,
            False,
            True,
            "message 2 of the sequence",
        ),
        (
            "+33612345678",
            False,
            History(NOW - HOUR, 1, ever_answered=True),
            Spending(),
            SEQUENCE,
            False,
            True,
            "message 3 of the sequence",
        ),
        (
            "+33612345678",
            False,
            History(NOW - HOUR, 2, ever_answered=True),
            Spending(),
            SEQUENCE,
            False,
            False,
            "sequence finished (3 replies sent",
        ),
        (
            "+33612345678",
            False,
            History(NOW - timedelta(seconds=30), 0, ever_answered=True),
            Spending(),
            SEQUENCE,
            False,
            False,
            "already answered 30s ago (cooldown 1m)",
        ),
        (
            "+33612345678",
            False,
            History(NOW - HOUR, 0, reply_waiting=True),
            Spending(),
            SEQUENCE,
            False,
            False,
            "already waiting",
        ),
        # budgets, in segments
        (
            "+33612345678",
            False,
            History(),
            Spending(segments_hour=60),
            BASE,
            False,
            False,
            "hourly budget spent (60 of 60 SMS)",
        ),
        ("+33612345678", False, History(), Spending(segments_hour=59), BASE, False, True, "first"),
        (
            "+33612345678",
            False,
            History(),
            Spending(segments_day=300),
            BASE,
            False,
            False,
            "daily budget spent",
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(segments_month=3000),
            BASE,
            False,
            False,
            "monthly budget spent",
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(segments_hour=10**6),
            config(budgets=BudgetsConfig(None, None, None, None)),
            False,
            True,
            "first",
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(numbers_month=140),
            BASE,
            False,
            False,
            "140 of 140 different numbers",
        ),
        (
            "+33612345678",
            False,
            History(NOW - 31 * DAY, 0, ever_answered=True),
            Spending(numbers_month=140, number_answered_this_month=True),
            BASE,
            False,
            True,
            "first",
        ),
        # flood mode: only never-answered numbers, within the flood budget
        ("+33612345678", False, History(), Spending(), BASE, True, True, "first message"),
        (
            "+33612345678",
            False,
            History(NOW - 31 * DAY, 0, ever_answered=True),
            Spending(),
            BASE,
            True,
            False,
            "flood mode: only numbers never answered",
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(flood_segments_hour=10),
            BASE,
            True,
            False,
            "flood-mode hourly budget spent (10 of 10 SMS)",
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(flood_segments_hour=10),
            BASE,
            False,
            True,
            "first message",
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(),
            config(flood=FloodConfig(segments_per_hour=0)),
            True,
            False,
            "flood-mode hourly",
        ),
    ],
)
def test_decide_table(sender, alphanumeric, history, usage, settings, in_flood, reply, reason):
    number = classify(sender, 33, alphanumeric=alphanumeric)
    decision = decide(number, history, usage, settings, NOW, in_flood=in_flood)
    assert decision.reply is reply, decision.reason
    assert reason in decision.reason
    assert (decision.text is not None) is reply
    assert decision.segments == (1 if reply else 0)


def test_decide_counts_the_segments_a_long_text_costs():
    settings = config(replies=RepliesConfig(text="Non. " + "ê" * 100))
    decision = decide(
        classify("+33612345678", 33), History(), Spending(segments_hour=58), settings, NOW
    )
    assert decision.segments == 2 and decision.reply
    refused = decide(
        classify("+33612345678", 33), History(), Spending(segments_hour=59), settings, NOW
    )
    assert not refused.reply and refused.budget_spent == "hourly"


def test_decide_delays_the_reply_when_configured():
    settings = config(replies=RepliesConfig(delay=3600))
    decision = decide(classify("+33612345678", 33), History(), Spending(), settings, NOW)
    assert decision.due_at == NOW + HOUR


def test_decide_picks_among_a_step_texts_repeatably():
    settings = config(replies=RepliesConfig(sequence=(("a", "b", "c", "d"),)))
    number = classify("+33612345678", 33)
    picks = {
        decide(number, History(), Spending(), settings, NOW, seed=seed).text for seed in range(40)
    }
    assert picks == {"a", "b", "c", "d"}
    assert (
        decide(number, History(), Spending(), settings, NOW, seed=7).text
        == decide(number, History(), Spending(), settings, NOW, seed=7).text
    )


def test_render_fills_only_known_placeholders():
    moment = datetime(2026, 3, 8, 13, 5, tzinfo=UTC)
    text = render("Le {date}. {sender} {0} {__class__}", moment)
    assert text.startswith("Le 8 mars 2026.")
    assert text.endswith("{sender} {0} {__class__}")


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("+447700900123", "No means no."),
        ("+15551234567", "No means no."),
        ("+33612345678", "Non, c'est non."),
        ("+32471234567", "Non, c'est non."),
        ("+4915112345678", "Non, c'est non."),  # German: no German text, so the default
        ("+35312345678", "Níl."),  # longest prefix wins over a shorter one
    ],
)
def test_decide_answers_in_the_language_of_the_country_code(sender, expected):
    settings = config(
        replies=RepliesConfig(
            text="Non, c'est non.",
            languages=(("en", (("No means no.",),)), ("ga", (("Níl.",),))),
            country_languages=(
                ("+44", "en"),
                ("+1", "en"),
                ("+33", "fr"),
                ("+353", "ga"),
                ("+35", "fr"),
            ),
        )
    )
    decision = decide(classify(sender, 33), History(), Spending(), settings, NOW)
    assert decision.text == expected


def test_decide_an_operator_is_never_answered():
    decision = decide(classify("+33612345678", 33), History(operator=True), Spending(), BASE, NOW)
    assert not decision.reply and "operator" in decision.reason


def test_decide_holds_flood_mode_replies():
    settings = config(flood=FloodConfig(hold=300), replies=RepliesConfig(delay=60))
    number = classify("+33612345678", 33)
    held = decide(number, History(), Spending(), settings, NOW, in_flood=True)
    assert held.due_at == NOW + timedelta(seconds=300) and held.in_flood
    calm = decide(number, History(), Spending(), settings, NOW)
    assert calm.due_at == NOW + timedelta(seconds=60)
