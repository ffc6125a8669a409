"""The configuration `antirelou setup` writes: the example file (every key, with its French
and English comments) with the answers filled in.

Pure text: `fill` replaces the value of named keys in the example's text, `yaml_string`
writes any text as a YAML double-quoted scalar that reads back as the same text. Whatever a
user typed (a reply with quotes, « », an emoji, a line break) is data: it is escaped, never
pasted as YAML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_KEY = re.compile(r"^(?P<indent> *)(?P<name>[a-z_]+):(?P<value>.*)$")
# Kept as they are inside double quotes: printable characters YAML reads as themselves
# (YAML 1.1 §5.1 printable set, without the line separators it folds, NEL, LS and PS).
_PLAIN = re.compile(r"[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def yaml_string(text: str) -> str:
    """Given any text, return it as a YAML double-quoted scalar."""
    out = []
    for character in text:
        if character in _ESCAPES:
            out.append(_ESCAPES[character])
        elif _PLAIN.fullmatch(character):
            out.append(character)
        elif ord(character) > 0xFFFF:
            out.append(f"\\U{ord(character):08x}")
        else:
            out.append(f"\\u{ord(character):04x}")
    return '"' + "".join(out) + '"'


def yaml_list(items: Iterable[str]) -> str:
    """Given texts, return them as a YAML flow sequence of double-quoted scalars."""
    return "[" + ", ".join(yaml_string(item) for item in items) + "]"


def fill(template: str, values: Mapping[str, str]) -> str:
    """Given the example configuration's text and YAML values by key path ("modem.port"),
    return the text with each of those keys holding its value. Raise KeyError naming the
    paths that are not exactly once in the text (the schema changed under the set-up)."""
    found: dict[str, int] = dict.fromkeys(values, 0)
    sections: list[tuple[int, str]] = []
    lines = template.splitlines(keepends=True)
    for number, line in enumerate(lines):
        match = _KEY.match(line)
        if match is None:
            continue
        indent = len(match["indent"])
        while sections and sections[-1][0] >= indent:
            sections.pop()
        path = ".".join([name for _, name in sections] + [match["name"]])
        if path in values:
            lines[number] = f"{match['indent']}{match['name']}: {values[path]}\n"
            found[path] += 1
        elif not match["value"].strip():
            sections.append((indent, match["name"]))
    missing = sorted(path for path, count in found.items() if count != 1)
    if missing:
        raise KeyError(f"the example configuration does not hold {', '.join(missing)} once")
    return "".join(lines)
