"""`antirelou simulate` (a simulated dongle on a pseudo-terminal) and `antirelou demo`."""

from __future__ import annotations

import argparse
import sys
import threading

from antirelou import exits


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
