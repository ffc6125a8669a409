"""Read the configuration file: YAML nodes checked against SCHEMA, into a Config.

Validation walks the YAML node tree rather than the loaded Python values: nodes keep their
line and column, keep duplicate keys (which PyYAML would silently merge), and keep the text as
written. Every problem is gathered and reported at once, because the people editing this file
fix it over SSH on a Raspberry Pi and should not have to restart the daemon once per typo.
"""

from __future__ import annotations

import difflib
import os
from typing import Any

import yaml

from antirelou.config.checks import STR_TAG, Context, Invalid, is_null, shown
from antirelou.config.errors import ConfigError, ConfigIssue
from antirelou.config.keys import REQUIRED, Key, Section, default_of
from antirelou.config.model import Config, NumbersConfig
from antirelou.config.schema import SCHEMA, iter_keys


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
    if root is None or (is_null(root) and not root.value):
        message = "the file is empty: it needs at least modem.port and database (see the example)"
        raise ConfigError([ConfigIssue(path, 1, 1, "", message)])
    if not isinstance(root, yaml.MappingNode):
        message = f"expected 'key: value' settings (modem:, database:…), not {shown(root)}"
        raise ConfigError([_issue(path, root, "", message)])
    context = Context(os.getcwd() if pseudo else os.path.dirname(absolute), _default_country(root))
    walker = _Walker(path, context)
    values = walker.section(SCHEMA, root, root, "")
    if walker.issues or values is None:
        raise ConfigError(walker.issues)
    return Config(path=absolute, **values)


def _default_country(root: yaml.MappingNode) -> int:
    """Given the file's root mapping, return numbers.default_country as the file sets it, or
    its default if it is absent or invalid (the walker reports it then).

    Other keys are read with it (alerts.numbers), whatever their order in the file.
    """
    node = _value_of(_value_of(root, "numbers"), "default_country")
    key = next(entry for path, entry, _ in iter_keys() if path == "numbers.default_country")
    try:
        return key.check(node, Context("")) if node is not None else NumbersConfig.default_country
    except Invalid:
        return NumbersConfig.default_country


def _value_of(mapping: yaml.Node | None, name: str) -> yaml.Node | None:
    """Given a node and a key name, return the value node of its first such key, if any."""
    if not isinstance(mapping, yaml.MappingNode):
        return None
    return next((value for key, value in mapping.value if key.value == name), None)


def _item_path(tree: yaml.Node, node: yaml.Node) -> str:
    """Given a value node and a node within it, return where the node is in list terms ("[1]",
    "[0][2]"), or "" if it is not an item of a list.
    """
    if isinstance(tree, yaml.SequenceNode):
        for index, item in enumerate(tree.value):
            if item is node:
                return f"[{index}]"
            inner = _item_path(item, node)
            if inner:
                return f"[{index}]{inner}"
    return ""


def _file_error(path: str, message: str) -> ConfigError:
    return ConfigError([ConfigIssue(path, None, None, "", message)])


def _issue(path: str, node: yaml.Node, key_path: str, message: str) -> ConfigIssue:
    mark = node.start_mark
    return ConfigIssue(path, mark.line + 1, mark.column + 1, key_path, message)


# What PyYAML was reading when it gave up, for the openings whose end it looks for: what the
# opening is, and what closes it.
_OPENINGS = {
    "while scanning a quoted scalar": ("a quoted text", "the closing quote"),
    "while parsing a flow sequence": ("a list", "the closing ]"),
    "while parsing a flow mapping": ("a {", "the closing }"),
}


def _syntax_issue(path: str, error: yaml.MarkedYAMLError) -> ConfigIssue:
    """Given PyYAML's syntax error, return it as an issue at the place the problem starts.

    PyYAML names where it gave up (problem_mark) and what it was reading then (context_mark).
    An unclosed quote or bracket is only found at the end of the file, so it is reported where
    it opens; a key without ':' where the key is; anything else where PyYAML gave up.
    """
    problem = error.problem or error.context or "syntax error"
    mark = error.problem_mark or error.context_mark
    opening = _OPENINGS.get(error.context or "")
    if opening and error.context_mark and ("end of stream" in problem or "<stream end>" in problem):
        mark = error.context_mark
        problem = f"{opening[0]} starts here and is never closed (add {opening[1]})"
    elif opening and error.context_mark and mark and error.context_mark.line < mark.line:
        problem += f" ({opening[0]} starts on line {error.context_mark.line + 1})"
    elif error.context == "while scanning a simple key" and error.context_mark:
        mark = error.context_mark
        problem += " after this key (write 'name: value')"
    elif "'\\t'" in problem:
        problem += " (indent with spaces, not tabs)"
    elif "mapping values are not allowed" in problem:
        problem += " (a value containing ': ' must be in quotes, or the indentation is off)"
    elif "expected <block end>" in problem or "expected <block end>" in str(error.context):
        problem += " (check the indentation)"
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return ConfigIssue(path, line, column, "", f"invalid YAML: {problem}")


class _Walker:
    """Check a YAML tree against the schema, gathering every issue instead of stopping."""

    def __init__(self, path: str, context: Context) -> None:
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
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != STR_TAG:
                self.add(
                    key_node,
                    prefix.rstrip("."),
                    f"{shown(key_node)} is not a key name (keys are plain words)",
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
        if value_node is None or is_null(value_node):
            # Absent, or every key below commented out: all defaults.
            values = self.section(section, None, key_node or anchor, key_path + ".")
        elif not isinstance(value_node, yaml.MappingNode):
            names = ", ".join(entry.name for entry in section.keys)
            self.add(
                key_node,
                key_path,
                f"expected a section with indented keys ({names}), not {shown(value_node)}",
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
        if is_null(value_node) and not key.check.nullable:
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
                if node is None:
                    self.add(key_node, key_path, message)
                else:
                    self.add(node, key_path + _item_path(value_node, node), message)
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
