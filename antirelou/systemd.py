"""systemd integration: sd_notify and journald, optional.

systemd-python is used when it is installed; without it, sd_notify is a
datagram on $NOTIFY_SOCKET and logs go to stderr, which journald captures
with the same priorities through `<N>` prefixes.
"""

from __future__ import annotations

import logging
import os
import socket
import sys

try:  # optional native bindings, like fail2ban's journal backend
    from systemd import daemon as _sd_daemon
    from systemd import journal as _sd_journal
except ImportError:  # pragma: no cover - depends on the machine
    _sd_daemon = None
    _sd_journal = None


class Notifier:
    """Tell systemd how the service is doing. Every call is a no-op outside systemd."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        environ = dict(os.environ if environ is None else environ)
        self._address = environ.get("NOTIFY_SOCKET")
        usec = environ.get("WATCHDOG_USEC")
        pid = environ.get("WATCHDOG_PID")
        enabled = usec and usec.isdigit() and (not pid or pid == str(os.getpid()))
        self.watchdog_interval: float | None = int(usec) / 1e6 if enabled else None

    def _send(self, state: str) -> None:
        if not self._address:
            return
        if _sd_daemon is not None:
            _sd_daemon.notify(state)
            return
        address = self._address
        if address.startswith("@"):
            address = "\0" + address[1:]
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(state.encode(), address)
        except OSError:
            pass

    def ready(self, status: str) -> None:
        self._send(f"READY=1\nSTATUS={status}")

    def status(self, status: str) -> None:
        self._send(f"STATUS={status}")

    def watchdog(self) -> None:
        self._send("WATCHDOG=1")

    def stopping(self, status: str = "Stopping") -> None:
        self._send(f"STOPPING=1\nSTATUS={status}")


class _PrefixFormatter(logging.Formatter):
    # journald reads "<3>" at the start of a stderr line as the priority.
    _PRIORITIES = {
        logging.DEBUG: 7,
        logging.INFO: 6,
        logging.WARNING: 4,
        logging.ERROR: 3,
        logging.CRITICAL: 2,
    }

    def format(self, record: logging.LogRecord) -> str:
        return f"<{self._PRIORITIES.get(record.levelno, 6)}>{super().format(record)}"


def configure_logging(level: str) -> None:
    """Send logs to journald when running under systemd, else to stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    under_journal = bool(os.environ.get("JOURNAL_STREAM") or os.environ.get("INVOCATION_ID"))
    handler: logging.Handler
    if under_journal and _sd_journal is not None:
        handler = _sd_journal.JournalHandler(SYSLOG_IDENTIFIER="antirelou")
        handler.setFormatter(logging.Formatter("%(message)s"))
    elif under_journal:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_PrefixFormatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
        )
    root.addHandler(handler)
    set_level(level)


def set_level(level: str) -> None:
    logging.getLogger().setLevel(level.upper())
    # gsmmodem logs every AT line at debug level: that is our AT trace.
    logging.getLogger("gsmmodem").setLevel(logging.DEBUG if level == "debug" else logging.WARNING)
