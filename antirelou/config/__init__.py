"""antirelou's configuration: one YAML file edited by hand, read into frozen dataclasses.

Layout: `model` (the dataclasses the rest of antirelou codes against), `errors` (ConfigError),
`checks` (how one value is read), `keys` (Key and Section: how the file is described),
`schema` (every key, its check and its meaning; the sections that limit what is sent are in
`sending`), `loader` (load and loads) and `example` (etc/antirelou.yaml, generated from the
schema).

Importing this package loads no YAML: the model, the errors and the durations are imported
here, and the names that need PyYAML (load, loads, SCHEMA, the checks…) are imported on first
use (PEP 562), so that pure modules such as policy and flood stay free of I/O libraries.
"""

from __future__ import annotations

import importlib
from typing import Any

from antirelou.config.errors import ConfigError, ConfigIssue
from antirelou.config.model import (
    DEFAULT_COUNTRY_LANGUAGES,
    DEFAULT_PATH,
    AlertsConfig,
    BudgetsConfig,
    CallsConfig,
    Config,
    FlagsConfig,
    FloodConfig,
    LoggingConfig,
    ModemConfig,
    NumbersConfig,
    RepliesConfig,
    RetentionConfig,
    RetryConfig,
)
from antirelou.durations import format_duration, parse_duration

# Each name that needs PyYAML, and the module that defines it.
_LAZY = {
    **dict.fromkeys(
        (
            "Boolean",
            "Check",
            "Choice",
            "Duration",
            "FilePath",
            "Integer",
            "Invalid",
            "Limit",
            "Mapping",
            "Percent",
            "Pin",
            "PrefixList",
            "StringList",
            "Text",
            "TextSteps",
        ),
        "antirelou.config.checks",
    ),
    **dict.fromkeys(
        ("REQUIRED", "Key", "Section", "default_of"),
        "antirelou.config.keys",
    ),
    **dict.fromkeys(("SCHEMA", "iter_keys"), "antirelou.config.schema"),
    **dict.fromkeys(("load", "loads"), "antirelou.config.loader"),
}

__all__ = [
    "DEFAULT_COUNTRY_LANGUAGES",
    "DEFAULT_PATH",
    "AlertsConfig",
    "BudgetsConfig",
    "CallsConfig",
    "Config",
    "ConfigError",
    "ConfigIssue",
    "FlagsConfig",
    "FloodConfig",
    "LoggingConfig",
    "ModemConfig",
    "NumbersConfig",
    "RepliesConfig",
    "RetentionConfig",
    "RetryConfig",
    "format_duration",
    "parse_duration",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    """Given a name that needs PyYAML, return it from its module, imported now."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # Found directly from now on.
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
