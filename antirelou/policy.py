"""Whether and what to answer: a pure function of (message, history, config, now).

Nothing here does I/O, so every rule is tested with tables and the daemon only
carries out what `decide` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from antirelou.config import NumbersConfig, RepliesConfig, format_duration
from antirelou.numbers import Number, NumberKind


@dataclass(frozen=True)
class History:
    """What the log knows about earlier replies to this sender."""

    last_reply_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    reply: bool
    reason: str
    text: str | None = None
    due_at: datetime | None = None


def decide(sender: Number, history: History, replies: RepliesConfig, numbers: NumbersConfig,
           now: datetime) -> Decision:
    """Given a message's sender, what was sent to it before and the config, return the decision.

    The message's text plays no part: nothing a sender writes can change what
    we send or to whom.
    """
    if sender.kind is NumberKind.ALPHANUMERIC:
        return Decision(False, f"sender {sender.display!r} is a name, not a phone number")
    if sender.kind is NumberKind.SHORT_CODE:
        return Decision(False, f"sender {sender.display} is a short code")
    if sender.kind is not NumberKind.PHONE or sender.e164 is None:
        return Decision(False, f"sender {sender.display!r} is not a full phone number")
    for prefix in numbers.never_reply_prefixes:
        if sender.e164.startswith(prefix):
            return Decision(False, f"{sender.e164} is in a never-answered range ({prefix})")
    if not replies.enabled:
        return Decision(False, "replies are disabled (replies.enabled: false)")
    if history.last_reply_at is not None:
        elapsed = (now - history.last_reply_at).total_seconds()
        if elapsed < replies.cooldown:
            return Decision(
                False,
                f"already answered {format_duration(max(elapsed, 1))} ago"
                f" (cooldown {format_duration(replies.cooldown)})",
            )
    return Decision(True, "first message within the cooldown", text=replies.text, due_at=now)
