"""`antirelou setup` against simulated dongles on real ptys: what it writes, what it asks,
what it never sends (a PIN nobody typed, a byte to a GPS port)."""

from __future__ import annotations

import io
import os
import stat
import time

import pytest
from conftest import FAST

from antirelou import exits
from antirelou.cli import main
from antirelou.config import load
from antirelou.config.model import RepliesConfig
from antirelou.setup import probe
from antirelou.setup.discovery import discover
from antirelou.setup.ports import SerialPort
from antirelou.simulator import PROFILES, SimulatedDongle


def _simulated(tmp_path, name="modem", **options) -> SimulatedDongle:
    return SimulatedDongle(str(tmp_path / name), **{**FAST, "sms_ready_delay": 0, **options})


def setup(tmp_path, *arguments: str) -> int:
    """Run `antirelou setup` with its files under tmp_path (no /etc, no systemctl)."""
    folders = ["--config-dir", str(tmp_path / "etc"), "--state-dir", str(tmp_path / "state")]
    return main(["setup", *arguments, *folders])


def _pin_commands(dongle: SimulatedDongle) -> list[str]:
    return [line for line in dongle.command_log if line.upper().startswith('AT+CPIN="')]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_setup_yes_configures_each_dongle_family(profile, tmp_path, capsys):
    with _simulated(tmp_path, profile=profile) as dongle:
        status = setup(tmp_path, "--port", dongle.port, "--yes")
    out = capsys.readouterr().out

    path = tmp_path / "etc" / "antirelou.yaml"
    config = load(path)
    assert status == exits.OK, out
    assert config.modem.port == dongle.port
    assert config.database == str(tmp_path / "state" / "antirelou.db")
    assert config.replies.steps == ((RepliesConfig().text,),)
    assert config.modem.pin is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    # What it found, then `check` on the written configuration, then why nothing started.
    assert "IMEI 861234056789012" in out
    assert f"modem: {PROFILES[profile].manufacturer} {PROFILES[profile].model}" in out
    assert "network: home network, operator Orange F" in out
    assert "systemd is not running on this machine" in out


def test_setup_yes_never_sends_a_pin_nobody_gave(tmp_path, capsys):
    with _simulated(tmp_path, pin="1234") as dongle:
        status = setup(tmp_path, "--port", dongle.port, "--yes")

    assert status == exits.CONFIG
    assert _pin_commands(dongle) == []
    assert "--pin" in capsys.readouterr().out
    assert not (tmp_path / "etc" / "antirelou.yaml").exists()


def test_setup_tries_a_wrong_pin_once_and_writes_nothing(tmp_path, capsys):
    with _simulated(tmp_path, pin="1234") as dongle:
        status = setup(tmp_path, "--port", dongle.port, "--yes", "--pin", "0000")

    assert status == exits.CONFIG
    assert _pin_commands(dongle) == ['AT+CPIN="0000"']
    assert "PIN refused" in capsys.readouterr().out
    assert not (tmp_path / "etc" / "antirelou.yaml").exists()


def test_setup_unlocks_with_the_pin_given_and_writes_it(tmp_path, capsys):
    with _simulated(tmp_path, pin="1234") as dongle:
        status = setup(tmp_path, "--port", dongle.port, "--yes", "--pin", "1234")
    out = capsys.readouterr().out

    assert status == exits.OK, out
    assert load(tmp_path / "etc" / "antirelou.yaml").modem.pin == "1234"
    assert _pin_commands(dongle) == ['AT+CPIN="1234"']
    assert "SIM: unlocked" in out and "storage: SM, 0/30" in out


def test_setup_line_writes_its_own_files_and_leaves_other_lines_ports_alone(tmp_path, capsys):
    with _simulated(tmp_path) as dongle:
        first = setup(tmp_path, "--line", "sim2", "--port", dongle.port, "--yes")
        second = setup(tmp_path, "--line", "sim3", "--port", dongle.port, "--yes")
    out = capsys.readouterr().out

    assert first == exits.OK, out
    config = load(tmp_path / "etc" / "sim2.yaml")
    assert config.database == str(tmp_path / "state" / "sim2" / "antirelou.db")
    assert "setup --line sim2" in (tmp_path / "etc" / "sim2.yaml").read_text().splitlines()[0]
    assert "antirelou --line sim2 run" in out
    assert second == exits.UNAVAILABLE
    assert f"already used by {tmp_path / 'etc' / 'sim2.yaml'}" in out
    assert not (tmp_path / "etc" / "sim3.yaml").exists()


def test_setup_enables_and_starts_the_line_with_its_target(tmp_path, capsys, monkeypatch):
    # No systemd runs here: a systemctl of our own records what setup asks of it.
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "systemctl").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/systemctl.log\n')
    (bin_folder / "systemctl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_folder}:{os.environ['PATH']}")
    monkeypatch.setattr("antirelou.setup.system.systemd_running", lambda: True)
    with _simulated(tmp_path) as dongle:
        status = setup(tmp_path, "--line", "sim2", "--port", dongle.port, "--yes")

    assert status == exits.OK
    assert (tmp_path / "systemctl.log").read_text() == (
        "enable --now --no-block antirelou.target antirelou@sim2.service\n"
    )
    assert "antirelou@sim2.service activé et démarré" in capsys.readouterr().out


def test_setup_keeps_an_existing_configuration_unless_told_to_replace_it(tmp_path, capsys):
    path = tmp_path / "etc" / "antirelou.yaml"
    with _simulated(tmp_path) as dongle:
        assert setup(tmp_path, "--port", dongle.port, "--yes", "--text", "Un.") == exits.OK
        kept = setup(tmp_path, "--port", dongle.port, "--yes", "--text", "Deux.")
        assert load(path).replies.steps == ((("Un.",),))
        replaced = setup(tmp_path, "--port", dongle.port, "--yes", "--text", "Deux.", "--replace")

    assert kept == exits.CANTCREAT
    assert "--replace" in capsys.readouterr().out
    assert replaced == exits.OK
    assert load(path).replies.steps == ((("Deux.",),))
    assert "Un." in (tmp_path / "etc" / "antirelou.yaml.bak").read_text()


def test_setup_asks_pin_text_and_team_numbers(tmp_path, capsys, monkeypatch):
    answers = [
        "12",  # too short: asked again
        "1234",
        "4321",  # the two PINs differ: asked again
        "1234",
        "1234",
        "",  # country code: 33
        'Non, c\'est non. « "Stop" »',
        "06 12 34 56 78",
        "3617",  # a short code: refused, asked again
        "",  # no more numbers
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{answer}\n" for answer in answers)))
    with _simulated(tmp_path, pin="1234") as dongle:
        status = setup(tmp_path, "--port", dongle.port)
    out = capsys.readouterr().out

    config = load(tmp_path / "etc" / "antirelou.yaml")
    assert status == exits.OK, out
    assert config.modem.pin == "1234"
    assert config.replies.steps == ((('Non, c\'est non. « "Stop" »',),))
    assert config.alerts.numbers == ("+33612345678",)
    assert _pin_commands(dongle) == ['AT+CPIN="1234"']
    assert "4 to 8 digits" in out and "the two PINs differ" in out and "3617" in out


def test_setup_stops_when_the_answers_run_out(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with _simulated(tmp_path) as dongle:
        status = setup(tmp_path, "--port", dongle.port)

    assert status == exits.USAGE
    assert "nothing written" in capsys.readouterr().err
    assert not (tmp_path / "etc" / "antirelou.yaml").exists()


# --- discovery: the ports of USB dongles, played by simulated ones ---------------------------


def _usb(dongle, interface, usb_device="1-1.2", serial="ABC", vendor="1e0e", product="9001"):
    return SerialPort(
        dongle.port,
        vendor,
        product,
        interface,
        serial=serial,
        usb_device=usb_device,
        by_id=f"/dev/serial/by-id/usb-{vendor}_{serial}-if{interface:02d}-port0",
        by_path=f"/dev/serial/by-path/platform-usb-0:{usb_device}:1.{interface}-port0",
    )


def test_discover_asks_the_at_port_only_never_the_gps_or_diagnostics_ports(tmp_path):
    # A SIMCom SIM7600 board: diagnostics, GPS, AT, second AT, audio.
    ports = {number: _simulated(tmp_path, f"tty{number}", profile="simcom") for number in range(5)}
    with ports[0], ports[1], ports[2], ports[3], ports[4]:
        found = discover(
            None, {}, ports=[_usb(dongle, number) for number, dongle in ports.items()], devices=[]
        )

    assert [(item.path, item.probe.model) for item in found.found] == [
        ("/dev/serial/by-id/usb-1e0e_ABC-if02-port0", "SIMCOM_SIM7600G-H")
    ]
    assert [number for number, dongle in ports.items() if dongle.command_log] == [2]
    assert "GPS (NMEA): never written to" in found.listed[1].why


def test_discover_names_two_identical_dongles_by_their_usb_socket(tmp_path):
    first, second = _simulated(tmp_path, "a", profile="quectel"), _simulated(tmp_path, "b")
    with first, second:
        found = discover(
            None,
            {},
            ports=[
                _usb(first, 2, "1-1.2", "0123456789ABCDEF", "2c7c", "0125"),
                _usb(second, 2, "1-1.3", "0123456789ABCDEF", "2c7c", "0125"),
            ],
            devices=[],
        )

    assert [item.path for item in found.found] == [
        "/dev/serial/by-path/platform-usb-0:1-1.2:1.2-port0",
        "/dev/serial/by-path/platform-usb-0:1-1.3:1.2-port0",
    ]
    assert all("USB socket" in item.note for item in found.found)


def test_discover_skips_a_dongle_another_line_uses_all_its_ports(tmp_path):
    at, second = _simulated(tmp_path, "at", profile="simcom"), _simulated(tmp_path, "second")
    with at, second:
        found = discover(
            None,
            {os.path.realpath(at.port): "/etc/antirelou/sim2.yaml"},
            ports=[_usb(at, 2), _usb(second, 3)],
            devices=[],
        )

    assert found.found == []
    assert at.command_log == second.command_log == []
    assert found.problems == [
        "USB 1-1.2 : déjà utilisé par / already used by /etc/antirelou/sim2.yaml"
    ]


# --- the probe ------------------------------------------------------------------------------


def test_probe_gives_up_quickly_on_a_silent_port(tmp_path):
    with _simulated(tmp_path) as dongle:
        dongle.hang(None)
        started = time.monotonic()
        answer = probe.probe(dongle.port, tries=2, timeout=0.3)

    assert "no answer to AT" in answer.problem
    assert time.monotonic() - started < 2


def test_probe_stops_at_gps_sentences(tmp_path):
    with _simulated(tmp_path) as dongle:
        dongle.garbage_inside_next("AT", b"$GPGGA,123519,4807.038,N,01131.000,E,1,08*47\r\n")
        answer = probe.probe(dongle.port)

    assert "GPS or binary data" in answer.problem
    assert dongle.command_log == ["AT"]


def test_at_link_reads_answers_through_the_dongle_s_own_notices():
    # A Huawei PCUI port as it is without AT^CURC=0: notices before and inside answers.
    host, modem = os.openpty()
    try:
        with probe.AtLink(os.ttyname(modem)) as link:
            os.write(host, b"\r\n^RSSI:17\r\n\r\nhuawei\r\n\r\n^BOOT:2095,0,0,0,6\r\nOK\r\n")
            assert link.first_line("AT+CGMI") == "huawei"
            os.write(host, b"\r\n^MODE:5,4\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n")
            assert link.command("AT+CPIN?") == ["+CPIN: SIM PIN", "OK"]
    finally:
        os.close(host)
        os.close(modem)


def test_probe_says_what_holds_the_port(tmp_path):
    with _simulated(tmp_path) as dongle, probe.AtLink(dongle.port):
        answer = probe.probe(dongle.port)

    assert "another antirelou" in answer.problem
    assert "nothing at" in probe.probe(str(tmp_path / "absent")).problem
