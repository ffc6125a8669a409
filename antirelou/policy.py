"""Whether and what to answer: a pure function of (sender, history, usage, config, now).

Nothing here does I/O, so every rule is tested with tables and the daemon only
carries out what `decide` returns. The message's text plays no part: nothing a
sender writes can change what we send or to whom.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from antirelou.budgets import Spending
from antirelou.config import Config, format_duration
from antirelou.numbers import Number, NumberKind
from antirelou.pdu import segment_info
from antirelou.templates import render


@dataclass(frozen=True)
class History:
    """What the log knows about this sender."""

    last_reply_at: datetime | None = None
    last_step: int | None = None  # sequence step of that reply
    reply_waiting: bool = False  # a reply is queued (delayed) or being sent
    ever_answered: bool = False
    blocked: str | None = None  # the reason, if the number is on the block list
    operator: bool = False  # one of alerts.numbers: never answered automatically


@dataclass(frozen=True)
class Decision:
    reply: bool
    reason: str
    text: str | None = None
    due_at: datetime | None = None
    step: int | None = None
    segments: int = 0
    in_flood: bool = False
    budget_spent: str | None = field(default=None, compare=False)  # which budget, if that is why


def decide(
    sender: Number,
    history: History,
    usage: Spending,
    config: Config,
    now: datetime,
    *,
    in_flood: bool = False,
    seed: int = 0,
) -> Decision:
    """Given a message's sender, what the log knows and the config, return the decision.

    `seed` makes the pick among a step's texts repeatable (the daemon passes the
    message's id).
    """
    replies, flood = config.replies, config.flood
    if sender.kind is NumberKind.ALPHANUMERIC:
        return Decision(False, f"sender {sender.display!r} is a name, not a phone number")
    if sender.kind is NumberKind.SHORT_CODE:
        return Decision(False, f"sender {sender.display} is a short code")
    if sender.kind is not NumberKind.PHONE or sender.e164 is None:
        return Decision(False, f"sender {sender.display!r} is not a full phone number")
    for prefix in config.numbers.never_reply_prefixes:
        if sender.e164.startswith(prefix):
            return Decision(False, f"{sender.e164} is in a never-answered range ({prefix})")
    if history.operator:
        return Decision(False, f"{sender.e164} is an operator (alerts.numbers)")
    if history.blocked is not None:
        return Decision(False, f"{sender.e164} is blocked ({history.blocked})")
    if not replies.enabled:
        return Decision(False, "replies are disabled (replies.enabled: false)")
    if history.reply_waiting:
        return Decision(False, "a reply to this number is already waiting to be sent")

    steps = replies.steps_for(sender.e164)
    step = 0
    if history.last_reply_at is not None:
        elapsed = (now - history.last_reply_at).total_seconds()
        if elapsed < replies.restart_after:
            step = (history.last_step or 0) + 1
            if step >= len(steps):
                return Decision(
                    False,
                    f"sequence finished ({len(steps)} repl"
                    f"{'y' if len(steps) == 1 else 'ies'} sent; starts again "
                    f"{format_duration(replies.restart_after)} after the last one)",
                )
        if elapsed < replies.cooldown:
            return Decision(
                False,
                f"already answered {format_duration(max(elapsed, 1))} ago"
                f" (cooldown {format_duration(replies.cooldown)})",
            )
    if in_flood and history.ever_answered:
        return Decision(False, "flood mode: only numbers never answered get a reply")

    text = render(random.Random(seed).choice(steps[step]), now)
    segments = segment_info(text).segments
    refusal = budget_refusal(usage, segments, config, in_flood=in_flood)
    if refusal is not None:
        return Decision(False, refusal[1], budget_spent=refusal[0])
    reason = "first message" if step == 0 else f"message {step + 1} of the sequence"
    wait = max(replies.delay, flood.hold) if in_flood else replies.delay
    return Decision(
        True,
        reason,
        text=text,
        due_at=now + timedelta(seconds=wait),
        step=step,
        segments=segments,
        in_flood=in_flood,
    )


def budget_refusal(
    usage: Spending, segments: int, config: Config, *, in_flood: bool
) -> tuple[str, str] | None:
    """Given what is spent and what a reply would cost, return (budget, reason) if a budget
    forbids it, else None."""
    budgets, flood = config.budgets, config.flood
    for spent, limit, name in (
        (usage.segments_hour, budgets.segments_per_hour, "hourly"),
        (usage.segments_day, budgets.segments_per_day, "daily"),
        (usage.segments_month, budgets.segments_per_month, "monthly"),
        (
            usage.flood_segments_hour if in_flood else 0,
            flood.segments_per_hour if in_flood else None,
            "flood-mode hourly",
        ),
    ):
        if limit is not None and spent + segments > limit:
            return name, f"{name} budget spent ({spent} of {limit} SMS)"
    limit = budgets.numbers_per_month
    if limit is not None and not usage.number_answered_this_month and usage.numbers_month >= limit:
        return "numbers", (
            f"monthly budget of numbers spent ({usage.numbers_month} of {limit} "
            "different numbers answered in 30 days)"
        )
    return None
