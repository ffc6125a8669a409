"""Durations as people write them in the configuration and read them in logs ("30s", "24h").

Pure functions, no I/O: parse_duration reads a duration, format_duration writes one that
parse_duration reads back, and a refused spelling ("2 days") gets a suggested fix ("48h").
"""

from __future__ import annotations

import math
import re

# A year is 366 days: a retention of "6y" must never end before six calendar years have
# passed (leap days included), as the limitation periods it follows are counted in years.
YEAR = 366 * 86400
_UNIT_SECONDS = {"y": YEAR, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|y|d|h|m|s)\s*")
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DURATION_FORMS = "write a number and a unit, e.g. 30s, 5m, 24h, 7d, 6y or 1h30m"

# Only used to suggest a fix for something parse_duration refused ("2 days" -> "48h").
_LOOSE_UNITS = {
    word: unit
    for unit, words in {
        "ms": ("ms", "msec", "millisecond", "milliseconde"),
        "s": ("s", "sec", "second", "seconde"),
        "m": ("m", "mn", "min", "minute"),
        "h": ("h", "hr", "hour", "heure"),
        "d": ("d", "j", "day", "jour"),
        "w": ("w", "week", "semaine"),
        "y": ("y", "an", "année", "annee", "year"),
    }.items()
    for word in words
}
_LOOSE_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-zé]*)")


def parse_duration(text: str | int | float) -> float:
    """Given a duration such as "30s", "5m", "24h", "7d", "6y", "1h30m", "250ms" or a plain number
    of seconds, return it in seconds (a year "y" is 366 days). Raise ValueError, whose message
    suggests the expected form, if it is empty, negative or not a duration.
    """
    if isinstance(text, bool):
        raise ValueError(f"'{text}' is not a duration ({_DURATION_FORMS})")
    if isinstance(text, int | float):
        if not math.isfinite(text) or text < 0:
            raise ValueError(f"'{text}' is not a duration: it must be 0 or more, e.g. 30s")
        return float(text)
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"the duration is empty ({_DURATION_FORMS})")
    if stripped.startswith("-"):
        raise ValueError(f"'{text}' is negative: a duration must be 0 or more, e.g. 30s")
    if _PLAIN_NUMBER.fullmatch(stripped):
        return float(stripped)
    seconds = 0.0
    position = 0
    previous_unit_size = math.inf
    while position < len(stripped):
        match = _DURATION_PART.match(stripped, position)
        # Units must each appear once, largest first: "30m1h" is more likely a typo than a wish.
        if not match or _UNIT_SECONDS[match.group(2)] >= previous_unit_size:
            raise ValueError(_not_a_duration(text))
        previous_unit_size = _UNIT_SECONDS[match.group(2)]
        seconds += float(match.group(1)) * previous_unit_size
        position = match.end()
    return seconds


def _not_a_duration(text: str) -> str:
    """Given text parse_duration refused, return the message, with a fix when one can be guessed."""
    guess = _guess_duration(text)
    hint = f"try {format_duration(guess)}" if guess is not None else _DURATION_FORMS
    return f"'{text}' is not a duration ({hint})"


def _guess_duration(text: str) -> float | None:
    """Given a loosely written duration ("2 days", "1h30", "5 minutes"), return it in seconds,
    or None if no reading is plausible.
    """
    words = re.sub(r"\b(and|et)\b|,(?!\d)", " ", text.strip().lower())
    seconds = 0.0
    position = 0
    parts = list(_LOOSE_PART.finditer(words))
    if not parts:
        return None
    for index, part in enumerate(parts):
        if words[position : part.start()].strip():
            return None
        number = float(part.group(1).replace(",", "."))
        word = part.group(2)
        if word == "" and index > 0 and parts[index - 1].group(2) in ("h", "heure", "heures"):
            unit = "m"  # "1h30" is how French speakers write 1h30m.
        else:
            unit = _LOOSE_UNITS.get(word.rstrip("s") if len(word) > 2 else word)
        if unit is None:
            return None
        seconds += number * (7 * 86400 if unit == "w" else _UNIT_SECONDS[unit])
        position = part.end()
    if words[position:].strip():
        return None
    return seconds


def format_duration(seconds: float) -> str:
    """Given a duration in seconds, return its shortest readable form ("24h", "1h30m", "45s",
    "250ms"), which parse_duration reads back. Raise ValueError if it is negative.
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{seconds} is not a duration: it must be 0 or more")
    milliseconds = round(seconds * 1000)
    if milliseconds == 0:
        return "0s"
    # People say "24h" and "48h" rather than "1d" and "2d"; days only read better beyond that,
    # and years only for whole years ("6y", but "1095d" rather than "2y363d").
    units = (
        ["h", "m", "s", "ms"] if milliseconds <= 48 * 3600 * 1000 else ["d", "h", "m", "s", "ms"]
    )
    if milliseconds % (YEAR * 1000) == 0:
        units = ["y"]
    parts = []
    for unit in units:
        size = round(_UNIT_SECONDS[unit] * 1000)
        count, milliseconds = divmod(milliseconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
