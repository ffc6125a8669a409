"""Keyed pseudonyms: what is left of a phone number once retention has removed it.

The service still needs to know, after a purge, whether a number wrote before (raid
detection), was ever answered (flood mode, reply sequences) and how many numbers wrote (stats),
but not which number it was. A plain hash of a phone number is no pseudonym: there are few
enough numbers to hash them all (AEPD/EDPS 2019). A keyed one (HMAC-SHA256, EDPB guidelines
01/2025) cannot be reversed without the key (shared/research/evidence.md §2.3). The key is a
file beside the database, readable by the service alone, made on first use; whoever deletes it
makes every pseudonym anonymous for good.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

KEY_FILE = "pseudonyms.key"
KEY_BYTES = 32
# A pseudonym never looks like a number or a sender's name: it cannot be taken for one.
PREFIX = "pseudo:"


def pseudonym(key: bytes, number: str) -> str:
    """Given the key and a number (or a sender's name), return its pseudonym: the same for
    the same number, and nothing to read it back with."""
    return PREFIX + hmac.new(key, number.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def key_path(database: str) -> str:
    """Given the database's path, return where its pseudonyms' key lives."""
    return os.path.join(os.path.dirname(os.path.abspath(database)), KEY_FILE)


def load_key(database: str, *, create: bool) -> bytes | None:
    """Given the database's path, return the pseudonyms' key, making it (mode 0600) when
    `create` and it does not exist yet; None when it does not and `create` is false. Raise
    OSError if it cannot be read or written."""
    path = key_path(database)
    try:
        with open(path, "rb") as file:
            key = file.read()
    except FileNotFoundError:
        if not create:
            return None
        key = secrets.token_bytes(KEY_BYTES)
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return load_key(database, create=False)
        with os.fdopen(descriptor, "wb") as file:
            file.write(key)
            file.flush()
            os.fsync(file.fileno())
    if len(key) != KEY_BYTES:
        raise OSError(f"{path} is not a pseudonym key ({len(key)} bytes, not {KEY_BYTES})")
    return key
