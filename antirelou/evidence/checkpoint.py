"""A checkpoint: how many records the log held, its tree head, and when.

A log and its head kept on the same Pi prove little: whoever can edit the database can
recompute every hash (shared/research/evidence.md §3.1, "data sheet cryptography"). A
checkpoint is worth something once a copy lives elsewhere: in journald, in an operator's SMS
inbox, printed on every export. Its text form is one line of plain ASCII (GSM 7-bit, so one
SMS of 160 characters holds it whole), with the full head: a shortened hash could be matched
by a forged log.

    antirelou 12345 9f3a…(64 hex digits)…c2 2026-12-02T09:14Z
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from antirelou.evidence.merkle import HASH_BYTES

PREFIX = "antirelou"
_TEXT = re.compile(
    rf"\s*{PREFIX}\s+(?P<size>\d+)\s+(?P<root>[0-9a-fA-F]{{{2 * HASH_BYTES}}})\s+"
    r"(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\dZ)\s*"
)


class CheckpointError(ValueError):
    """A text is not a checkpoint."""


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root: bytes
    at: datetime  # aware; shown in UTC to the minute

    def __post_init__(self) -> None:
        if self.size < 0 or len(self.root) != HASH_BYTES:
            raise CheckpointError(f"a checkpoint has a size >= 0 and a {HASH_BYTES}-byte head")
        if self.at.tzinfo is None:
            raise CheckpointError("a checkpoint's time carries its zone")

    def text(self) -> str:
        """Return the one-line form, short enough for one SMS."""
        when = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        return f"{PREFIX} {self.size} {self.root.hex()} {when}"

    def short(self) -> str:
        """Return a form for a glance (`status`, a page footer): never enough to verify."""
        root = self.root.hex()
        return f"{self.size} {root[:8]}…{root[-4:]}"

    def as_json(self) -> dict:
        return {
            "size": self.size,
            "root": self.root.hex(),
            "at": self.at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "text": self.text(),
        }


def parse(text: str) -> Checkpoint:
    """Given a checkpoint's one-line form (as an operator copies it from an SMS), return it.
    Raise CheckpointError saying what a checkpoint looks like if it is not one."""
    found = _TEXT.fullmatch(text)
    if not found:
        raise CheckpointError(
            f"{text.strip()[:80]!r} is not a checkpoint; one reads "
            f"'{PREFIX} COUNT HEAD(64 hex digits) YYYY-MM-DDTHH:MMZ'"
        )
    at = datetime.strptime(found["at"], "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    return Checkpoint(int(found["size"]), bytes.fromhex(found["root"]), at)
