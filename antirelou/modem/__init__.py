"""The dongle, over AT commands: `device.Modem` owns the serial port.

`gsm` is our python-gsmmodem subclass (the only code touching its private parts), `inbox` what
the modem announced for the main loop, `records` what it tells about itself, `errors` what can
go wrong.
"""

from antirelou.modem.device import CTRL_Z, ESCAPE, Modem
from antirelou.modem.errors import (
    ModemError,
    ModemRefused,
    ModemTimeout,
    ModemUnavailable,
    SendFailed,
    SimLocked,
    SmsNotReady,
)
from antirelou.modem.records import Identity, IncomingCall, Registration, StorageInfo

__all__ = [
    "CTRL_Z",
    "ESCAPE",
    "IncomingCall",
    "Identity",
    "Modem",
    "ModemError",
    "ModemRefused",
    "ModemTimeout",
    "ModemUnavailable",
    "Registration",
    "SendFailed",
    "SimLocked",
    "SmsNotReady",
    "StorageInfo",
]
