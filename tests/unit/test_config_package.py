import subprocess
import sys

import pytest

import antirelou.config

IO_LIBRARIES = ("yaml", "serial", "gsmmodem", "sqlite3")


@pytest.mark.parametrize(
    "modules",
    ["antirelou.config", "antirelou.config.model", "antirelou.durations"],
)
def test_import_loads_no_io_library(modules):
    # In a subprocess: this one has long since loaded yaml for the other tests.
    script = (
        f"import sys, {modules}; "
        f"print(' '.join(name for name in {IO_LIBRARIES!r} if name in sys.modules))"
    )

    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()

    assert loaded == []


@pytest.mark.parametrize("name", antirelou.config.__all__)
def test_package_gives_every_public_name(name):
    assert getattr(antirelou.config, name) is not None


def test_package_refuses_an_unknown_name():
    with pytest.raises(AttributeError, match="no attribute 'lod'"):
        antirelou.config.lod  # noqa: B018 -- the attribute access is what is tested
