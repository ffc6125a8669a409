"""Read and check antirelou's configuration file (one YAML file edited by hand).

The file is described once, by SCHEMA below: each Key says how its YAML value is checked and
what it means (in French and English); each Section says which frozen dataclass it becomes.
Defaults and required keys come from the dataclasses themselves. Validation, did-you-mean
suggestions and the tests that keep etc/antirelou.yaml honest are all derived from SCHEMA, so
adding a section is one dataclass plus one Section entry.

Validation walks the YAML node tree rather than the loaded Python values: nodes keep their
line and column, keep duplicate keys (which PyYAML would silently merge), and keep the text as
written (so 0123 can be reported as "0123", not as the 83 YAML turns it into). Every problem is
gathered and reported at once, because the people editing this file fix it over SSH on a
Raspberry Pi and should not have to restart the daemon once per typo.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from antirelou.pdu import segment_info

DEFAULT_PATH = "/etc/antirelou/antirelou.yaml"


# --- The result: what the rest of antirelou codes against. ---


@dataclass(frozen=True)
class ModemConfig:
    """The `modem:` section. Durations are in seconds; what each key means is in SCHEMA."""

    port: str
    baudrate: int = 115200
    pin: str | None = None
    poll_interval: float = 10.0
    command_timeout: float = 10.0
    send_timeout: float = 60.0
    storage: str = "auto"
    registration_timeout: float = 300.0
    reassembly_timeout: float = 3600.0


@dataclass(frozen=True)
class NumbersConfig:
    """The `numbers:` section: how senders' numbers are read and which are never answered."""

    default_country: int = 33
    never_reply_prefixes: tuple[str, ...] = ("+338",)


@dataclass(frozen=True)
class RetryConfig:
    """The `replies.retry:` section; backoff is in seconds."""

    attempts: int = 3
    backoff: float = 60.0


DEFAULT_COUNTRY_LANGUAGES: tuple[tuple[str, str], ...] = (
    ("+33", "fr"),
    ("+32", "fr"),
    ("+41", "fr"),
    ("+352", "fr"),
    ("+377", "fr"),
    ("+1", "en"),
    ("+44", "en"),
    ("+353", "en"),
    ("+61", "en"),
    ("+64", "en"),
    ("+34", "es"),
    ("+49", "de"),
    ("+39", "it"),
    ("+351", "pt"),
)


@dataclass(frozen=True)
class RepliesConfig:
    """The `replies:` section; durations are in seconds.

    `sequence` holds the steps (each a tuple of texts to pick from); empty means the one
    step `(text,)`. Use `steps` rather than reading either field.
    """

    enabled: bool = True
    text: str = "Si une femme dit non, inutile d'insister."
    sequence: tuple[tuple[str, ...], ...] = ()
    languages: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()
    country_languages: tuple[tuple[str, str], ...] = DEFAULT_COUNTRY_LANGUAGES
    restart_after: float = 30 * 86400.0
    cooldown: float = 86400.0
    delay: float = 0.0
    retry: RetryConfig = RetryConfig()

    @property
    def steps(self) -> tuple[tuple[str, ...], ...]:
        return self.sequence or ((self.text,),)

    def steps_for(self, number: str) -> tuple[tuple[str, ...], ...]:
        """Given a number in E.164 form, return the steps in its country's language, if any."""
        prefixes = sorted(self.country_languages, key=lambda pair: -len(pair[0]))
        language = next((name for prefix, name in prefixes if number.startswith(prefix)), None)
        return dict(self.languages).get(language, self.steps)


@dataclass(frozen=True)
class BudgetsConfig:
    """The `budgets:` section, in SMS segments (what the operator bills); None is unlimited."""

    segments_per_hour: int | None = 60
    segments_per_day: int | None = 300
    segments_per_month: int | None = 3000
    numbers_per_month: int | None = 140


@dataclass(frozen=True)
class FloodConfig:
    """The `flood:` section: when a raid is detected, and what may still be sent during it."""

    enabled: bool = True
    messages_per_minute: int = 20
    new_numbers_per_minute: int = 10
    calm_after: float = 1800.0
    segments_per_hour: int = 10
    hold: float = 300.0


@dataclass(frozen=True)
class AlertsConfig:
    """The `alerts:` section: who is told when something needs a person."""

    numbers: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    min_interval: float = 1800.0
    modem_lost_after: float = 600.0


@dataclass(frozen=True)
class LoggingConfig:
    """The `logging:` section."""

    level: str = "info"


@dataclass(frozen=True)
class Config:
    """The whole configuration. path is the absolute path of the file it was read from, and
    database an absolute path too.
    """

    path: str
    modem: ModemConfig
    database: str
    numbers: NumbersConfig
    replies: RepliesConfig
    logging: LoggingConfig
    budgets: BudgetsConfig = BudgetsConfig()
    flood: FloodConfig = FloodConfig()
    alerts: AlertsConfig = AlertsConfig()


# --- Errors. ---


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in the configuration file; line and column are 1-based.

    line and column are None when the problem is the file itself (missing, unreadable).
    """

    file: str
    line: int | None
    column: int | None
    key_path: str
    message: str

    def __str__(self) -> str:
        # The GNU "file:line:column: message" form, which editors and grep users recognise.
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        what = f"{self.key_path}: {self.message}" if self.key_path else self.message
        # One issue, one line: a value quoted in the message may hold a line break.
        return f"{where}: {what}".replace("\r", "\\r").replace("\n", "\\n")


class ConfigError(Exception):
    """The configuration cannot be used; `errors` lists every problem found, in file order."""

    def __init__(self, errors: Sequence[ConfigIssue]) -> None:
        self.errors = sorted(errors, key=lambda issue: (issue.line or 0, issue.column or 0))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.errors)


# --- Durations. ---

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)\s*")
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DURATION_FORMS = "write a number and a unit, e.g. 30s, 5m, 24h, 7d or 1h30m"

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
    }.items()
    for word in words
}
_LOOSE_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-zé]*)")


def parse_duration(text: str | int | float) -> float:
    """Given a duration such as "30s", "5m", "24h", "7d", "1h30m", "250ms" or a plain number of
    seconds, return it in seconds. Raise ValueError, whose message suggests the expected form,
    if it is empty, negative or not a duration.
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
    # People say "24h" and "48h" rather than "1d" and "2d"; days only read better beyond that.
    units = (
        ["h", "m", "s", "ms"] if milliseconds <= 48 * 3600 * 1000 else ["d", "h", "m", "s", "ms"]
    )
    parts = []
    for unit in units:
        size = round(_UNIT_SECONDS[unit] * 1000)
        count, milliseconds = divmod(milliseconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


# --- Checks: each turns one YAML node into a value, or raises Invalid. ---

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


class Invalid(ValueError):
    """A value the schema refuses. Each problem is (message, node), node None meaning the key."""

    def __init__(self, message: str, node: yaml.Node | None = None) -> None:
        super().__init__(message)
        self.problems: list[tuple[str, yaml.Node | None]] = [(message, node)]


@dataclass(frozen=True)
class _Context:
    """What checks need to know besides the node: where relative paths start."""

    base_directory: str


def _shown(node: yaml.Node) -> str:
    """Given a node, return how to name it in a message: its text quoted, or what it is."""
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a section"
    return f"'{node.value}'"


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL


class Check:
    """How one key's value is read. Subclasses set `expected` and implement __call__."""

    expected = "a value"
    nullable = False

    def __call__(self, node: yaml.Node, context: _Context) -> Any:
        raise NotImplementedError

    def format(self, value: Any) -> str:
        """Given a value this check produces, return how to write it in the YAML file."""
        return str(value)

    def _wrong_type(self, node: yaml.Node, hint: str = "") -> Invalid:
        return Invalid(f"expected {self.expected}, not {_shown(node)}{hint}")


class Duration(Check):
    """A duration ("30s", "24h", "1h30m") between minimum and maximum seconds."""

    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum, self.maximum = minimum, maximum
        self.expected = "a duration such as 30s, 5m or 24h"

    def __call__(self, node: yaml.Node, context: _Context) -> float:
        # The text as written, not YAML's reading of it: YAML 1.1 reads 1:30 as 90 and 010 as 8.
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (_STR, _INT, _FLOAT):
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


class Integer(Check):
    """A whole number, written without quotes, within bounds or out of a list of choices."""

    def __init__(
        self, minimum: int | None = None, maximum: int | None = None, choices: Sequence[int] = ()
    ) -> None:
        self.minimum, self.maximum, self.choices = minimum, maximum, tuple(choices)
        self.expected = "a whole number"

    def __call__(self, node: yaml.Node, context: _Context) -> int:
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


class Boolean(Check):
    """true or false (yes/no and on/off too, as YAML 1.1 reads them)."""

    expected = "true or false"

    def __call__(self, node: yaml.Node, context: _Context) -> bool:
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

    def __call__(self, node: yaml.Node, context: _Context) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _STR:
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

    def __call__(self, node: yaml.Node, context: _Context) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _STR:
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

    def __call__(self, node: yaml.Node, context: _Context) -> str | None:
        if _is_null(node):
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

    def __call__(self, node: yaml.Node, context: _Context) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _STR:
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

    def __call__(self, node: yaml.Node, context: _Context) -> tuple[str, ...]:
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
                f"{_shown(item)} is not a prefix: write '+', the country code and the first "
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

    def __call__(self, node: yaml.Node, context: _Context) -> int | None:
        if _is_null(node) or (
            isinstance(node, yaml.ScalarNode)
            and node.tag == _STR
            and node.value.strip().lower() in ("unlimited", "illimité")
        ):
            return None
        return self.integer(node, context)

    def format(self, value: int | None) -> str:
        return "unlimited" if value is None else str(value)


class TextSteps(Check):
    """A list of steps; each step is one text, or a list of texts one of which is picked."""

    expected = "a list of texts (each item a text, or a list of texts to pick from)"

    def __init__(self, max_segments: int) -> None:
        self.text = Text(max_segments=max_segments, expected="a reply text, in quotes")

    def __call__(self, node: yaml.Node, context: _Context) -> tuple[tuple[str, ...], ...]:
        if _is_null(node):
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
            invalid = Invalid(*problems[0])
            invalid.problems.extend(problems[1:])
            raise invalid
        return tuple(steps)

    def format(self, value: tuple[tuple[str, ...], ...]) -> str:
        return "[]" if not value else str([list(step) for step in value])


class StringList(Check):
    """A list of plain strings, each checked by `item` (a function raising ValueError)."""

    def __init__(self, expected: str, item: Callable[[str], str]) -> None:
        self.expected = expected
        self.item = item

    def __call__(self, node: yaml.Node, context: _Context) -> tuple[str, ...]:
        if _is_null(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            raise self._wrong_type(node, " (write a list in [ ], or [] for none)")
        values: list[str] = []
        problems: list[tuple[str, yaml.Node]] = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                problems.append((f"{_shown(item)} is not {self.expected}", item))
                continue
            try:
                values.append(self.item(item.value.strip()))
            except ValueError as error:
                problems.append((str(error), item))
        if problems:
            invalid = Invalid(*problems[0])
            invalid.problems.extend(problems[1:])
            raise invalid
        return tuple(values)

    def format(self, value: tuple[str, ...]) -> str:
        return "[" + ", ".join(_quoted(item) for item in value) + "]"


def _phone_number(text: str) -> str:
    compact = re.sub(r"[\s.\-]", "", text)
    if not re.fullmatch(r"(\+|00)?[0-9]{8,15}", compact):
        raise ValueError(f"'{text}' is not a phone number: write it like \"+33612345678\"")
    return compact


def _command_word(text: str) -> str:
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

    def __call__(self, node: yaml.Node, context: _Context) -> tuple[tuple[str, Any], ...]:
        if _is_null(node):
            return ()
        if not isinstance(node, yaml.MappingNode):
            raise self._wrong_type(node)
        pairs: list[tuple[str, Any]] = []
        problems: list[tuple[str, yaml.Node]] = []
        for key_node, value_node in node.value:
            # As written: an unquoted +44 is the integer 44 to YAML.
            key = key_node.value.strip() if isinstance(key_node, yaml.ScalarNode) else ""
            if not re.fullmatch(self.key_pattern, key):
                problems.append((f"{_shown(key_node)} is not {self.key_hint}", key_node))
                continue
            try:
                pairs.append((key, self.value(value_node, context)))
            except Invalid as invalid:
                problems.extend(
                    (message, where or value_node) for message, where in invalid.problems
                )
        if problems:
            invalid = Invalid(*problems[0])
            invalid.problems.extend(problems[1:])
            raise invalid
        return tuple(pairs)

    def format(self, value: tuple[tuple[str, Any], ...]) -> str:
        return "{" + ", ".join(f'"{key}": {self.value.format(item)}' for key, item in value) + "}"


# --- The schema. ---

REQUIRED = dataclasses.MISSING


@dataclass(frozen=True)
class Key:
    """One setting: its YAML name, how its value is checked, and what it means.

    Its default (or REQUIRED) is the default of the field of the same name in the section's
    dataclass. `example` is the value suggested when a required key is missing.
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


_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_LANGUAGE_CODES = (
    "fr",
    "en",
    "es",
    "de",
    "it",
    "pt",
    "nl",
    "ar",
    "tr",
    "pl",
    "ro",
    "ru",
    "uk",
    "zh",
    "wo",
    "ln",
    "br",
    "oc",
    "eu",
    "ca",
)

SCHEMA = Section(
    "",
    Config,
    (
        Section(
            "modem",
            ModemConfig,
            (
                Key(
                    "port",
                    Text(expected="a device path such as /dev/antirelou-modem"),
                    "Le périphérique de la clé 3G/4G (le lien créé par la règle udev).",
                    "The dongle's device (the symlink made by the udev rule).",
                    example="/dev/antirelou-modem",
                ),
                Key(
                    "baudrate",
                    Integer(choices=(9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)),
                    "Vitesse du port série ; 115200 convient à presque toutes les clés.",
                    "Serial speed; 115200 suits almost every dongle.",
                ),
                Key(
                    "pin",
                    Pin(),
                    "Code PIN de la carte SIM, entre guillemets ; null si la SIM n'en a pas.",
                    "The SIM's PIN, in quotes; null if the SIM has none.",
                ),
                Key(
                    "poll_interval",
                    Duration(1, 10 * _MINUTE),
                    "Relire la mémoire des SMS au moins aussi souvent, car la clé oublie parfois"
                    " de signaler un SMS arrivé.",
                    "List the SMS storage at least this often, since the dongle sometimes fails"
                    " to announce a new SMS.",
                ),
                Key(
                    "command_timeout",
                    Duration(1, 5 * _MINUTE),
                    "Temps d'attente maximal de la réponse à chaque commande envoyée à la clé.",
                    "How long to wait for the answer to each command sent to the dongle.",
                ),
                Key(
                    "send_timeout",
                    Duration(5, 10 * _MINUTE),
                    "Temps d'attente maximal pour l'envoi de chaque SMS (chaque partie d'un long"
                    " message).",
                    "How long to wait for each SMS (each part of a long message) to be sent.",
                ),
                Key(
                    "storage",
                    Choice(("auto", "SM", "ME", "MT")),
                    "Mémoire où lire les SMS : SM (carte SIM), ME (clé), MT (les deux), auto (la"
                    " plus grande).",
                    "Where SMS are read from: SM (SIM card), ME (dongle), MT (both), auto (the"
                    " largest).",
                ),
                Key(
                    "registration_timeout",
                    Duration(10, _HOUR),
                    "Au démarrage, temps d'attente maximal de la connexion au réseau mobile.",
                    "At start-up, how long to wait for the mobile network registration.",
                ),
                Key(
                    "reassembly_timeout",
                    Duration(_MINUTE, 7 * _DAY),
                    "Temps pendant lequel les morceaux d'un long SMS attendent ceux qui manquent,"
                    " avant d'enregistrer le message incomplet.",
                    "How long the parts of a long SMS wait for the missing ones before the"
                    " message is logged incomplete.",
                ),
            ),
            "La clé 3G/4G (modem GSM) branchée en USB.",
            "The USB GSM dongle.",
        ),
        Key(
            "database",
            FilePath(),
            "Fichier SQLite où sont enregistrés les SMS reçus et les réponses ; un chemin relatif"
            " part du dossier de ce fichier de configuration.",
            "SQLite file where received SMS and replies are logged; a relative path starts from"
            " this configuration file's directory.",
            example="/var/lib/antirelou/antirelou.db",
        ),
        Section(
            "numbers",
            NumbersConfig,
            (
                Key(
                    "default_country",
                    Integer(1, 999),
                    "Indicatif du pays utilisé pour lire les numéros nationaux (33 : 0612345678"
                    " devient +33612345678).",
                    "Calling code used to read national numbers (33: 0612345678 becomes"
                    " +33612345678).",
                ),
                Key(
                    "never_reply_prefixes",
                    PrefixList(),
                    "Numéros auxquels on ne répond jamais, par leur début (+338 : les numéros"
                    " surtaxés 08 en France), pour ne pas payer de SMS surtaxé.",
                    "Numbers never answered, by their beginning (+338: French 08 premium-rate"
                    " numbers), so that no premium SMS is ever paid for.",
                ),
            ),
            "Lecture des numéros de téléphone.",
            "How phone numbers are read.",
        ),
        Section(
            "replies",
            RepliesConfig,
            (
                Key(
                    "enabled",
                    Boolean(),
                    "true : répondre à chaque SMS ; false : seulement les enregistrer.",
                    "true: answer each SMS; false: only log them.",
                ),
                Key(
                    "text",
                    Text(max_segments=10, expected="the reply text, in quotes"),
                    "Le texte envoyé en réponse (10 SMS au plus).",
                    "The text sent as a reply (at most 10 SMS).",
                ),
                Key(
                    "sequence",
                    TextSteps(max_segments=10),
                    "Facultatif : une suite de réponses. Le 1er SMS d'un numéro reçoit la 1re, le"
                    " 2e la 2e, etc. ; après la dernière, plus rien. Chaque étape est un texte, ou"
                    " une liste de textes dont un est tiré au hasard. Vide : `text` seul.",
                    "Optional: a sequence of replies. A number's 1st SMS gets the 1st, its 2nd"
                    " the 2nd, and so on; after the last, silence. Each step is a text, or a"
                    " list of texts one of which is picked at random. Empty: `text` alone.",
                ),
                Key(
                    "languages",
                    Mapping(
                        "texts per language",
                        r"[a-z]{2,3}",
                        "a language code such as en",
                        TextSteps(max_segments=10),
                    ),
                    "Facultatif : des réponses dans d'autres langues, choisies selon l'indicatif"
                    " du numéro (voir country_languages) ; chaque langue a une suite comme"
                    " `sequence`. Sinon, la réponse par défaut.",
                    "Optional: replies in other languages, chosen from the number's country"
                    " code (see country_languages); each language has a sequence like"
                    " `sequence`. Otherwise, the default reply.",
                ),
                Key(
                    "country_languages",
                    Mapping(
                        "country codes and languages",
                        r"\+\d{1,4}",
                        'a country code such as "+44"',
                        Choice(_LANGUAGE_CODES),
                    ),
                    "La langue de chaque indicatif (le plus long l'emporte).",
                    "The language of each country code (the longest match wins).",
                ),
                Key(
                    "restart_after",
                    Duration(_HOUR, 3 * 365 * _DAY),
                    "Un numéro dont la dernière réponse date de plus longtemps recommence la"
                    " suite au début.",
                    "A number last answered longer ago than this starts the sequence again.",
                ),
                Key(
                    "cooldown",
                    Duration(_MINUTE, 365 * _DAY),
                    "Un même numéro reçoit au plus une réponse pendant cette durée (évite de"
                    " payer pour quelqu'un qui insiste, ou une boucle avec un répondeur).",
                    "A number gets at most one reply within this time (so someone insisting, or"
                    " another automatic responder, cannot run up the bill).",
                ),
                Key(
                    "delay",
                    Duration(0, 7 * _DAY),
                    "Attendre avant de répondre (0s : tout de suite). Le service de 2017"
                    " répondait une heure plus tard, quand l'homme était parti. Les réponses en"
                    " attente survivent à un redémarrage.",
                    "Wait this long before replying (0s: at once). The 2017 service answered an"
                    " hour later, when the man had gone. Waiting replies survive a restart.",
                ),
                Section(
                    "retry",
                    RetryConfig,
                    (
                        Key(
                            "attempts",
                            Integer(1, 10),
                            "Nombre total d'essais d'envoi d'une réponse refusée par la clé.",
                            "Total number of attempts to send a reply the dongle refused.",
                        ),
                        Key(
                            "backoff",
                            Duration(1, _HOUR),
                            "Attente avant le 2e essai, doublée à chaque essai suivant.",
                            "Wait before the 2nd attempt, doubled for each following one.",
                        ),
                    ),
                    "Nouveaux essais quand l'envoi d'une réponse échoue.",
                    "Trying again when sending a reply fails.",
                ),
            ),
            "Les réponses automatiques.",
            "The automatic replies.",
        ),
        Section(
            "budgets",
            BudgetsConfig,
            (
                Key(
                    "segments_per_hour",
                    Limit(),
                    "SMS envoyés au plus par heure (un long texte compte pour plusieurs SMS).",
                    "At most this many SMS sent per hour (a long text counts as several).",
                ),
                Key(
                    "segments_per_day",
                    Limit(),
                    "SMS envoyés au plus par jour.",
                    "At most this many SMS sent per day.",
                ),
                Key(
                    "segments_per_month",
                    Limit(),
                    "SMS envoyés au plus par mois (30 jours glissants).",
                    "At most this many SMS sent per month (rolling 30 days).",
                ),
                Key(
                    "numbers_per_month",
                    Limit(),
                    "Numéros différents auxquels on répond au plus par mois : les forfaits"
                    " « illimités » coupent la ligne au-delà d'environ 150 correspondants.",
                    'At most this many different numbers answered per month: "unlimited"'
                    " plans suspend the line beyond about 150 correspondents.",
                ),
            ),
            "Budgets : une fois dépensés, les SMS sont encore enregistrés mais plus"
            " répondus (unlimited : sans limite).",
            "Budgets: once spent, SMS are still logged but no longer answered (unlimited: no"
            " limit).",
        ),
        Section(
            "flood",
            FloodConfig,
            (
                Key(
                    "enabled",
                    Boolean(),
                    "Détecter les raids (afflux de SMS) et passer en mode raid.",
                    "Detect raids (floods of SMS) and switch to flood mode.",
                ),
                Key(
                    "messages_per_minute",
                    Integer(1, 10_000),
                    "Raid si au moins autant de SMS arrivent en une minute…",
                    "A raid is on if at least this many SMS arrive within a minute…",
                ),
                Key(
                    "new_numbers_per_minute",
                    Integer(1, 10_000),
                    "… ou si au moins autant de numéros jamais vus écrivent en une minute.",
                    "… or if at least this many never-seen numbers write within a minute.",
                ),
                Key(
                    "calm_after",
                    Duration(_MINUTE, _DAY),
                    "Fin du raid quand le débit est resté en dessous des seuils pendant cette"
                    " durée.",
                    "The raid is over when the rates have stayed below the thresholds this long.",
                ),
                Key(
                    "segments_per_hour",
                    Integer(0, 100_000),
                    "Pendant un raid, on ne répond qu'aux numéros jamais répondus, dans ce"
                    " budget de SMS par heure, plus petit.",
                    "During a raid, only numbers never answered get a reply, within this"
                    " smaller budget of SMS per hour.",
                ),
                Key(
                    "hold",
                    Duration(0, _HOUR),
                    "Pendant un raid, une réponse attend ce temps avant de partir ; si le numéro"
                    " a réécrit entre-temps (un raideur insiste), elle n'est pas envoyée. Le"
                    " budget n'est compté qu'à l'envoi : il reste aux personnes qui n'écrivent"
                    " qu'une fois.",
                    "During a raid, a reply waits this long before it leaves; if the number"
                    " wrote again meanwhile (a raider insists), it is not sent. The budget is"
                    " only counted when sending: it stays for people who write only once.",
                ),
            ),
            "Mode raid (comme l'attaque de 2017 : 20 000 insultes en un après-midi).",
            "Flood mode (like the 2017 attack: 20,000 insults in one afternoon).",
        ),
        Section(
            "alerts",
            AlertsConfig,
            (
                Key(
                    "numbers",
                    StringList("a phone number", _phone_number),
                    "Numéros des personnes qui s'occupent du service : ils reçoivent un SMS"
                    " d'alerte (début et fin d'un raid, budget épuisé, clé perdue), comptés dans"
                    " les budgets ; leurs SMS ne comptent jamais comme un raid et ne reçoivent"
                    " jamais la réponse automatique.",
                    "Phone numbers of the people running the service: they get an alert SMS"
                    " (raid start and end, budget spent, dongle lost), counted in the budgets;"
                    " their SMS never count as a raid and never get the automatic reply.",
                ),
                Key(
                    "command",
                    StringList("a word of a command", _command_word),
                    "Facultatif : un programme lancé à chaque alerte, sans shell, avec ces mots"
                    " puis deux arguments : le type d'alerte et sa description. Exemple :"
                    ' ["/usr/local/bin/alerte", "--canal", "signal"].',
                    "Optional: a program run on each alert, without a shell, with these words"
                    " then two arguments: the kind of alert and its description. Example:"
                    ' ["/usr/local/bin/alert", "--channel", "signal"].',
                ),
                Key(
                    "min_interval",
                    Duration(_MINUTE, 7 * _DAY),
                    "Au plus une alerte de chaque type pendant cette durée.",
                    "At most one alert of each kind within this time.",
                ),
                Key(
                    "modem_lost_after",
                    Duration(_MINUTE, _DAY),
                    "Alerter quand la clé est perdue depuis plus longtemps que cela.",
                    "Alert when the dongle has been lost for longer than this.",
                ),
            ),
            "Alertes aux personnes qui s'occupent du service.",
            "Alerts to the people running the service.",
        ),
        Section(
            "logging",
            LoggingConfig,
            (
                Key(
                    "level",
                    Choice(("debug", "info", "warning", "error")),
                    "Quantité de messages dans le journal ; debug montre tout le dialogue avec la"
                    " clé.",
                    "How much goes to the log; debug shows all the traffic with the dongle.",
                ),
            ),
            "Le journal du service (journalctl -u antirelou).",
            "The service's log (journalctl -u antirelou).",
        ),
    ),
    "Configuration d'antirelou.",
    "antirelou's configuration.",
)


def default_of(section: Section, key: Key | Section) -> Any:
    """Given a section and one of its keys, return the key's default, or REQUIRED."""
    field = next(f for f in dataclasses.fields(section.result) if f.name == key.name)
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def iter_keys(
    section: Section = SCHEMA, prefix: str = ""
) -> Iterator[tuple[str, Key | Section, Any]]:
    """Given a section, return (dotted path, key or section, default or REQUIRED) for every key
    and section under it, depth first, in schema order.
    """
    for entry in section.keys:
        path = prefix + entry.name
        if isinstance(entry, Section):
            yield path, entry, default_of(section, entry)
            yield from iter_keys(entry, path + ".")
        else:
            yield path, entry, default_of(section, entry)


# --- Loading. ---


def load(path: str | os.PathLike) -> Config:
    """Given the path of a configuration file, return its Config. Raise ConfigError listing
    every problem if the file is missing, unreadable, not YAML or not a valid configuration.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise _file_error(name, "no such file (copy the example antirelou.yaml there)") from None
    except PermissionError:
        raise _file_error(
            name, "permission denied (run as root or make the file readable)"
        ) from None
    except IsADirectoryError:
        raise _file_error(name, "is a directory, not a configuration file") from None
    except OSError as error:
        raise _file_error(name, f"cannot be read: {error.strerror or error}") from None
    try:
        # utf-8-sig: editors on Windows start files with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        issue = ConfigIssue(name, line, 1, "", "is not UTF-8 text (save it as UTF-8)")
        raise ConfigError([issue]) from None
    return loads(text, name)


def loads(text: str, path: str = "<string>") -> Config:
    """Given the text of a configuration file and the name to report it as, return its Config.
    Raise ConfigError listing every problem if it is not YAML or not a valid configuration.

    A relative database path is relative to path's directory, or to the current directory when
    path is a pseudo-name such as "<string>".
    """
    pseudo = path.startswith("<")
    absolute = path if pseudo else os.path.abspath(path)
    context = _Context(os.getcwd() if pseudo else os.path.dirname(absolute))
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        raise ConfigError([_syntax_issue(path, error)]) from None
    except yaml.YAMLError as error:
        raise ConfigError([ConfigIssue(path, 1, 1, "", f"invalid YAML: {error}")]) from None
    except RecursionError:
        raise ConfigError(
            [ConfigIssue(path, 1, 1, "", "invalid YAML: nested too deeply")]
        ) from None
    if root is None or (_is_null(root) and not root.value):
        message = "the file is empty: it needs at least modem.port and database (see the example)"
        raise ConfigError([ConfigIssue(path, 1, 1, "", message)])
    if not isinstance(root, yaml.MappingNode):
        message = f"expected 'key: value' settings (modem:, database:…), not {_shown(root)}"
        raise ConfigError([_issue(path, root, "", message)])
    walker = _Walker(path, context)
    values = walker.section(SCHEMA, root, root, "")
    if walker.issues or values is None:
        raise ConfigError(walker.issues)
    return Config(path=absolute, **values)


def _file_error(path: str, message: str) -> ConfigError:
    return ConfigError([ConfigIssue(path, None, None, "", message)])


def _issue(path: str, node: yaml.Node, key_path: str, message: str) -> ConfigIssue:
    mark = node.start_mark
    return ConfigIssue(path, mark.line + 1, mark.column + 1, key_path, message)


def _syntax_issue(path: str, error: yaml.MarkedYAMLError) -> ConfigIssue:
    """Given PyYAML's syntax error, return it as an issue at the place it points to."""
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "syntax error"
    if "'\\t'" in problem:
        problem += " (indent with spaces, not tabs)"
    elif "mapping values are not allowed" in problem:
        problem += " (a value containing ': ' must be in quotes, or the indentation is off)"
    elif "expected <block end>" in problem or "expected <block end>" in str(error.context):
        problem += " (check the indentation)"
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return ConfigIssue(path, line, column, "", f"invalid YAML: {problem}")


class _Walker:
    """Check a YAML tree against the schema, gathering every issue instead of stopping."""

    def __init__(self, path: str, context: _Context) -> None:
        self.path = path
        self.context = context
        self.issues: list[ConfigIssue] = []

    def add(self, node: yaml.Node, key_path: str, message: str) -> None:
        self.issues.append(_issue(self.path, node, key_path, message))

    def section(
        self, section: Section, mapping: yaml.MappingNode | None, anchor: yaml.Node, prefix: str
    ) -> dict[str, Any] | None:
        """Given a section and its mapping (None if absent or empty), return the field values
        for section.result, or None if any problem was found. `anchor` is the node missing
        keys are reported at.
        """
        issues_before = len(self.issues)
        given: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in mapping.value if mapping is not None else ():
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                self.add(
                    key_node,
                    prefix.rstrip("."),
                    f"{_shown(key_node)} is not a key name (keys are plain words)",
                )
                continue
            name = key_node.value
            if name in given:
                first_line = given[name][0].start_mark.line + 1
                self.add(
                    key_node,
                    prefix + name,
                    f"duplicate key (already set on line {first_line}; keep only one)",
                )
                continue
            given[name] = (key_node, value_node)
            if name not in {entry.name for entry in section.keys}:
                self.add(key_node, prefix + name, _unknown_key(section, prefix, name, value_node))

        values: dict[str, Any] = {}
        for entry in section.keys:
            key_path = prefix + entry.name
            key_node, value_node = given.get(entry.name, (None, None))
            if isinstance(entry, Section):
                values[entry.name] = self.subsection(entry, key_node, value_node, anchor, key_path)
            elif value_node is None:
                if default_of(section, entry) is REQUIRED:
                    where = f"under '{prefix.rstrip('.')}:'" if prefix else "at the top level"
                    self.add(
                        anchor,
                        key_path,
                        f"missing: add e.g. '{entry.name}: {entry.example}' {where}",
                    )
            else:
                values[entry.name] = self.value(section, entry, key_node, value_node, key_path)
        return values if len(self.issues) == issues_before else None

    def subsection(
        self,
        section: Section,
        key_node: yaml.Node | None,
        value_node: yaml.Node | None,
        anchor: yaml.Node,
        key_path: str,
    ) -> Any:
        """Given a nested section's key and value nodes (None if absent), return its dataclass,
        or None if any problem was found.
        """
        if value_node is None or _is_null(value_node):
            # Absent, or every key below commented out: all defaults.
            values = self.section(section, None, key_node or anchor, key_path + ".")
        elif not isinstance(value_node, yaml.MappingNode):
            names = ", ".join(entry.name for entry in section.keys)
            self.add(
                key_node,
                key_path,
                f"expected a section with indented keys ({names}), not {_shown(value_node)}",
            )
            return None
        else:
            values = self.section(section, value_node, key_node, key_path + ".")
        return None if values is None else section.result(**values)

    def value(
        self, section: Section, key: Key, key_node: yaml.Node, value_node: yaml.Node, key_path: str
    ) -> Any:
        """Given a key and its value node, return the checked value, or None after adding the
        problems found.
        """
        if _is_null(value_node) and not key.check.nullable:
            default = default_of(section, key)
            fix = (
                f"write {key.check.expected}"
                if default is REQUIRED
                else f"write {key.check.expected}, or delete the line to use the default "
                f"({key.check.format(default)})"
            )
            self.add(key_node, key_path, f"has no value: {fix}")
            return None
        try:
            return key.check(value_node, self.context)
        except Invalid as invalid:
            for message, node in invalid.problems:
                self.add(key_node if node is None else node, key_path, message)
            return None


def _unknown_key(section: Section, prefix: str, name: str, value_node: yaml.Node) -> str:
    """Given a key the section does not have, return the message, with the likeliest fix."""
    kind = "section" if isinstance(value_node, yaml.MappingNode) else "key"
    known = [entry.name for entry in section.keys]
    # A known key in the wrong section is nearly always an indentation slip.
    elsewhere = [
        path
        for path, _, _ in iter_keys()
        if path.rsplit(".", 1)[-1] == name and path != prefix + name
    ]
    if elsewhere:
        parent = elsewhere[0].rpartition(".")[0]
        place = f"under '{parent}:'" if parent else "at the top level, not indented"
        return f"unknown {kind} here: '{name}' belongs {place} (check the indentation)"
    by_lower = {known_name.lower(): known_name for known_name in known}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1)
    if close:
        return f"unknown {kind} (did you mean '{by_lower[close[0]]}'?)"
    return f"unknown {kind} (expected one of: {', '.join(known)})"
