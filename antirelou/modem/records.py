"""What the modem tells about itself, its storages and its calls: plain records, and the
parsing of AT+CPMS answers (every variant real modems send, modems.md §1.9) and of the SIM's
identity (IMSI, ICCID, own number)."""

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
    """Who the modem and its SIM are; "" for what they would not say."""

    manufacturer: str
    model: str
    revision: str
    imei: str
    imsi: str = ""
    iccid: str = ""
    own_number: str = ""  # AT+CNUM, only when the SIM knows it (most prepaid ones do not)


# The ICCID, asked in turn until one answers: first the SIM file itself, read as 3GPP TS 27.007
# §8.18 allows (READ BINARY of EF_ICCID, 2FE2 = 12258: ModemManager's generic way,
# src/mm-base-sim.c), then the families' own commands for sticks that refuse +CRSM: Huawei
# AT^ICCID? (plugins/huawei/mm-sim-huawei.c: "older devices don't support ^ICCID", answer
# digit-swapped), Quectel AT+QCCID ("+QCCID: 8986…"), SIMCom AT+CICCID ("+ICCID: 89…"),
# SIM800 and u-blox AT+CCID (plain digits, or "+CCID:"), ZTE AT+ZGETICCID ("+ZGETICCID: 89…").
ICCID_COMMANDS = (
    "AT+CRSM=176,12258,0,0,10",
    "AT^ICCID?",
    "AT+QCCID",
    "AT+CICCID",
    "AT+CCID",
    "AT+ZGETICCID",
)
_ICCID = re.compile(r"[0-9A-Fa-f]{19,20}")
_CNUM = re.compile(r'^\+CNUM:\s*(?:"[^"]*"|[^,]*),\s*"([^"]+)"\s*,\s*(\d+)')


def parse_imsi(lines: Sequence[str]) -> str:
    """Given the answer to AT+CIMI, return the IMSI (6 to 15 digits), or ""."""
    for line in lines:
        value = line.removeprefix("+CIMI:").strip().strip('"')
        if re.fullmatch(r"\d{6,15}", value):
            return value
    return ""


def parse_iccid(lines: Sequence[str]) -> str:
    """Given the answer to one of ICCID_COMMANDS, return the ICCID (19 or 20 digits, "89"
    first), or "". EF_ICCID stores each pair of digits swapped ("98…"), as +CRSM and Huawei's
    ^ICCID give it; a 19-digit ICCID ends in a filler F (ModemManager's mm_3gpp_parse_iccid)."""
    for line in lines:
        value = line.rsplit(",", 1)[-1] if line.startswith("+CRSM") else line
        if ":" in value:
            value = value.split(":", 1)[1]
        value = value.strip().strip('"').upper()
        if not _ICCID.fullmatch(value):
            continue
        if value.startswith("98") and len(value) == 20:
            value = "".join(value[i + 1] + value[i] for i in range(0, 20, 2))
        value = value.removesuffix("F")
        if value.startswith("89") and value.isalnum():
            return value
    return ""


def parse_own_number(lines: Sequence[str]) -> str:
    """Given the answer to AT+CNUM (`+CNUM: "","+33612345678",145`, one line per number),
    return the first number, with its "+" when its type is international (145), or ""."""
    for line in lines:
        found = _CNUM.match(line.strip())
        if found and found.group(1).strip():
            number = found.group(1).strip()
            if found.group(2) == "145" and not number.startswith("+"):
                number = "+" + number
            return number
    return ""


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
