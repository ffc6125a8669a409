"""Helpers for the evidence tests: a real SQLite log filled through the daemon's own intake
(real SMS-DELIVER PDUs, flags, decisions), and the configuration it runs under."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from antirelou.config import Config, loads
from antirelou.intake import commit_listing
from antirelou.listing import Listing, StoredPdu
from antirelou.simulator.network_pdu import encode_deliver
from antirelou.store import Store

START = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
THREAT = "Je sais où tu habites, je vais te crever 🔪"


def config_for(database: str, extra: str = "") -> Config:
    return loads(f"modem:\n  port: /dev/x\ndatabase: {database}\n" + extra)


def receive(
    store: Store,
    config: Config,
    messages: Sequence[tuple[str, str]],
    at: datetime = START,
    *,
    spacing: timedelta = timedelta(minutes=1),
) -> list[int]:
    """Given (sender, text) pairs, commit each as its own listing, `spacing` apart from `at`,
    through intake.commit_listing; return the messages' ids."""
    ids = []
    for index, (sender, text) in enumerate(messages):
        now = at + spacing * index
        entries = tuple(
            StoredPdu(slot, 0, pdu) for slot, pdu in enumerate(encode_deliver(sender, text, now))
        )
        result = commit_listing(store, Listing("SM", entries, clean=True), config, now)
        ids += [logged.message_id for logged in result.logged]
    return ids


def tamper(database: str, *statements: str | tuple[str, tuple]) -> None:
    """Change the file behind the service's back, as someone with the SD card could. Each
    statement is SQL, or (SQL, parameters)."""
    connection = sqlite3.connect(database)
    for statement in statements:
        sql, parameters = statement if isinstance(statement, tuple) else (statement, ())
        connection.execute(sql, parameters)
    connection.commit()
    connection.close()


def file_bytes(database: str) -> bytes:
    """Every byte SQLite keeps for the database: the file, its WAL and its shared memory."""
    found = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            with open(database + suffix, "rb") as file:
                found += file.read()
        except FileNotFoundError:
            pass
    return found
