"""The SQLite log, and every SQL statement antirelou runs.

`schema` holds the migrations and statuses; `database` opens the file and runs transactions;
`transaction` holds every change (named transitions); `reads` what the daemon asks; `rows` the
records that cross this boundary.
"""

from antirelou.store.database import Store
from antirelou.store.rows import Alert, PduRow, Reply, StoreError, iso
from antirelou.store.schema import (
    CALL,
    FAILED,
    MIGRATIONS,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    SMS,
    SPENDING,
    UNKNOWN,
)
from antirelou.store.transaction import Transaction

__all__ = [
    "CALL",
    "FAILED",
    "MIGRATIONS",
    "QUEUED",
    "SENDING",
    "SENT",
    "SKIPPED",
    "SMS",
    "SPENDING",
    "UNKNOWN",
    "Alert",
    "PduRow",
    "Reply",
    "Store",
    "StoreError",
    "Transaction",
    "iso",
]
