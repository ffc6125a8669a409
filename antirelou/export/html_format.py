"""The HTML export: one self-contained, printable page (no script, no link, no font to
fetch), French first with English beside it.

Everything a sender wrote, and everything the network or the modem handed us (sender names,
PDUs, decoding errors), goes through html.escape: a raid may send markup on purpose.
"""

from __future__ import annotations

from html import escape

from antirelou.export.labels import (
    HOW_TO_VERIFY,
    MESSAGE_COLUMNS,
    NOT_A_CONSTAT,
    TITLE,
    Column,
    checkpoint_note,
    cover_lines,
    device_lines,
    local_text,
    message_cells,
)
from antirelou.export.model import Dossier
from antirelou.export.timeline import HOUR, timeline

_STYLE = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:10pt;margin:1.5em;color:#111}
h1{font-size:16pt}h2{font-size:13pt;border-bottom:1px solid #999;margin-top:1.5em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:2px 4px;
vertical-align:top;text-align:left}th{background:#eee}tr{page-break-inside:avoid}
thead{display:table-header-group}.en{color:#555}.text{white-space:pre-wrap;
overflow-wrap:anywhere}.flagged{background:#fde8e8}.mono{font-family:"DejaVu Sans Mono",
monospace;font-size:8pt;overflow-wrap:anywhere}.checkpoint{font-family:monospace;
font-size:9pt;border:1px solid #333;padding:.5em;overflow-wrap:anywhere}
@page{size:A4;margin:12mm}@media print{body{margin:0}}
"""

# The per-message table shows these; the CSV and JSON carry every column.
_SHOWN = ("id", "received_local", "received_utc", "sender", "smsc_time", "text", "flags")
_DETAILS = ("sender_e164", "smsc", "parts", "encoding", "error", "seq")
_REPLY = ("reply_status", "reply_text", "reply_at", "reply_segments")
_COLUMNS = {column.key: column for column in MESSAGE_COLUMNS}


def _both(french: str, english: str) -> str:
    return f'{escape(french)} <span class="en">/ {escape(english)}</span>'


def _head(column: Column) -> str:
    return f"<th>{_both(column.french, column.english)}</th>"


def _rows(pairs: list[tuple[str, str, str]]) -> str:
    return "".join(
        f"<tr><th>{_both(french, english)}</th><td>{escape(value)}</td></tr>"
        for french, english, value in pairs
    )


def _chart(dossier: Dossier) -> str:
    chart = timeline(dossier.messages, dossier.zone)
    if not chart.bins:
        return ""
    width, height = 760, 160
    bar = width / len(chart.bins)
    scale = (height - 20) / max(chart.peak, 1)
    shapes = []
    for index, item in enumerate(chart.bins):
        x = index * bar
        total, flagged = item.count * scale, item.flagged * scale
        label = f"{item.start:%Y-%m-%d %H:%M}: {item.count}"
        shapes.append(
            f'<rect x="{x:.1f}" y="{height - total:.1f}" width="{max(bar - 1, 0.5):.1f}" '
            f'height="{total:.1f}" fill="#4a6fa5"><title>{escape(label)}</title></rect>'
        )
        if flagged:
            shapes.append(
                f'<rect x="{x:.1f}" y="{height - flagged:.1f}" '
                f'width="{max(bar - 1, 0.5):.1f}" height="{flagged:.1f}" fill="#c0392b"/>'
            )
    unit = ("par heure", "per hour") if chart.step == HOUR else ("par jour", "per day")
    first, last = chart.bins[0].start, chart.bins[-1].start
    return (
        f"<p>{_both(f'Messages {unit[0]} (rouge : signalés)', f'Messages {unit[1]} (red: flagged)')}"
        f" — max {chart.peak}; {first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} ({dossier.zone})</p>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" '
        f'role="img">{"".join(shapes)}</svg>'
    )


def _senders(dossier: Dossier) -> str:
    head = "".join(
        f"<th>{_both(french, english)}</th>"
        for french, english in (
            ("Expéditeur", "Sender"),
            ("Type", "Kind"),
            ("Messages", "Messages"),
            ("Appels", "Calls"),
            ("Premier", "First seen"),
            ("Dernier", "Last seen"),
            ("Réponses", "Replies"),
            ("Signalés", "Flagged"),
        )
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(str(value))}</td>"
            for value in (
                summary.sender,
                summary.sender_kind,
                summary.messages,
                summary.calls,
                local_text(summary.first_seen, dossier.zone),
                local_text(summary.last_seen, dossier.zone),
                summary.replies,
                summary.flagged,
            )
        )
        + "</tr>"
        for summary in dossier.senders
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _messages(dossier: Dossier) -> str:
    head = "".join(_head(_COLUMNS[key]) for key in _SHOWN)
    rows = []
    for message in dossier.messages:
        cells = message_cells(message, dossier.zone)
        row = "".join(
            f'<td class="{"text" if key == "text" else ""}">{escape(cells[key])}</td>'
            for key in _SHOWN
        )
        details = "; ".join(
            f"{_COLUMNS[key].title}: {cells[key]}" for key in _DETAILS + _REPLY if cells[key]
        )
        pdus = escape(cells["pdus"])
        css = ' class="flagged"' if message.flags else ""
        rows.append(
            f'<tr{css}>{row}</tr><tr{css}><td></td><td colspan="{len(_SHOWN) - 1}">'
            f'{escape(details)}<div class="mono">PDU: {pdus}</div></td></tr>'
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(dossier: Dossier) -> bytes:
    """Given a dossier, return the HTML page's bytes (UTF-8)."""
    checkpoint = dossier.checkpoint
    body = f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>antirelou — dossier / record</title><style>{_STYLE}</style></head><body>
<h1>{_both(*TITLE)}</h1>
<p>{_both(*NOT_A_CONSTAT)}</p>
<table>{_rows(cover_lines(dossier))}</table>
<h2>{_both("Point de contrôle", "Checkpoint")}</h2>
<p class="checkpoint">{escape(checkpoint.text())}</p>
<p>{_both(*checkpoint_note(checkpoint.size))}</p>
<h2>{_both("Appareil", "Device")}</h2>
<table>{_rows(device_lines(dossier.device))}</table>
<h2>{_both("Chronologie", "Timeline")}</h2>
{_chart(dossier)}
<h2>{_both("Par expéditeur", "Per sender")}</h2>
{_senders(dossier)}
<h2>{_both("Messages", "Messages")}</h2>
{_messages(dossier)}
<h2>{_both("Vérifier ce dossier", "How to verify this record")}</h2>
<p>{_both(*HOW_TO_VERIFY)}</p>
</body></html>
"""
    return body.encode("utf-8")
