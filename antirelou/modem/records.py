"""What the modem tells about itself, its storages and its calls: plain records, and the
parsing of AT+CPMS answers (every variant real modems send, modems.md §1.9)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

CPMS_NAME = re.compile(r'"([A-Z_]{2,4})"')


@dataclass(frozen=True)
class StorageInfo:
    """One message storage of the modem and how full it was when last listed or selected."""

    name: str
    used: int
    total: int


@dataclass(frozen=True)
class IncomingCall:
    """A voice call the modem announced. `caller` is None when the number is hidden."""

    caller: str | None
    rang_at: float  # monotonic time of the first ring
    ended: bool  # the caller hung up (or it was missed) before we rejected it


@dataclass(frozen=True)
class Identity:
    manufacturer: str
    model: str
    revision: str
    imei: str


@dataclass(frozen=True)
class Registration:
    status: int  # 27.007 +CREG: 1 home, 5 roaming, 2 searching, 3 denied, 0 not searching
    operator: str | None
    signal: int | None  # 0..31, None if unknown

    @property
    def registered(self) -> bool:
        return self.status in (1, 5)

    def describe(self) -> str:
        names = {
            0: "not searching",
            1: "home network",
            2: "searching",
            3: "registration denied",
            4: "unknown",
            5: "roaming",
        }
        signal = "unknown" if self.signal is None else f"{self.signal}/31"
        return (
            f"{names.get(self.status, f'status {self.status}')}, operator "
            f"{self.operator or '?'}, signal {signal}"
        )


def offered_storages(lines: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """Given the answer to AT+CPMS=?, return the storages offered for reading, writing and
    receiving. Accepts the variants real modems send (§1.9): groups in parentheses or bare
    names, spaces, two groups only (the last one then stands for the missing ones)."""
    line = next((line for line in lines if line.startswith("+CPMS")), "")
    body = line.split(":", 1)[1] if ":" in line else ""
    groups = [group for group in re.findall(r"\(([^()]*)\)", body)]
    if not groups:
        # No parentheses: one name per group (Huawei MU609: +CPMS: "ME","MT","SM").
        groups = [name for name in CPMS_NAME.findall(body)]
    names = [CPMS_NAME.findall(group) or [group.strip()] for group in groups if group.strip()]
    while names and len(names) < 3:
        names.append(names[-1])
    if not names:
        return ["SM"], ["SM"], ["SM"]
    return names[0], names[1], names[2]


def storage_usage(line: str) -> list[StorageInfo]:
    """Given `+CPMS: "ME",1,23,"ME",1,23,"SM",0,20`, return the storages named, each once."""
    found: dict[str, StorageInfo] = {}
    for name, used, total in re.findall(r'"([A-Z_]{2,4})"\s*,\s*(\d+)\s*,\s*(\d+)', line):
        found.setdefault(name, StorageInfo(name, int(used), int(total)))
    return list(found.values())
