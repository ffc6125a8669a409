"""Phone numbers: which senders are real phones, and one spelling per number.

Pure functions. A sender we cannot prove to be a full phone number is never
answered: operator notices come from alphanumeric names, premium services
from short codes, and a reply to either costs money for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

# E.164 caps a number at 15 digits; below 8 digits (country code included) no
# mobile line exists anywhere, but short codes and service numbers do.
_MIN_DIGITS = 8
_MAX_DIGITS = 15
_SEPARATORS = re.compile(r"[\s.\-()/]")
# ASCII only: str.isdigit() also takes '²' and Arabic-Indic digits, which no modem can dial.
_DIGITS = re.compile(r"[0-9]+")


class NumberKind(Enum):
    PHONE = "phone"
    SHORT_CODE = "short code"
    ALPHANUMERIC = "alphanumeric"
    INVALID = "invalid"


@dataclass(frozen=True)
class Number:
    raw: str | None
    kind: NumberKind
    e164: str | None  # '+33612345678' for PHONE, None otherwise

    @property
    def display(self) -> str:
        return self.e164 or self.raw or "(unknown)"


def classify(raw: str | None, default_country: int, *, alphanumeric: bool = False) -> Number:
    """Given a sender as the network wrote it, return what kind of number it is.

    `alphanumeric` is the PDU's own type-of-number flag; letters in the
    address mean the same. National numbers (leading 0) are read with
    `default_country`; 00 is the international prefix.
    """
    if raw is None or not raw.strip():
        return Number(raw, NumberKind.INVALID, None)
    if alphanumeric:
        return Number(raw, NumberKind.ALPHANUMERIC, None)
    compact = _SEPARATORS.sub("", raw)
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith("00"):
        digits = compact[2:]
    elif compact.startswith("0") and _DIGITS.fullmatch(compact) and len(compact) > _MIN_DIGITS:
        digits = f"{default_country}{compact[1:]}"
    else:
        digits = compact
    if not _DIGITS.fullmatch(digits):
        kind = NumberKind.ALPHANUMERIC if re.search(r"[A-Za-z]", compact) else NumberKind.INVALID
        return Number(raw, kind, None)
    if len(digits) < _MIN_DIGITS:
        return Number(raw, NumberKind.SHORT_CODE, None)
    if len(digits) > _MAX_DIGITS or digits.startswith("0"):
        return Number(raw, NumberKind.INVALID, None)
    return Number(raw, NumberKind.PHONE, "+" + digits)


def normalise(raw: str, default_country: int) -> str:
    """Given a phone number typed by a person, return its E.164 form.

    Raise ValueError, saying why, if it is not a full phone number.
    """
    number = classify(raw, default_country)
    if number.kind is not NumberKind.PHONE:
        raise ValueError(
            f"{raw!r} is not a full phone number ({number.kind.value}); "
            "write it as 0612345678 or +33612345678"
        )
    assert number.e164 is not None
    return number.e164


def operator_numbers(raw_numbers: Iterable[str], default_country: int) -> frozenset[str]:
    """Given the operators' numbers as configured (alerts.numbers), return them in E.164 form.

    The config refuses any that is not a full phone number, so none is dropped here.
    """
    numbers = (classify(raw, default_country) for raw in raw_numbers)
    return frozenset(number.e164 for number in numbers if number.e164)
