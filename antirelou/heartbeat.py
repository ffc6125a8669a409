"""The service's live state as `antirelou status` reads it: one typed record, written by the
daemon, read by the commands. Pure: the store keeps it, this says what it holds.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime

# A heartbeat older than this means the service is dead or stuck (the daemon writes one at
# least every 15 s).
STALE_AFTER = 120.0


@dataclass(frozen=True)
class ModemIdentity:
    manufacturer: str | None = None
    model: str | None = None
    revision: str | None = None
    imei: str | None = None


@dataclass(frozen=True)
class Heartbeat:
    """What the service was doing at `at`."""

    pid: int
    at: datetime
    started_at: datetime
    state: str  # "starting", "connecting", "running", "modem lost", "database error", "stopped"…
    state_detail: str | None = None  # what is wrong, when the state is not "running"
    port: str | None = None
    modem: ModemIdentity | None = None
    network: str | None = None  # registration, as a sentence
    operator: str | None = None
    signal: int | None = None  # 0-31
    # Every message storage of the modem: (name, used, total), as last listed.
    storages: tuple[tuple[str, int, int], ...] = ()
    flood_since: datetime | None = None

    def age(self, now: datetime) -> float:
        """Seconds since this heartbeat was written."""
        return (now - self.at).total_seconds()

    def alive(self, now: datetime) -> bool:
        """Return whether the service that wrote this is still running and not stuck."""
        return self.state != "stopped" and self.age(now) < STALE_AFTER and _pid_alive(self.pid)

    def detail_json(self) -> str:
        """The fields besides pid, times and state, as the log's `heartbeat.detail` column holds
        them."""
        detail = {
            "state_detail": self.state_detail,
            "port": self.port,
            "modem": None if self.modem is None else asdict(self.modem),
            "network": self.network,
            "operator": self.operator,
            "signal": self.signal,
            "storages": [
                {"name": name, "used": used, "total": total} for name, used, total in self.storages
            ],
            "flood_since": None if self.flood_since is None else self.flood_since.isoformat(),
        }
        return json.dumps(detail)

    @classmethod
    def from_row(cls, pid: int, at: str, started_at: str, state: str, detail: str) -> Heartbeat:
        """Given the log's heartbeat row, return the record (unknown detail keys ignored)."""
        fields = json.loads(detail or "{}")
        modem = fields.get("modem")
        flood_since = fields.get("flood_since")
        return cls(
            pid=pid,
            at=datetime.fromisoformat(at),
            started_at=datetime.fromisoformat(started_at),
            state=state,
            state_detail=fields.get("state_detail"),
            port=fields.get("port"),
            modem=None
            if not modem
            else ModemIdentity(
                **{key: modem.get(key) for key in ("manufacturer", "model", "revision", "imei")}
            ),
            network=fields.get("network"),
            operator=fields.get("operator"),
            signal=fields.get("signal"),
            storages=tuple(
                (item["name"], item["used"], item["total"]) for item in fields.get("storages", [])
            ),
            flood_since=None if flood_since is None else datetime.fromisoformat(flood_since),
        )

    def as_json(self, now: datetime) -> dict:
        """The record as `status --json` prints it."""
        return {
            "pid": self.pid,
            "at": self.at.isoformat(),
            "started_at": self.started_at.isoformat(),
            "state": self.state,
            "age": self.age(now),
            "detail": json.loads(self.detail_json()),
        }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
