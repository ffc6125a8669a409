"""The `antirelou` command: one sub-command per thing an operator does."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from datetime import UTC, datetime

from antirelou import __version__, exits
from antirelou.budgets import Budget, budget_list
from antirelou.clock import local_day_start
from antirelou.config import DEFAULT_PATH, Config, ConfigError, load
from antirelou.store import Store, StoreError, queries

DESCRIPTION = """\
antirelou — le numéro anti-relou / the anti-harassment number.

Receives the SMS sent to a USB GSM dongle, logs each one, and answers with
the text of your configuration (« Si une femme dit non, inutile d'insister. »).
"""

EPILOG = """\
Commands / commandes:
  antirelou check         vérifier la configuration et le modem / check config and modem
  antirelou status        le service tourne-t-il ? / is the service running?
  antirelou log           les derniers messages / the latest messages
  antirelou stats         statistiques, budgets, raids / statistics, budgets, raids
  antirelou block NUMÉRO  ne plus jamais répondre à ce numéro / never answer it again
  antirelou unblock       débloquer / unblock;  antirelou blocked: la liste / the list
  antirelou run           le service lui-même (systemd le lance) / the service itself
  antirelou demo          démonstration sans matériel / demo without hardware
  antirelou simulate      un modem simulé / a simulated dongle

Each command has its own help: antirelou log --help
"""


def _add_config(parser: argparse.ArgumentParser, dest: str = "config") -> None:
    # Accepted before and after the command: `antirelou -c F log` and `antirelou log -c F`.
    parser.add_argument(
        "-c",
        "--config",
        dest=dest,
        default=None,
        metavar="FILE",
        help=f"configuration file (default: $ANTIRELOU_CONFIG or {DEFAULT_PATH})",
    )


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # exits.USAGE (sysexits' EX_USAGE) rather than argparse's 2.
        self.print_usage(sys.stderr)
        self.exit(exits.USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="antirelou",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"antirelou {__version__}")
    _add_config(parser, dest="global_config")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser(
        "run",
        help="run the service in the foreground (what systemd starts)",
        description="Run the service in the foreground until SIGTERM or Ctrl-C. SIGHUP reloads "
        "the configuration. Normally started by systemd: systemctl start antirelou.",
    )
    _add_config(run)

    check = commands.add_parser(
        "check",
        help="check the configuration, then the modem if it is plugged in",
        description="Check the configuration file; print what each reply costs; then, unless "
        "the service is running (it owns the modem), probe the modem: identity, "
        "SIM, signal, network, storage. Exit 0 if all is well, 78 if the "
        "configuration is wrong, 69 if the modem is not usable.",
    )
    _add_config(check)
    check.add_argument("--no-modem", action="store_true", help="only check the configuration")
    check.add_argument(
        "--trace",
        metavar="FILE",
        help="also record the whole AT exchange, masked, to send for an unknown dongle",
    )
    check.add_argument(
        "--listen", default="10s", metavar="DURATION", help="with --trace: time to wait for notices"
    )

    status = commands.add_parser(
        "status",
        help="is the service running, and how is the modem?",
        description="Show whether the service is alive, its modem, signal, operator, storage "
        "use and today's counts. Exit 0 if running, 3 if not.",
    )
    _add_config(status)
    status.add_argument("--json", action="store_true", help="print one JSON object")

    log = commands.add_parser(
        "log",
        help="show the latest messages and what was answered",
        description="Show the latest messages and calls received, newest last, with what was done.",
    )
    _add_config(log)
    log.add_argument(
        "-n",
        "--limit",
        type=int,
        default=20,
        metavar="N",
        help="how many messages (default 20; 0 for all)",
    )
    log.add_argument(
        "--json", action="store_true", help="one JSON object per line and message, for scripts"
    )
    log.add_argument("--sender", metavar="NUMBER", help="only messages and calls from this number")

    stats = commands.add_parser(
        "stats",
        help="messages per hour and day, top senders, replies, budgets, raids",
        description="Statistics from the log: messages per hour (last 24 h) and per day (last "
        "7 days) as charts, distinct numbers, top senders, replies and SMS sent "
        "against each budget, flood episodes with start, end and volume.",
    )
    _add_config(stats)
    stats.add_argument("--json", action="store_true", help="print one JSON object")

    block = commands.add_parser(
        "block",
        help="never answer this number again",
        description="Put a number on the block list: its messages are still logged, never "
        "answered, and replies waiting for it are dropped. The running service "
        "sees it within seconds. 0612345678, +33612345678 and 0033612345678 are "
        "the same number.",
    )
    _add_config(block)
    block.add_argument("number", metavar="NUMBER")
    block.add_argument(
        "--reason", default="blocked by an operator", metavar="TEXT", help="why (shown in the log)"
    )
    unblock = commands.add_parser(
        "unblock",
        help="take a number off the block list",
        description="Take a number off the block list.",
    )
    _add_config(unblock)
    unblock.add_argument("number", metavar="NUMBER")
    blocked = commands.add_parser(
        "blocked",
        help="list the blocked numbers",
        description="List the blocked numbers, with why and when.",
    )
    _add_config(blocked)

    simulate = commands.add_parser(
        "simulate",
        help="run a simulated dongle, to try a configuration without hardware",
        description="Start a simulated USB GSM dongle on a pseudo-terminal reachable at --link. "
        "Point modem.port at that path and run the service. Each line typed on "
        "standard input, 'NUMBER TEXT', arrives as an SMS from NUMBER. Replies "
        "sent by the service are printed. Ctrl-C stops it.",
    )
    simulate.add_argument(
        "--link",
        required=True,
        metavar="PATH",
        help="path of the symlink to create, e.g. /tmp/antirelou-modem",
    )
    simulate.add_argument(
        "--storage",
        type=int,
        default=30,
        metavar="SLOTS",
        help="SIM message storage slots (default 30)",
    )
    simulate.add_argument("--pin", metavar="PIN", help="make the SIM ask for this PIN")
    simulate.add_argument(
        "--latency",
        default="20ms",
        metavar="DURATION",
        help="delay before each answer (default 20ms)",
    )
    simulate.add_argument(
        "--send-latency", default="1s", metavar="DURATION", help="time to send one SMS (default 1s)"
    )

    demo = commands.add_parser(
        "demo",
        help="a short scene on a simulated dongle, no hardware needed",
        description="Run the service against a simulated dongle and play a short scene: a few "
        "one-off senders, one insistent harasser, a long message in several parts, "
        "an operator notice. Leaves its configuration and database in --data, so "
        "that `antirelou -c DATA/antirelou.yaml log` and `status` can be tried after.",
    )
    demo.add_argument(
        "--data",
        default="demo-data",
        metavar="DIR",
        help="folder for the demo's configuration and database (default demo-data)",
    )
    demo.add_argument("--fast", action="store_true", help="no pauses between scenes")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command is None:
        parser.print_help()
        return exits.USAGE
    arguments.config = (
        getattr(arguments, "config", None)
        or arguments.global_config
        or os.environ.get("ANTIRELOU_CONFIG")
        or DEFAULT_PATH
    )
    handler = {
        "run": cmd_run,
        "check": cmd_check,
        "status": cmd_status,
        "log": cmd_log,
        "simulate": cmd_simulate,
        "demo": cmd_demo,
        "block": cmd_block,
        "unblock": cmd_unblock,
        "blocked": cmd_blocked,
        "stats": cmd_stats,
    }[arguments.command]
    try:
        return handler(arguments)
    except _Exit as leave:
        return leave.status
    except KeyboardInterrupt:
        return exits.INTERRUPTED
    except StoreError as error:
        print(f"antirelou: {error}", file=sys.stderr)
        return exits.UNAVAILABLE
    except BrokenPipeError:
        # `antirelou log | head`: the reader left; not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


class _Exit(Exception):
    """Leave the command with this status; the reason was already printed."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _load(path: str) -> Config:
    try:
        return load(path)
    except ConfigError as error:
        print(f"antirelou: the configuration is not valid:\n{error}", file=sys.stderr)
        raise _Exit(exits.CONFIG) from None


def _open_store(
    config: Config, *, write: bool = False, missing_status: int = exits.UNAVAILABLE
) -> Store:
    """Open the service's database as its owner, so that files SQLite creates beside it
    (-wal, -shm) stay readable by the service."""
    try:
        _become_owner_of(config.database)
        return Store(config.database, readonly=not write, create=False)
    except StoreError as error:
        print(f"antirelou: {error}", file=sys.stderr)
        raise _Exit(missing_status) from None


def _become_owner_of(path: str) -> None:
    if os.geteuid() != 0 or not os.path.exists(path):
        return
    owner = os.stat(path)
    if owner.st_uid != 0:
        os.setgid(owner.st_gid)
        os.setuid(owner.st_uid)


# --- run ---------------------------------------------------------------------------


def cmd_run(arguments: argparse.Namespace) -> int:
    from antirelou.daemon import Daemon
    from antirelou.systemd import configure_logging

    try:
        config = load(arguments.config)
    except ConfigError as error:
        # One critical entry per problem, each naming file, line and key.
        configure_logging("info")
        for line in str(error).splitlines():
            logging.getLogger("antirelou").critical("invalid configuration: %s", line)
        return exits.CONFIG
    configure_logging(config.logging.level)
    daemon = Daemon(config)
    daemon.install_signal_handlers()
    return daemon.run()


# --- check -------------------------------------------------------------------------


def cmd_check(arguments: argparse.Namespace) -> int:
    from antirelou.checks import check_modem, describe_costs
    from antirelou.durations import parse_duration

    try:
        listen = parse_duration(arguments.listen)
    except ValueError as error:
        print(f"antirelou check: --listen: {error}", file=sys.stderr)
        return exits.USAGE
    config = _load(arguments.config)
    print(f"configuration OK: {config.path}")
    for line in describe_costs(config):
        print(line)
    if arguments.no_modem:
        return 0
    return check_modem(config, print, trace_path=arguments.trace, listen=listen)


# --- status ------------------------------------------------------------------------


def cmd_status(arguments: argparse.Namespace) -> int:
    config = _load(arguments.config)
    store = _open_store(config, missing_status=exits.NOT_RUNNING)
    now = datetime.now(UTC)
    with store:
        beat = store.last_heartbeat()
        counts = queries.counts_since(store, local_day_start(now))
        events = queries.recent_events(store)
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
                    "recent_events": events,
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
            f"antirelou: {beat.state} since {_local_text(beat.started_at)} "
            f"(pid {beat.pid}), last heartbeat {int(beat.age(now))}s ago"
        )
    else:
        print(f"antirelou: NOT RUNNING (last seen {_local_text(beat.at)}, state {beat.state})")
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
            f"  FLOOD MODE since {_local_text(beat.flood_since)}: only numbers never "
            "answered get a reply"
        )
    print("  budgets:")
    for line in budgets:
        print(f"    {line}")
    if events:
        print("  recent events:")
        for event in events:
            print(f"    {_local_text(event['at'])}  {event['kind']}: {event['detail']}")
    return status


# What `status` calls each budget: the period it covers; one not named here shows its label.
_BUDGET_PERIODS = {
    "budgets.segments_per_hour": "last hour",
    "budgets.segments_per_day": "last 24h",
    "budgets.segments_per_month": "30 days",
    "budgets.numbers_per_month": "30 days",
    "flood.segments_per_hour": "flood mode, last hour",
}


def _budget_line(budget: Budget) -> str:
    """Given a budget, return its line in `status`: what is used of it and what is left."""
    if budget.limit is None:
        use = f"{budget.used} {budget.unit} (unlimited)"
    else:
        use = f"{budget.used}/{budget.limit} {budget.unit}, {budget.left} left"
    return f"{_BUDGET_PERIODS.get(budget.key, budget.label) + ':':10} {use}"


def _local_text(moment: datetime | str) -> str:
    """Given a time (or the log's ISO text of one), return it as local date and time text."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


# --- log ---------------------------------------------------------------------------


# How `log` shows a call in the message column; the emoji takes two columns, len() says one.
_CALL_CELL = "📞 appel / call"
_HIDDEN_NUMBER = " (numéro masqué / hidden number)"


def _message_cell(record: dict) -> str:
    """Given a row of the log, return its message column, 42 columns wide: a message's text
    (cut with '…'), or a call (with a note when the caller ID was hidden: wider, not cut)."""
    if record["kind"] == "call":
        label = _CALL_CELL + ("" if record["sender"] else _HIDDEN_NUMBER)
        return label + " " * max(42 - len(label) - 1, 0)
    text = (record["text"] or f"<{record['error'] or 'empty'}>").replace("\n", " ")
    if len(text) > 42:
        text = text[:41] + "…"
    return f"{text:42}"


def cmd_log(arguments: argparse.Namespace) -> int:
    from antirelou.numbers import classify

    config = _load(arguments.config)
    store = _open_store(config)
    sender = None
    if arguments.sender:
        number = classify(arguments.sender, config.numbers.default_country)
        sender = number.e164 or arguments.sender
    with store:
        records = queries.messages_with_replies(store, arguments.limit, sender)
    if arguments.json:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
        return 0
    if not records:
        print("no messages yet / aucun message pour l'instant")
        return 0
    print(f"{'received':19}  {'from':16}  {'message':42}  reply")
    for record in records:
        text = _message_cell(record)
        reply = record["reply"]
        what = reply["status"] or "-"
        if reply["status"] == "skipped":
            what = f"skipped: {reply['reason']}"
        elif reply["status"] == "sent":
            what = f"sent ({reply['segments_sent']} SMS)"
        print(
            f"{_local_text(record['received_at'])}  {(record['sender'] or '?')[:16]:16}  "
            f"{text}  {what}"
        )
    return 0


# --- stats ----------------------------------------------------------------------------


def cmd_stats(arguments: argparse.Namespace) -> int:
    import shutil

    from antirelou.stats import gather, render

    config = _load(arguments.config)
    with _open_store(config) as store:
        stats = gather(store, config, datetime.now(UTC))
    if arguments.json:
        print(json.dumps(stats, ensure_ascii=False))
    else:
        print(render(stats, min(shutil.get_terminal_size().columns, 100)), end="")
    return 0


# --- block list ------------------------------------------------------------------------


def _number_argument(config: Config, raw: str) -> str:
    from antirelou.numbers import normalise

    try:
        return normalise(raw, config.numbers.default_country)
    except ValueError as error:
        print(f"antirelou: {error}", file=sys.stderr)
        raise _Exit(exits.DATAERR) from None


def cmd_block(arguments: argparse.Namespace) -> int:
    config = _load(arguments.config)
    number = _number_argument(config, arguments.number)
    with _open_store(config, write=True) as store, store.transaction() as tx:
        new = tx.block(number, arguments.reason, datetime.now(UTC))
    print(
        f"{number} {'blocked' if new else 'was already blocked (reason updated)'}: "
        f"{arguments.reason}"
    )
    return 0


def cmd_unblock(arguments: argparse.Namespace) -> int:
    config = _load(arguments.config)
    number = _number_argument(config, arguments.number)
    with _open_store(config, write=True) as store, store.transaction() as tx:
        removed = tx.unblock(number, datetime.now(UTC))
    print(f"{number} {'unblocked' if removed else 'was not blocked'}")
    return 0


def cmd_blocked(arguments: argparse.Namespace) -> int:
    config = _load(arguments.config)
    with _open_store(config) as store:
        rows = queries.blocked_numbers(store)
    if not rows:
        print("no blocked numbers / aucun numéro bloqué")
    for row in rows:
        print(f"{row['number']:16}  since {_local_text(row['at'])}  {row['reason']}")
    return 0


# --- simulate / demo -------------------------------------------------------------------


def cmd_simulate(arguments: argparse.Namespace) -> int:
    from antirelou.config import parse_duration
    from antirelou.simulator import SimulatedDongle

    try:
        latency = parse_duration(arguments.latency)
        send_latency = parse_duration(arguments.send_latency)
    except ValueError as error:
        print(f"antirelou simulate: {error}", file=sys.stderr)
        return exits.USAGE
    dongle = SimulatedDongle(
        arguments.link,
        memories={"SM": arguments.storage},
        pin=arguments.pin,
        command_latency=latency,
        send_latency=send_latency,
        baudrate=115200,
    )
    with dongle:
        print(
            f"simulated dongle ready at {dongle.port}; type 'NUMBER TEXT' to send it an SMS, "
            "Ctrl-D or Ctrl-C to stop",
            flush=True,
        )
        reporter = threading.Thread(target=_print_sent, args=(dongle,), daemon=True)
        reporter.start()
        for line in sys.stdin:
            sender, _, text = line.strip().partition(" ")
            if sender and text:
                dongle.inject(sender, text)
    return 0


def _print_sent(dongle) -> None:
    printed = [0]
    while True:
        dongle.wait_for(lambda: len(dongle.sent) > printed[0], 3600)
        for sent in dongle.sent[printed[0] :]:
            print(f"sent to {sent.number}: {sent.text}", flush=True)
            printed[0] += 1


def cmd_demo(arguments: argparse.Namespace) -> int:
    from antirelou.demo import run_demo

    return run_demo(arguments.data, fast=arguments.fast)
