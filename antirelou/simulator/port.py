"""The simulated dongle's serial port: a pseudo-terminal behind a stable link.

The port owns the pty (reopened on replug, the link replaced atomically so a host never sees
it missing), the serving thread and the pipe that wakes it, the writes to the host (paced to
the baud rate like a real serial line) and the hang clock (a wedged firmware writes nothing).
It knows nothing of AT commands: the thread runs the function it is given.
"""

from __future__ import annotations

import errno
import os
import pty
import select
import threading
import time
import tty
from collections.abc import Callable


class PortClosed(Exception):
    """The pty went away under the serving thread."""


class Port:
    """A pty for one simulated dongle; see the module docstring."""

    def __init__(self, link: str | None, baudrate: int | None) -> None:
        """Given the path of the link to keep pointing at the pty (None: none) and the baud
        rate to pace writes to (None: as fast as the pty takes them), prepare a closed port.
        """
        self.link = link
        self._bytes_per_second = baudrate / 10 if baudrate else None
        self._line_free_at = 0.0
        self._write_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self.slave_path: str | None = None
        self._wake_read: int | None = None
        self._wake_write: int | None = None
        # Monotonic time until which the firmware is wedged (math.inf: until unhang).
        self._hung_until = 0.0

    # --- opening and closing -------------------------------------------------------------------

    def open_wake_pipe(self) -> None:
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)

    def close_wake_pipe(self) -> None:
        for descriptor in (self._wake_read, self._wake_write):
            if descriptor is not None:
                os.close(descriptor)
        self._wake_read = self._wake_write = None

    def open(self) -> None:
        """Open a new pty and point the link at it (atomically: it never goes missing)."""
        master, slave = pty.openpty()
        try:
            # Raw, so the line discipline neither echoes nor rewrites CR/LF for hosts that
            # do not configure the port themselves.
            tty.setraw(slave)
            os.set_blocking(master, False)
            slave_path = os.ttyname(slave)
            if self.link:
                _replace_symlink(slave_path, self.link)
        except BaseException:
            os.close(master)
            os.close(slave)
            raise
        self._master, self._slave, self.slave_path = master, slave, slave_path

    def close(self, *, remove_link: bool) -> None:
        """Close the pty, which hangs up the host's side, and maybe remove our link."""
        if remove_link and self.link and self.slave_path and os.path.islink(self.link):
            try:
                # Only our own link: someone may have pointed it elsewhere meanwhile.
                if os.readlink(self.link) == self.slave_path:
                    os.unlink(self.link)
            except FileNotFoundError:
                pass
        for descriptor in (self._master, self._slave):
            if descriptor is not None:
                os.close(descriptor)
        self._master = self._slave = None

    # --- the serving thread --------------------------------------------------------------------

    def start_serving(self, serve: Callable[[], None]) -> None:
        """Given the serving loop, run it on a new daemon thread."""
        self._stopping.clear()
        self._thread = threading.Thread(target=serve, name="simulated-dongle", daemon=True)
        self._thread.start()

    def stop_serving(self) -> None:
        """Stop the serving thread and wait for it, so nothing uses the pty any more.
        Raise RuntimeError if called from that thread.
        """
        if self._thread is None:
            return
        if threading.current_thread() is self._thread:
            # Joining ourselves would deadlock: a Fault hook cannot unplug or stop.
            raise RuntimeError("cannot stop or unplug from the simulated dongle's own thread")
        self._stopping.set()
        self.wake()
        self._thread.join(timeout=5)
        self._thread = None
        self._stopping.clear()

    @property
    def stopping(self) -> bool:
        """Whether the serving thread has been asked to stop."""
        return self._stopping.is_set()

    def wait(self, seconds: float) -> bool:
        """Wait `seconds`, or less if the thread is asked to stop; return whether it was."""
        return self._stopping.wait(seconds)

    def wake(self) -> None:
        """Wake the serving thread from its wait for input (it then writes what is due)."""
        if self._wake_write is not None:
            try:
                os.write(self._wake_write, b"\0")
            except (BlockingIOError, OSError):
                pass

    def receive(self, timeout: float) -> bytes | None:
        """Wait up to `timeout` seconds for bytes from the host (or a wake); return what
        was read, or None if nothing was. Raise PortClosed if the pty is gone.
        """
        try:
            readable, _, _ = select.select([self._master, self._wake_read], [], [], timeout)
        except (OSError, ValueError) as error:
            raise PortClosed(str(error)) from error
        if self._wake_read in readable:
            try:
                os.read(self._wake_read, 4096)
            except BlockingIOError:
                pass
        if self._master not in readable:
            return None
        try:
            return os.read(self._master, 4096)
        except BlockingIOError:
            return None
        except OSError as error:
            if error.errno != errno.EIO:
                raise
            # EIO: no slave open at this instant; wait for a host to reopen it.
            self._stopping.wait(0.05)
            return None

    # --- hanging -------------------------------------------------------------------------------

    def hang(self, seconds: float) -> None:
        """Write nothing for `seconds` from now (math.inf: until unhang), whatever hang
        came before.
        """
        self._hung_until = time.monotonic() + seconds

    def unhang(self) -> None:
        """End a hang now."""
        self._hung_until = 0.0

    def hang_remaining(self) -> float:
        """Return the seconds the firmware stays wedged (0.0: it is not)."""
        return max(0.0, self._hung_until - time.monotonic())

    # --- writing -------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Given bytes, write them to the host at the line's pace; stop early if the
        firmware hangs meanwhile or the thread is asked to stop.
        """
        with self._write_lock:
            if self._bytes_per_second is None:
                self._write_all(data)
                return
            # Serial-bound like real hardware: pace in ~10 ms chunks.
            chunk = max(1, int(self._bytes_per_second / 100))
            for start in range(0, len(data), chunk):
                piece = data[start : start + chunk]
                self._line_free_at = (
                    max(self._line_free_at, time.monotonic()) + len(piece) / self._bytes_per_second
                )
                self._write_all(piece)
                if self.hang_remaining():
                    return  # wedged in the middle of an answer: the rest never comes
                delay = self._line_free_at - time.monotonic()
                if delay > 0 and self._stopping.wait(delay):
                    return

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._stopping.is_set():
            try:
                written = os.write(self._master, view)
            except BlockingIOError:
                # The host is not reading: wait for room rather than block for ever.
                select.select([], [self._master], [], 0.1)
                continue
            view = view[written:]


def _replace_symlink(target: str, link: str) -> None:
    if os.path.lexists(link) and not os.path.islink(link):
        raise FileExistsError(f"{link} exists and is not a symlink; not replacing it")
    temporary = f"{link}.{os.getpid()}.{threading.get_ident()}.tmp"
    os.symlink(target, temporary)
    os.replace(temporary, link)  # atomic: a host never sees the link missing
