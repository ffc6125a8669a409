"""Verifiers: walk the log (or an export) and name the first record that was altered, is
missing, out of order, or absent from the log; say "intact" otherwise.

The log is a list of leaves (seq, kind, id, digest) in the order records were appended, and
each record's content (salt, fields) as it is stored now. A record's content may be gone only
if a later `purge` record lists it: retention deletes fields and salt, keeps the digest, so
the tree still verifies after a purge (purge_fields says how a purge record lists them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from antirelou.evidence.canonical import CanonicalError, leaf_bytes, record_digest
from antirelou.evidence.checkpoint import Checkpoint
from antirelou.evidence.merkle import Frontier, leaf_hash

PURGE = "purge"
# What an export's reader sees of a record, checked against the hashed fields: the message's
# text, sender and receipt time, and each PDU. Record fields must carry these names.
MESSAGE_KIND, PDU_KIND = "message", "pdu"
_MESSAGE_SHOWN = ("text", "sender")


@dataclass(frozen=True)
class LeafRow:
    seq: int
    kind: str
    record_id: int
    digest: bytes


@dataclass(frozen=True)
class Content:
    salt: bytes
    fields: Mapping[str, object]


@dataclass(frozen=True)
class Problem:
    what: str  # altered missing reordered checkpoint truncated unlogged unbacked malformed
    message: str  # French / English, one sentence each
    seq: int | None = None
    kind: str | None = None
    record_id: int | None = None


@dataclass(frozen=True)
class Verdict:
    size: int
    root: bytes
    purged: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        """Return the verdict in one line, French first."""
        if self.problem:
            return f"ALTÉRÉ / ALTERED: {self.problem.message}"
        purged = (
            f", dont {self.purged} purgés selon la conservation / {self.purged} purged by retention"
            if self.purged
            else ""
        )
        return (
            f"INTÈGRE / INTACT: {self.size} enregistrements / records{purged}; "
            f"tête / head {self.root.hex()}"
        )


def purge_fields(purged: Mapping[str, Iterable[int]], **details: object) -> dict:
    """Given the ids purged per kind (and details such as the rule and the cut-off time),
    return a purge record's fields: {"records": {kind: [[first, last], …]}, …details}, ids
    merged into ranges so that purging 20,000 messages stays a short record."""
    records: dict[str, list[list[int]]] = {}
    for kind, ids in purged.items():
        ranges: list[list[int]] = []
        for record_id in sorted(set(ids)):
            if ranges and ranges[-1][1] == record_id - 1:
                ranges[-1][1] = record_id
            else:
                ranges.append([record_id, record_id])
        if ranges:
            records[kind] = ranges
    return {"records": records, **details}


def verify_log(
    leaves: Iterable[LeafRow],
    content: Callable[[str, int], Content | None],
    checkpoints: Sequence[Checkpoint] = (),
    logged: Iterable[tuple[str, int]] = (),
    *,
    partial: bool = False,
) -> Verdict:
    """Given the log's leaves in order, how to read a record's stored content (None: none
    kept), the checkpoints known (from off the Pi, ideally) and every (kind, id) stored,
    return a Verdict naming the first problem, if any.

    `partial` (an export): records without content were left out on purpose, not lost."""
    rows = list(leaves)
    purges = _purges(rows, content)
    pending = sorted(checkpoints, key=lambda checkpoint: checkpoint.size)
    frontier, last_ids, purged, matched = Frontier(), {}, 0, 0
    listed: set[tuple[str, int]] = set()

    def verdict(problem: Problem | None) -> Verdict:
        return Verdict(frontier.size, frontier.root(), purged, problem)

    for expected, row in enumerate(rows):
        found = _row_problem(row, expected, last_ids)
        if found is None:
            body = content(row.kind, row.record_id)
            if body is not None:
                found = _content_problem(row, body)
            elif _covered(purges, row):
                purged += 1
            elif not partial:
                found = _record_problem(
                    "missing",
                    row,
                    "son contenu a disparu sans purge inscrite au journal",
                    "its content is gone and no purge record lists it",
                )
        if found:
            return verdict(found)
        last_ids[row.kind] = row.record_id
        listed.add((row.kind, row.record_id))
        frontier, _ = frontier.append(leaf_hash(leaf_bytes(*_leaf_key(row))))
        while pending and pending[0].size == frontier.size:
            checkpoint = pending.pop(0)
            if checkpoint.root != frontier.root():
                return verdict(_checkpoint_problem(checkpoint, matched))
            matched = checkpoint.size
    if pending:
        return verdict(_truncated(pending[-1], frontier.size))
    for kind, record_id in sorted(set(logged) - listed):
        return verdict(
            Problem(
                "unlogged",
                f"{kind} {record_id} est enregistré mais absent du journal (ajouté après "
                f"coup ?) / {kind} {record_id} is stored but not in the log (added afterwards?)",
                kind=kind,
                record_id=record_id,
            )
        )
    return verdict(None)


def _leaf_key(row: LeafRow) -> tuple[int, str, int, bytes]:
    return row.seq, row.kind, row.record_id, row.digest


def _record_problem(what: str, row: LeafRow, french: str, english: str) -> Problem:
    return Problem(
        what,
        f"enregistrement n° {row.seq} ({row.kind} {row.record_id}) : {french} / "
        f"record #{row.seq} ({row.kind} {row.record_id}): {english}",
        row.seq,
        row.kind,
        row.record_id,
    )


def _row_problem(row: LeafRow, expected: int, last_ids: dict[str, int]) -> Problem | None:
    """Return what is wrong with a leaf's place in the log, if anything."""
    if row.seq > expected:
        return Problem(
            "missing",
            f"l'enregistrement n° {expected} manque (le journal passe de n° {expected - 1} à "
            f"n° {row.seq}) / record #{expected} is missing (the log jumps from "
            f"#{expected - 1} to #{row.seq})",
            expected,
        )
    if row.seq < expected:
        return _record_problem(
            "reordered",
            row,
            f"il apparaît après le n° {expected - 1} (doublon ou déplacé)",
            f"it comes after #{expected - 1} (duplicated or moved)",
        )
    previous = last_ids.get(row.kind)
    if previous is not None and row.record_id <= previous:
        return _record_problem(
            "reordered",
            row,
            f"{row.kind} {previous} le précède déjà (ordre modifié ou doublon)",
            f"{row.kind} {previous} already comes before it (order changed or duplicated)",
        )
    return None


def _content_problem(row: LeafRow, body: Content) -> Problem | None:
    try:
        digest = record_digest(body.salt, row.kind, row.record_id, body.fields)
    except CanonicalError:
        digest = b""
    if digest == row.digest:
        return None
    return _record_problem(
        "altered",
        row,
        "son contenu a été modifié après son inscription au journal",
        "its content was changed after it was logged",
    )


def _purges(rows: Sequence[LeafRow], content: Callable[[str, int], Content | None]) -> dict:
    """Return, per kind, the (first, last, purge seq) ranges that purge records list."""
    ranges: dict[str, list[tuple[int, int, int]]] = {}
    for row in rows:
        if row.kind != PURGE:
            continue
        body = content(row.kind, row.record_id)
        listed = body.fields.get("records") if body else None
        if not isinstance(listed, Mapping):
            continue
        for kind, spans in listed.items():
            for span in spans if isinstance(spans, list) else ():
                if isinstance(span, list) and len(span) == 2:
                    ranges.setdefault(kind, []).append((span[0], span[1], row.seq))
    return ranges


def _covered(purges: dict, row: LeafRow) -> bool:
    """Return whether a later purge record lists this record (a purge record is never
    purged: it is what proves the others were)."""
    return any(
        first <= row.record_id <= last and row.seq < purge_seq
        for first, last, purge_seq in purges.get(row.kind, ())
    )


def _when(checkpoint: Checkpoint) -> str:
    return checkpoint.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _checkpoint_problem(checkpoint: Checkpoint, matched: int) -> Problem:
    first, last = matched, checkpoint.size - 1
    return Problem(
        "checkpoint",
        f"les {checkpoint.size} premiers enregistrements ne correspondent plus au point de "
        f"contrôle du {_when(checkpoint)} : un enregistrement entre n° {first} et n° {last} a été "
        f"modifié, supprimé ou déplacé / the first {checkpoint.size} records no longer match the "
        f"checkpoint of {_when(checkpoint)}: a record between #{first} and #{last} was changed, "
        "removed or moved",
        first,
    )


def _truncated(checkpoint: Checkpoint, size: int) -> Problem:
    return Problem(
        "truncated",
        f"le journal s'arrête à {size} enregistrements alors que le point de contrôle du "
        f"{_when(checkpoint)} en comptait {checkpoint.size} : les n° {size} à "
        f"{checkpoint.size - 1} ont disparu / the log ends after {size} records but the "
        f"checkpoint of {_when(checkpoint)} counted {checkpoint.size}: records #{size} to "
        f"#{checkpoint.size - 1} are gone",
        size,
    )


# --- an export, on its own ------------------------------------------------------------------


class _Malformed(ValueError):
    pass


def verify_export(document: Mapping, trusted: Sequence[Checkpoint] = ()) -> Verdict:
    """Given a JSON export as parsed (json.load), and optionally checkpoints kept elsewhere
    (an operator's SMS), return whether its records match their digests, its leaves rebuild
    the tree head it states, and what it shows a reader (each message's text, sender, receipt
    time and PDUs) is what was hashed. Uses nothing but the document."""
    try:
        leaves, records, checkpoint = _read_export(document)
        verdict = verify_log(
            leaves,
            lambda kind, record_id: records.get((kind, record_id)),
            [checkpoint, *trusted],
            partial=True,
        )
        if verdict.ok:
            shown = _shown_problem(document, leaves, records)
            if shown:
                return Verdict(verdict.size, verdict.root, verdict.purged, shown)
        return verdict
    except (_Malformed, KeyError, TypeError, ValueError) as problem:
        return Verdict(
            0,
            b"",
            0,
            Problem(
                "malformed",
                f"ce fichier n'est pas un export antirelou complet ({problem}) / this file is "
                f"not a complete antirelou export ({problem})",
            ),
        )


def _read_export(document: Mapping) -> tuple[list[LeafRow], dict, Checkpoint]:
    log = document["log"]
    leaves = [
        LeafRow(seq, kind, record_id, bytes.fromhex(digest))
        for seq, (kind, record_id, digest) in enumerate(log["leaves"])
    ]
    records = {}
    for record in log["records"]:
        seq = record["seq"]
        if not 0 <= seq < len(leaves) or (leaves[seq].kind, leaves[seq].record_id) != (
            record["kind"],
            record["id"],
        ):
            raise _Malformed(f"record {record['kind']} {record['id']} is not leaf #{seq}")
        records[(record["kind"], record["id"])] = Content(
            bytes.fromhex(record["salt"]), record["fields"]
        )
    stated = document["checkpoint"]
    checkpoint = Checkpoint(
        stated["size"], bytes.fromhex(stated["root"]), datetime.fromisoformat(stated["at"])
    )
    if checkpoint.size != len(leaves):
        raise _Malformed(f"{len(leaves)} leaves for a checkpoint of {checkpoint.size}")
    return leaves, records, checkpoint


def _shown_problem(document: Mapping, leaves: list[LeafRow], records: dict) -> Problem | None:
    """Return the first message or PDU whose shown text differs from its hashed record."""
    for message in document["messages"]:
        checks = [(message.get("seq"), MESSAGE_KIND, message["id"], _shown_message(message))]
        checks += [
            (pdu.get("seq"), PDU_KIND, pdu["id"], {"pdu": pdu["hex"]}) for pdu in message["pdus"]
        ]
        for seq, kind, record_id, shown in checks:
            record = records.get((kind, record_id))
            placed = isinstance(seq, int) and 0 <= seq < len(leaves)
            if (
                not placed
                or record is None
                or (leaves[seq].kind, leaves[seq].record_id) != (kind, record_id)
            ):
                return Problem(
                    "unbacked",
                    f"{kind} {record_id} est affiché sans son enregistrement haché / "
                    f"{kind} {record_id} is shown without its hashed record",
                    seq if isinstance(seq, int) else None,
                    kind,
                    record_id,
                )
            hashed = {name: record.fields.get(name) for name in shown}
            if "received_at" in shown:
                hashed["received_at"] = _instant(hashed["received_at"])
            if hashed != shown:
                return _record_problem(
                    "altered",
                    leaves[seq],
                    "le texte affiché diffère de l'enregistrement haché",
                    "what is shown differs from the hashed record",
                )
    return None


def _shown_message(message: Mapping) -> dict:
    shown = {name: message[name] for name in _MESSAGE_SHOWN}
    shown["received_at"] = _instant(message["received_at"])
    return shown


def _instant(text: object) -> datetime | None:
    """The instant an ISO time names, so that spellings of one instant compare equal."""
    try:
        return datetime.fromisoformat(str(text)).astimezone(UTC)
    except ValueError:
        return None
