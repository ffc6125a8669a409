"""What the set-up asks the system: the serial ports of USB devices (pyserial's listing and
sysfs), the USB devices without one, who else may hold a dongle, the service's user, and
systemctl; and how it writes the configuration file (0640, root:antirelou).

The sysfs and /proc roots are parameters so that tests read a tree of their own.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import tempfile

from antirelou.setup.ports import SerialPort, UsbDevice

SERVICE_USER = "antirelou"
SERIAL_GROUP = "dialout"


def serial_ports(dev_root: str = "/dev") -> list[SerialPort]:
    """Return every serial port of a USB device, with its lasting /dev/serial names."""
    from serial.tools import list_ports

    by_id = _links_by_target(os.path.join(dev_root, "serial", "by-id"))
    by_path = _links_by_target(os.path.join(dev_root, "serial", "by-path"))
    ports = []
    for info in list_ports.comports():
        if info.usb_interface_path is None:
            continue  # ttyS, ttyAMA: the Pi's own UARTs, never a dongle
        target = os.path.realpath(info.device)
        ports.append(
            usb_port(info.device, info.usb_interface_path, by_id.get(target), by_path.get(target))
        )
    return sorted(ports, key=lambda port: (port.usb_device or "", port.interface or 0))


def usb_port(
    device: str, interface_path: str, by_id: str | None = None, by_path: str | None = None
) -> SerialPort:
    """Given a tty and the sysfs folder of its USB interface, return what sysfs says of it."""
    device_path = os.path.dirname(interface_path)
    triple = [_hex(interface_path, name) for name in ("bInterfaceClass", "bInterfaceSubClass")]
    triple.append(_hex(interface_path, "bInterfaceProtocol"))
    return SerialPort(
        device=device,
        vendor=_read(device_path, "idVendor"),
        product=_read(device_path, "idProduct"),
        interface=_hex(interface_path, "bInterfaceNumber"),
        interface_class=None if None in triple else (triple[0], triple[1], triple[2]),
        interface_name=_read(interface_path, "interface"),
        serial=_read(device_path, "serial"),
        usb_device=os.path.basename(device_path),
        by_id=by_id,
        by_path=by_path,
        description=_read(device_path, "product"),
    )


def usb_devices(sys_root: str = "/sys") -> list[UsbDevice]:
    """Return every USB device: its interfaces' classes, their drivers, whether it has a tty."""
    root = os.path.join(sys_root, "bus", "usb", "devices")
    devices = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        path = os.path.join(root, name)
        vendor = _read(path, "idVendor")
        if ":" in name or vendor is None:
            continue  # an interface, or a root hub's odd entry
        classes, drivers, has_tty = [], [], False
        for interface in sorted(os.listdir(path)):
            if not interface.startswith(f"{name}:"):
                continue
            folder = os.path.join(path, interface)
            klass = _hex(folder, "bInterfaceClass")
            if klass is not None:
                classes.append(klass)
            if os.path.islink(os.path.join(folder, "driver")):
                drivers.append(os.path.basename(os.path.realpath(os.path.join(folder, "driver"))))
            # usb-serial puts ttyUSB0/ in the interface's folder, cdc_acm tty/ttyACM0.
            has_tty = has_tty or any(entry.startswith("tty") for entry in os.listdir(folder))
        devices.append(
            UsbDevice(
                name=name,
                vendor=vendor,
                product=_read(path, "idProduct") or "",
                description=_read(path, "product"),
                interface_classes=tuple(classes),
                drivers=tuple(drivers),
                has_tty=has_tty,
            )
        )
    return devices


def modemmanager_running(proc_root: str = "/proc") -> bool:
    """Whether a ModemManager process runs (it probes serial modems and may hold ours)."""
    for entry in os.listdir(proc_root):
        if entry.isdigit() and _read(os.path.join(proc_root, entry), "comm") == "ModemManager":
            return True
    return False


def systemd_running() -> bool:
    """Whether systemd is the init system (sd_booted(3): /run/systemd/system exists)."""
    return os.path.isdir("/run/systemd/system")


def service_user_problem() -> str | None:
    """Return what is wrong with the service's user for the dongle, or None."""
    try:
        user = pwd.getpwnam(SERVICE_USER)
        dialout = grp.getgrnam(SERIAL_GROUP)
    except KeyError:
        return None  # no package installed here: nothing to say about its user
    if user.pw_gid == dialout.gr_gid or SERVICE_USER in dialout.gr_mem:
        return None
    return (
        f"l'utilisateur {SERVICE_USER} n'est pas dans le groupe {SERIAL_GROUP} / the "
        f"{SERVICE_USER} user is not in the {SERIAL_GROUP} group: the service could not open "
        f"the dongle. Fix: sudo adduser {SERVICE_USER} {SERIAL_GROUP}"
    )


def systemctl(*arguments: str) -> tuple[bool, str]:
    """Run systemctl with these arguments; return whether it worked and what it said."""
    done = subprocess.run(
        ["systemctl", *arguments], capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def write_config(path: str, text: str) -> str | None:
    """Write a configuration file readable by root and the service's group only (it may
    hold the SIM's PIN), replacing any file there atomically; keep the one replaced as
    PATH.bak. Return the backup's path, or None."""
    folder = os.path.dirname(os.path.abspath(path))
    group = _service_gid()
    if not os.path.isdir(folder):
        os.makedirs(folder, mode=0o750)
        _give_to_group(folder, group)
    backup = None
    if os.path.exists(path):
        backup = path + ".bak"
        shutil.copy2(path, backup)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".antirelou-setup-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o640)
        _give_to_group(temporary, group)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return backup


def _service_gid() -> int | None:
    if os.geteuid() != 0:
        return None
    try:
        return grp.getgrnam(SERVICE_USER).gr_gid
    except KeyError:
        return None


def _give_to_group(path: str, gid: int | None) -> None:
    if gid is not None:
        os.chown(path, 0, gid)


def _links_by_target(folder: str) -> dict[str, str]:
    """Given a folder of symlinks (/dev/serial/by-id), return target -> link."""
    if not os.path.isdir(folder):
        return {}
    links = {}
    for name in sorted(os.listdir(folder)):
        link = os.path.join(folder, name)
        links.setdefault(os.path.realpath(link), link)
    return links


def _read(folder: str, name: str) -> str | None:
    try:
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as file:
            return file.readline().strip() or None
    except OSError:
        return None


def _hex(folder: str, name: str) -> int | None:
    text = _read(folder, name)
    try:
        return None if text is None else int(text, 16)
    except ValueError:
        return None
