"""Evidence and privacy: `flag`, `unflag`, `verify`, `export` and `purge`.

Each of them is recorded in the tamper-evident log as an access record (who, when, what it
covered), shown by `status`; an export also writes down the checkpoint it was made at.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from antirelou import exits
from antirelou.commands.common import (
    Exit,
    become_owner_of,
    current_user,
    load_config,
    number_argument,
    open_store,
)
from antirelou.config import Config, ConfigError, load
from antirelou.evidence.checkpoint import Checkpoint, CheckpointError, parse
from antirelou.export import FORMATS
from antirelou.export.model import Filters
from antirelou.store import Transaction

MANUAL = "manual"  # the rule id of a flag a person raised

# --- the parsers, added to cli's -------------------------------------------------------------


def add_parsers(commands: argparse._SubParsersAction, add_config: Callable) -> None:
    """Given cli's sub-command parsers and how it adds -c, add the evidence commands."""
    flag = commands.add_parser(
        "flag",
        help="flag a message as a threat (it is kept longer and shown by log --flagged)",
        description="Flag a message (its number in `antirelou log`) as a possible threat: it "
        "is kept as evidence (retention.flagged) and listed by `antirelou log --flagged`. "
        "Nothing changes about what was or will be sent.",
    )
    add_config(flag)
    flag.add_argument("message", type=int, metavar="ID", help="the message's number in the log")
    flag.add_argument("--reason", required=True, metavar="TEXT", help="why (shown in exports)")
    unflag = commands.add_parser(
        "unflag",
        help="take every flag off a message",
        description="Take every flag off a message, whether a rule or a person raised it.",
    )
    add_config(unflag)
    unflag.add_argument("message", type=int, metavar="ID", help="the message's number in the log")

    verify = commands.add_parser(
        "verify",
        help="prove the log (or an export) was not altered",
        description="Check every record of the tamper-evident log against its digest, their "
        "order, and the tree against every checkpoint. Exit 0 if intact, 1 naming the first "
        "altered, missing, reordered or unlogged record. With --export, check a JSON export "
        "alone (no database needed).",
    )
    add_config(verify)
    verify.add_argument("--export", metavar="FILE", help="a JSON export to check on its own")
    verify.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="TEXT",
        help="a checkpoint kept elsewhere (the daily SMS), e.g. 'antirelou 1234 9f…c2 "
        "2026-12-02T09:14Z'; may be given several times",
    )

    export = commands.add_parser(
        "export",
        help="write what a lawyer can file: CSV, JSON, HTML or PDF",
        description="Write the messages (and calls) with their provenance, flags and replies, "
        "the device, a summary per sender and how to verify it all, to a file readable by you "
        "only; print the checkpoint it matches. Times without an offset are local time; "
        "--until with a date alone includes that day.",
    )
    add_config(export)
    export.add_argument("--format", required=True, choices=FORMATS)
    export.add_argument("--out", required=True, metavar="PATH", help="the file to write")
    export.add_argument("--since", metavar="WHEN", help="e.g. 2026-11-30 or '2026-11-30 14:00'")
    export.add_argument("--until", metavar="WHEN", help="e.g. 2026-12-01")
    export.add_argument(
        "--sender", action="append", default=[], metavar="NUMBER", help="may be repeated"
    )
    export.add_argument("--flagged", action="store_true", help="only flagged messages")
    export.add_argument(
        "--zone", metavar="ZONE", help="time zone of local times (default: this machine's)"
    )

    purge = commands.add_parser(
        "purge",
        help="erase now what retention no longer keeps",
        description="Apply retention now (the service does it daily): numbers become keyed "
        "pseudonyms, texts and raw PDUs are erased, flagged series are kept. --dry-run "
        "says what would go and changes nothing.",
    )
    add_config(purge)
    purge.add_argument("--dry-run", action="store_true", help="say what would go, change nothing")


# --- flag, unflag ----------------------------------------------------------------------------


def cmd_flag(arguments: argparse.Namespace) -> int:
    def change(tx: Transaction, now: datetime, user: str) -> int:
        tx.flag(arguments.message, MANUAL, arguments.reason, None, now, user)
        return 1

    _judge(arguments, "flag", change)
    print(f"message {arguments.message} flagged: {arguments.reason}")
    return exits.OK


def cmd_unflag(arguments: argparse.Namespace) -> int:
    def change(tx: Transaction, now: datetime, user: str) -> int:
        return tx.unflag(arguments.message, now, user)

    removed = _judge(arguments, "unflag", change)
    print(
        f"message {arguments.message}: {removed} flag(s) removed"
        if removed
        else f"message {arguments.message} had no flag"
    )
    return exits.OK


def _judge(
    arguments: argparse.Namespace, command: str, change: Callable[[Transaction, datetime, str], int]
) -> int:
    """A person's decision about message arguments.message: make the `change` (which returns
    how many flags it touched) and its access record in one transaction; return the count."""
    from antirelou.store import queries

    config = load_config(arguments.config)
    user, now = current_user(), datetime.now(UTC)
    with open_store(config, write=True) as store:
        _message_to_judge(queries.message_state(store, arguments.message), arguments.message)
        with store.transaction() as tx:
            touched = change(tx, now, user)
            if touched:
                tx.access(now, command, user, f"message {arguments.message}: {touched} flag(s)")
    return touched


def _message_to_judge(state: str | None, message_id: int) -> None:
    """Leave with DATAERR unless the message exists and still has its content."""
    if state == "kept":
        return
    problem = "does not exist" if state is None else "was purged (retention): nothing left"
    print(f"antirelou: message {message_id} {problem}", file=sys.stderr)
    raise Exit(exits.DATAERR)


# --- verify ----------------------------------------------------------------------------------


def cmd_verify(arguments: argparse.Namespace) -> int:
    trusted = []
    for text in arguments.checkpoint:
        try:
            trusted.append(parse(text))
        except CheckpointError as error:
            print(f"antirelou: --checkpoint: {error}", file=sys.stderr)
            raise Exit(exits.DATAERR) from None
    now = datetime.now(UTC)
    if arguments.export:
        verdict = _verify_export(arguments.export, trusted)
        print(verdict.summary())
        _record_if_possible(arguments.config, now, f"export {os.path.basename(arguments.export)}")
        return exits.OK if verdict.ok else exits.ALTERED
    from antirelou.store.ledger import verify_store

    config = load_config(arguments.config)
    with open_store(config, write=True) as store:
        verdict = verify_store(store, trusted, now)
        with store.transaction() as tx:
            tx.access(now, "verify", current_user(), f"the log ({verdict.size} records)")
    print(verdict.summary())
    return exits.OK if verdict.ok else exits.ALTERED


def _verify_export(path: str, trusted: list):
    from antirelou.evidence.verify import verify_export

    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except (OSError, ValueError) as error:
        print(f"antirelou: {path}: cannot be read as JSON ({error})", file=sys.stderr)
        raise Exit(exits.DATAERR) from None
    return verify_export(document, trusted)


def _record_if_possible(config_path: str, now: datetime, covered: str) -> None:
    """Note a verification in the log when this machine has one (a lawyer's does not)."""
    from antirelou.store import Store, StoreError

    try:
        config = load(config_path)
        become_owner_of(config.database)
        with Store(config.database, create=False) as store, store.transaction() as tx:
            tx.access(now, "verify", current_user(), covered)
    except (ConfigError, StoreError, OSError):
        pass


# --- export ----------------------------------------------------------------------------------


def cmd_export(arguments: argparse.Namespace) -> int:
    config = load_config(arguments.config)
    zone = _zone(arguments.zone)
    filters = Filters(
        since=_moment(arguments.since, zone, "--since"),
        until=_moment(arguments.until, zone, "--until", whole_day=True),
        senders=tuple(number_argument(config, number) for number in arguments.sender),
        flagged_only=arguments.flagged,
    )
    user, now = current_user(), datetime.now(UTC)
    # Opened before open_store, which may switch to the service's user: the file is for the
    # person exporting, in their folder.
    output = _open_private(arguments.out)
    try:
        data, checkpoint, count = _export(arguments, config, filters, zone, output, user, now)
    except BaseException:
        output.close()
        with contextlib.suppress(OSError):  # an empty or partial file must not pass for one
            os.remove(arguments.out)
        raise
    print(f"{arguments.out}: {count} messages, {len(data)} bytes ({arguments.format})")
    print(f"point de contrôle / checkpoint: {checkpoint.text()}")
    print(
        "Comparez-le à la copie reçue par SMS ou gardée ailleurs. / "
        "Compare it with the copy received by SMS or kept elsewhere."
    )
    return exits.OK


def _export(
    arguments: argparse.Namespace,
    config: Config,
    filters: Filters,
    zone: str,
    output: BinaryIO,
    user: str,
    now: datetime,
) -> tuple[bytes, Checkpoint, int]:
    """Read the dossier on one state of the log, write it, note the checkpoint and who
    exported; return the bytes written, the checkpoint and how many messages."""
    from antirelou.export import render
    from antirelou.export.model import Dossier, sender_summaries
    from antirelou.export.pdf_format import PdfFontError
    from antirelou.store import dossier as reads

    with output, open_store(config, write=True) as store:
        with store.snapshot():
            messages = reads.dossier_messages(store, filters)
            proof, checkpoint = reads.proof(store, messages, now)
            device = reads.latest_device(store)
        dossier = Dossier(
            generated_at=now,
            generated_by=user,
            zone=zone,
            device=device,
            filters=filters,
            checkpoint=checkpoint,
            messages=tuple(messages),
            senders=sender_summaries(messages),
            proof=proof,
        )
        try:
            data = render(dossier, arguments.format)
        except PdfFontError as error:
            print(f"antirelou: {error}", file=sys.stderr)
            raise Exit(exits.UNAVAILABLE) from None
        output.write(data)
        with store.transaction() as tx:
            tx.keep_checkpoint(checkpoint, "export")
            tx.access(now, "export", user, _covered(arguments.format, filters, len(messages)))
    return data, checkpoint, len(messages)


def _zone(name: str | None) -> str:
    """Given --zone (or None: this machine's), return an IANA zone name that exists."""
    name = name or os.environ.get("TZ", "").lstrip(":") or _machine_zone()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"antirelou: --zone: unknown time zone {name!r} (e.g. Europe/Paris)", file=sys.stderr)
        raise Exit(exits.DATAERR) from None
    return name


def _machine_zone() -> str:
    """This machine's zone, by its IANA name (Debian's /etc/timezone, or /etc/localtime's
    link); "UTC" when it cannot be told."""
    try:
        with open("/etc/timezone", encoding="utf-8") as file:
            name = file.read().strip()
        if name:
            return name
    except OSError:
        pass
    target = os.path.realpath("/etc/localtime")
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"


def _moment(text: str | None, zone: str, option: str, whole_day: bool = False) -> datetime | None:
    """Given --since or --until as typed, return the moment it names (local time in `zone`
    without an offset). With `whole_day`, a date alone means the end of that day."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        print(
            f"antirelou: {option}: {text!r} is not a date (write 2026-11-30 or '2026-11-30 14:00')",
            file=sys.stderr,
        )
        raise Exit(exits.DATAERR) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    if whole_day and len(text.strip()) == 10:
        moment += timedelta(days=1)
    return moment


def _covered(format: str, filters, count: int) -> str:
    """What an export covered, for the access record: its form, never a number or a text."""
    parts = [f"{format}, {count} messages"]
    if filters.since:
        parts.append(f"since {filters.since.isoformat(timespec='minutes')}")
    if filters.until:
        parts.append(f"until {filters.until.isoformat(timespec='minutes')}")
    if filters.senders:
        parts.append(f"{len(filters.senders)} sender(s) chosen")
    if filters.flagged_only:
        parts.append("flagged only")
    return ", ".join(parts)


def _open_private(path: str) -> BinaryIO:
    """Open the export's file, readable by its owner only (it holds numbers and messages);
    under sudo, owned by the person who ran it."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        if os.geteuid() == 0 and os.environ.get("SUDO_UID", "").isdigit():
            os.fchown(descriptor, int(os.environ["SUDO_UID"]), int(os.environ.get("SUDO_GID", -1)))
    except OSError as error:
        print(f"antirelou: cannot write {path}: {error}", file=sys.stderr)
        raise Exit(exits.UNAVAILABLE) from None
    return os.fdopen(descriptor, "wb")


# --- purge -----------------------------------------------------------------------------------


def cmd_purge(arguments: argparse.Namespace) -> int:
    from antirelou.store.purge import cutoffs, plan_purge, purge

    config = load_config(arguments.config)
    now = datetime.now(UTC)
    if arguments.dry_run:
        with open_store(config) as store:
            plan = plan_purge(store, cutoffs(config.retention, now), config.database)
        print(f"would erase / effacerait: {plan.summary()}")
        return exits.OK
    with open_store(config, write=True) as store:
        plan = purge(store, config.retention, now, current_user(), "purge")
    print(f"erased / effacé: {plan.summary()}" if not plan.empty else "nothing to erase / rien")
    return exits.OK
