"""The layering README describes is true: the pure modules load no I/O library."""

import subprocess
import sys

import pytest

PURE = [
    "antirelou.policy",
    "antirelou.flood",
    "antirelou.numbers",
    "antirelou.templates",
    "antirelou.pdu",
    "antirelou.budgets",
    "antirelou.reasons",
    "antirelou.listing",
    "antirelou.heartbeat",
    "antirelou.clock",
    "antirelou.config.model",
    "antirelou.durations",
    "antirelou.gsm7",
    "antirelou.arrivals",
    "antirelou.flags",
    "antirelou.evidence.canonical",
    "antirelou.evidence.merkle",
    "antirelou.evidence.checkpoint",
    "antirelou.evidence.verify",
    "antirelou.export.model",
    "antirelou.export.labels",
    "antirelou.export.timeline",
    "antirelou.export.csv_format",
    "antirelou.export.json_format",
    "antirelou.export.html_format",
    "antirelou.lines",
    "antirelou.setup.dongles",
    "antirelou.setup.ports",
    "antirelou.setup.config_file",
    "antirelou.setup.udev",
    "antirelou.setup.units",
]
IO_LIBRARIES = ("serial", "gsmmodem", "sqlite3", "yaml")


@pytest.mark.parametrize("module", PURE)
def test_pure_module_loads_no_io_library(module):
    # A fresh interpreter: this one has loaded everything already.
    probe = (
        f"import sys, {module}; print(','.join(m for m in {IO_LIBRARIES!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "", f"importing {module} loads {loaded}"
