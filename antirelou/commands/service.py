"""`antirelou run` (the service itself) and `antirelou check`."""

from __future__ import annotations

import argparse
import logging
import sys

from antirelou import exits
from antirelou.commands.common import load_config
from antirelou.config import ConfigError, load


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
    config = load_config(arguments.config)
    print(f"configuration OK: {config.path}")
    for line in describe_costs(config):
        print(line)
    if arguments.no_modem:
        return 0
    return check_modem(config, print, trace_path=arguments.trace, listen=listen)


# --- status ------------------------------------------------------------------------
