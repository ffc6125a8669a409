"""The SQLite log: opening it (mode 0600, WAL, migrations with a copy first) and its
transactions.

What retention deletes must not stay readable in the file: `secure_delete` overwrites deleted
content with zeros as it goes (free space in pages, freed pages), and after a purge the WAL is
emptied into the file and truncated (`release_purged`). A file from before version 11 may still
hold old copies of rows in its free space: it is vacuumed once, at that upgrade.

The daemon's main thread writes; the `block`/`unblock` commands write too, each in one short
transaction, and SQLite's lock orders them. WAL lets the read-only commands read while the
daemon writes. The schema carries a version; `MIGRATIONS` upgrade an older file in order when
the daemon opens it, after a copy of the file is kept beside it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from antirelou.pseudonyms import load_key
from antirelou.store.reads import Reads
from antirelou.store.rows import StoreError
from antirelou.store.schema import LEDGER_VERSION, MIGRATIONS
from antirelou.store.transaction import Transaction


def _statements(script: str) -> list[str]:
    # executescript() would commit our transaction; our scripts hold no ';' in literals.
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _create_private(path: str) -> None:
    # Numbers and messages are personal data: the file is the service user's alone.
    # SQLite gives its -wal and -shm files the database file's permissions.
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        # A file made by hand (or by an older version) is tightened too.
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


class Store(Reads):
    """Given a path, open (creating with mode 0600 and migrating) the log."""

    def __init__(
        self, path: str, *, busy_timeout: float = 5.0, readonly: bool = False, create: bool = True
    ) -> None:
        self.path = path
        try:
            if (readonly or not create) and not os.path.exists(path):
                raise StoreError(f"{path}: no database yet (has the service ever run?)")
            if readonly:
                self._db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
                self._db.execute("PRAGMA query_only = ON")
                self._key = load_key(path, create=False)
                version = self.schema_version
                if version < len(MIGRATIONS):
                    self._db.close()
                    raise StoreError(
                        f"{path} is in an older format (schema {version}); restart "
                        "the service to upgrade it: sudo systemctl restart antirelou"
                    )
            else:
                _create_private(path)
                # The pseudonyms' key lives beside the database, made by its first writer.
                self._key = load_key(path, create=True)
                self._db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
                self._use_wal(busy_timeout)
                self._db.execute("PRAGMA synchronous = FULL")
                self._db.execute("PRAGMA secure_delete = ON")
                self._migrate()
        except sqlite3.Error as error:
            raise StoreError(f"{path}: {error}") from error
        except OSError as error:
            raise StoreError(f"{path}: {error}") from error
        self._db.row_factory = sqlite3.Row

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _use_wal(self, busy_timeout: float) -> None:
        # Switching to WAL needs the file to itself and SQLite does not wait for it:
        # another process opening the same new file at that moment gets "locked".
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        before = self.schema_version
        if 0 < before < len(MIGRATIONS):
            self._keep_copy(before)
        # The version is read again under the write lock: two processes opening a new file at
        # once must not both create the tables.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            version = self.schema_version
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"{self.path} was written by a newer antirelou (schema "
                    f"{version}); upgrade antirelou"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    self._db.execute(statement)
                if number == LEDGER_VERSION:
                    # What the file held before the log existed is logged as it is now.
                    upgrade = Transaction(self._db, self.path, self._key)
                    upgrade.log_unlogged()
                    upgrade.finish()
                self._db.execute(f"PRAGMA user_version = {number}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        if 0 < before < LEDGER_VERSION <= self.schema_version:
            # Rows rewritten before secure_delete was on left copies in free space: rebuilt.
            self._db.execute("VACUUM")

    def _keep_copy(self, version: int) -> None:
        """Copy the file as it is to `<path>.v<version>.bak` before upgrading it: an upgrade
        that goes wrong on an SD card must not cost the log (it may be evidence)."""
        backup_path = f"{self.path}.v{version}.bak"
        _create_private(backup_path)
        # SQLite's online backup copies a consistent state, WAL included, which copying the
        # file alone would not.
        target = sqlite3.connect(backup_path)
        try:
            self._db.backup(target)
        finally:
            target.close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Run the block in one write transaction, whose methods do the work; raise StoreError
        (everything rolled back) if it cannot commit."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: {error}") from error
        try:
            tx = Transaction(self._db, self.path, self._key)
            yield tx
            tx.finish()
            self._db.execute("COMMIT")
        except BaseException as error:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(error, sqlite3.Error):
                raise StoreError(f"{self.path}: {error}") from error
            raise

    @contextmanager
    def snapshot(self) -> Iterator[Store]:
        """Run the block's reads on one state of the log, whatever is written meanwhile (an
        export and its checkpoint must describe the same records)."""
        try:
            self._db.execute("BEGIN")
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: {error}") from error
        try:
            yield self
        finally:
            self._db.execute("COMMIT")

    def release_purged(self, attempts: int = 2) -> bool:
        """After a purge has committed: write the WAL into the file and truncate it, so that no
        copy of what was purged stays in it (SQLite's own checkpoints reuse the WAL from its
        start and leave older frames behind). Each attempt waits for readers at most the busy
        timeout. Return False if they kept it busy throughout: the next purge tries again."""
        for _ in range(attempts):
            busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return True
            time.sleep(0.05)
        return False

    def read(self, sql: str, parameters: Sequence = ()) -> list[sqlite3.Row]:
        """Run one read-only statement of `antirelou.store.queries`; raise StoreError."""
        return self._rows(sql, parameters)
