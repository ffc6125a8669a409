"""What every command shares: loading the config, opening the log, leaving with a status."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import datetime

from antirelou import exits
from antirelou.config import Config, ConfigError, load
from antirelou.store import Store, StoreError


class Exit(Exception):
    """Leave the command with this status; the reason was already printed."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def load_config(path: str) -> Config:
    try:
        return load(path)
    except ConfigError as error:
        print(f"antirelou: the configuration is not valid:\n{error}", file=sys.stderr)
        raise Exit(exits.CONFIG) from None


def open_store(
    config: Config, *, write: bool = False, missing_status: int = exits.UNAVAILABLE
) -> Store:
    """Open the service's database as its owner, so that files SQLite creates beside it
    (-wal, -shm) stay readable by the service."""
    try:
        become_owner_of(config.database)
        return Store(config.database, readonly=not write, create=False)
    except StoreError as error:
        print(f"antirelou: {error}", file=sys.stderr)
        raise Exit(missing_status) from None


def current_user() -> str:
    """Who runs the command, for the access records: the person behind sudo if any."""
    try:
        return os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"uid {os.getuid()}"


def become_owner_of(path: str) -> None:
    if os.geteuid() != 0 or not os.path.exists(path):
        return
    owner = os.stat(path)
    if owner.st_uid != 0:
        os.setgid(owner.st_gid)
        os.setuid(owner.st_uid)


# --- run ---------------------------------------------------------------------------


def local_text(moment: datetime | str) -> str:
    """Given a time (or the log's ISO text of one), return it as local date and time text."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def number_argument(config: Config, raw: str) -> str:
    from antirelou.numbers import normalise

    try:
        return normalise(raw, config.numbers.default_country)
    except ValueError as error:
        print(f"antirelou: {error}", file=sys.stderr)
        raise Exit(exits.DATAERR) from None
