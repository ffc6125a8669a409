"""`antirelou check`: what the configuration costs, and whether the modem is usable.

Each finding is a sentence with what to do about it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from antirelou import __version__, exits, livestate
from antirelou.budgets import Spending, budget_list
from antirelou.config import Config
from antirelou.modem import Modem, ModemError, SimLocked
from antirelou.pdu import SegmentInfo, segment_info
from antirelou.templates import render
from antirelou.trace import TraceFile


def describe_costs(config: Config) -> list[str]:
    """Given a config, return lines saying what each reply text costs, and the worst case."""
    lines = []
    most = 0
    sequences = [("", config.replies.steps)]
    sequences += [(f"[{language}] ", steps) for language, steps in config.replies.languages]
    single = (
        len(sequences) == 1 and len(config.replies.steps) == 1 and len(config.replies.steps[0]) == 1
    )
    for language, steps in sequences:
        for number, step in enumerate(steps, start=1):
            for text in step:
                info = segment_info(render(text, datetime.now(UTC)))
                most = max(most, info.segments)
                lines.extend(
                    _cost_lines(
                        info, "reply text" if single else f"{language}step {number}: {text[:30]!r}"
                    )
                )
    # The limits, from the one list of budgets (nothing spent: only the limits matter here).
    limits = {budget.name: budget.limit for budget in budget_list(Spending(), config)}
    hourly = limits["budgets.segments_per_hour"]
    per_day = [
        limit
        for limit in (limits["budgets.segments_per_day"], None if hourly is None else hourly * 24)
        if limit is not None
    ]
    reserve = limits["alerts.reserve"]
    if per_day:
        lines.append(
            f"worst case: {min(per_day)} SMS a day for replies (budgets), each costing up to"
            f" {most} SMS, and {reserve} for alerts (alerts.reserve)"
        )
    else:
        lines.append(
            "worst case: NO daily limit (budgets.segments_per_day and "
            "segments_per_hour are unlimited): a raid could spend the whole credit"
        )
    if limits["budgets.segments_per_month"] is not None:
        lines.append(f"            {limits['budgets.segments_per_month']} SMS over 30 days")
    lines.extend(_raid_lines(config, limits))
    return lines


def _raid_lines(config: Config, limits: dict[str, int | None]) -> list[str]:
    """Given the config and the budgets' limits, return what the worst raid can spend."""
    if not config.flood.enabled:
        return [
            "a raid: flood detection is off (flood.enabled: false): a raid spends the budgets"
            " like ordinary messages, up to the whole month's"
        ]
    numbers, segments = (
        limits["flood.share_of_month.numbers"],
        limits["flood.share_of_month.segments"],
    )
    spend = " and ".join(
        f"{limit} {unit}"
        for limit, unit in ((numbers, "numbers"), (segments, "SMS"))
        if limit is not None
    )
    if not spend:
        return [
            "a raid: the 30-day budgets are unlimited, so flood.share_of_month limits nothing:"
            " only the hourly and daily budgets bound what a raid spends"
        ]
    left = limits["budgets.numbers_per_month"]
    rest = (
        f"; at least {left - numbers} numbers stay for the weeks after"
        if left is not None and numbers is not None
        else ""
    )
    return [
        f"a raid: its replies spend at most {spend} over 30 days"
        f" ({config.flood.share_of_month}% of the monthly budgets, flood.share_of_month), at most"
        f" {config.flood.segments_per_hour} SMS an hour while it lasts{rest}"
    ]


def _cost_lines(info: SegmentInfo, label: str) -> list[str]:
    unit = "characters" if info.encoding == "gsm7" else "UTF-16 units"
    lines = [f"{label}: {info.encoding.upper()}, {info.units} {unit}, {info.segments} SMS per send"]
    if info.ucs2_characters:
        lines.append(
            "  these characters force UCS-2 (70 characters per SMS instead of 160): "
            + " ".join(repr(character) for character in info.ucs2_characters)
        )
    return lines


def _daemon_running(config: Config) -> bool:
    beat = livestate.read(config.database)
    return beat is not None and beat.alive(datetime.now(UTC))


def check_modem(
    config: Config,
    say: Callable[[str], None],
    *,
    trace_path: str | None = None,
    listen: float = 10.0,
) -> int:
    """Probe the modem named in the config; say what is found. Return an exit status.

    With `trace_path`, also list every storage (deleting nothing), listen `listen` seconds for
    notices, and write the whole exchange there, masked (antirelou.trace).
    """
    port = config.modem.port
    if _daemon_running(config):
        say(f"modem: not probed, the service is running and owns {port}; see `antirelou status`")
        return 0
    if not os.path.exists(port):
        say(
            f"modem: nothing at {port}. Plug the dongle in; `ls -l /dev/serial/by-id/` lists "
            "the ports there, and `sudo antirelou setup` finds it (see README, 'Installer')."
        )
        return exits.UNAVAILABLE
    trace = TraceFile(trace_path) if trace_path else None
    modem = Modem(config.modem, threading.Event(), trace=trace.record if trace else None)
    problems = 0
    try:
        if trace is not None:
            trace.note(f"antirelou {__version__}: check --trace on {port}")
        identity = modem.open()
        say(
            f"modem: {identity.manufacturer} {identity.model} (revision {identity.revision or '?'}"
            f", IMEI {identity.imei or '?'}) on {port}"
        )
        say(
            f"SIM: unlocked (IMSI {identity.imsi or '?'}, ICCID {identity.iccid or '?'}, "
            f"own number {identity.own_number or 'unknown to the SIM'})"
        )
        registration = modem.registration()
        if registration.registered:
            say(f"network: {registration.describe()}")
        else:
            problems += 1
            say(
                f"network: NOT REGISTERED ({registration.describe()}). Check that the SIM has "
                "credit and is active (try it in a phone), and the antenna/position of the dongle."
            )
        if registration.signal is not None and registration.signal < 10:
            say(
                f"signal: weak ({registration.signal}/31): move the dongle (USB extension cable) "
                "nearer a window."
            )
        for info in modem.storages:
            receive = " (new messages go here)" if info.name == modem.receive_storage else ""
            if info.total == 0:
                say(f"storage: {info.name} holds no SMS (0 slots): not used{receive}")
                continue
            say(f"storage: {info.name}, {info.used}/{info.total} slots used{receive}")
            if info.used >= info.total:
                problems += 1
                say(
                    f"storage: {info.name} FULL: new SMS wait at the operator until it is "
                    "emptied; start the service, it empties every storage into its log."
                )
        if trace is not None:
            _trace_contents(modem, trace, say, listen)
    except SimLocked as error:
        say(f"SIM: {error}")
        return exits.UNAVAILABLE
    except ModemError as error:
        say(f"modem: {error}")
        return exits.UNAVAILABLE
    finally:
        modem.close()
        if trace is not None:
            trace.close()
            say(
                f"trace: written to {trace.path}; phone numbers, PINs and messages are masked. "
                "Send it with your dongle's name (see README, « Ma clé n'est pas dans la liste »)."
            )
    return exits.UNAVAILABLE if problems else 0


def _trace_contents(
    modem: Modem, trace: TraceFile, say: Callable[[str], None], listen: float
) -> None:
    """List every storage without deleting, then wait for notices: all of it goes in the trace."""
    for name in modem.readable:
        trace.note(f"listing {name}; nothing is deleted")
        listing = modem.list_storage(name)
        say(f"trace: {name} listed, {len(listing.entries)} message(s) left where they are")
    trace.note(f"listening {listen:g} s for what the modem says on its own")
    say(f"trace: listening {listen:g} s for notices (send the dongle an SMS or call it now)")
    time.sleep(listen)
