"""Incoming voice calls, once the modem has rejected them: one row of the log each.

Harassers call too. The modem side hangs up at once (never answered: no cost, no voice) and
hands the call here. A call is a row of `messages` whose kind is "call": the caller as sender,
no text, the time it rang. So it counts wherever messages count: the caller's history (a
caller who then writes is not new, a raider who calls during a flood hold is insisting), raid
detection and the budgets of numbers. Whether the caller gets an SMS is `policy.decide`'s,
under the rules of replies; the answer, if any, waits in the reply queue like any other.

Memory follows the database, as in `intake`: the flood detector is worked on as a copy inside
the transaction and returned in the result, for the caller to adopt once the commit succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from antirelou.arrivals import arrival
from antirelou.config import Config
from antirelou.flood import FloodDetector
from antirelou.intake import IntakeResult, Logged, count_arrival, decide_in
from antirelou.numbers import classify, operator_numbers
from antirelou.store import CALL, Store, iso


@dataclass(frozen=True)
class IncomingCall:
    caller: str | None  # the number as +CLIP gave it; None when the caller ID is hidden
    at: datetime  # when it first rang (aware, UTC)


def commit_call(
    store: Store,
    call: IncomingCall,
    config: Config,
    now: datetime,
    flood: FloodDetector | None = None,
) -> IntakeResult:
    """Given a rejected call, log it in one transaction; return what was logged (an
    intake.IntakeResult with one Logged whose kind is "call") and the flood detector as the
    transaction left it (result.flood), for the caller to adopt only after the commit.

    Raise StoreError (nothing committed, `flood` untouched) if the database cannot be written.
    """
    result = IntakeResult(flood=None if flood is None else flood.copy())
    caller = classify(call.caller, config.numbers.default_country)
    # A caller ID the network sent but we cannot read is kept as it came, like an SMS sender.
    stored_caller = caller.e164 or call.caller
    operators = operator_numbers(config.alerts.numbers, config.numbers.default_country)
    operator = stored_caller in operators
    with store.transaction() as tx:
        if not operator:
            count_arrival(tx, result, stored_caller, arrival(call.at, now), now)
        message_id = tx.insert_message(
            pdu_ids=[],
            sender=stored_caller,
            sender_received=call.caller,
            sender_kind=caller.kind.value,
            text=None,
            smsc_time=None,
            received_at=iso(call.at),
            parts_expected=0,
            encoding=None,
            error=None,
            kind=CALL,
        )
        decision = decide_in(tx, caller, operator, config, now, result.flood, message_id, call=True)
        tx.record_decision(message_id, caller, decision, now)
    result.logged.append(Logged(message_id, caller, None, 0, 0, None, decision, kind=CALL))
    return result
