"""How the configuration file is described: a Key per setting, a Section per group."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from antirelou.config.checks import Check

REQUIRED = dataclasses.MISSING


@dataclass(frozen=True)
class Key:
    """One setting: its YAML name, how its value is checked, and what it means.

    Its default (or REQUIRED) is the default of the field of the same name in the section's
    dataclass. `example` is the value suggested when a required key is missing, and the value
    the example file shows for it.

    The descriptions are the comments the example file shows above the key (see `example.py`):
    "\n" starts a new line, a line starting with a space is shown as written (a sample), and
    the sentence saying which values are allowed is added from the check.
    """

    name: str
    check: Check
    description_fr: str
    description_en: str
    example: str | None = None


@dataclass(frozen=True)
class Section:
    """A group of settings (a YAML mapping), turned into the frozen dataclass `result`."""

    name: str
    result: Callable[..., Any]
    keys: tuple[Key | Section, ...]
    description_fr: str
    description_en: str


MINUTE, HOUR, DAY = 60, 3600, 86400


def default_of(section: Section, key: Key | Section) -> Any:
    """Given a section and one of its keys, return the key's default, or REQUIRED."""
    field = next(f for f in dataclasses.fields(section.result) if f.name == key.name)
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default
