"""The service's live state (its heartbeat) in a small file in memory, not in the database.

The daemon rewrites it every 15 s; written to the SQLite log with a full sync, that was about
5,800 synced writes a day on an SD card for nothing. It goes to the runtime directory
(/run/antirelou, a tmpfs: RuntimeDirectory= in the units), where `antirelou status` and
`antirelou check` read it. The file is named after the database's path, so that the lines of
several SIMs (antirelou@LINE) share the directory without sharing a file. A run outside
systemd (tests, the demo, a manual `antirelou run`) with no writable /run/antirelou keeps it
beside the database instead.

The file is replaced atomically (written aside, then renamed) and never synced: after a power
cut there is no live state to keep.
"""

from __future__ import annotations

import hashlib
import json
import os

from antirelou.heartbeat import Heartbeat

RUN_DIRECTORY = "/run/antirelou"


def _name(database: str) -> str:
    digest = hashlib.sha256(os.path.abspath(database).encode("utf-8")).hexdigest()[:16]
    return f"live-{digest}.json"


def candidates(database: str) -> list[str]:
    """Given the database's path, return where its live state may be, most likely first."""
    directories = [os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0], RUN_DIRECTORY]
    paths = [os.path.join(d, _name(database)) for d in directories if d]
    paths.append(os.path.abspath(database) + ".live.json")
    return list(dict.fromkeys(paths))


def write_path(database: str) -> str:
    """Given the database's path, return where the daemon writes its live state: the first
    candidate whose directory it may write."""
    for path in candidates(database):
        directory = os.path.dirname(path)
        if os.path.isdir(directory) and os.access(directory, os.W_OK | os.X_OK):
            return path
    return candidates(database)[-1]


def write(path: str, beat: Heartbeat) -> None:
    """Replace the live state at `path` with `beat`. Raise OSError if it cannot be written."""
    record = {
        "pid": beat.pid,
        "at": beat.at.isoformat(),
        "started_at": beat.started_at.isoformat(),
        "state": beat.state,
        "detail": beat.detail_json(),
    }
    aside = f"{path}.{os.getpid()}.tmp"
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(record, file)
    os.replace(aside, path)


def read(database: str) -> Heartbeat | None:
    """Given the database's path, return the latest live state written for it, or None if the
    service never ran since the machine started (or the file is unreadable)."""
    found = []
    for path in candidates(database):
        try:
            with open(path, encoding="utf-8") as file:
                record = json.load(file)
            found.append(
                Heartbeat.from_row(
                    record["pid"],
                    record["at"],
                    record["started_at"],
                    record["state"],
                    record["detail"],
                )
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return max(found, key=lambda beat: beat.at, default=None)
