from datetime import UTC, datetime, timedelta

import pytest

from antirelou.config import NumbersConfig, RepliesConfig
from antirelou.numbers import classify
from antirelou.policy import History, decide

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
REPLIES = RepliesConfig()
NUMBERS = NumbersConfig()


@pytest.mark.parametrize(
    ("sender", "alphanumeric", "last_reply", "replies", "expected_reply", "reason"),
    [
        ("+33612345678", False, None, REPLIES, True, "first message"),
        ("0612345678", False, None, REPLIES, True, "first message"),
        ("+33612345678", False, NOW - timedelta(hours=2), REPLIES, False,
         "already answered 2h ago (cooldown 24h)"),
        ("+33612345678", False, NOW - timedelta(hours=25), REPLIES, True, "first message"),
        ("+33612345678", False, NOW - timedelta(hours=24), REPLIES, True, "first message"),
        ("Orange", True, None, REPLIES, False, "is a name"),
        ("36179", False, None, REPLIES, False, "short code"),
        ("+33899123456", False, None, REPLIES, False, "never-answered range (+338)"),
        ("12345678901234567", False, None, REPLIES, False, "not a full phone number"),
        (None, False, None, REPLIES, False, "not a full phone number"),
        ("+33612345678", False, None, RepliesConfig(enabled=False), False, "disabled"),
    ],
)
def test_decide_table(sender, alphanumeric, last_reply, replies, expected_reply, reason):
    number = classify(sender, 33, alphanumeric=alphanumeric)
    decision = decide(number, History(last_reply), replies, NUMBERS, NOW)
    assert decision.reply is expected_reply
    assert reason in decision.reason
    assert (decision.text == replies.text) is expected_reply


def test_decide_uses_configured_text_and_is_due_now():
    replies = RepliesConfig(text="Non, c'est non.")
    decision = decide(classify("+33612345678", 33), History(), replies, NUMBERS, NOW)
    assert decision.text == "Non, c'est non." and decision.due_at == NOW
