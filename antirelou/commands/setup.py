"""`antirelou setup`: the guided set-up (antirelou.setup.wizard does it)."""

from __future__ import annotations

import argparse
import sys

from antirelou import exits, lines


def add_parser(commands: argparse._SubParsersAction, add_line) -> None:
    """Add `setup` and its options to the sub-commands."""
    setup = commands.add_parser(
        "setup",
        help="find the dongle, write the configuration, start the service",
        description="Find the USB dongle (its serial ports are classified with a table of "
        "known dongles; GPS and diagnostics ports are never written to; the others are "
        "asked AT), show what it says (model, IMEI, SIM, operator, signal, storages), ask "
        "for the SIM's PIN if needed, the reply text and the team's numbers, write "
        "/etc/antirelou/antirelou.yaml (or /etc/antirelou/LINE.yaml with --line), run "
        "`check`, then offer to enable and start the service. Run it with sudo.",
    )
    add_line(setup)
    setup.add_argument("--port", metavar="PATH", help="the dongle's AT port: no search")
    setup.add_argument(
        "-y", "--yes", action="store_true", help="ask nothing: defaults, and the options below"
    )
    setup.add_argument("--pin", metavar="PIN", help="the SIM's PIN (sent once if it asks)")
    setup.add_argument("--text", metavar="TEXT", help="the reply text")
    setup.add_argument(
        "--operator",
        action="append",
        metavar="NUMBER",
        help="a team member's number, for alerts (repeat it for several)",
    )
    setup.add_argument("--country", type=int, metavar="CODE", help="SIM's country code (33)")
    setup.add_argument(
        "--replace", action="store_true", help="replace an existing configuration (kept as .bak)"
    )
    setup.add_argument(
        "--no-start", action="store_true", help="neither enable nor start the service"
    )
    setup.add_argument(
        "--config-dir",
        default=lines.CONFIG_DIRECTORY,
        metavar="DIR",
        help=f"where to write the configuration (default {lines.CONFIG_DIRECTORY})",
    )
    setup.add_argument(
        "--state-dir",
        default=lines.STATE_DIRECTORY,
        metavar="DIR",
        help=f"the database's folder, written in the configuration (default "
        f"{lines.STATE_DIRECTORY})",
    )


def cmd_setup(arguments: argparse.Namespace) -> int:
    from antirelou.setup.console import Console, NoAnswer
    from antirelou.setup.wizard import Options, run

    if arguments.global_config:
        print(
            "antirelou setup: -c does not apply: setup writes /etc/antirelou/antirelou.yaml, "
            "or LINE.yaml with --line (--config-dir for another folder)",
            file=sys.stderr,
        )
        return exits.USAGE
    options = Options(
        line=arguments.line,
        port=arguments.port,
        pin=arguments.pin,
        text=arguments.text,
        operators=None if arguments.operator is None else tuple(arguments.operator),
        country=arguments.country,
        replace=arguments.replace,
        start=not arguments.no_start,
        config_dir=arguments.config_dir,
        state_dir=arguments.state_dir,
    )
    try:
        return run(options, Console(arguments.yes))
    except NoAnswer as question:
        print(f"\nantirelou setup: no answer to « {question} »; nothing written", file=sys.stderr)
        return exits.USAGE
