"""Why a reply was queued, skipped or dropped: one machine-readable code per rule.

Every decision carries a code beside its sentence. The sentence is for people and may be
reworded or translated; `stats`, the benches and the tests group and match by code. Pure:
imports nothing.
"""

from __future__ import annotations

from enum import Enum


class Reason(Enum):
    """The rule behind a decision. The value is what the log stores (replies.reason_code)."""

    # A reply is queued.
    FIRST_MESSAGE = "first_message"
    SEQUENCE_STEP = "sequence_step"
    # The sender is not someone we may answer.
    ALPHANUMERIC = "alphanumeric"
    SHORT_CODE = "short_code"
    NOT_A_NUMBER = "not_a_number"
    UNDECODABLE = "undecodable"
    NEVER_REPLY_PREFIX = "never_reply_prefix"
    OPERATOR = "operator"
    BLOCKED = "blocked"
    # The history says no.
    REPLIES_DISABLED = "replies_disabled"
    CALL_NOT_ANSWERED = "call_not_answered"
    REPLY_WAITING = "reply_waiting"
    SEQUENCE_FINISHED = "sequence_finished"
    COOLDOWN = "cooldown"
    FLOOD_ALREADY_ANSWERED = "flood_already_answered"
    # A budget is spent.
    BUDGET_HOUR = "budget_hour"
    BUDGET_DAY = "budget_day"
    BUDGET_MONTH = "budget_month"
    BUDGET_NUMBERS = "budget_numbers"
    BUDGET_FLOOD_HOUR = "budget_flood_hour"
    BUDGET_FLOOD_SHARE = "budget_flood_share"
    # Re-checked just before sending: what changed while the reply waited.
    BLOCKED_WHILE_WAITING = "blocked_while_waiting"
    INSISTED_DURING_HOLD = "insisted_during_hold"
    WAITED_TOO_LONG = "waited_too_long"
    # Alerts to the operators.
    ALERT = "alert"
    NO_ALERT_NUMBERS = "no_alert_numbers"
    ALERT_RESERVE = "alert_reserve"

    @property
    def label(self) -> str:
        """The family name `stats` shows for this code."""
        return _LABELS[self]


_LABELS = {
    Reason.FIRST_MESSAGE: "first message",
    Reason.SEQUENCE_STEP: "next message of the sequence",
    Reason.ALPHANUMERIC: "sender is a name, not a phone number",
    Reason.SHORT_CODE: "sender is a short code",
    Reason.NOT_A_NUMBER: "sender is not a full phone number",
    Reason.UNDECODABLE: "the message could not be decoded",
    Reason.NEVER_REPLY_PREFIX: "number in a never-answered range",
    Reason.OPERATOR: "number is an operator",
    Reason.BLOCKED: "number is blocked",
    Reason.REPLIES_DISABLED: "replies are disabled",
    Reason.CALL_NOT_ANSWERED: "calls are not answered by SMS",
    Reason.REPLY_WAITING: "a reply is already waiting",
    Reason.SEQUENCE_FINISHED: "sequence finished",
    Reason.COOLDOWN: "already answered (cooldown)",
    Reason.FLOOD_ALREADY_ANSWERED: "flood mode: already answered once",
    Reason.BUDGET_HOUR: "hourly budget spent",
    Reason.BUDGET_DAY: "daily budget spent",
    Reason.BUDGET_MONTH: "monthly budget spent",
    Reason.BUDGET_NUMBERS: "monthly budget of numbers spent",
    Reason.BUDGET_FLOOD_HOUR: "flood-mode hourly budget spent",
    Reason.BUDGET_FLOOD_SHARE: "raids' share of the monthly budgets spent",
    Reason.BLOCKED_WHILE_WAITING: "blocked before it was sent",
    Reason.INSISTED_DURING_HOLD: "wrote again while the reply waited (flood mode)",
    Reason.WAITED_TOO_LONG: "waited longer than flood.answer_within",
    Reason.ALERT: "alert to the operators",
    Reason.NO_ALERT_NUMBERS: "no alerts.numbers",
    Reason.ALERT_RESERVE: "alerts' reserve spent",
}
