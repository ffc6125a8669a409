"""A record as bytes, and the salted digest the log commits to.

A record is (kind, id, fields). Its bytes are the JSON Canonicalization Scheme (RFC 8785) of
{"fields": …, "id": …, "kind": …} in UTF-8, restricted to what every JSON library spells the
same way: keys of ASCII letters, digits and '_', strings, integers within ±2^53, booleans,
null, lists and objects. No floats (their spelling differs between languages and versions)
and no times as objects (callers pass the log's ISO text). Within that subset Python's
`json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` writes exactly
what RFC 8785 prescribes, so a third party can redo it with any JCS library.

The log never commits to a record's bytes directly: a plain SHA-256 of a short record holding
a phone number can be found by trying every number (AEPD/EDPS 2019, EDPB 01/2025, in
shared/research/evidence.md §2.3). It commits to HMAC-SHA256 keyed with a random per-record
salt. A purge deletes the fields and the salt and keeps the digest: the tree still verifies,
and what was deleted cannot be recovered or confirmed from what remains.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping

SALT_BYTES = 32
DIGEST_BYTES = 32
# JSON numbers beyond this lose precision in JavaScript and in any double-based parser.
_SAFE_INTEGER = 2**53 - 1
_KEY = re.compile(r"[A-Za-z0-9_]{1,64}")
_KIND = re.compile(r"[a-z_]{1,32}")


class CanonicalError(ValueError):
    """A value has no canonical spelling (a float, a non-ASCII key, a lone surrogate…)."""


def canonical_json(value: object) -> bytes:
    """Given a value of the canonical subset (see the module), return its RFC 8785 bytes.
    Raise CanonicalError, naming the path of the first value outside the subset."""
    # Every record of the log goes through here, several per message during a raid: the walk
    # builds no path unless something is wrong, and strings are checked for lone surrogates
    # by the one encoding of the whole text rather than one by one.
    try:
        _check(value)
    except _Outside as outside:
        raise CanonicalError(f"${''.join(reversed(outside.path))}: {outside}") from None
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalError(
            f"{_surrogate_path(value, '$')}: text holds a lone surrogate"
        ) from None


class _Outside(ValueError):
    """A value outside the subset; `path` is filled in, innermost first, on the way out."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.path: list[str] = []


def _check(value: object) -> None:
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return
    if isinstance(value, int):
        if abs(value) > _SAFE_INTEGER:
            raise _Outside(f"integer {value} is beyond ±2^53")
        return
    if isinstance(value, Mapping):
        for key in value:
            if type(key) is not str or not _KEY.fullmatch(key):
                raise _Outside(f"key {key!r} is not ASCII letters, digits or '_'")
        pairs, spell = value.items(), ".{}".format
    elif isinstance(value, list | tuple):
        pairs, spell = enumerate(value), "[{}]".format
    elif isinstance(value, str):
        return
    else:
        raise _Outside(f"{kind.__name__} has no canonical form (no floats)")
    for key, item in pairs:
        try:
            _check(item)
        except _Outside as outside:
            outside.path.append(spell(key))  # spelled only on the way out of an error
            raise


def _surrogate_path(value: object, path: str) -> str:
    """Return the path of the first string holding a lone surrogate (there is one)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _surrogate_path(item, f"{path}[{index}]")
            if found:
                return found
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found = _surrogate_path(item, f"{path}.{key}")
            if found:
                return found
    return ""


def check_kind(kind: str, record_id: int) -> None:
    """Raise CanonicalError unless `kind` is a lowercase name and `record_id` a count."""
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise CanonicalError(f"record kind {kind!r} is not a lowercase name")
    if isinstance(record_id, bool) or not isinstance(record_id, int) or record_id < 0:
        raise CanonicalError(f"record id {record_id!r} is not a non-negative integer")


def record_bytes(kind: str, record_id: int, fields: Mapping[str, object]) -> bytes:
    """Given a record, return the bytes its digest is computed over."""
    check_kind(kind, record_id)
    return canonical_json({"fields": dict(fields), "id": record_id, "kind": kind})


def new_salt() -> bytes:
    """Return a fresh random salt for one record."""
    return secrets.token_bytes(SALT_BYTES)


def record_digest(salt: bytes, kind: str, record_id: int, fields: Mapping[str, object]) -> bytes:
    """Given a record and its salt, return HMAC-SHA256(key=salt, record_bytes)."""
    if len(salt) != SALT_BYTES:
        raise CanonicalError(f"a salt is {SALT_BYTES} bytes, not {len(salt)}")
    return hmac.new(salt, record_bytes(kind, record_id, fields), hashlib.sha256).digest()


def leaf_bytes(seq: int, kind: str, record_id: int, digest: bytes) -> bytes:
    """Given a record's place in the log (seq, from 0), its kind, id and digest, return the
    Merkle leaf's data: canonical JSON of {"digest": hex, "id", "kind", "seq"}.

    Kind, id and place are in clear (they identify nobody) so that a verifier can name the
    record at fault, and a record moved to another place no longer matches its leaf."""
    check_kind(kind, record_id)
    if len(digest) != DIGEST_BYTES:
        raise CanonicalError(f"a digest is {DIGEST_BYTES} bytes, not {len(digest)}")
    return canonical_json({"digest": digest.hex(), "id": record_id, "kind": kind, "seq": seq})
