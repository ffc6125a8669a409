"""From a listing of the modem's storage to committed messages and decisions.

`commit_listing` is the heart of "no message is lost": in one transaction it
records every listed PDU (decodable or not), assembles the messages they
complete, and queues or skips their replies. Only after it returns may the
caller delete anything from the modem, and `DeletePlan` says how.

A PDU is known by (storage, slot, raw PDU) while it is still on the modem, so
a listing after a crash between commit and delete records nothing twice.

Each message's text is matched against the flagging rules (antirelou.flags) in the same
transaction: its flags are kept with it, and change nothing about its reply.

Memory follows the database: the flood detector is worked on as a copy inside the
transaction, returned in the result, and adopted by the caller only once the commit
succeeded. A rolled-back transaction leaves nothing behind.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from antirelou.arrivals import Arrival, arrival
from antirelou.config import Config
from antirelou.flags import Flag, match
from antirelou.flood import FloodDetector, Transition
from antirelou.listing import Listing, StoredPdu
from antirelou.numbers import Number, NumberKind, classify, operator_numbers
from antirelou.pdu import Deliver, decode_deliver, join_parts
from antirelou.policy import Decision, History, decide
from antirelou.reasons import Reason
from antirelou.store import PduRow, Store, Transaction, iso

log = logging.getLogger("antirelou.intake")

_HEX = re.compile(r"[0-9A-Fa-f]+")
DIRECT = "CMT"  # the storage name of messages handed over in +CMT notices
RULES = "antirelou"  # who flagged a message when a rule did (a person's login otherwise)


@dataclass(frozen=True)
class Logged:
    """A message just written to the log, with what will be done about it."""

    message_id: int
    sender: Number
    text: str | None
    parts: int
    parts_expected: int
    error: str | None
    decision: Decision
    kind: str = "sms"  # or "call": a voice call, rejected, logged like a message
    flags: tuple[Flag, ...] = ()  # the rules its text matched: a person should look at it


@dataclass
class DeletePlan:
    """What may now be deleted from the modem, and whether one bulk delete is safe.

    AT+CMGD=1,1 deletes every *read* message; listing marked all of them read
    and every one is now committed. It is unsafe if the listing had lines we
    could not parse, or if a committed PDU survived an earlier delete (a modem
    that does not mark listed messages read): then delete slot by slot.
    """

    slots: list[int] = field(default_factory=list)
    pdu_ids: list[int] = field(default_factory=list)  # the rows of what those deletes remove
    bulk: bool = True


@dataclass
class IntakeResult:
    logged: list[Logged] = field(default_factory=list)
    plan: DeletePlan = field(default_factory=DeletePlan)
    new_pdus: int = 0
    transitions: list[Transition] = field(default_factory=list)
    # The flood detector as this transaction left it: adopt it only once committed.
    flood: FloodDetector | None = None
    # When each message that waited at the network while the service was away was written.
    late: list[datetime] = field(default_factory=list)


@dataclass
class _Batch:
    """What one transaction needs besides the database."""

    config: Config
    now: datetime
    flood: FloodDetector | None
    result: IntakeResult
    operators: frozenset[str] = frozenset()


def commit_listing(
    store: Store,
    listing: Listing,
    config: Config,
    now: datetime,
    flood: FloodDetector | None = None,
) -> IntakeResult:
    """Given one AT+CMGL listing, commit it; return what was logged and what may be deleted.

    Raise StoreError (nothing committed, nothing may be deleted) if the
    database cannot be written.
    """
    result = IntakeResult(flood=None if flood is None else flood.copy())
    batch = _Batch(config, now, result.flood, result, _operators(config))
    result.plan.bulk = listing.clean
    with store.transaction() as tx:
        known = tx.pdus_on_modem(listing.storage)
        groups: set[tuple[str | None, int, int]] = set()
        seen: set[tuple[int, str]] = set()
        for entry in listing.entries:
            key = (entry.slot, entry.pdu)
            if key in seen:  # a modem that lists one slot twice: it is one message
                result.plan.bulk = False
                continue
            seen.add(key)
            already = known.pop(key, None)
            if already is not None:
                result.plan.slots.append(entry.slot)
                result.plan.pdu_ids.append(already)
                result.plan.bulk = False
                continue
            # A line that is not hex may be damage on the wire: the PDU stays on the
            # modem for one more listing, which may bring a clean copy. Listed again
            # unchanged (the damage is in the storage itself), it is deleted then.
            deletable = bool(_HEX.fullmatch(entry.pdu))
            if deletable:
                result.plan.slots.append(entry.slot)
            else:
                result.plan.bulk = False
            decoded = decode_deliver(entry.pdu)
            concat = decoded.concat
            is_part = (
                decoded.error is None
                and concat is not None
                and concat.total > 1
                and 1 <= concat.sequence <= concat.total
            )
            pdu_id = tx.insert_pdu(
                entry,
                listing.storage,
                now,
                decoded.sender,
                (concat.reference, concat.total, concat.sequence) if is_part else None,
            )
            if deletable:
                result.plan.pdu_ids.append(pdu_id)
            result.new_pdus += 1
            if is_part:
                groups.add((decoded.sender, concat.reference, concat.total))
            else:
                _log_message(tx, batch, [pdu_id], [decoded], 1, iso(now))
        # Rows the modem no longer holds were deleted after their commit. The daemon notes a
        # delete here, in the next listing's transaction, rather than in one of its own: one
        # transaction per listing (and a crash between a delete and this note changes nothing).
        tx.forget_on_modem(list(known.values()))
        for sender, reference, total in sorted(groups, key=repr):
            parts = tx.waiting_parts(sender, reference, total)
            if len({_sequence(row) for row in parts}) == total:
                _assemble(tx, batch, parts, total)
        note_backlog(tx, result, now)
    return result


def commit_direct(
    store: Store,
    pdus: Sequence[str],
    config: Config,
    now: datetime,
    flood: FloodDetector | None = None,
) -> IntakeResult:
    """Given the PDUs of +CMT notices (messages the modem stored nowhere), commit them like a
    listing of their own and note that none of them is on the modem. Raise StoreError
    (nothing committed) if the database cannot be written.
    """
    # Negative slots: these PDUs hold no slot; the pseudo-storage "CMT" keeps them apart. Their
    # rows stay "on the modem" until the next +CMT batch, so that the same PDU delivered again
    # (the network retries when a crash came between our commit and AT+CNMA) is logged once.
    entries = tuple(StoredPdu(-index, 0, pdu) for index, pdu in enumerate(pdus, start=1))
    return commit_listing(store, Listing(DIRECT, entries, clean=False), config, now, flood)


def expire_partials(
    store: Store, config: Config, now: datetime, flood: FloodDetector | None = None
) -> IntakeResult:
    """Log, flagged incomplete, long messages whose missing parts never came. Raise
    StoreError (nothing committed) if the database cannot be written."""
    cutoff = now - timedelta(seconds=config.modem.reassembly_timeout)
    result = IntakeResult(flood=None if flood is None else flood.copy())
    if not store.stale_groups(cutoff):
        return result  # the usual case, every 10 s: a read, no write
    batch = _Batch(config, now, result.flood, result, _operators(config))
    with store.transaction() as tx:
        for sender, reference, total in tx.stale_groups(cutoff):
            _assemble(tx, batch, tx.waiting_parts(sender, reference, total), total)
        note_backlog(tx, result, now)
    return result


def _operators(config: Config) -> frozenset[str]:
    return operator_numbers(config.alerts.numbers, config.numbers.default_country)


def _sequence(row: PduRow) -> int:
    concat = decode_deliver(row.pdu).concat
    return concat.sequence if concat else 0


def _assemble(tx: Transaction, batch: _Batch, parts: Sequence[PduRow], total: int) -> None:
    by_sequence: dict[int, tuple[PduRow, Deliver]] = {}
    for row in parts:
        decoded = decode_deliver(row.pdu)
        sequence = decoded.concat.sequence if decoded.concat else 0
        # A part the network delivered twice is kept once.
        by_sequence.setdefault(sequence, (row, decoded))
    ordered = [by_sequence[key][1] for key in sorted(by_sequence)]
    received_at = min(row.received_at for row in parts)
    _log_message(tx, batch, [row.id for row in parts], ordered, total, received_at)


def _log_message(
    tx: Transaction,
    batch: _Batch,
    pdu_ids: list[int],
    parts: list[Deliver],
    parts_expected: int,
    received_at: str,
) -> None:
    config, now = batch.config, batch.now
    first = parts[0]
    sender = classify(
        first.sender, config.numbers.default_country, alphanumeric=first.sender_alphanumeric
    )
    if len(parts) > 1 or parts_expected > 1:
        text: str | None = join_parts(parts)
    else:
        text = first.text
    errors = [part.error for part in parts if part.error]
    if len(parts) < parts_expected:
        errors.append(f"incomplete: {len(parts)} of {parts_expected} parts arrived")
    error = "; ".join(errors) or None
    stored_sender = sender.e164 or first.sender
    operator = stored_sender in batch.operators
    if not operator:
        count_arrival(tx, batch.result, stored_sender, arrival(first.smsc_time, now), now)
    message_id = tx.insert_message(
        pdu_ids=pdu_ids,
        sender=stored_sender,
        sender_received=first.sender,
        sender_kind=sender.kind.value,
        text=text,
        smsc_time=first.smsc_time,
        received_at=received_at,
        parts_expected=parts_expected,
        encoding=first.encoding,
        error=error,
    )
    if sender.kind is NumberKind.INVALID and first.error:
        decision = Decision(
            False, Reason.UNDECODABLE, f"the message could not be decoded ({first.error})"
        )
    else:
        decision = decide_in(tx, sender, operator, config, now, batch.flood, message_id)
    tx.record_decision(message_id, sender, decision, now)
    # After the decision, which never reads them: a flag changes nothing that is sent.
    flags = tuple(match(text, config.flags.active))
    for flag in flags:
        tx.flag(message_id, flag.rule, flag.reason, flag.matched, now, RULES)
    batch.result.logged.append(
        Logged(message_id, sender, text, len(parts), parts_expected, error, decision, flags=flags)
    )


def count_arrival(
    tx: Transaction, result: IntakeResult, sender: str | None, arrived: Arrival, now: datetime
) -> None:
    """Count a message or call (not an operator's) for raid detection, at the time it was
    written, on the transaction's copy of the detector; note it if it arrived late."""
    if arrived.late:
        result.late.append(arrived.written_at)
    if result.flood is None:
        return
    new_number = sender is None or not tx.seen_before(sender)
    transition = result.flood.observe(arrived.written_at, new_number=new_number, now=now)
    if transition is not None:
        # In the same transaction as the messages that started it: the episode and the
        # detector that saw it are kept, or rolled back, together.
        tx.event(transition.at, transition.kind, transition.detail)
        result.transitions.append(transition)


def note_backlog(tx: Transaction, result: IntakeResult, now: datetime) -> None:
    """Record, once per transaction, the messages in it that waited at the network while the
    service was away: a backlog, counted at the times it was written, not a raid."""
    if not result.late:
        return
    oldest, newest = min(result.late), max(result.late)
    tx.event(
        now,
        "backlog",
        f"{len(result.late)} message{'s' if len(result.late) > 1 else ''} written while the"
        f" service was away (from {oldest.isoformat(timespec='seconds')} to"
        f" {newest.isoformat(timespec='seconds')}), received now; counted when written, not as"
        " a raid",
    )


def decide_in(
    tx: Transaction,
    sender: Number,
    operator: bool,
    config: Config,
    now: datetime,
    flood: FloodDetector | None,
    message_id: int,
    *,
    call: bool = False,
) -> Decision:
    """Given a message (or call) just written in `tx`, return policy's decision about it, from
    what the same transaction knows of its sender."""
    return decide(
        sender,
        history_of(tx, sender, operator),
        tx.spending(now, sender.e164),
        config,
        now,
        in_flood=bool(flood and flood.active),
        seed=message_id,
        call=call,
    )


def history_of(tx: Transaction, sender: Number, operator: bool) -> History:
    """Given a sender (or caller), return what the log knows of it, for policy.decide."""
    if sender.e164 is None:
        return History()
    last_at, last_step, waiting, ever = tx.reply_history(sender.e164)
    return History(last_at, last_step, waiting, ever, tx.blocked_reason(sender.e164), operator)
