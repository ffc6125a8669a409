"""What operators read: `status`, `log` and `stats`."""

from __future__ import annotations

import argparse
import dataclasses
import json
from datetime import UTC, datetime

from antirelou import exits, livestate
from antirelou.budgets import Budget, budget_list
from antirelou.clock import local_day_start
from antirelou.commands.common import load_config, local_text, open_store
from antirelou.store import queries


def cmd_status(arguments: argparse.Namespace) -> int:
    config = load_config(arguments.config)
    store = open_store(config, missing_status=exits.NOT_RUNNING)
    now = datetime.now(UTC)
    with store:
        beat = livestate.read(config.database)
        counts = queries.counts_since(store, local_day_start(now))
        events = queries.recent_events(store)
        access = queries.recent_access(store)
        checkpoint = store.last_checkpoint()
        waiting = queries.waiting_replies(store)
        budgets = [
            _budget_line(budget) for budget in budget_list(store.current_spending(now), config)
        ]
    alive = beat is not None and beat.alive(now)
    status = exits.OK if alive else exits.NOT_RUNNING
    if arguments.json:
        print(
            json.dumps(
                {
                    "running": alive,
                    "heartbeat": None if beat is None else beat.as_json(now),
                    "today": counts,
                    "budgets": budgets,
                    "waiting": dataclasses.asdict(waiting),
                    "recent_events": events,
                    "recent_access": access,
                    "checkpoint": None if checkpoint is None else checkpoint.as_json(),
                },
                default=str,
            )
        )
        return status
    if beat is None:
        print("antirelou: has never run with this database")
        return status
    if alive:
        print(
            f"antirelou: {beat.state} since {local_text(beat.started_at)} "
            f"(pid {beat.pid}), last heartbeat {int(beat.age(now))}s ago"
        )
    else:
        print(f"antirelou: NOT RUNNING (last seen {local_text(beat.at)}, state {beat.state})")
    if beat.state_detail:
        print(f"  problem:  {beat.state_detail}")
    if beat.modem:
        print(
            f"  modem:    {beat.modem.manufacturer} {beat.modem.model} on "
            f"{beat.port} (IMEI {beat.modem.imei or '?'})"
        )
    if beat.network:
        print(f"  network:  {beat.network}")
    if beat.storages:
        slots = ", ".join(f"{name} {used}/{total}" for name, used, total in beat.storages)
        print(f"  storage:  {slots} slots used")
    calls = f", {counts['calls']} calls" if counts["calls"] else ""
    print(
        f"  today:    {counts['messages']} messages from {counts['senders']} numbers{calls}; "
        f"replies: {counts['replies_sent']} sent ({counts['segments_sent']} SMS), "
        f"{counts['replies_skipped']} skipped, {counts['replies_queued']} waiting, "
        f"{counts['replies_failed'] + counts['replies_unknown']} failed or unknown"
    )
    if alive and beat.flood_since:
        print(
            f"  FLOOD MODE since {local_text(beat.flood_since)}: only numbers never "
            "answered get a reply, held and sent within the flood budgets"
        )
    if waiting.total:
        line = f"  waiting:  {waiting.total} repl{'y' if waiting.total == 1 else 'ies'}"
        if waiting.flood_mode:
            line += (
                f", {waiting.flood_mode} of them decided in flood mode (the oldest at"
                f" {local_text(waiting.oldest_flood)}; sent late rather than never, dropped only"
                " if the number writes again or after flood.answer_within)"
            )
        print(line)
        if waiting.held_by:
            print(f"            held back: {waiting.held_by}")
    print("  budgets:")
    for line in budgets:
        print(f"    {line}")
    if events:
        print("  recent events:")
        for event in events:
            print(f"    {local_text(event['at'])}  {event['kind']}: {event['detail']}")
    if checkpoint:
        print(
            f"  checkpoint: {checkpoint.short()} at {local_text(checkpoint.at)}"
            " (`antirelou verify` checks the log against it)"
        )
    if access:
        print("  who looked / accès:")
        for record in access:
            print(
                f"    {local_text(record['at'])}  {record['user']}: {record['command']}"
                f" ({record['covered']})"
            )
    return status


# What `status` calls each budget: the period it covers; one not named here shows its label.
_BUDGET_PERIODS = {
    "budgets.segments_per_hour": "last hour",
    "budgets.segments_per_day": "last 24h",
    "budgets.segments_per_month": "30 days",
    "budgets.numbers_per_month": "30 days",
    "flood.segments_per_hour": "flood mode, last hour",
    "flood.share_of_month.segments": "raids, 30 days",
    "flood.share_of_month.numbers": "raids, 30 days",
    "alerts.reserve": "alerts, last 24h",
}


def _budget_line(budget: Budget) -> str:
    """Given a budget, return its line in `status`: what is used of it and what is left."""
    if budget.limit is None:
        use = f"{budget.used} {budget.unit} (unlimited)"
    else:
        use = f"{budget.used}/{budget.limit} {budget.unit}, {budget.left} left"
    return f"{_BUDGET_PERIODS.get(budget.name, budget.label) + ':':10} {use}"


# How `log` shows a call in the message column; the emoji takes two columns, len() says one.
_CALL_CELL = "📞 appel / call"
_HIDDEN_NUMBER = " (numéro masqué / hidden number)"


def _message_cell(record: dict) -> str:
    """Given a row of the log, return its message column, 42 columns wide: a message's text
    (cut with '…'), or a call (with a note when the caller ID was hidden: wider, not cut)."""
    if record["kind"] == "call":
        label = _CALL_CELL + ("" if record["sender"] else _HIDDEN_NUMBER)
        return label + " " * max(42 - len(label) - 1, 0)
    if record["purged_at"]:
        return f"{'<purgé / purged>':42}"
    text = (record["text"] or f"<{record['error'] or 'empty'}>").replace("\n", " ")
    if len(text) > 42:
        text = text[:41] + "…"
    return f"{text:42}"


def cmd_log(arguments: argparse.Namespace) -> int:
    from antirelou.numbers import classify

    config = load_config(arguments.config)
    store = open_store(config)
    sender = None
    if arguments.sender:
        number = classify(arguments.sender, config.numbers.default_country)
        sender = number.e164 or arguments.sender
    with store:
        records = queries.messages_with_replies(
            store, arguments.limit, sender, flagged=arguments.flagged
        )
    if arguments.json:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
        return 0
    if not records:
        print("no messages yet / aucun message pour l'instant")
        return 0
    print(f"{'id':>6}  {'received':19}  {'from':16}  {'message':42}  reply")
    for record in records:
        text = _message_cell(record)
        reply = record["reply"]
        what = reply["status"] or "-"
        if reply["status"] == "queued":
            what = "waiting (flood mode)" if reply["in_flood"] else "waiting"
            if reply["held_by"]:
                what += f": {reply['held_by']}"
        elif reply["status"] == "skipped":
            what = f"skipped: {reply['reason']}"
        elif reply["status"] == "sent":
            what = f"sent ({reply['segments_sent']} SMS)"
        if record["flags"]:
            what += "  ⚑ " + ", ".join(flag["rule"] for flag in record["flags"])
        print(
            f"{record['id']:>6}  {local_text(record['received_at'])}  "
            f"{(record['sender'] or '?')[:16]:16}  {text}  {what}"
        )
    return 0


# --- stats ----------------------------------------------------------------------------


def cmd_stats(arguments: argparse.Namespace) -> int:
    import shutil

    from antirelou.stats import gather, render

    config = load_config(arguments.config)
    with open_store(config) as store:
        stats = gather(store, config, datetime.now(UTC))
    if arguments.json:
        print(json.dumps(stats, ensure_ascii=False))
    else:
        print(render(stats, min(shutil.get_terminal_size().columns, 100)), end="")
    return 0


# --- block list ------------------------------------------------------------------------
