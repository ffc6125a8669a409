"""Run the daemon as `antirelou run` does, on a scaled clock: its wall time (budgets, flood
windows, cooldown, timestamps) runs K times faster; its waits and the modem's timings stay
real. The flood bench starts it so that an hourly budget passes in a minute.

    python bench/run_daemon.py --clock-speed K [--origin-wall T --origin-monotonic M] -c CONFIG

T (seconds since the epoch) is the daemon's wall time at M (time.monotonic()); by default
both are taken as it starts. Exits with the daemon's status (antirelou.exits).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from antirelou import exits
from antirelou.clock import ScaledClock
from antirelou.config import ConfigError, load
from antirelou.daemon import Daemon
from antirelou.systemd import configure_logging


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run the daemon on a scaled wall clock.")
    parser.add_argument(
        "--clock-speed",
        type=float,
        required=True,
        metavar="K",
        help="wall time runs K times faster",
    )
    parser.add_argument(
        "--origin-wall", type=float, metavar="T", help="wall time at --origin-monotonic (epoch s)"
    )
    parser.add_argument(
        "--origin-monotonic", type=float, metavar="M", help="time.monotonic() at --origin-wall"
    )
    parser.add_argument("-c", "--config", required=True, help="the configuration file")
    arguments = parser.parse_args(argv)
    if (arguments.origin_wall is None) != (arguments.origin_monotonic is None):
        parser.error("--origin-wall and --origin-monotonic go together")
    if arguments.clock_speed <= 0:
        parser.error("--clock-speed must be above 0")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        config = load(arguments.config)
    except ConfigError as error:
        # The bench loaded this config before starting us: this is a bench's error, for its log.
        print(f"invalid configuration: {error}", file=sys.stderr)
        return exits.CONFIG
    configure_logging(config.logging.level)
    origin = (
        None
        if arguments.origin_wall is None
        else datetime.fromtimestamp(arguments.origin_wall, UTC)
    )
    clock = ScaledClock(
        arguments.clock_speed, origin=origin, origin_monotonic=arguments.origin_monotonic
    )
    daemon = Daemon(config, clock=clock)
    daemon.install_signal_handlers()
    return daemon.run()


if __name__ == "__main__":
    sys.exit(main())
