"""The dongle table and what it says of each port: which to ask AT first, which never to
write to, what to do with a dongle that has no serial port, and the name to keep."""

import pytest

from antirelou.setup.dongles import DONGLES, NEVER_WRITE, VENDORS, Mode, Role, known
from antirelou.setup.ports import SerialPort, UsbDevice, classify, problem_of, stable_name


def test_table_lists_each_usb_identifier_once_and_only_known_vendors():
    identifiers = [(dongle.vendor, dongle.product) for dongle in DONGLES]

    assert len(identifiers) == len(set(identifiers))
    assert {dongle.vendor for dongle in DONGLES} <= set(VENDORS)
    assert all(len(part) == 4 and part == part.lower() for pair in identifiers for part in pair)


def test_table_gives_a_dongle_with_port_roles_exactly_one_at_port():
    for dongle in DONGLES:
        roles = [role for _, role in dongle.ports]
        if roles:
            assert dongle.mode is Mode.MODEM, dongle
            assert roles.count(Role.AT) == 1, dongle


def test_known_ignores_case_and_missing_identifiers():
    assert known("12D1", "1001").name == "Huawei E1550/E3531"
    assert known(None, "1001") is None
    assert known("0403", "6001") is None


def _port(vendor, product, interface, triple=None, name=None, **extra):
    return SerialPort(
        f"/dev/ttyUSB{interface}",
        vendor,
        product,
        interface,
        interface_class=triple,
        interface_name=name,
        **extra,
    )


@pytest.mark.parametrize(
    "port, role, order",
    [
        # SIMCom SIM7600: diagnostics, GPS (NMEA), AT, AT, audio.
        (_port("1e0e", "9001", 0), Role.DIAG, None),
        (_port("1e0e", "9001", 1), Role.GPS, None),
        (_port("1e0e", "9001", 2), Role.AT, 0),
        (_port("1e0e", "9001", 3), Role.AT_SECONDARY, 1),
        (_port("1e0e", "9001", 4), Role.AUDIO, None),
        # Quectel EC25: its GPS port streams NMEA.
        (_port("2c7c", "0125", 1), Role.GPS, None),
        (_port("2c7c", "0125", 2), Role.AT, 0),
        # Huawei E3531 in modem mode: PPP, diagnostics, PCUI.
        (_port("12d1", "1001", 0), Role.PPP, 3),
        (_port("12d1", "1001", 1), Role.DIAG, None),
        (_port("12d1", "1001", 2), Role.AT, 0),
        # Huawei sticks without fixed numbers: the class triple, then the interface name.
        (_port("12d1", "1506", 0, (0xFF, 0x02, 0x02)), Role.AT, 0),
        (_port("12d1", "1506", 1, (0xFF, 0x02, 0x01)), Role.PPP, 3),
        (_port("12d1", "1573", 3, (0xFF, 0x01, 0x05)), Role.GPS, None),
        (_port("12d1", "1436", 4, (0xFF, 0xFF, 0xFF), "Huawei PCUI"), Role.AT, 0),
        (_port("12d1", "1436", 0, (0xFF, 0xFF, 0xFF), "Huawei Modem"), Role.PPP, 3),
        # A modem maker's dongle that the table does not know: asked AT, after the known ones.
        (_port("19d2", "9999", 2), None, 2),
        # ZTE MF190 (0082): AT on interface 3, second AT port on 1.
        (_port("19d2", "0082", 3), Role.AT, 0),
        (_port("19d2", "0082", 1), Role.AT_SECONDARY, 1),
    ],
)
def test_classify_tells_each_port_s_role_and_whether_to_ask_it(port, role, order):
    verdict = classify(port)

    assert (verdict.role, verdict.order) == (role, order)
    assert verdict.probed == (order is not None)
    if role in NEVER_WRITE:
        assert "never written to" in verdict.why


def test_classify_leaves_other_makers_alone_unless_the_user_names_the_port():
    ftdi = _port("0403", "6001", 0, description="FT232R USB UART")

    assert not classify(ftdi).probed
    assert "--port" in classify(ftdi).why
    assert classify(ftdi, chosen=True).probed
    assert classify(ftdi).dongle == "USB device FT232R USB UART (0403:6001)"


def test_classify_never_writes_to_a_gps_port_even_when_named():
    assert not classify(_port("1e0e", "9001", 1), chosen=True).probed


def _device(vendor, product, classes=(0xFF,), drivers=(), tty=False, description=None):
    return UsbDevice("1-1.4", vendor, product, description, tuple(classes), tuple(drivers), tty)


@pytest.mark.parametrize(
    "device, expected",
    [
        (_device("12d1", "1f01", (0x08,), ("usb-storage",)), "CD-ROM"),
        (_device("19d2", "2000", (0x08,)), "usb-modeswitch"),
        (_device("12d1", "14dc", (0x02, 0x0A), ("cdc_ether",)), "HiLink"),
        (_device("19d2", "1405", (0x02,), ("cdc_ether",)), "router"),
        # Not in the table, but a modem maker's: told by what its interfaces are.
        (_device("12d1", "1c20", (0x08,), ("usb-storage",)), "CD-ROM"),
        (_device("1bbb", "0195", (0xE0, 0x0A), ("rndis_host",)), "HiLink"),
        # Usable as it is, or not a dongle at all: nothing to say.
        (_device("12d1", "1001", drivers=("option",), tty=True), None),
        (_device("12d1", "9998", drivers=("option",), tty=True), None),
        (_device("0781", "5567", (0x08,), ("usb-storage",), description="Cruzer"), None),
    ],
)
def test_problem_of_says_what_to_do_with_a_dongle_without_serial_port(device, expected):
    problem = problem_of(device)

    if expected is None:
        assert problem is None
    else:
        assert expected in problem
        assert f"({device.vendor}:{device.product})" in problem


def _stick(device, serial, interface=2, **links):
    return SerialPort(device, "12d1", "1001", interface, serial=serial, **links)


def test_stable_name_is_the_by_id_link_of_a_single_dongle():
    port = _stick("/dev/ttyUSB2", "ABC", by_id="/dev/serial/by-id/x-if02", by_path="/p/a")

    assert stable_name(port, [port, _stick("/dev/ttyUSB1", "ABC", interface=1)]) == (
        "/dev/serial/by-id/x-if02",
        None,
    )


@pytest.mark.parametrize("serial", ["0123456789ABCDEF", None])
def test_stable_name_is_the_usb_socket_when_two_identical_dongles_share_a_serial(serial):
    first = _stick("/dev/ttyUSB2", serial, by_id="/dev/serial/by-id/x-if02", by_path="/p/1.2")
    second = _stick("/dev/ttyUSB5", serial, by_id="/dev/serial/by-id/x-if02", by_path="/p/1.3")

    path, note = stable_name(first, [first, second])

    assert path == "/p/1.2"
    assert "USB socket" in note


def test_stable_name_falls_back_to_the_device_and_says_it_may_change():
    port = _stick("/dev/ttyUSB2", None)

    path, note = stable_name(port, [port])

    assert path == "/dev/ttyUSB2"
    assert "may change" in note
