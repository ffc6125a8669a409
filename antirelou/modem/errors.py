"""What can go wrong with the modem, as the daemon tells the cases apart."""

from __future__ import annotations

from collections.abc import Sequence

from gsmmodem.exceptions import CmeError, CmsError

# Answers meaning "the SMS service is not ready yet", right after a boot (modems.md §4.3):
# +CMS ERROR 302 (operation not allowed), 310 (SIM not inserted), 314 (SIM busy), 515 (please
# wait, init in progress); +CME ERROR 14 (SIM busy).
_NOT_READY_CMS = {302, 310, 314, 515}
_NOT_READY_CME = {14, 515}


class ModemError(Exception):
    """The modem could not do what was asked."""


class ModemUnavailable(ModemError):
    """The port cannot be opened, has vanished, or its reader has stopped."""


class ModemTimeout(ModemError):
    """The modem did not answer in time."""


class ModemRefused(ModemError):
    """The modem answered ERROR, +CMS ERROR or +CME ERROR."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class SmsNotReady(ModemRefused):
    """The modem answers, but its SMS service is not ready yet (just after a boot): wait."""


class SimLocked(ModemError):
    """The SIM wants a PIN we do not have, or refused ours: a person must act."""


class SendFailed(ModemError):
    """A reply did not (entirely) leave. `definite` is False when it may have."""

    def __init__(
        self, message: str, *, segments_sent: int, definite: bool, references: Sequence[int] = ()
    ) -> None:
        super().__init__(message)
        self.segments_sent = segments_sent
        self.definite = definite
        self.references = list(references)


def not_ready(error: Exception) -> bool:
    """Given gsmmodem's error, return whether it means "SMS service not ready yet"."""
    code = getattr(error, "code", None)
    if isinstance(error, CmsError):
        return code in _NOT_READY_CMS
    if isinstance(error, CmeError):
        return code in _NOT_READY_CME
    return False
