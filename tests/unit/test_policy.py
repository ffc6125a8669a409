"""The reply decision as a pure function: tables of (sender, history, usage, config) → decision."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from antirelou.budgets import Spending, budget_list
from antirelou.config import BudgetsConfig, CallsConfig, FloodConfig, RepliesConfig, loads
from antirelou.numbers import classify
from antirelou.policy import (
    DEFER_STEP,
    Decision,
    Deferral,
    History,
    Waiting,
    decide,
    recheck_before_send,
)
from antirelou.reasons import Reason
from antirelou.templates import render

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
BASE = loads("modem:\n  port: /dev/x\ndatabase: /tmp/x.db\n")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def config(**sections):
    return replace(BASE, **sections)


SEQUENCE = config(replies=RepliesConfig(sequence=(("un",), ("deux",), ("trois",)), cooldown=60))


@pytest.mark.parametrize(
    ("sender", "alphanumeric", "history", "spending", "settings", "in_flood", "reply", "code"),
    [
        ("+33612345678", False, History(), Spending(), BASE, False, True, Reason.FIRST_MESSAGE),
        ("0612345678", False, History(), Spending(), BASE, False, True, Reason.FIRST_MESSAGE),
        ("Orange", True, History(), Spending(), BASE, False, False, Reason.ALPHANUMERIC),
        ("36179", False, History(), Spending(), BASE, False, False, Reason.SHORT_CODE),
        (
            "+33899123456",
            False,
            History(),
            Spending(),
            BASE,
            False,
            False,
            Reason.NEVER_REPLY_PREFIX,
        ),
        (
            "12345678901234567",
            False,
            History(),
            Spending(),
            BASE,
            False,
            False,
            Reason.NOT_A_NUMBER,
        ),
        (None, False, History(), Spending(), BASE, False, False, Reason.NOT_A_NUMBER),
        (
            "+33612345678",
            False,
            History(blocked="insultes"),
            Spending(),
            BASE,
            False,
            False,
            Reason.BLOCKED,
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(),
            config(replies=RepliesConfig(enabled=False)),
            False,
            False,
            Reason.REPLIES_DISABLED,
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
            Reason.SEQUENCE_FINISHED,
        ),
        (
            "+33612345678",
            False,
            History(NOW - 29 * DAY, 0, ever_answered=True),
            Spending(),
            BASE,
            False,
            False,
            Reason.SEQUENCE_FINISHED,
        ),
        (
            "+33612345678",
            False,
            History(NOW - 31 * DAY, 0, ever_answered=True),
            Spending(),
            BASE,
            False,
            True,
            Reason.FIRST_MESSAGE,
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
            Reason.SEQUENCE_STEP,
        ),
        (
            "+33612345678",
            False,
            History(NOW - HOUR, 1, ever_answered=True),
            Spending(),
            SEQUENCE,
            False,
            True,
            Reason.SEQUENCE_STEP,
        ),
        (
            "+33612345678",
            False,
            History(NOW - HOUR, 2, ever_answered=True),
            Spending(),
            SEQUENCE,
            False,
            False,
            Reason.SEQUENCE_FINISHED,
        ),
        (
            "+33612345678",
            False,
            History(NOW - timedelta(seconds=30), 0, ever_answered=True),
            Spending(),
            SEQUENCE,
            False,
            False,
            Reason.COOLDOWN,
        ),
        (
            "+33612345678",
            False,
            History(NOW - HOUR, 0, reply_waiting=True),
            Spending(),
            SEQUENCE,
            False,
            False,
            Reason.REPLY_WAITING,
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
            Reason.BUDGET_HOUR,
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(segments_hour=59),
            BASE,
            False,
            True,
            Reason.FIRST_MESSAGE,
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(segments_day=300),
            BASE,
            False,
            False,
            Reason.BUDGET_DAY,
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(segments_month=3000),
            BASE,
            False,
            False,
            Reason.BUDGET_MONTH,
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(segments_hour=10**6),
            config(budgets=BudgetsConfig(None, None, None, None)),
            False,
            True,
            Reason.FIRST_MESSAGE,
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(numbers_month=140),
            BASE,
            False,
            False,
            Reason.BUDGET_NUMBERS,
        ),
        (
            "+33612345678",
            False,
            History(NOW - 31 * DAY, 0, ever_answered=True),
            Spending(numbers_month=140, number_answered_this_month=True),
            BASE,
            False,
            True,
            Reason.FIRST_MESSAGE,
        ),
        # flood mode: only never-answered numbers, within the flood budget
        ("+33612345678", False, History(), Spending(), BASE, True, True, Reason.FIRST_MESSAGE),
        (
            "+33612345678",
            False,
            History(NOW - 31 * DAY, 0, ever_answered=True),
            Spending(),
            BASE,
            True,
            False,
            Reason.FLOOD_ALREADY_ANSWERED,
        ),
        # a budget spent during a flood defers the reply (checked when due), never drops it
        (
            "+33612345678",
            False,
            History(),
            Spending(flood_segments_hour=10),
            BASE,
            True,
            True,
            Reason.FIRST_MESSAGE,
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(flood_segments_hour=10),
            BASE,
            False,
            True,
            Reason.FIRST_MESSAGE,
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(),
            config(flood=FloodConfig(segments_per_hour=0)),
            True,
            True,
            Reason.FIRST_MESSAGE,
        ),
        (
            "+33612345678",
            False,
            History(),
            Spending(segments_month=3000),
            BASE,
            True,
            True,
            Reason.FIRST_MESSAGE,
        ),
    ],
)
def test_decide_table(sender, alphanumeric, history, spending, settings, in_flood, reply, code):
    number = classify(sender, 33, alphanumeric=alphanumeric)
    decision = decide(number, history, spending, settings, NOW, in_flood=in_flood)
    assert decision.reply is reply, decision.reason
    assert decision.code is code, decision.reason
    assert decision.reason
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
    assert not refused.reply and refused.code is Reason.BUDGET_HOUR
    assert refused.budget.key == "budgets.segments_per_hour"
    assert refused.reason == "hourly budget spent (59 of 60 SMS)"


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
    assert not decision.reply and decision.code is Reason.OPERATOR


CALLS = config(calls=CallsConfig(reply=True, text="Pas d'appels, le {date}."))
ANSWERED = History(last_reply_at=NOW - 2 * DAY, last_step=0, ever_answered=True)


@pytest.mark.parametrize(
    ("sender", "history", "spending", "settings", "reply", "code"),
    [
        ("+33612345678", History(), Spending(), BASE, False, Reason.CALL_NOT_ANSWERED),
        ("+33612345678", History(), Spending(), CALLS, True, Reason.FIRST_MESSAGE),
        (None, History(), Spending(), CALLS, False, Reason.NOT_A_NUMBER),
        ("36179", History(), Spending(), CALLS, False, Reason.SHORT_CODE),
        ("+33899123456", History(), Spending(), CALLS, False, Reason.NEVER_REPLY_PREFIX),
        ("+33612345678", History(operator=True), Spending(), CALLS, False, Reason.OPERATOR),
        ("+33612345678", History(operator=True), Spending(), BASE, False, Reason.OPERATOR),
        ("+33612345678", History(blocked="menaces"), Spending(), CALLS, False, Reason.BLOCKED),
        (
            "+33612345678",
            History(),
            Spending(),
            config(calls=CALLS.calls, replies=RepliesConfig(enabled=False)),
            False,
            Reason.REPLIES_DISABLED,
        ),
        (
            "+33612345678",
            History(reply_waiting=True),
            Spending(),
            CALLS,
            False,
            Reason.REPLY_WAITING,
        ),
        (
            "+33612345678",
            History(last_reply_at=NOW - HOUR, last_step=0, ever_answered=True),
            Spending(),
            config(calls=CALLS.calls, replies=RepliesConfig(restart_after=60)),
            False,
            Reason.COOLDOWN,
        ),
        # A single reply text: a number answered by SMS gets nothing more by calling.
        ("+33612345678", ANSWERED, Spending(), CALLS, False, Reason.SEQUENCE_FINISHED),
        ("+33612345678", History(), Spending(segments_hour=60), CALLS, False, Reason.BUDGET_HOUR),
    ],
)
def test_decide_answers_a_call_only_if_calls_reply_and_under_the_rules_of_replies(
    sender, history, spending, settings, reply, code
):
    decision = decide(classify(sender, 33), history, spending, settings, NOW, call=True)
    assert (decision.reply, decision.code) == (reply, code), decision.reason
    assert (decision.text == "Pas d'appels, le 8 mars 2026.") is reply


def test_decide_a_call_takes_a_step_of_the_sequence_with_the_call_text():
    settings = config(calls=CALLS.calls, replies=SEQUENCE.replies)
    decision = decide(classify("+33612345678", 33), ANSWERED, Spending(), settings, NOW, call=True)
    assert decision.reply and decision.code is Reason.SEQUENCE_STEP and decision.step == 1
    assert decision.text == "Pas d'appels, le 8 mars 2026."


def test_decide_refuses_a_call_when_calls_reply_is_false_in_a_sentence():
    decision = decide(classify("+33612345678", 33), History(), Spending(), BASE, NOW, call=True)
    assert decision.reason == "calls are not answered by SMS (calls.reply: false)"


def test_decide_holds_flood_mode_replies():
    settings = config(flood=FloodConfig(hold=300), replies=RepliesConfig(delay=60))
    number = classify("+33612345678", 33)
    held = decide(number, History(), Spending(), settings, NOW, in_flood=True)
    assert held.due_at == NOW + timedelta(seconds=300) and held.in_flood
    calm = decide(number, History(), Spending(), settings, NOW)
    assert calm.due_at == NOW + timedelta(seconds=60)


def _waiting(segments: int = 1, *, in_flood: bool = True, waited: float = 600) -> Waiting:
    return Waiting(segments, in_flood, NOW - timedelta(seconds=waited))


DROP, DEFER = "drop", "defer"


@pytest.mark.parametrize(
    ("waiting", "blocked", "wrote_again", "spending", "flood_on", "outcome"),
    [
        # a reply decided outside a flood reserved its budgets when queued: not counted twice,
        # never deferred nor expired
        (_waiting(in_flood=False), None, False, Spending(segments_hour=60), False, None),
        (_waiting(in_flood=False), None, True, Spending(), False, None),
        (_waiting(in_flood=False, waited=3 * 86400), None, False, Spending(), False, None),
        (
            _waiting(in_flood=False),
            "insults",
            False,
            Spending(),
            False,
            (DROP, Reason.BLOCKED_WHILE_WAITING),
        ),
        # a flood-mode reply reserved nothing: checked now
        (_waiting(), None, False, Spending(), True, None),
        (_waiting(), None, False, Spending(), False, None),
        (_waiting(), "insults", True, Spending(), True, (DROP, Reason.BLOCKED_WHILE_WAITING)),
        (_waiting(), None, True, Spending(), False, (DROP, Reason.INSISTED_DURING_HOLD)),
        # ... dropped once it waited flood.answer_within (24 h), deferred before that
        (_waiting(waited=86400), None, False, Spending(), False, (DROP, Reason.WAITED_TOO_LONG)),
        (_waiting(waited=86399), None, False, Spending(), False, None),
        (
            _waiting(waited=86399),
            None,
            False,
            Spending(segments_day=300),
            False,
            (DEFER, Reason.BUDGET_DAY),
        ),
        # the flood-mode hourly budget holds it while the flood lasts, not after
        (
            _waiting(),
            None,
            False,
            Spending(flood_segments_hour=10),
            True,
            (DEFER, Reason.BUDGET_FLOOD_HOUR),
        ),
        (_waiting(), None, False, Spending(flood_segments_hour=10), False, None),
        (
            _waiting(2),
            None,
            False,
            Spending(flood_segments_hour=9),
            True,
            (DEFER, Reason.BUDGET_FLOOD_HOUR),
        ),
        (_waiting(), None, False, Spending(flood_segments_hour=9), True, None),
        # the normal budgets, during a flood or after it
        (_waiting(), None, False, Spending(segments_hour=60), False, (DEFER, Reason.BUDGET_HOUR)),
        (_waiting(), None, False, Spending(segments_day=300), True, (DEFER, Reason.BUDGET_DAY)),
        (
            _waiting(),
            None,
            False,
            Spending(numbers_month=140),
            False,
            (DEFER, Reason.BUDGET_NUMBERS),
        ),
        (
            _waiting(),
            None,
            False,
            Spending(numbers_month=140, number_answered_this_month=True),
            False,
            None,
        ),
        # a raid's share of the 30-day budgets (25 %: 35 of 140 numbers, 750 of 3000 SMS),
        # whether the flood is still on or not
        (
            _waiting(),
            None,
            False,
            Spending(flood_numbers_month=35, numbers_month=35),
            False,
            (DEFER, Reason.BUDGET_FLOOD_SHARE),
        ),
        (_waiting(), None, False, Spending(flood_numbers_month=34, numbers_month=100), False, None),
        (
            _waiting(),
            None,
            False,
            Spending(flood_segments_month=750, segments_month=750),
            True,
            (DEFER, Reason.BUDGET_FLOOD_SHARE),
        ),
        # ... which never limits a reply decided outside a flood
        (
            _waiting(in_flood=False),
            None,
            False,
            Spending(flood_numbers_month=35, flood_segments_month=750),
            False,
            None,
        ),
    ],
)
def test_recheck_before_send_table(waiting, blocked, wrote_again, spending, flood_on, outcome):
    verdict = recheck_before_send(
        waiting,
        blocked=blocked,
        wrote_again=wrote_again,
        spending=spending,
        config=BASE,
        now=NOW,
        flood_on=flood_on,
    )
    if outcome is None:
        assert verdict is None
        return
    kind, code = outcome
    if kind == DEFER:
        assert isinstance(verdict, Deferral), verdict
        assert verdict.budget.code is code, verdict.reason
        # looked at again within DEFER_STEP, never after the reply's deadline
        deadline = waiting.queued_at + timedelta(seconds=BASE.flood.answer_within)
        assert verdict.until == min(NOW + DEFER_STEP, deadline)
    else:
        assert isinstance(verdict, Decision) and not verdict.reply
        assert verdict.code is code, verdict.reason
        assert verdict.reason


def test_a_share_of_the_month_is_a_share_of_each_30_day_budget():
    settings = config(
        flood=FloodConfig(share_of_month=10),
        budgets=BudgetsConfig(numbers_per_month=150, segments_per_month=None),
    )
    limits = {b.name: b.limit for b in budget_list(Spending(), settings)}
    assert limits["flood.share_of_month.numbers"] == 15
    assert limits["flood.share_of_month.segments"] is None  # a share of unlimited
