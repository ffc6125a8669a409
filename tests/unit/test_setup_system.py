"""What the set-up reads from sysfs and /proc (a tree of files laid out as the kernel does),
and how it writes the configuration file."""

import os
import stat

from antirelou.setup import system


def _files(folder, **values):
    os.makedirs(folder, exist_ok=True)
    for name, value in values.items():
        with open(os.path.join(folder, name), "w") as file:
            file.write(f"{value}\n")


def _sysfs(tmp_path):
    """A Pi with three USB devices: a Huawei E3531 in modem mode (three option ttys), a
    Huawei E3372 HiLink (cdc_ether), and a stick still in CD-ROM mode."""
    devices = tmp_path / "sys" / "bus" / "usb" / "devices"
    drivers = tmp_path / "sys" / "bus" / "usb" / "drivers"
    for driver in ("option", "cdc_ether", "usb-storage"):
        (drivers / driver).mkdir(parents=True)
    layout = {
        "1-1.2": ("12d1", "1001", "HUAWEI Mobile", [("ff", "option", True)] * 3),
        "1-1.3": ("12d1", "14dc", "HUAWEI_MOBILE", [("02", "cdc_ether", False)]),
        "1-1.4": ("12d1", "1f01", "HUAWEI_MOBILE", [("08", "usb-storage", False)]),
    }
    for name, (vendor, product, description, interfaces) in layout.items():
        _files(devices / name, idVendor=vendor, idProduct=product, product=description)
        for number, (klass, driver, tty) in enumerate(interfaces):
            interface = devices / name / f"{name}:1.{number}"
            _files(
                interface,
                bInterfaceNumber=f"{number:02x}",
                bInterfaceClass=klass,
                bInterfaceSubClass="02",
                bInterfaceProtocol="02" if number == 2 else "01",
            )
            os.symlink(drivers / driver, interface / "driver")
            if tty:
                (interface / f"ttyUSB{number}").mkdir()
    return tmp_path / "sys"


def test_usb_devices_tells_interfaces_drivers_and_ttys(tmp_path):
    found = {device.name: device for device in system.usb_devices(str(_sysfs(tmp_path)))}

    modem, hilink, cdrom = found["1-1.2"], found["1-1.3"], found["1-1.4"]
    assert (modem.vendor, modem.product, modem.has_tty) == ("12d1", "1001", True)
    assert modem.drivers == ("option",) * 3
    assert (hilink.has_tty, hilink.drivers, hilink.interface_classes) == (
        False,
        ("cdc_ether",),
        (0x02,),
    )
    assert (cdrom.interface_classes, cdrom.description) == ((0x08,), "HUAWEI_MOBILE")


def test_usb_devices_of_a_machine_without_usb_is_empty(tmp_path):
    assert system.usb_devices(str(tmp_path)) == []


def test_usb_port_reads_the_interface_and_its_device(tmp_path):
    interface = _sysfs(tmp_path) / "bus" / "usb" / "devices" / "1-1.2" / "1-1.2:1.2"
    _files(interface, interface="Huawei PCUI")

    port = system.usb_port("/dev/ttyUSB2", str(interface), "/dev/serial/by-id/x", "/p")

    assert (port.vendor, port.product, port.interface) == ("12d1", "1001", 2)
    assert port.interface_class == (0xFF, 0x02, 0x02)
    assert (port.interface_name, port.usb_device, port.serial) == ("Huawei PCUI", "1-1.2", None)
    assert (port.by_id, port.by_path, port.description) == (
        "/dev/serial/by-id/x",
        "/p",
        "HUAWEI Mobile",
    )


def test_modemmanager_running_reads_process_names(tmp_path):
    _files(tmp_path / "1", comm="systemd")
    _files(tmp_path / "812", comm="sshd")
    (tmp_path / "self").mkdir()

    assert not system.modemmanager_running(str(tmp_path))
    _files(tmp_path / "640", comm="ModemManager")
    assert system.modemmanager_running(str(tmp_path))


def test_write_config_is_private_atomic_and_keeps_the_old_one(tmp_path):
    path = tmp_path / "etc" / "antirelou" / "sim2.yaml"

    assert system.write_config(str(path), "first: 1\n") is None
    backup = system.write_config(str(path), "second: 2\n")

    assert path.read_text() == "second: 2\n"
    assert (
        backup == f"{path}.bak"
        and (tmp_path / "etc" / "antirelou" / "sim2.yaml.bak").read_text() == "first: 1\n"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o750
    assert sorted(os.listdir(path.parent)) == ["sim2.yaml", "sim2.yaml.bak"]
