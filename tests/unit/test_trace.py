"""What `check --trace` writes: the exchange, with nothing personal in it."""

import os
import stat
from datetime import UTC, datetime

import pytest

from antirelou.simulator.network_pdu import encode_deliver
from antirelou.trace import TraceFile, mask

WHEN = datetime(2026, 3, 8, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ('AT+CPIN="1234"', 'AT+CPIN="****"'),
        ("AT+CPIN=1234", 'AT+CPIN="****"'),
        ('+CLIP: "+33612345678",145,,,,0', '+CLIP: "+3361xxxxxxx",145,,,,0'),
        ("861234056789012", "8612xxxxxxxxxxx"),  # IMEI (AT+CGSN)
        ('+CSCA: "+33695000695",145', '+CSCA: "+3369xxxxxxx",145'),
        ('+CPMS: "SM",1,20,"ME",0,23,"SM",1,20', '+CPMS: "SM",1,20,"ME",0,23,"SM",1,20'),
        ("+CMGL: 0,1,,24", "+CMGL: 0,1,,24"),
        ("^RSSI:17", "^RSSI:17"),
        ("OK", "OK"),
    ],
)
def test_mask_table(line, masked):
    assert mask(line) == masked


def test_mask_describes_a_pdu_without_its_sender_or_text():
    [pdu] = encode_deliver("+33612345678", "je sais où tu habites", WHEN)
    masked = mask(pdu)
    assert masked.startswith("<PDU SMS-DELIVER, ") and "international number" in masked
    assert "habites" not in masked and "12345678" not in masked and "21 characters" in masked


def test_mask_says_when_a_pdu_cannot_be_read():
    assert mask("07913396050066F0FFFFFFFFFFFF").startswith("<PDU, 14 octets, not a readable")


def test_trace_file_is_private_and_timestamped(tmp_path):
    path = tmp_path / "trace.txt"
    trace = TraceFile(str(path))
    trace.note("probe")
    trace.record(">", 'AT+CPIN="0000"')
    trace.record("<", "OK")
    trace.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [line.split(" ", 2)[1:] for line in (entry.strip() for entry in lines)] == [
        ["#", "probe"],
        [">", 'AT+CPIN="****"'],
        ["<", "OK"],
    ]
