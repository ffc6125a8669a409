"""The parts of python-gsmmodem's private API we rely on, checked by name.

Our `SafeGsmModem` overrides or touches these to keep messages (see antirelou/modem/gsm.py). A
gsmmodem release that renames one must fail here, loudly, not in a user's raid.
"""

import inspect
import re
from pathlib import Path

import pytest
from gsmmodem.modem import GsmModem
from gsmmodem.serial_comms import SerialComms

PACKAGE = Path(__file__).resolve().parents[2] / "antirelou"
PRIVATE = (
    "_readLoop",
    "_handleLineRead",
    "_handleModemNotification",
    "_expectResponseTermSeq",
    "_txLock",
    "_responseEvent",
    "rxThread",
)


@pytest.mark.parametrize("name", ["_readLoop", "_handleLineRead", "_handleModemNotification"])
def test_gsmmodem_still_has_the_methods_we_override_or_call(name):
    assert callable(getattr(GsmModem, name, None)), f"gsmmodem no longer has {name}"


@pytest.mark.parametrize(
    "name", ["_expectResponseTermSeq", "_txLock", "_responseEvent", "alive", "fatalErrorCallback"]
)
def test_gsmmodem_still_sets_the_attributes_we_use(name):
    assert hasattr(GsmModem("/dev/null"), name), f"gsmmodem no longer sets {name}"


@pytest.mark.parametrize("name", ["rxThread", "serial"])
def test_gsmmodem_connect_still_makes_the_reader_thread_and_port(name):
    assert f"self.{name} =" in inspect.getsource(SerialComms.connect)


def test_gsmmodem_signatures_we_call_with_keywords():
    write = inspect.signature(GsmModem.write).parameters
    assert {"waitForResponse", "timeout", "writeTerm", "expectedResponseTermSeq"} <= set(write)
    assert "checkForResponseTerm" in inspect.signature(GsmModem._handleLineRead).parameters


def test_only_our_gsmmodem_subclass_touches_its_private_names():
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, PRIVATE)) + r")\b")
    outside = []
    for path in PACKAGE.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        inside_subclass = False
        for number, line in enumerate(lines, start=1):
            if re.match(r"^class \w", line):
                inside_subclass = line.startswith("class SafeGsmModem(")
            if pattern.search(line) and not inside_subclass and not line.lstrip().startswith("#"):
                outside.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert outside == []
