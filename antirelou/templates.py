"""The few placeholders a reply text may use, filled from our own values only.

No str.format, no eval: only the exact names below are replaced, and nothing a
sender wrote is ever among the values.
"""

from __future__ import annotations

from datetime import datetime

_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

PLACEHOLDERS = {
    "{date}": "today's date, e.g. 8 mars 2026 / la date du jour",
    "{jour}": "the same, in French words",
    "{heure}": "the time, e.g. 14h05 / l'heure",
}


def render(template: str, now: datetime) -> str:
    """Given a reply text and the local time, return it with the placeholders filled."""
    local = now.astimezone()
    date = f"{local.day} {_MONTHS[local.month - 1]} {local.year}"
    values = {"{date}": date, "{jour}": date, "{heure}": f"{local.hour}h{local.minute:02d}"}
    for name, value in values.items():
        template = template.replace(name, value)
    return template
