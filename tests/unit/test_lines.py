"""Lines (one SIM each): what a name may be, where its files are, and `--line` on the
command line."""

import pytest

from antirelou import exits, lines
from antirelou.cli import main


@pytest.mark.parametrize("name", ["sim2", "orange", "asso-paris", "Ligne_2", "7"])
def test_check_name_accepts_file_and_instance_friendly_names(name):
    assert lines.check_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "../etc", "a/b", "-x", "deux mots", "é", "x" * 33, "sim2.yaml", "antirelou"]
)
def test_check_name_refuses_names_that_leave_the_folder_or_need_escaping(name):
    with pytest.raises(ValueError, match="line"):
        lines.check_name(name)


def test_paths_of_a_line_and_of_the_single_service():
    assert lines.config_path("sim2") == "/etc/antirelou/sim2.yaml"
    assert lines.config_path(None) == "/etc/antirelou/antirelou.yaml"
    assert lines.database_path("sim2") == "/var/lib/antirelou/sim2/antirelou.db"
    assert lines.database_path(None) == "/var/lib/antirelou/antirelou.db"
    assert lines.database_path("sim2", "/tmp/state") == "/tmp/state/sim2/antirelou.db"
    assert (lines.unit_name("sim2"), lines.unit_name(None)) == (
        "antirelou@sim2.service",
        "antirelou.service",
    )


@pytest.mark.parametrize(
    "argv", [["--line", "sim2", "check", "--no-modem"], ["check", "--line", "sim2", "--no-modem"]]
)
def test_line_option_reads_the_line_s_configuration(argv, capsys, monkeypatch):
    monkeypatch.setenv("ANTIRELOU_CONFIG", "/nowhere/else.yaml")

    assert main(argv) == exits.CONFIG
    assert "/etc/antirelou/sim2.yaml" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["-c", "x.yaml", "--line", "sim2", "log"], "not both"),
        (["log", "--line", "../../tmp/x"], "--line"),
        (["--line", "antirelou", "status"], "single service"),
    ],
)
def test_line_option_refuses_a_bad_name_or_a_second_file(argv, message, capsys):
    with pytest.raises(SystemExit) as leave:
        main(argv)

    assert leave.value.code == exits.USAGE
    assert message in capsys.readouterr().err
