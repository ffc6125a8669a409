"""What a lawyer can file: a Dossier (model) rendered as CSV, JSON, HTML or PDF.

Renderers are pure: a Dossier in, bytes out. The PDF needs fpdf2, imported only when a PDF
is asked for, so the other formats work without it.
"""

from __future__ import annotations

from antirelou.export.model import Dossier

FORMATS = ("csv", "json", "html", "pdf")


def render(dossier: Dossier, format: str) -> bytes:
    """Given a dossier and one of FORMATS, return the file's bytes. Raise ValueError for an
    unknown format."""
    if format == "csv":
        from antirelou.export.csv_format import render_csv as renderer
    elif format == "json":
        from antirelou.export.json_format import render_json as renderer
    elif format == "html":
        from antirelou.export.html_format import render_html as renderer
    elif format == "pdf":
        from antirelou.export.pdf_format import render_pdf as renderer
    else:
        raise ValueError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    return renderer(dossier)
