"""The systemd units and the udev rule: generated where they should be, understood by
systemd, hardened to an exposure of 1.0 or less, and still able to reach a replugged dongle."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from antirelou.setup import udev, units

SYSTEMD = Path(__file__).resolve().parents[2] / "systemd"
TEMPLATE = SYSTEMD / "antirelou@.service"
SINGLE = SYSTEMD / "antirelou.service"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")


def _settings(path: Path) -> dict[str, list[str]]:
    """Given a unit file, return each setting's values, in order."""
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_single_unit_is_generated_from_the_template():
    assert SINGLE.read_text() == units.single_unit(TEMPLATE.read_text()), (
        "systemd/antirelou.service is not what antirelou@.service generates: edit the "
        "template, then run `python -m antirelou.setup.units > systemd/antirelou.service`"
    )


def test_single_unit_refuses_a_template_it_cannot_follow():
    text = TEMPLATE.read_text()

    with pytest.raises(ValueError, match="StateDirectory"):
        units.single_unit(text.replace("StateDirectory=antirelou/%i\n", ""))
    with pytest.raises(ValueError, match="names the line"):
        units.single_unit(text + "Environment=LINE=%i\n")


def test_udev_rule_is_generated_from_the_dongle_table():
    assert (SYSTEMD / "70-antirelou.rules").read_text() == udev.generate(), (
        "systemd/70-antirelou.rules is not what the dongle table generates: run "
        "`python -m antirelou.setup.udev > systemd/70-antirelou.rules`"
    )


def test_udev_rule_tags_whole_dongles_for_modemmanager():
    rules = [line for line in udev.generate().splitlines() if "ID_MM_DEVICE_IGNORE" in line]

    # SUBSYSTEMS/ATTRS match the USB device and every port under it, not one tty.
    assert rules and all(line.startswith('SUBSYSTEMS=="usb", ATTRS{idVendor}==') for line in rules)
    assert not any("ID_USB_INTERFACE_NUM" in line for line in rules)
    assert 'ATTRS{idVendor}=="1e0e", ATTRS{idProduct}=="9001"' in udev.generate()
    # A HiLink stick is a network card, a CD-ROM a disk: not ModemManager's, not tagged.
    assert 'ATTRS{idProduct}=="14dc"' not in udev.generate()


@pytest.mark.parametrize("unit", [TEMPLATE, SINGLE])
def test_unit_loads_serial_drivers_first_and_allows_serial_groups(unit):
    settings = _settings(unit)

    # DeviceAllow= by group needs the group to exist at start: drivers loaded before.
    for driver in ("modprobe@usbserial.service", "modprobe@cdc_acm.service"):
        assert driver in " ".join(settings["Wants"])
        assert driver in " ".join(settings["After"])
    assert settings["DeviceAllow"] == ["char-ttyUSB rw", "char-ttyACM rw"]
    assert settings["DevicePolicy"] == ["closed"]
    assert "PrivateDevices" not in settings
    assert settings["SupplementaryGroups"] == ["dialout"]


def test_units_differ_only_in_the_line():
    template, single = _settings(TEMPLATE), _settings(SINGLE)

    assert template["ExecStart"] == ["/usr/bin/antirelou run --line %i"]
    assert single["ExecStart"] == ["/usr/bin/antirelou run -c /etc/antirelou/antirelou.yaml"]
    assert (template["StateDirectory"], single["StateDirectory"]) == (
        ["antirelou/%i"],
        ["antirelou"],
    )
    assert (template["WantedBy"], single["WantedBy"]) == (
        ["antirelou.target"],
        ["multi-user.target"],
    )
    assert template["PartOf"] == ["antirelou.target"]
    different = {"ExecStart", "StateDirectory", "WantedBy", "PartOf", "Description"}
    assert {key: value for key, value in template.items() if key not in different} == {
        key: value for key, value in single.items() if key not in different
    }


def test_units_keep_what_the_benches_assume():
    # bench/supervisor.py and bench/soak.py replay these three values.
    settings = _settings(SINGLE)

    assert (settings["RestartSec"], settings["TimeoutStopSec"], settings["WatchdogSec"]) == (
        ["10s"],
        ["15s"],
        ["90s"],
    )
    assert settings["RestartPreventExitStatus"] == ["78"]


@needs_analyze
@pytest.mark.parametrize("unit", [TEMPLATE, SINGLE], ids=lambda unit: unit.name)
def test_unit_exposure_is_at_most_one(unit):
    # --threshold is on the 0-100 scale of the score's tenths: above 10 (1.0) fails.
    done = subprocess.run(
        [ANALYZE, "security", "--offline=true", "--threshold=10", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    score = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout)
    assert score, done.stdout + done.stderr
    assert float(score.group(1)) <= 1.0, done.stdout
    assert done.returncode == 0, done.stdout


@needs_analyze
def test_units_are_understood_by_systemd(tmp_path):
    # verify wants ExecStart's program to exist: a copy runs /bin/true instead.
    for unit in (TEMPLATE, SINGLE, SYSTEMD / "antirelou.target"):
        (tmp_path / unit.name).write_text(
            unit.read_text().replace("/usr/bin/antirelou", "/bin/true")
        )

    for name in ("antirelou@sim2.service", "antirelou.service", "antirelou.target"):
        done = subprocess.run(
            [ANALYZE, "verify", "--man=no", str(tmp_path / name)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (done.returncode, done.stderr.strip()) == (0, ""), name
