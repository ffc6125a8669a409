"""Value checks: each turns one YAML node into a value, or raises Invalid saying why.

Checks read the node, not PyYAML's reading of it: the node keeps the text as written (so 0123
can be reported as "0123", not as the 83 YAML 1.1 turns it into) and its line and column.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from antirelou.config.model import NumbersConfig
from antirelou.durations import format_duration, parse_duration
from antirelou.numbers import normalise
from antirelou.pdu import segment_info

STR_TAG = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


class Invalid(ValueError):
    """A value the schema refuses. Each problem is (message, node), node None meaning the key."""

    def __init__(self, message: str, node: yaml.Node | None = None) -> None:
        super().__init__(message)
        self.problems: list[tuple[str, yaml.Node | None]] = [(message, node)]

    @classmethod
    def gathered(cls, problems: list[tuple[str, yaml.Node | None]]) -> Invalid:
        """Given several problems (at least one), return one Invalid holding them in order."""
        invalid = cls(*problems[0])
        invalid.problems.extend(problems[1:])
        return invalid


@dataclass(frozen=True)
class Context:
    """What checks need to know besides the node: where relative paths start, and the
    country national numbers are read in (the file's numbers.default_country).
    """

    base_directory: str
    default_country: int = NumbersConfig.default_country


def shown(node: yaml.Node) -> str:
    """Given a node, return how to name it in a message: its text quoted, or what it is."""
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a section"
    return f"'{node.value}'"


def is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL


class Check:
    """How one key's value is read. Subclasses set `expected` and implement __call__."""

    expected = "a value"
    nullable = False

    def __call__(self, node: yaml.Node, context: Context) -> Any:
        raise NotImplementedError

    def format(self, value: Any) -> str:
        """Given a value this check produces, return how to write it in the YAML file."""
        return str(value)

    def block_lines(self, value: Any) -> list[str] | None:
        """Given a value this check produces, return the lines to write it as a block under its
        key (indented by the caller), or None if it is written on the key's line by format.
        """
        return None

    def allowed(self) -> tuple[str, str] | None:
        """Return the sentence saying which values are allowed, in French and in English, or
        None if the expected form says it all.
        """
        return None

    def _wrong_type(self, node: yaml.Node, hint: str = "") -> Invalid:
        return Invalid(f"expected {self.expected}, not {shown(node)}{hint}")


class Duration(Check):
    """A duration ("30s", "24h", "1h30m") between minimum and maximum seconds."""

    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum, self.maximum = minimum, maximum
        self.expected = "a duration such as 30s, 5m or 24h"

    def __call__(self, node: yaml.Node, context: Context) -> float:
        # The text as written, not YAML's reading of it: YAML 1.1 reads 1:30 as 90 and 010 as 8.
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (STR_TAG, _INT, _FLOAT):
            raise self._wrong_type(node)
        try:
            seconds = parse_duration(node.value)
        except ValueError as error:
            raise Invalid(str(error)) from None
        if seconds < self.minimum:
            raise Invalid(f"'{node.value}' is too short (at least {format_duration(self.minimum)})")
        if seconds > self.maximum:
            raise Invalid(f"'{node.value}' is too long (at most {format_duration(self.maximum)})")
        return seconds

    def format(self, value: float) -> str:
        return format_duration(value)

    def allowed(self) -> tuple[str, str]:
        shortest, longest = format_duration(self.minimum), format_duration(self.maximum)
        return f"Entre {shortest} et {longest}.", f"Between {shortest} and {longest}."


class Integer(Check):
    """A whole number, written without quotes, within bounds or out of a list of choices."""

    def __init__(
        self, minimum: int | None = None, maximum: int | None = None, choices: Sequence[int] = ()
    ) -> None:
        self.minimum, self.maximum, self.choices = minimum, maximum, tuple(choices)
        self.expected = "a whole number"

    def __call__(self, node: yaml.Node, context: Context) -> int:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _INT:
            quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
            raise self._wrong_type(node, " (write it without quotes)" if quoted else "")
        # Decimal as written: YAML 1.1 would read 033 as octal 27 and 1:30 as 90.
        if not re.fullmatch(r"[-+]?[0-9]+", node.value):
            raise Invalid(f"'{node.value}' is not a plain whole number (write only digits)")
        if len(node.value.lstrip("+-")) > 12:
            raise Invalid(f"'{node.value[:20]}…' is far too large")
        value = int(node.value)
        if self.choices and value not in self.choices:
            listed = ", ".join(str(choice) for choice in self.choices)
            raise Invalid(f"'{node.value}' is not one of {listed}")
        if self.minimum is not None and value < self.minimum:
            raise Invalid(f"'{node.value}' is too small ({self._range()})")
        if self.maximum is not None and value > self.maximum:
            raise Invalid(f"'{node.value}' is too large ({self._range()})")
        return value

    def _range(self) -> str:
        return f"use a whole number from {self.minimum} to {self.maximum}"

    def allowed(self) -> tuple[str, str] | None:
        if self.choices:
            listed = ", ".join(str(choice) for choice in self.choices)
            return f"Valeurs possibles : {listed}.", f"Allowed: {listed}."
        if self.minimum is not None and self.maximum is not None:
            return (
                f"Entre {self.minimum} et {self.maximum}.",
                f"Between {self.minimum} and {self.maximum}.",
            )
        return None


class Boolean(Check):
    """true or false (yes/no and on/off too, as YAML 1.1 reads them)."""

    expected = "true or false"

    def __call__(self, node: yaml.Node, context: Context) -> bool:
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            return node.value.lower() in ("true", "yes", "on")
        if isinstance(node, yaml.ScalarNode) and node.value.lower() in ("oui", "vrai"):
            raise Invalid(f"'{node.value}' is not understood: write true (or yes)")
        if isinstance(node, yaml.ScalarNode) and node.value.lower() in ("non", "faux"):
            raise Invalid(f"'{node.value}' is not understood: write false (or no)")
        raise self._wrong_type(node)

    def format(self, value: bool) -> str:
        return "true" if value else "false"


def _quoted(text: str) -> str:
    """Given a string, return it as a YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class Text(Check):
    """Non-empty text, written as a YAML string (a number or list where text belongs is a slip).

    Surrounding spaces and newlines are dropped: a `|` block adds a final newline nobody meant.
    """

    def __init__(self, max_segments: int | None = None, expected: str = "text") -> None:
        self.max_segments = max_segments
        self.expected = expected

    def __call__(self, node: yaml.Node, context: Context) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != STR_TAG:
            hint = " (put it in quotes)" if isinstance(node, yaml.ScalarNode) else ""
            raise self._wrong_type(node, hint)
        text = node.value.strip()
        if not text:
            raise Invalid(f"is empty: write {self.expected}")
        if self.max_segments is not None:
            info = segment_info(text)
            if info.segments > self.max_segments:
                hint = ""
                if info.encoding == "ucs2":
                    characters = " ".join(info.ucs2_characters[:5])
                    hint = f"; because of {characters}, each SMS holds 70 characters, not 160"
                raise Invalid(
                    f"is too long: {len(text)} characters make {info.segments} SMS, at most "
                    f"{self.max_segments} are allowed (shorten it{hint})"
                )
        return text

    def format(self, value: str) -> str:
        return _quoted(value)


class Choice(Check):
    """One word out of a fixed list, in any case (stored as spelled in the list)."""

    def __init__(self, choices: Sequence[str]) -> None:
        self.choices = tuple(choices)
        self.expected = "one of " + ", ".join(self.choices)

    def __call__(self, node: yaml.Node, context: Context) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != STR_TAG:
            raise self._wrong_type(node)
        by_lower = {choice.lower(): choice for choice in self.choices}
        word = node.value.strip().lower()
        if word in by_lower:
            return by_lower[word]
        close = difflib.get_close_matches(word, list(by_lower), n=1)
        hint = f" (did you mean '{by_lower[close[0]]}'?)" if close else ""
        raise Invalid(f"'{node.value}' is not allowed: use {self.expected}{hint}")


class Pin(Check):
    """The SIM PIN: 4 to 8 digits, quoted so YAML keeps it as written."""

    expected = 'a PIN of 4 to 8 digits in quotes, e.g. "1234"'
    nullable = True

    def __call__(self, node: yaml.Node, context: Context) -> str | None:
        if is_null(node):
            return None
        if not isinstance(node, yaml.ScalarNode):
            raise self._wrong_type(node)
        digits = node.value.strip()
        if not re.fullmatch(r"\d{4,8}", digits):
            raise Invalid(
                f"'{node.value}' is not a PIN: write 4 to 8 digits in quotes, e.g. \"1234\""
            )
        if node.style not in ("'", '"'):
            if node.tag == _INT and digits.startswith("0"):
                number = int(digits, 8) if re.fullmatch(r"0[0-7]+", digits) else int(digits)
                raise Invalid(
                    f"{digits} must be in quotes, or YAML reads it as the number {number}: "
                    f'write pin: "{digits}"'
                )
            raise Invalid(f'{digits} must be in quotes: write pin: "{digits}"')
        return digits

    def format(self, value: str | None) -> str:
        return "null" if value is None else _quoted(value)


class FilePath(Check):
    """A file path; a relative one is relative to the configuration file's directory."""

    expected = "a file path such as /var/lib/antirelou/antirelou.db"

    def __call__(self, node: yaml.Node, context: Context) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != STR_TAG:
            raise self._wrong_type(node)
        path = node.value.strip()
        if not path:
            raise Invalid(f"is empty: write {self.expected}")
        if path.startswith("~"):
            raise Invalid(f"'{path}': ~ is not expanded here, write the full path (/home/…)")
        if path.endswith("/"):
            raise Invalid(f"'{path}' is a directory: add the file name, e.g. {path}antirelou.db")
        return os.path.normpath(os.path.join(context.base_directory, path))

    def format(self, value: str) -> str:
        return value


class PrefixList(Check):
    """A list of number prefixes, each '+' then digits ("+338")."""

    expected = 'a list of prefixes such as ["+338"]'

    def __call__(self, node: yaml.Node, context: Context) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode):
            raise self._wrong_type(node, ' (write a list, e.g. ["+338"], or [] for none)')
        prefixes: list[str] = []
        invalid: Invalid | None = None
        for item in node.value:
            # An unquoted +338 is the integer 338 to YAML, but what was written is unambiguous.
            if isinstance(item, yaml.ScalarNode) and re.fullmatch(r"\+\d+", item.value.strip()):
                prefixes.append(item.value.strip())
                continue
            message = (
                f"{shown(item)} is not a prefix: write '+', the country code and the first "
                'digits, with no spaces, e.g. "+338"'
            )
            if invalid is None:
                invalid = Invalid(message, item)
            else:
                invalid.problems.append((message, item))
        if invalid is not None:
            raise invalid
        return tuple(prefixes)

    def format(self, value: tuple[str, ...]) -> str:
        return "[" + ", ".join(_quoted(prefix) for prefix in value) + "]"


class Limit(Check):
    """A whole number of at least 0, or `unlimited` (also null) for no limit."""

    expected = "a whole number, or unlimited"
    nullable = True

    def __init__(self, maximum: int = 1_000_000) -> None:
        self.integer = Integer(0, maximum)

    def __call__(self, node: yaml.Node, context: Context) -> int | None:
        if is_null(node) or (
            isinstance(node, yaml.ScalarNode)
            and node.tag == STR_TAG
            and node.value.strip().lower() in ("unlimited", "illimité")
        ):
            return None
        return self.integer(node, context)

    def format(self, value: int | None) -> str:
        return "unlimited" if value is None else str(value)


class Percent(Check):
    """A share from 0 to 100 percent, written 25 or 25% (or "25 %")."""

    expected = "a percentage such as 25%"

    def __call__(self, node: yaml.Node, context: Context) -> int:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (STR_TAG, _INT):
            raise self._wrong_type(node)
        match = re.fullmatch(r"\s*([0-9]{1,3})\s*%?\s*", node.value)
        if match is None or int(match.group(1)) > 100:
            raise Invalid(f"'{node.value}' is not a percentage from 0% to 100%")
        return int(match.group(1))

    def format(self, value: int) -> str:
        return f"{value}%"

    def allowed(self) -> tuple[str, str]:
        return "De 0% à 100%.", "From 0% to 100%."


class TextSteps(Check):
    """A list of steps; each step is one text, or a list of texts one of which is picked."""

    expected = "a list of texts (each item a text, or a list of texts to pick from)"

    def __init__(self, max_segments: int) -> None:
        self.text = Text(max_segments=max_segments, expected="a reply text, in quotes")

    def __call__(self, node: yaml.Node, context: Context) -> tuple[tuple[str, ...], ...]:
        if is_null(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            raise self._wrong_type(node, " (start each step on its own line with '- ')")
        steps: list[tuple[str, ...]] = []
        problems: list[tuple[str, yaml.Node]] = []
        for item in node.value:
            choices = item.value if isinstance(item, yaml.SequenceNode) else [item]
            texts = []
            for choice in choices:
                try:
                    texts.append(self.text(choice, context))
                except Invalid as invalid:
                    problems.extend(
                        (message, where or choice) for message, where in invalid.problems
                    )
            if not choices:
                problems.append(("a step with no text: write at least one", item))
            steps.append(tuple(texts))
        if problems:
            raise Invalid.gathered(problems)
        return tuple(steps)

    def format(self, value: tuple[tuple[str, ...], ...]) -> str:
        return "[]" if not value else str([list(step) for step in value])


class StringList(Check):
    """A list of plain strings, each checked by `item` (a function raising ValueError)."""

    def __init__(self, expected: str, item: Callable[[str, Context], str]) -> None:
        self.expected = expected
        self.item = item

    def __call__(self, node: yaml.Node, context: Context) -> tuple[str, ...]:
        if is_null(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            raise self._wrong_type(node, " (write a list in [ ], or [] for none)")
        values: list[str] = []
        problems: list[tuple[str, yaml.Node]] = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                problems.append((f"{shown(item)} is not {self.expected}", item))
                continue
            try:
                values.append(self.item(item.value.strip(), context))
            except ValueError as error:
                problems.append((str(error), item))
        if problems:
            raise Invalid.gathered(problems)
        return tuple(values)

    def format(self, value: tuple[str, ...]) -> str:
        return "[" + ", ".join(_quoted(item) for item in value) + "]"


def phone_number(text: str, context: Context) -> str:
    """Given a phone number as written, return it in E.164 form. Raise ValueError if the daemon
    would not read it as a full phone number (it reads senders the same way).
    """
    return normalise(text, context.default_country)


def command_word(text: str, context: Context) -> str:
    """Given one word of the alert command, return it. Raise ValueError if it is empty."""
    if not text:
        raise ValueError("an empty word: remove it")
    return text


class Mapping(Check):
    """A mapping whose keys match `key_pattern` and whose values pass `value`."""

    def __init__(self, expected: str, key_pattern: str, key_hint: str, value: Check) -> None:
        self.expected = expected
        self.key_pattern = key_pattern
        self.key_hint = key_hint
        self.value = value

    def __call__(self, node: yaml.Node, context: Context) -> tuple[tuple[str, Any], ...]:
        if is_null(node):
            return ()
        if not isinstance(node, yaml.MappingNode):
            raise self._wrong_type(node)
        pairs: list[tuple[str, Any]] = []
        problems: list[tuple[str, yaml.Node]] = []
        for key_node, value_node in node.value:
            # As written: an unquoted +44 is the integer 44 to YAML.
            key = key_node.value.strip() if isinstance(key_node, yaml.ScalarNode) else ""
            if not re.fullmatch(self.key_pattern, key):
                problems.append((f"{shown(key_node)} is not {self.key_hint}", key_node))
                continue
            try:
                pairs.append((key, self.value(value_node, context)))
            except Invalid as invalid:
                problems.extend(
                    (message, where or value_node) for message, where in invalid.problems
                )
        if problems:
            raise Invalid.gathered(problems)
        return tuple(pairs)

    def format(self, value: tuple[tuple[str, Any], ...]) -> str:
        return "{" + ", ".join(f'"{key}": {self.value.format(item)}' for key, item in value) + "}"

    def block_lines(self, value: tuple[tuple[str, Any], ...]) -> list[str] | None:
        # One pair a line: a long mapping on one line can be neither read nor edited.
        if not value:
            return None
        return [f'"{key}": {self.value.format(item)}' for key, item in value]
