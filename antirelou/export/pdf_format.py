"""The PDF export, with fpdf2 (pure Python, LGPL-3.0; Debian ships it as python3-fpdf, arch
all: shared/research/evidence.md §4.3): a cover page (who, what period, checkpoint, device),
a chart of messages per hour drawn with fpdf2's own rectangles (no matplotlib on a Pi), a
summary per sender, then every message, and a last page saying how to verify. French first.

PDF core fonts are Latin-1 only, so the text is set in DejaVu Sans (Debian's
fonts-dejavu-core, Bitstream Vera licence, free to embed), subset into the file. A character
DejaVu has no glyph for (most emoji: 🔪 U+1F52A) is printed as its code point and name,
`[U+1F52A HOCHO]`, rather than as an empty box: the exact text stays in the JSON and PDUs.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from antirelou.export.labels import (
    HOW_TO_VERIFY,
    KINDS,
    NOT_A_CONSTAT,
    TITLE,
    checkpoint_note,
    cover_lines,
    device_lines,
    flag_text,
    local_text,
    utc_text,
)
from antirelou.export.model import Dossier, Message
from antirelou.export.timeline import HOUR, timeline

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
_FONTS = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
_MONO = "DejaVuSansMono.ttf"
_RED, _BLUE, _GREY = (192, 57, 43), (74, 111, 165), (110, 110, 110)


class PdfFontError(RuntimeError):
    """The Unicode font the PDF needs is not installed."""


class _Document(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        # Room for a five-digit page count in the footer: a raid makes thousands of pages.
        self.alias_nb_pages("{pages}")
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=15)
        self.widths: dict[tuple[str, str, float, str], float] = {}

    def width(self, text: str) -> float:
        """Return the width of `text` in the current font, one character at a time, cached:
        get_string_width costs a copy of the graphics state per call (no kerning is lost,
        fpdf2 applies none without text shaping)."""
        font = (self.font_family, self.font_style, self.font_size_pt)
        total = 0.0
        for character in text:
            key = (*font, character)
            size = self.widths.get(key)
            if size is None:
                size = self.widths[key] = self.get_string_width(character)
            total += size
        return total

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("Sans", size=7)
        self.set_text_color(*_GREY)
        self.cell(0, 4, f"{self.footer_text} — page {self.page_no()}/{{pages}}", align="C")
        self.set_text_color(0, 0, 0)


def _load_fonts(pdf: _Document, font_dir: str) -> None:
    for style, name in (*_FONTS.items(), ("M", _MONO)):
        path = os.path.join(font_dir, name)
        if not os.path.exists(path):
            raise PdfFontError(
                f"the PDF needs the font {path}; install it with "
                "'sudo apt-get install fonts-dejavu-core' / le PDF a besoin de cette police : "
                "installez-la avec 'sudo apt-get install fonts-dejavu-core'"
            )
        pdf.add_font("Mono" if style == "M" else "Sans", "" if style == "M" else style, path)


def _printable(pdf: _Document, text: str) -> str:
    """Return `text` with every character the current font cannot draw spelled out."""
    cmap = pdf.current_font.cmap
    out = []
    for character in text:
        if character == "\t":
            out.append("    ")  # DejaVu has no tab glyph
        elif ord(character) in cmap or character == "\n":
            out.append(character)
        else:
            name = unicodedata.name(character, "")
            out.append(f"[U+{ord(character):04X}{' ' + name if name else ''}]")
    return "".join(out)


def _wrap(pdf: _Document, text: str, width: float) -> list[str]:
    """Given text in the current font, return it cut into lines no wider than `width`.

    Ours, in linear time: fpdf2's multi_cell measures a line again for each character
    added, which made a 20,000-message PDF take minutes."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            size = pdf.width(word)
            gap = pdf.width(" ") if line else 0.0
            if line and used + gap + size > width:
                lines.append(line)
                line, used, gap = "", 0.0, 0.0
            while size > width:  # a word longer than the line: cut it where it fills one
                cut, taken = 0, 0.0
                while cut < len(word) and taken + pdf.width(word[cut]) <= width:
                    taken += pdf.width(word[cut])
                    cut += 1
                lines.append(word[: max(cut, 1)])
                word = word[max(cut, 1) :]
                size = pdf.width(word)
            line, used = (line + " " + word if line else word), used + gap + size
        lines.append(line)
    return lines


def _line(
    pdf: _Document,
    text: str,
    size: float = 9,
    style: str = "",
    height: float = 4.6,
    fill: bool = False,
) -> None:
    pdf.set_font("Sans", style, size)
    for line in _wrap(pdf, _printable(pdf, text), pdf.epw):
        pdf.cell(0, height, line, fill=fill, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _pairs(pdf: _Document, lines: Sequence[tuple[str, str, str]]) -> None:
    for french, english, value in lines:
        pdf.set_font("Sans", "B", 9)
        label = french if french == english else f"{french} / {english}"
        pdf.cell(72, 5.2, _printable(pdf, label))
        pdf.set_font("Sans", "", 9)
        pdf.multi_cell(
            0, 5.2, _printable(pdf, value or "—"), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )


def _heading(pdf: _Document, french: str, english: str) -> None:
    pdf.ln(3)
    pdf.set_font("Sans", "B", 13)
    pdf.cell(0, 7, french, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Sans", "", 9)
    pdf.set_text_color(*_GREY)
    pdf.cell(0, 4.5, english, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(*_GREY)
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
    pdf.ln(3)


def _cover(pdf: _Document, dossier: Dossier) -> None:
    pdf.add_page()
    pdf.set_font("Sans", "B", 18)
    pdf.multi_cell(0, 9, TITLE[0], new_x=XPos.LMARGIN)
    pdf.set_font("Sans", "", 12)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(0, 6, TITLE[1], new_x=XPos.LMARGIN)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(4)
    _pairs(pdf, cover_lines(dossier))
    _heading(pdf, "Point de contrôle du journal", "Checkpoint of the tamper-evident log")
    pdf.set_font("Mono", "", 8.5)
    pdf.set_fill_color(240, 240, 240)
    pdf.multi_cell(0, 5, dossier.checkpoint.text(), border=1, fill=True, new_x=XPos.LMARGIN)
    pdf.ln(1)
    _line(pdf, " / ".join(checkpoint_note(dossier.checkpoint.size)), 8.5)
    _heading(pdf, "Appareil", "Device")
    _pairs(pdf, device_lines(dossier.device))
    pdf.ln(4)
    _line(pdf, " / ".join(NOT_A_CONSTAT), 8)


def _chart(pdf: _Document, dossier: Dossier) -> None:
    chart = timeline(dossier.messages, dossier.zone)
    unit = ("par heure", "per hour") if chart.step == HOUR else ("par jour", "per day")
    _heading(pdf, f"Messages {unit[0]}", f"Messages {unit[1]} ({dossier.zone}; red: flagged)")
    if not chart.bins:
        _line(pdf, "Aucun message / No message")
        return
    left, top, width, height = pdf.l_margin + 10, pdf.get_y() + 2, pdf.epw - 10, 55
    peak = max(chart.peak, 1)
    pdf.set_draw_color(0, 0, 0)
    pdf.line(left, top + height, left + width, top + height)
    pdf.line(left, top, left, top + height)
    pdf.set_font("Sans", "", 7)
    for value in sorted({0, peak // 2, peak}):
        y = top + height - height * value / peak
        pdf.set_xy(pdf.l_margin, y - 1.5)
        pdf.cell(9, 3, str(value), align="R")
    bar = width / len(chart.bins)
    label_every = max(1, round(len(chart.bins) / 8))
    for index, item in enumerate(chart.bins):
        x = left + index * bar
        for count, colour in ((item.count, _BLUE), (item.flagged, _RED)):
            if count:
                pdf.set_fill_color(*colour)
                tall = height * count / peak
                pdf.rect(x + bar * 0.1, top + height - tall, max(bar * 0.8, 0.2), tall, "F")
        if index % label_every == 0:
            pdf.set_xy(x - 6, top + height + 1)
            pattern = "%d/%m %Hh" if chart.step == HOUR else "%d/%m"
            pdf.cell(14, 3, item.start.strftime(pattern), align="C")
    pdf.set_xy(pdf.l_margin, top + height + 6)


def _senders(pdf: _Document, dossier: Dossier) -> None:
    _heading(pdf, "Par expéditeur", "Per sender")
    pdf.set_font("Sans", "", 7.5)
    pdf.set_fill_color(255, 255, 255)
    headings = (
        "Expéditeur / Sender",
        "Messages",
        "Appels / Calls",
        "Premier / First (local)",
        "Dernier / Last (local)",
        "Réponses / Replies",
        "Signalés / Flagged",
    )
    with pdf.table(
        col_widths=(34, 16, 14, 36, 36, 18, 18), text_align="LEFT", line_height=4.2
    ) as table:
        table.row(headings)
        for summary in dossier.senders:
            table.row(
                (
                    _printable(pdf, summary.sender),
                    str(summary.messages),
                    str(summary.calls),
                    local_text(summary.first_seen, dossier.zone),
                    local_text(summary.last_seen, dossier.zone),
                    str(summary.replies),
                    str(summary.flagged),
                )
            )


def _message(pdf: _Document, message: Message, zone: str) -> None:
    if pdf.get_y() > pdf.h - 45:
        pdf.add_page()
    sender = message.sender or "(numéro masqué / hidden)"
    e164 = f" ({message.sender_e164})" if message.sender_e164 not in (None, sender) else ""
    pdf.set_fill_color(235, 235, 235)
    title = (
        f"n° {message.id} — {KINDS.get(message.kind, message.kind)} — {sender}{e164} — "
        f"{local_text(message.received_at, zone)}"
    )
    _line(pdf, title, 8.5, "B", fill=True)
    pdf.set_text_color(*_GREY)
    log = f"journal / log #{'' if message.seq is None else message.seq}"
    details = f"reçu / received {utc_text(message.received_at)} · {log}"
    if message.kind != "call":
        details = (
            f"reçu / received {utc_text(message.received_at)} · réseau / network "
            f"{message.smsc_time or '?'} · SMSC {message.smsc or '?'} · "
            f"{message.parts}/{message.parts_expected} partie(s) / part(s) · "
            f"{message.encoding or '?'} · {log}"
        )
    _line(pdf, details, 7, height=3.6)
    pdf.set_text_color(0, 0, 0)
    if message.kind != "call":
        text = message.text if message.text is not None else f"<{message.error or 'vide / empty'}>"
        _line(pdf, text, 9.5, height=5)
    if message.flags:
        pdf.set_text_color(*_RED)
        _line(pdf, f"Signalé / Flagged: {flag_text(message)}", 8, "B", 4.2)
        pdf.set_text_color(0, 0, 0)
    if message.reply:
        reply = message.reply
        said = f" « {reply.text} »" if reply.text else ""
        _line(
            pdf,
            f"Réponse / Reply: {reply.status} ({reply.reason}){said} "
            f"{utc_text(reply.at)} · {reply.segments} SMS",
            7.5,
            height=3.8,
        )
    pdf.set_font("Mono", "", 5.5)
    pdf.set_text_color(*_GREY)
    for pdu in message.pdus:
        for line in _wrap(pdf, f"PDU {pdu.hex}", pdf.epw):
            pdf.cell(0, 2.6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)


def _integrity(pdf: _Document, dossier: Dossier) -> None:
    pdf.add_page()
    _heading(pdf, "Vérifier ce dossier", "How to verify this record")
    _line(pdf, HOW_TO_VERIFY[0], 9)
    pdf.ln(1)
    _line(pdf, HOW_TO_VERIFY[1], 9)
    pdf.ln(3)
    pdf.set_font("Mono", "", 8.5)
    pdf.multi_cell(0, 5, dossier.checkpoint.text(), border=1, new_x=XPos.LMARGIN)


def render_pdf(dossier: Dossier, font_dir: str = FONT_DIR) -> bytes:
    """Given a dossier, return the PDF's bytes. Raise PdfFontError if DejaVu is missing."""
    pdf = _Document(f"antirelou — {dossier.checkpoint.short()}")
    _load_fonts(pdf, font_dir)
    pdf.set_title("antirelou — dossier")
    pdf.set_author(dossier.generated_by)
    pdf.set_creation_date(dossier.generated_at)
    _cover(pdf, dossier)
    pdf.add_page()
    _chart(pdf, dossier)
    _senders(pdf, dossier)
    _heading(pdf, "Messages", "Messages, oldest first (local time, then UTC)")
    for message in dossier.messages:
        _message(pdf, message, dossier.zone)
    _integrity(pdf, dossier)
    return bytes(pdf.output())
