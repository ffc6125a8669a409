"""The `antirelou` command: one sub-command per thing an operator does."""

from __future__ import annotations

import argparse
import os
import sys

from antirelou import __version__, exits, lines
from antirelou.commands import blocking, evidence, reading, service, setup, simulation
from antirelou.commands.common import Exit
from antirelou.config import DEFAULT_PATH
from antirelou.store import StoreError

DESCRIPTION = """\
antirelou — le numéro anti-relou / the anti-harassment number.

Receives the SMS sent to a USB GSM dongle, logs each one, and answers with
the text of your configuration (« Si une femme dit non, inutile d'insister. »).
"""

EPILOG = """\
Commands / commandes:
  antirelou setup         trouver la clé, écrire la configuration / find the dongle, configure
  antirelou check         vérifier la configuration et le modem / check config and modem
  antirelou status        le service tourne-t-il ? / is the service running?
  antirelou log           les derniers messages / the latest messages
  antirelou stats         statistiques, budgets, raids / statistics, budgets, raids
  antirelou block NUMÉRO  ne plus jamais répondre à ce numéro / never answer it again
  antirelou unblock       débloquer / unblock;  antirelou blocked: la liste / the list
  antirelou flag ID       signaler une menace / flag a threat;  antirelou unflag ID
  antirelou export        pour porter plainte / to file a complaint (csv, json, html, pdf)
  antirelou verify        prouver que rien n'a été modifié / prove nothing was altered
  antirelou purge         effacer ce qui ne doit plus être gardé / erase what is not kept
  antirelou run           le service lui-même (systemd le lance) / the service itself
  antirelou demo          démonstration sans matériel / demo without hardware
  antirelou simulate      un modem simulé / a simulated dongle

Each command has its own help: antirelou log --help
Several SIMs / plusieurs SIM: antirelou --line NAME COMMAND (/etc/antirelou/NAME.yaml)
"""


def _add_config(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    # Accepted before and after the command: `antirelou -c F log` and `antirelou log -c F`.
    parser.add_argument(
        "-c",
        "--config",
        dest=f"{prefix}config",
        default=None,
        metavar="FILE",
        help=f"configuration file (default: $ANTIRELOU_CONFIG or {DEFAULT_PATH})",
    )
    _add_line(parser, prefix)


def _add_line(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    parser.add_argument(
        "--line",
        dest=f"{prefix}line",
        default=None,
        metavar="NAME",
        help="one of several SIMs: configuration /etc/antirelou/NAME.yaml, state "
        "/var/lib/antirelou/NAME/ (service antirelou@NAME)",
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
    _add_config(parser, prefix="global_")
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
    log.add_argument("--flagged", action="store_true", help="only messages flagged as threats")

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
    evidence.add_parsers(commands, _add_config)

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

    setup.add_parser(commands, _add_line)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command is None:
        parser.print_help()
        return exits.USAGE
    config = getattr(arguments, "config", None) or arguments.global_config
    line = getattr(arguments, "line", None) or arguments.global_line
    if config and line:
        parser.error("give -c FILE or --line NAME, not both")
    try:
        arguments.line = line and lines.check_name(line)
    except ValueError as error:
        parser.error(f"--line: {error}")
    arguments.config = (
        config
        or (line and lines.config_path(line))
        or os.environ.get("ANTIRELOU_CONFIG")
        or DEFAULT_PATH
    )
    handler = {
        "setup": setup.cmd_setup,
        "run": service.cmd_run,
        "check": service.cmd_check,
        "status": reading.cmd_status,
        "log": reading.cmd_log,
        "simulate": simulation.cmd_simulate,
        "demo": simulation.cmd_demo,
        "block": blocking.cmd_block,
        "unblock": blocking.cmd_unblock,
        "blocked": blocking.cmd_blocked,
        "stats": reading.cmd_stats,
        "flag": evidence.cmd_flag,
        "unflag": evidence.cmd_unflag,
        "verify": evidence.cmd_verify,
        "export": evidence.cmd_export,
        "purge": evidence.cmd_purge,
    }[arguments.command]
    try:
        return handler(arguments)
    except Exit as leave:
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
