"""The dongles antirelou knows: their USB identifiers, their modes, the role of each port.

Data only, from ../shared/research/pi-deploy.md §4, which took the port roles from
ModemManager 1.20.4's udev rules (77-mm-<vendor>-port-types.rules) and the mode-switch
identifiers from usb-modeswitch-data 20191128. A dongle first shows up as a CD-ROM
(STORAGE, its Windows drivers) until usb-modeswitch switches it; it then has serial ports
(MODEM), or only a network interface and a web page (ROUTER: HiLink, RNDIS, ECM), which no
AT command reaches. The udev rule (systemd/70-antirelou.rules) is generated from MODEM
entries: ModemManager is kept off those dongles.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Mode(Enum):
    MODEM = "modem"
    STORAGE = "storage"
    ROUTER = "router"


class Role(Enum):
    """What one serial port of a dongle is for; the last three must never be written to."""

    AT = "AT commands"
    AT_SECONDARY = "AT commands (second port)"
    PPP = "data (PPP, answers AT too)"
    DIAG = "diagnostics (QCDM)"
    GPS = "GPS (NMEA)"
    AUDIO = "audio"


NEVER_WRITE = frozenset({Role.DIAG, Role.GPS, Role.AUDIO})


@dataclass(frozen=True)
class Dongle:
    """One USB identifier of a dongle, in one mode; `ports` maps interface number to role."""

    vendor: str
    product: str
    name: str
    mode: Mode
    ports: tuple[tuple[int, Role], ...] = ()

    def role_of(self, interface: int | None) -> Role | None:
        return dict(self.ports).get(interface) if interface is not None else None


@dataclass(frozen=True)
class InterfaceRule:
    """A role told by a USB interface's class, subclass and protocol, for one vendor."""

    vendor: str
    classes: frozenset[int]
    subclasses: frozenset[int]
    protocols: frozenset[int]
    role: Role

    def matches(self, vendor: str | None, triple: tuple[int, int, int] | None) -> bool:
        if vendor != self.vendor or triple is None:
            return False
        klass, subclass, protocol = triple
        return klass in self.classes and subclass in self.subclasses and protocol in self.protocols


# Vendors whose serial ports are probed without being asked (§3.4 rule 2: an FTDI cable or
# an Arduino is never written to unless given with --port).
VENDORS = {
    "12d1": "Huawei",
    "19d2": "ZTE",
    "1e0e": "SIMCom",
    "2c7c": "Quectel",
    "1199": "Sierra Wireless",
    "1bbb": "Alcatel",
}

_AT, _AT2, _PPP = Role.AT, Role.AT_SECONDARY, Role.PPP
_DIAG, _GPS, _AUDIO = Role.DIAG, Role.GPS, Role.AUDIO


def _storage(vendor: str, name: str, *products: str) -> list[Dongle]:
    return [Dongle(vendor, product, name, Mode.STORAGE) for product in products]


def _router(vendor: str, name: str, *products: str) -> list[Dongle]:
    return [Dongle(vendor, product, name, Mode.ROUTER) for product in products]


def _modem(
    vendor: str, name: str, *products: str, ports: tuple[tuple[int, Role], ...] = ()
) -> list[Dongle]:
    return [Dongle(vendor, product, name, Mode.MODEM, ports) for product in products]


DONGLES: tuple[Dongle, ...] = tuple(
    # Huawei (§4 table; usb_modeswitch configs for each storage identifier).
    _storage("12d1", "Huawei E1550/E173/E1750", "1446")
    + _storage("12d1", "Huawei E3372/E8372", "1f01", "14fe", "157d", "15cd", "15cf")
    + _storage("12d1", "Huawei E3131/E3531", "15ca", "151a", "15ce", "15d0", "15e7", "15d2")
    + _storage("12d1", "Huawei E173", "1557", "14ba", "1c0b", "1c24", "14b5")
    # E1550 / E3531 "12d1:1001 ... has 3 serial ports": if00 modem, if01 diag, if02 PCUI
    # (Arch wiki E1550; antirelou's first udev rule drove an E3531 on interface 02).
    + _modem("12d1", "Huawei E1550/E3531", "1001", "140c", ports=((0, _PPP), (1, _DIAG), (2, _AT)))
    # Interface numbers "are allocated dynamically by the firmware" (Bjørn Mork, §4): the
    # class rule below, the interface name, then probing decide.
    + _modem("12d1", "Huawei E1750/E173", "1436", "14a5", "14d2", "1c05", "1c10", "1c12", "1c23")
    + _modem("12d1", "Huawei E173", "14a8", "14aa")
    + _modem("12d1", "Huawei E3131/E3372/E3531", "1506", "151b", "151d", "151e", "15b1", "15b3")
    + _modem("12d1", "Huawei E3131/E3531", "15d1", "15d3")
    + _router("12d1", "Huawei HiLink (E3372h 22.x, E3131, E8372)", "14db", "14dc")
    # ZTE (§4 table; MM's 77-mm-zte-port-types.rules).
    + _storage("19d2", "ZTE MF190", "1224", "0149", "0154")
    + _storage("19d2", "ZTE MF626/MF636/MF667", "2000")
    + _storage("19d2", "ZTE MF667/MF823", "1225")
    + _modem("19d2", "ZTE MF190", "0082", ports=((3, _AT), (1, _AT2)))
    + _modem("19d2", "ZTE MF190", "0124", ports=((4, _AT), (1, _AT2)))
    + _modem("19d2", "ZTE MF190", "0117", "0017", ports=((2, _AT), (1, _AT2)))
    + _modem("19d2", "ZTE MF190", "2003", ports=((3, _AT),))
    + _modem("19d2", "ZTE MF626/MF636", "0031", ports=((3, _AT), (1, _AT2)))
    + _modem("19d2", "ZTE MF667/MF823", "0016", ports=((2, _AT), (1, _AT2)))
    + _router("19d2", "ZTE MF667/MF823 (RNDIS/ECM)", "1403", "1405")
    # Modules on USB boards and HATs: never switched; GPS and diagnostics ports beside AT.
    + _modem(
        "1e0e",
        "SIMCom SIM7600",
        "9001",
        ports=((0, _DIAG), (1, _GPS), (2, _AT), (3, _AT2), (4, _AUDIO)),
    )
    + _modem(
        "2c7c", "Quectel EC25/EG25", "0125", ports=((0, _DIAG), (1, _GPS), (2, _AT), (3, _AT2))
    )
    + _modem(
        "1199", "Sierra MC74xx/EM7565", "9071", "9091", ports=((0, _DIAG), (2, _GPS), (3, _AT))
    )
    # Alcatel X-series sticks expose option ttys once switched (§4, usb_modeswitch 1bbb:f000).
    + _storage("1bbb", "Alcatel X-series", "f000", "f017")
    + _modem("1bbb", "Alcatel X500", "0017")
)

# Huawei's class rule, device-independent (77-mm-huawei-net-port-types.rules, §4):
# ff/01|02/02 is the AT primary port, protocol 01 the PPP port, 05 and 14 GPS.
INTERFACE_RULES = (
    InterfaceRule("12d1", frozenset({0xFF}), frozenset({0x01, 0x02}), frozenset({0x02}), _AT),
    InterfaceRule("12d1", frozenset({0xFF}), frozenset({0x01, 0x02}), frozenset({0x01}), _PPP),
    InterfaceRule(
        "12d1", frozenset({0xFF}), frozenset({0x01, 0x06}), frozenset({0x05, 0x14}), _GPS
    ),
)

# Huawei's interface names (the USB interface string): "pcui" is the AT port, "modem" PPP
# (MM's Huawei plugin, §3.1).
INTERFACE_NAMES = (("pcui", _AT), ("modem", _PPP))

_BY_ID = {(dongle.vendor, dongle.product): dongle for dongle in DONGLES}


def known(vendor: str | None, product: str | None) -> Dongle | None:
    """Given a USB vendor and product identifier (4 hex digits), return its table entry."""
    if vendor is None or product is None:
        return None
    return _BY_ID.get((vendor.lower(), product.lower()))
