"""Find the dongles plugged in: list the USB serial ports, classify them, probe the ones that
may be AT ports (the most likely first, one answer per dongle), and say why the others
cannot be used."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from antirelou.setup import probe, system
from antirelou.setup.ports import (
    SerialPort,
    UsbDevice,
    Verdict,
    classify,
    problem_of,
    stable_name,
)


@dataclass(frozen=True)
class Found:
    """A dongle that answered: its port, what it said, and the path to write in the config."""

    verdict: Verdict
    probe: probe.Probe
    path: str
    note: str | None


@dataclass
class Discovery:
    listed: list[Verdict] = field(default_factory=list)  # every port looked at
    found: list[Found] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # sentences, one per thing to fix


def discover(
    port: str | None,
    used: Mapping[str, str],
    *,
    ports: list[SerialPort] | None = None,
    devices: list[UsbDevice] | None = None,
) -> Discovery:
    """Given the port the user named (None: look for every dongle) and the ports other
    configurations use (resolved path -> file), return what was found. `ports` and
    `devices` replace what the system lists (for tests: no USB dongle there)."""
    ports = system.serial_ports() if ports is None else ports
    result = Discovery()
    if port is not None:
        result.listed = [_named(port, ports)]
    else:
        result.listed = [classify(serial_port) for serial_port in ports]
        devices = system.usb_devices() if devices is None else devices
        result.problems += [problem for problem in map(problem_of, devices) if problem]
    # A dongle another configuration uses is taken whole: its second AT port answers too.
    taken = {
        _dongle_of(verdict.port): used[os.path.realpath(verdict.port.device)]
        for verdict in result.listed
        if os.path.realpath(verdict.port.device) in used
    }
    for dongle, owner in taken.items():
        result.problems.append(f"{dongle} : déjà utilisé par / already used by {owner}")
    groups: dict[str, list[Verdict]] = {}
    for verdict in result.listed:
        if verdict.probed and _dongle_of(verdict.port) not in taken:
            groups.setdefault(_dongle_of(verdict.port), []).append(verdict)
    for candidates in groups.values():
        for verdict in sorted(candidates, key=lambda candidate: candidate.order or 0):
            answer = probe.probe(verdict.port.device)
            if answer.answered:
                path, note = _lasting_path(port, verdict.port, ports)
                result.found.append(Found(verdict, answer, path, note))
                break  # one AT port per dongle is enough
            result.problems.append(answer.problem or "")
    return result


def _dongle_of(port: SerialPort) -> str:
    """Given a port, return what names its dongle: its USB device, or the port itself."""
    return f"USB {port.usb_device}" if port.usb_device else port.device


def _named(port: str, ports: list[SerialPort]) -> Verdict:
    """Given the port the user named, return its verdict (as a known dongle's port if it is
    one: the GPS port of a SIM7600 stays unwritten even when named)."""
    target = os.path.realpath(port)
    for serial_port in ports:
        if os.path.realpath(serial_port.device) == target:
            return classify(serial_port, chosen=True)
    return Verdict(SerialPort(port), "", None, "nommé avec / named with --port", 0)


def _lasting_path(
    named: str | None, port: SerialPort, ports: list[SerialPort]
) -> tuple[str, str | None]:
    # A link the user named (by-path, a udev name of their own) is their choice: kept.
    if named is not None and (os.path.islink(named) or port.vendor is None):
        return named, None
    return stable_name(port, ports)
