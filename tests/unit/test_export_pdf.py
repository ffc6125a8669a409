"""The PDF export, rendered and read back: cover, chart, per-sender summary, messages, the
verification page; French first. Pages are turned into PNG with poppler's pdftoppm (looked at
by a person when the layout changes); the tests skip cleanly where fpdf2, DejaVu or poppler
are missing."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from dossiers import RAID, build

fpdf = pytest.importorskip("fpdf", reason="fpdf2 is not installed (scripts/bootstrap installs it)")

from antirelou.export.pdf_format import FONT_DIR, PdfFontError, render_pdf  # noqa: E402

needs_font = pytest.mark.skipif(
    not os.path.exists(os.path.join(FONT_DIR, "DejaVuSans.ttf")),
    reason="fonts-dejavu-core is not installed",
)


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return path


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory):
    _, dossier = build(RAID)
    path = tmp_path_factory.mktemp("pdf") / "dossier.pdf"
    path.write_bytes(render_pdf(dossier))
    return dossier, path


@needs_font
def test_the_pdf_says_everything_in_order_french_first(pdf_file):
    dossier, path = pdf_file
    assert path.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(
        [_poppler("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    order = [
        "Messages reçus par le numéro anti-relou",
        "Messages received by the anti-harassment number",
        "Point de contrôle du journal",
        dossier.checkpoint.text(),
        "356938035643809",
        "Messages par heure",
        "Par expéditeur",
        "Salut c'est Kevin du bar",
        "Je sais où tu habites. [U+1F52A HOCHO]",  # no glyph in DejaVu: spelled out
        "<script>alert('x')</script>",  # text, not markup: shown as written
        "Vérifier ce dossier",
    ]
    positions = [text.find(part) for part in order]
    assert -1 not in positions, [part for part in order if part not in text]
    assert positions == sorted(positions)
    assert "Signalé / Flagged: death_threat" in text
    assert "+33695000695" in text  # the SMSC
    assert "2017-10-30T15:06:56+01:00" in text  # the network time stamp as received


@needs_font
def test_the_pdf_renders_to_png_pages(pdf_file, tmp_path):
    _, path = pdf_file
    subprocess.run(
        [_poppler("pdftoppm"), "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 4  # cover; chart, senders and first messages; messages; verification
    for page in pages:
        assert page.read_bytes().startswith(b"\x89PNG")


def test_a_missing_font_says_how_to_install_it(tmp_path):
    _, dossier = build(RAID[:1])
    with pytest.raises(PdfFontError, match="apt-get install fonts-dejavu-core"):
        render_pdf(dossier, font_dir=str(tmp_path))
