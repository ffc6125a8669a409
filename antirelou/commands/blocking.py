"""The block list: `block`, `unblock`, `blocked`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from antirelou.commands.common import (
    current_user,
    load_config,
    local_text,
    number_argument,
    open_store,
)
from antirelou.store import queries


def cmd_block(arguments: argparse.Namespace) -> int:
    config = load_config(arguments.config)
    number = number_argument(config, arguments.number)
    user, now = current_user(), datetime.now(UTC)
    with open_store(config, write=True) as store, store.transaction() as tx:
        new = tx.block(number, arguments.reason, now, user)
        tx.access(now, "block", user, "the block list: 1 number")
    print(
        f"{number} {'blocked' if new else 'was already blocked (reason updated)'}: "
        f"{arguments.reason}"
    )
    return 0


def cmd_unblock(arguments: argparse.Namespace) -> int:
    config = load_config(arguments.config)
    number = number_argument(config, arguments.number)
    user, now = current_user(), datetime.now(UTC)
    with open_store(config, write=True) as store, store.transaction() as tx:
        removed = tx.unblock(number, now, user)
        if removed:
            tx.access(now, "unblock", user, "the block list: 1 number")
    print(f"{number} {'unblocked' if removed else 'was not blocked'}")
    return 0


def cmd_blocked(arguments: argparse.Namespace) -> int:
    config = load_config(arguments.config)
    with open_store(config) as store:
        rows = queries.blocked_numbers(store)
    if not rows:
        print("no blocked numbers / aucun numéro bloqué")
    for row in rows:
        print(f"{row['number']:16}  since {local_text(row['at'])}  {row['reason']}")
    return 0


# --- simulate / demo -------------------------------------------------------------------
