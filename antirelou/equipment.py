"""The equipment receiving the messages, recorded in the log when it changes: the device block
of an export, as a constat describes the phone (shared/research/evidence.md §1.5).

The clock's state belongs there: a Raspberry Pi before the Pi 5 has no battery-backed clock
and boots with the last time it saved until the network sets it (evidence.md §3.2), so our
receipt times are worth what the clock was; the network's own time stamps stay beside them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

from antirelou import __version__
from antirelou.clock import SystemClock
from antirelou.export.model import Device
from antirelou.modem import Identity
from antirelou.store import Store

# systemd-timesyncd keeps this file while the clock is synchronised.
TIMESYNC_DIRECTORY = "/run/systemd/timesync"


def clock_synchronised() -> bool | None:
    """Return whether the system clock is synchronised: systemd-timesyncd's flag file, or
    what `timedatectl` says when another service keeps time; None when nothing tells."""
    if os.path.isdir(TIMESYNC_DIRECTORY):
        return os.path.exists(os.path.join(TIMESYNC_DIRECTORY, "synchronized"))
    try:
        answer = subprocess.run(
            ["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"yes": True, "no": False}.get(answer)


class Equipment:
    """Given the log and a clock, record the equipment each time it differs from the last
    record (memory follows the database: the last one is read back at start)."""

    def __init__(
        self,
        store: Store,
        clock: SystemClock,
        synchronised: Callable[[], bool | None] = clock_synchronised,
    ) -> None:
        self.store = store
        self.clock = clock
        self.synchronised = synchronised
        self._last = store.latest_device()

    def note(self, identity: Identity | None, operator: str | None) -> None:
        """Record the modem, its SIM, the operator and the clock's state, if anything changed.
        Raise StoreError if the database refuses (nothing is then remembered either)."""
        if identity is None:
            return
        device = Device(
            imei=identity.imei or None,
            imsi=identity.imsi or None,
            iccid=identity.iccid or None,
            own_number=identity.own_number or None,
            operator=operator,
            modem_manufacturer=identity.manufacturer or None,
            modem_model=identity.model or None,
            modem_firmware=identity.revision or None,
            software_version=__version__,
            clock_synchronised=self.synchronised(),
        )
        if device == self._last:
            return
        with self.store.transaction() as tx:
            tx.record_device(self.clock.now(), device)
        self._last = device
