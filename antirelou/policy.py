"""Whether and what to answer: pure functions of (sender, history, spending, config, now).

`decide` decides when a message is logged; `recheck_before_send` decides again just before a
queued reply leaves (what may have changed while it waited). Nothing here does I/O, so every
rule is tested with tables and the daemon only carries out what they return. The message's
text plays no part: nothing a sender writes can change what we send or to whom.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from antirelou.budgets import Budget, Spending, reply_refusing
from antirelou.config import Config
from antirelou.durations import format_duration
from antirelou.numbers import Number, NumberKind
from antirelou.pdu import segment_info
from antirelou.reasons import Reason
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
    """What to do: `reply` or not, the rule behind it (`code`) and the sentence for people."""

    reply: bool
    code: Reason
    reason: str
    text: str | None = None
    due_at: datetime | None = None
    step: int | None = None
    segments: int = 0
    in_flood: bool = False
    budget: Budget | None = field(default=None, compare=False)  # the budget that refused


def _no(code: Reason, reason: str) -> Decision:
    return Decision(False, code, reason)


def decide(
    sender: Number,
    history: History,
    spending: Spending,
    config: Config,
    now: datetime,
    *,
    in_flood: bool = False,
    seed: int = 0,
    call: bool = False,
) -> Decision:
    """Given a message's sender, what the log knows and the config, return the decision.

    `seed` makes the pick among a step's texts repeatable (the daemon passes the
    message's id). `call`: what came was a rejected voice call; it is answered only if
    `calls.reply` says so, with `calls.text`, under the same rules and taking a step of the
    sequence, so that a number gets no more SMS by calling than by writing.
    """
    replies, flood = config.replies, config.flood
    if sender.kind is NumberKind.ALPHANUMERIC:
        return _no(Reason.ALPHANUMERIC, f"sender {sender.display!r} is a name, not a phone number")
    if sender.kind is NumberKind.SHORT_CODE:
        return _no(Reason.SHORT_CODE, f"sender {sender.display} is a short code")
    if sender.kind is not NumberKind.PHONE or sender.e164 is None:
        return _no(Reason.NOT_A_NUMBER, f"sender {sender.display!r} is not a full phone number")
    for prefix in config.numbers.never_reply_prefixes:
        if sender.e164.startswith(prefix):
            return _no(
                Reason.NEVER_REPLY_PREFIX, f"{sender.e164} is in a never-answered range ({prefix})"
            )
    if history.operator:
        return _no(Reason.OPERATOR, f"{sender.e164} is an operator (alerts.numbers)")
    if history.blocked is not None:
        return _no(Reason.BLOCKED, f"{sender.e164} is blocked ({history.blocked})")
    if not replies.enabled:
        return _no(Reason.REPLIES_DISABLED, "replies are disabled (replies.enabled: false)")
    if call and not config.calls.reply:
        return _no(Reason.CALL_NOT_ANSWERED, "calls are not answered by SMS (calls.reply: false)")
    if history.reply_waiting:
        return _no(Reason.REPLY_WAITING, "a reply to this number is already waiting to be sent")

    steps = replies.steps_for(sender.e164)
    step = 0
    if history.last_reply_at is not None:
        elapsed = (now - history.last_reply_at).total_seconds()
        if elapsed < replies.restart_after:
            step = (history.last_step or 0) + 1
            if step >= len(steps):
                return _no(
                    Reason.SEQUENCE_FINISHED,
                    f"sequence finished ({len(steps)} repl"
                    f"{'y' if len(steps) == 1 else 'ies'} sent; starts again "
                    f"{format_duration(replies.restart_after)} after the last one)",
                )
        if elapsed < replies.cooldown:
            return _no(
                Reason.COOLDOWN,
                f"already answered {format_duration(max(elapsed, 1))} ago"
                f" (cooldown {format_duration(replies.cooldown)})",
            )
    if in_flood and history.ever_answered:
        return _no(
            Reason.FLOOD_ALREADY_ANSWERED, "flood mode: only numbers never answered get a reply"
        )

    text = render(config.calls.text if call else random.Random(seed).choice(steps[step]), now)
    segments = segment_info(text).segments
    code = Reason.FIRST_MESSAGE if step == 0 else Reason.SEQUENCE_STEP
    reason = "first message" if step == 0 else f"message {step + 1} of the sequence"
    if in_flood:
        # Held, and deferred rather than dropped: its budgets are checked when it is due
        # (recheck_before_send), and it reserves nothing until it leaves.
        return Decision(
            True,
            code,
            reason,
            text=text,
            due_at=now + timedelta(seconds=max(replies.delay, flood.hold)),
            step=step,
            segments=segments,
            in_flood=True,
        )
    refusing = reply_refusing(spending, segments, config, in_flood=False, flood_on=False)
    if refusing is not None:
        return Decision(False, refusing.code, refusing.refusal(), budget=refusing)
    return Decision(
        True,
        code,
        reason,
        text=text,
        due_at=now + timedelta(seconds=replies.delay),
        step=step,
        segments=segments,
    )


# How long a reply that a budget holds back waits before its budgets are looked at again: the
# hour's budgets free up minute by minute, and the end of a flood is seen within this time.
DEFER_STEP = timedelta(minutes=5)


@dataclass(frozen=True)
class Waiting:
    """A queued reply about to be sent, as the re-check sees it."""

    segments: int
    in_flood: bool  # decided in flood mode: held, and reserved no budget
    queued_at: datetime


@dataclass(frozen=True)
class Deferral:
    """A reply decided in flood mode that a budget holds back: it stays queued until `until`,
    when its budgets are looked at again."""

    budget: Budget
    until: datetime

    @property
    def reason(self) -> str:
        return f"{self.budget.refusal()}; waits"


def recheck_before_send(
    reply: Waiting,
    *,
    blocked: str | None,
    wrote_again: bool,
    spending: Spending,
    config: Config,
    now: datetime,
    flood_on: bool,
) -> Decision | Deferral | None:
    """Given a queued reply and what changed while it waited (the number was blocked, wrote
    again, what is spent now, whether a flood is on), return the Decision that drops it, a
    Deferral that keeps it waiting, or None to send it.

    A reply decided outside flood mode reserved its budgets when it was queued: they are not
    counted twice. A flood-mode reply reserved nothing: it is dropped only if the number was
    blocked, wrote again (insisting) or it waited longer than `flood.answer_within`; a budget
    that refuses it now only defers it, oldest first, to numbers that wrote exactly once.
    """
    if blocked is not None:
        return _no(Reason.BLOCKED_WHILE_WAITING, f"blocked before it was sent ({blocked})")
    if not reply.in_flood:
        return None
    if wrote_again:
        return _no(
            Reason.INSISTED_DURING_HOLD,
            "wrote again while the reply waited (flood mode): insisting, not answered",
        )
    deadline = reply.queued_at + timedelta(seconds=config.flood.answer_within)
    if now >= deadline:
        return _no(
            Reason.WAITED_TOO_LONG,
            f"waited {format_duration((now - reply.queued_at).total_seconds())} for a budget"
            f" (flood.answer_within {format_duration(config.flood.answer_within)})",
        )
    refusing = reply_refusing(spending, reply.segments, config, in_flood=True, flood_on=flood_on)
    if refusing is not None:
        return Deferral(refusing, min(now + DEFER_STEP, deadline))
    return None
