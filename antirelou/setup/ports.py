"""Which serial port of a dongle to talk to, which never to touch, and its lasting name.

Pure: `SerialPort` and `UsbDevice` are what the system showed (antirelou.setup.system reads
them from pyserial and sysfs); `classify` says what a port is for and whether to probe it,
`problem_of` says what to do about a dongle that has no serial port (still a CD-ROM, or a
HiLink router), `stable_name` gives the path the configuration should keep.
"""

from __future__ import annotations

from dataclasses import dataclass

from antirelou.setup.dongles import (
    INTERFACE_NAMES,
    INTERFACE_RULES,
    NEVER_WRITE,
    VENDORS,
    Dongle,
    Mode,
    Role,
    known,
)

# Drivers of a dongle that is a network card: HiLink (cdc_ether, huawei_cdc_ncm), RNDIS.
NETWORK_DRIVERS = frozenset({"cdc_ether", "cdc_ncm", "huawei_cdc_ncm", "rndis_host"})
MASS_STORAGE_CLASS = 0x08


@dataclass(frozen=True)
class SerialPort:
    """One tty of a USB device, as the system shows it."""

    device: str  # /dev/ttyUSB2
    vendor: str | None = None  # USB idVendor, 4 lower-case hex digits
    product: str | None = None
    interface: int | None = None  # bInterfaceNumber
    interface_class: tuple[int, int, int] | None = None  # class, subclass, protocol
    interface_name: str | None = None  # the interface string, e.g. "Huawei PCUI"
    serial: str | None = None  # iSerial of the USB device
    usb_device: str | None = None  # its sysfs name, e.g. 1-1.4: one per physical dongle
    by_id: str | None = None  # /dev/serial/by-id/… link to this port
    by_path: str | None = None  # /dev/serial/by-path/… link (the USB socket)
    description: str | None = None  # the product string, e.g. "HUAWEI Mobile"


@dataclass(frozen=True)
class UsbDevice:
    """One USB device with what its interfaces are and which drivers took them."""

    name: str  # sysfs name, e.g. 1-1.4
    vendor: str
    product: str
    description: str | None
    interface_classes: tuple[int, ...]
    drivers: tuple[str, ...]
    has_tty: bool


@dataclass(frozen=True)
class Verdict:
    """What a port is for, and whether it may be probed: `order` sorts the ones to try
    first; None means never write to it."""

    port: SerialPort
    dongle: str  # a name the user recognises
    role: Role | None  # None: unknown
    why: str
    order: int | None

    @property
    def probed(self) -> bool:
        return self.order is not None


# The order to try ports in: the AT port first, PPP ports last (they answer AT but do not
# get the new-message notices: §3.4 rule 5), unknown ones between.
_ORDER = {Role.AT: 0, Role.AT_SECONDARY: 1, None: 2, Role.PPP: 3}


def classify(port: SerialPort, *, chosen: bool = False) -> Verdict:
    """Given a serial port, return what it is for and whether it may be probed. `chosen`:
    the user named it (--port), so a port of an unknown device is tried too."""
    entry = known(port.vendor, port.product)
    name = _dongle_name(port, entry)
    role, why = _role(port, entry)
    if role in NEVER_WRITE:
        return Verdict(port, name, role, f"{why}: never written to", None)
    if entry is None and port.vendor not in VENDORS and not chosen:
        why = "not a known modem maker: not probed (name it with --port to try it)"
        return Verdict(port, name, role, why, None)
    return Verdict(port, name, role, why, _ORDER[role])


def _dongle_name(port: SerialPort, entry: Dongle | None) -> str:
    if entry is not None:
        return entry.name
    if port.vendor is None:
        return port.description or "serial port"
    maker = VENDORS.get(port.vendor, "USB device")
    detail = f" {port.description}" if port.description else ""
    return f"{maker}{detail} ({port.vendor}:{port.product})"


def _role(port: SerialPort, entry: Dongle | None) -> tuple[Role | None, str]:
    """Given a port and its table entry, return its role and where that comes from."""
    interface = "?" if port.interface is None else f"{port.interface:02d}"
    role = entry.role_of(port.interface) if entry is not None else None
    if role is not None:
        return role, f"interface {interface} is {role.value}"
    for rule in INTERFACE_RULES:
        if rule.matches(port.vendor, port.interface_class):
            return rule.role, f"interface {interface} is {rule.role.value} (its USB class)"
    lowered = (port.interface_name or "").lower()
    for word, role in INTERFACE_NAMES:
        if port.vendor == "12d1" and word in lowered:
            return role, f"interface {interface} is {role.value} (named {port.interface_name!r})"
    return None, f"interface {interface}: role unknown, will be asked AT"


def problem_of(device: UsbDevice) -> str | None:
    """Given a USB device, return what to do if it is a dongle that cannot be used as it is
    (a CD-ROM waiting for usb-modeswitch, a HiLink router), else None."""
    entry = known(device.vendor, device.product)
    name = entry.name if entry else f"{VENDORS.get(device.vendor, '')} {device.description or ''}"
    name = f"{name.strip()} ({device.vendor}:{device.product})"
    mode = entry.mode if entry else None
    if mode is None and device.vendor in VENDORS and not device.has_tty:
        if NETWORK_DRIVERS & set(device.drivers):
            mode = Mode.ROUTER
        elif set(device.interface_classes) == {MASS_STORAGE_CLASS}:
            mode = Mode.STORAGE
    if mode is Mode.STORAGE:
        return (
            f"{name} est encore en mode « CD-ROM » / is still in CD-ROM mode: attendez 10 s "
            "puis relancez / wait 10 s and run again. Si elle y reste / if it stays: "
            "sudo apt install usb-modeswitch, puis débranchez et rebranchez la clé / then "
            "unplug and replug the dongle."
        )
    if mode is Mode.ROUTER:
        return (
            f"{name} est en mode routeur (HiLink, page web) / is in router mode (HiLink, web "
            "page): elle n'a pas de port AT et ne peut pas envoyer de SMS pour antirelou / it "
            "has no AT port and cannot send SMS for antirelou. Il faut une clé en mode « stick » "
            "/ a stick-mode dongle is needed (README, Matériel / Hardware)."
        )
    return None


def stable_name(port: SerialPort, others: list[SerialPort]) -> tuple[str, str | None]:
    """Given a port and every port listed beside it, return the path that still finds it
    after a replug or a reboot, and a note when that path has a condition."""
    twins = [
        other
        for other in others
        if other.device != port.device
        and (other.vendor, other.product, other.serial, other.interface)
        == (port.vendor, port.product, port.serial, port.interface)
    ]
    # by-id is made of vendor, model, serial and interface: two identical sticks (same or no
    # serial, §3.2) get one link between them, and only the USB socket tells them apart.
    if port.by_id and not twins:
        return port.by_id, None
    if port.by_path:
        note = (
            "nommée par sa prise USB (deux clés identiques) : gardez-la sur la même prise / "
            "named by its USB socket (two identical dongles): keep it in the same socket"
        )
        return port.by_path, note
    note = (
        f"pas de nom stable pour {port.device} : il peut changer au prochain branchement / "
        "no lasting name: it may change at the next plug-in"
    )
    return port.device, note
