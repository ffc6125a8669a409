"""Lines: one SIM, one dongle, one `antirelou@LINE.service`, and where each keeps its files.

`--line NAME` means the configuration /etc/antirelou/NAME.yaml and the state folder
/var/lib/antirelou/NAME/ (StateDirectory=antirelou/%i in systemd/antirelou@.service); without
a line, the single service's /etc/antirelou/antirelou.yaml and /var/lib/antirelou/. Every
command and the set-up find their files here, nowhere else.
"""

from __future__ import annotations

import os
import re

from antirelou.config.model import DEFAULT_PATH

CONFIG_DIRECTORY = os.path.dirname(DEFAULT_PATH)
STATE_DIRECTORY = "/var/lib/antirelou"
DATABASE_NAME = "antirelou.db"
# The single service's name: a line called so would share its configuration file.
SINGLE = os.path.splitext(os.path.basename(DEFAULT_PATH))[0]
# A line's name becomes a file name and a systemd instance name (%i, unescaped as written):
# letters, digits, - and _ need no escaping in either.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


def check_name(name: str) -> str:
    """Given a line name typed by the user, return it. Raise ValueError saying why not."""
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} cannot name a line: use 1 to 32 letters, digits, - or _, starting with "
            "a letter or digit (e.g. sim2, orange, asso-paris)"
        )
    if name == SINGLE:
        raise ValueError(
            f"{name!r} is the single service's name (/etc/antirelou/{SINGLE}.yaml): "
            "choose another line name, or leave --line out"
        )
    return name


def config_path(line: str | None, directory: str = CONFIG_DIRECTORY) -> str:
    """Given a line name (None: the single service), return its configuration file."""
    return os.path.join(directory, f"{line or SINGLE}.yaml")


def database_path(line: str | None, directory: str = STATE_DIRECTORY) -> str:
    """Given a line name (None: the single service), return its database file."""
    folder = os.path.join(directory, line) if line else directory
    return os.path.join(folder, DATABASE_NAME)


def unit_name(line: str | None) -> str:
    """Given a line name (None: the single service), return its systemd unit."""
    return f"antirelou@{line}.service" if line else "antirelou.service"
