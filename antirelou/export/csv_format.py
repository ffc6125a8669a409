"""The CSV export: one row per message, every column of labels.MESSAGE_COLUMNS.

RFC 4180 (CRLF, quoted fields, doubled quotes), UTF-8 with a byte-order mark so that a
spreadsheet reads accents right. Harassers write the cells, and a raid can aim at the
lawyer's spreadsheet: any cell starting with = + - @ tab or CR is a formula to Excel,
LibreOffice and Sheets, and quoting does not stop it; OWASP ASVS 1.2.10 (CWE-1236) asks for
a leading single quote (shared/research/evidence.md §4.1). Such cells get one here, so the
CSV is a readable copy, not the evidence: the exact text is in the JSON export and the PDUs.
"""

from __future__ import annotations

import csv
import io

from antirelou.export.labels import MESSAGE_COLUMNS, message_cells
from antirelou.export.model import Dossier

# OWASP's list, plus a line feed: a cell opening on a line break hides what follows it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(cell: str) -> str:
    """Given a cell's text, return it with a leading ' if a spreadsheet would run it."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def render_csv(dossier: Dossier) -> bytes:
    """Given a dossier, return its messages as CSV bytes (UTF-8 with BOM, CRLF)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(column.title) for column in MESSAGE_COLUMNS])
    for message in dossier.messages:
        cells = message_cells(message, dossier.zone)
        writer.writerow([neutralise(cells[column.key]) for column in MESSAGE_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")
