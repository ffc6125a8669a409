"""The SQLite log, and every SQL statement antirelou runs.

`schema` holds the migrations and statuses, `database` the connection, its transactions and
the daemon's writes.
"""

from antirelou.store.database import PduRow, Reply, Store, StoredPdu, StoreError, iso
from antirelou.store.schema import (
    FAILED,
    MIGRATIONS,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    SPENDING,
    UNKNOWN,
)

__all__ = [
    "FAILED",
    "MIGRATIONS",
    "QUEUED",
    "SENDING",
    "SENT",
    "SKIPPED",
    "SPENDING",
    "UNKNOWN",
    "PduRow",
    "Reply",
    "Store",
    "StoreError",
    "StoredPdu",
    "iso",
]
