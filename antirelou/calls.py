"""PLACEHOLDER until the calls branch lands (not committed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from antirelou.intake import IntakeResult


@dataclass(frozen=True)
class IncomingCall:
    caller: str | None
    at: datetime


def commit_call(store, call, config, now, flood=None) -> IntakeResult:
    return IntakeResult(flood=None if flood is None else flood.copy())
