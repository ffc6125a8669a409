"""antirelou.service (one SIM) is antirelou@.service (one unit per line) with the lines that
name the line changed, so that both keep the same hardening. Run from the repository's root:

    python -m antirelou.setup.units > systemd/antirelou.service

A test checks that the file is this output.
"""

from __future__ import annotations

import sys
from pathlib import Path

from antirelou.config.model import DEFAULT_PATH

HEADER = """\
# antirelou: le numéro anti-relou / the anti-harassment number, one SIM.
# Reads /etc/antirelou/antirelou.yaml (`sudo antirelou setup` writes it and enables this
# unit) and keeps its database in /var/lib/antirelou/. Several SIMs: antirelou@.service.
# Generated from antirelou@.service: python -m antirelou.setup.units > systemd/antirelou.service
"""

# Each line of the template that names the line, and what the single service has instead.
CHANGES = (
    (", line %i\n", "\n"),
    ("PartOf=antirelou.target\n", ""),
    (
        "ExecStart=/usr/bin/antirelou run --line %i\n",
        f"ExecStart=/usr/bin/antirelou run -c {DEFAULT_PATH}\n",
    ),
    ("StateDirectory=antirelou/%i\n", "StateDirectory=antirelou\n"),
    ("WantedBy=antirelou.target\n", "WantedBy=multi-user.target\n"),
)


def single_unit(template: str) -> str:
    """Given the text of antirelou@.service, return the text of antirelou.service. Raise
    ValueError if a line to change is missing or the result still names a line."""
    body = template[template.index("[Unit]") :]
    for old, new in CHANGES:
        if body.count(old) != 1:
            raise ValueError(f"antirelou@.service should hold {old.strip()!r} exactly once")
        body = body.replace(old, new)
    if "%i" in body or "%I" in body:
        raise ValueError("antirelou@.service names the line where units.CHANGES does not know")
    return HEADER + body


if __name__ == "__main__":
    template = Path(sys.argv[1] if len(sys.argv) > 1 else "systemd/antirelou@.service")
    print(single_unit(template.read_text(encoding="utf-8")), end="")
