"""Fuzzing the paths bad input takes: PDUs, AT+CMGL listings, intake, config, numbers, policy.

"Malformed PDUs, garbage bytes… logged clearly and survived": each test feeds one parsing path
random or corrupted input and checks it neither raises nor loses or invents anything.
Everything is derandomized so a failure in CI is the same failure on a laptop.

Some tests pin, with the smallest input known, bugs that fuzzing found and that are now fixed
(huge numbers, repeated listing entries, multi-line config errors, deep YAML, non-ASCII digits).
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from antirelou import gsm7
from antirelou.budgets import Spending
from antirelou.config import Config, ConfigError, loads
from antirelou.intake import commit_listing
from antirelou.listing import Listing, StoredPdu, parse_listing
from antirelou.numbers import Number, NumberKind, classify
from antirelou.pdu import Deliver, decode_deliver, join_parts
from antirelou.policy import History, decide
from antirelou.simulator.network_pdu import encode_deliver
from antirelou.store import Store

FAST = settings(max_examples=150, deadline=None, derandomize=True)
SLOW = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NOW = datetime(2026, 3, 8, 12, 30, 15, tzinfo=UTC)
E164 = re.compile(r"\+[1-9][0-9]{7,14}")  # ASCII digits: what AT+CMGS and the log expect
CMGL = re.compile(r"^\+CMGL:\s*(\d+),\s*(\d+)")
WAKE_PREFIXES = ("+CMTI", "+CMT", "^SMMEMFULL", "+CIEV")

# --- strategies ------------------------------------------------------------------------------

GSM7 = "".join(c for c in gsm7.BASIC if c != "\x1b") + "€[]{}~^|\\\x0c"
OTHER = "êçœàâ«»’…😀👍🏽🇫🇷❤️\u200d中文"
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(GSM7), st.sampled_from(OTHER), st.characters(exclude_categories=("Cs",))
    ),
    max_size=300,
)
long_texts = st.one_of(
    st.text(alphabet=st.sampled_from(GSM7), min_size=161, max_size=400),
    # One character outside GSM 7-bit makes the whole text UCS-2: 70 units per SMS.
    st.text(alphabet=st.sampled_from(GSM7 + OTHER), min_size=70, max_size=220).map("中".__add__),
    # Emoji only: surrogate pairs sit on every part boundary.
    # Whole emoji, each of at least two UTF-16 units: 36 of them never fit one SMS (70 units).
    st.lists(st.sampled_from(["😀", "👍🏽", "🇫🇷", "❤️", "🎉"]), min_size=36, max_size=120).map(
        "".join
    ),
)
senders = st.one_of(
    st.from_regex(r"\+33[67][0-9]{8}", fullmatch=True),
    st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True),
    st.from_regex(r"0[67][0-9]{8}", fullmatch=True),
    st.sampled_from(["Orange", "SFR", "Free Mobile", "36179", "36180", "611", "+33800123456"]),
    st.from_regex(r"[1-9][0-9]{2,5}", fullmatch=True),
    st.from_regex(r"[A-Za-z][A-Za-z0-9 .-]{0,10}", fullmatch=True),
)
timestamps = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2068, 12, 31),  # noqa: DTZ001 - hypothesis wants naive bounds
    timezones=st.sampled_from(
        [
            UTC,
            timezone(timedelta(hours=2)),
            timezone(timedelta(hours=-5)),
            timezone(timedelta(hours=5, minutes=45)),
        ]
    ),
).map(lambda moment: moment.replace(microsecond=0))
valid_pdus = st.builds(encode_deliver, senders, texts, timestamps)  # list of parts
HEX = "0123456789ABCDEFabcdef"


def _length_positions(pdu: bytes) -> list[int]:
    """Return the octet offsets of the length fields of a well-formed SMS-DELIVER."""
    smsc = pdu[0]
    address = smsc + 2
    if address >= len(pdu):  # already cut or damaged: only the SMSC length is known
        return [0]
    user_data_length = address + 2 + (pdu[address] + 1) // 2 + 2 + 7
    positions = [0, address, user_data_length]
    if pdu[smsc + 1] & 0x40:
        positions.append(user_data_length + 1)  # user data header length
    return [p for p in positions if p < len(pdu)]


@st.composite
def mutated(draw, pdu_hex: str) -> str:
    """Given a PDU, return it damaged the way a serial line or a buggy modem damages one."""
    data = bytearray.fromhex(pdu_hex)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "length", "byte", "cut", "insert", "delete"]))
        if kind == "flip" and data:
            bit = draw(st.integers(0, len(data) * 8 - 1))
            data[bit // 8] ^= 1 << (bit % 8)
        elif kind == "length" and data:
            positions = _length_positions(bytes(data))
            data[draw(st.sampled_from(positions))] = draw(st.sampled_from([0x00, 0xFF]))
        elif kind == "byte" and data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.sampled_from([0x00, 0xFF]))
        elif kind == "cut":
            data = data[: draw(st.integers(0, len(data)))]
    text = data.hex().upper()
    kind = draw(st.sampled_from(["none", "cut_hex", "insert", "delete"]))
    if kind == "cut_hex":  # odd lengths too
        text = text[: draw(st.integers(0, len(text)))]
    elif kind == "insert":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(alphabet=HEX, min_size=1, max_size=3)) + text[at:]
    elif kind == "delete" and text:
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + text[at + draw(st.integers(1, 3)) :]
    return text


mutated_pdus = valid_pdus.flatmap(lambda parts: st.sampled_from(parts)).flatmap(mutated)
garbage = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=HEX, max_size=120),  # random hex, odd lengths included
    st.text(alphabet=st.sampled_from(HEX + "\ufffd\x00\x1a\x1b\r\n\t GZ+,"), max_size=80),
)


def _check_deliver(decoded: Deliver) -> None:
    assert isinstance(decoded, Deliver)
    if decoded.error is None:
        assert isinstance(decoded.text, str)
        decoded.text.encode("utf-8")  # no lone surrogate
        # An empty originating address (0 semi-octets, or an alphanumeric one of no septet)
        # decodes to None: the documented type is str | None, intake classifies it INVALID.
        assert decoded.sender is None or isinstance(decoded.sender, str)
    else:
        assert isinstance(decoded.error, str) and decoded.error
        assert decoded.text is None


# --- 1. decode_deliver -------------------------------------------------------------------------


@FAST
@given(st.one_of(garbage, st.text(max_size=300)))
def test_decode_deliver_never_raises_on_any_string(text):
    _check_deliver(decode_deliver(text))


@settings(FAST, max_examples=300)
@given(mutated_pdus)
def test_decode_deliver_never_raises_on_damaged_pdus(pdu):
    _check_deliver(decode_deliver(pdu))


@FAST
@given(valid_pdus)
def test_decode_deliver_reads_every_valid_pdu(parts):
    for pdu in parts:
        decoded = decode_deliver(pdu)
        _check_deliver(decoded)
        assert decoded.error is None


# --- 2. join_parts -----------------------------------------------------------------------------


@SLOW
@given(senders, long_texts, timestamps, st.data())
def test_join_parts_on_missing_reordered_or_damaged_parts(sender, text, moment, data):
    parts = [decode_deliver(pdu) for pdu in encode_deliver(sender, text, moment)]
    assert len(parts) > 1
    assert join_parts(parts) == text  # all parts, in order: the text, emoji included
    chosen = data.draw(st.lists(st.sampled_from(parts), max_size=len(parts) + 2))
    chosen += [decode_deliver(pdu) for pdu in data.draw(st.lists(mutated_pdus, max_size=2))]
    chosen = data.draw(st.permutations(chosen))
    joined = join_parts(chosen)
    assert isinstance(joined, str)
    joined.encode("utf-8")


# --- 3. parse_listing --------------------------------------------------------------------------

pdu_lines = st.one_of(
    valid_pdus.map(lambda parts: parts[0]), st.text(alphabet=HEX, min_size=2, max_size=60)
)
headers = st.builds(
    lambda slot, stat, length: f"+CMGL: {slot},{stat},,{length}",
    st.integers(0, 300),
    st.integers(0, 4),
    st.integers(0, 200),
)
noise_lines = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("\ufffd\x00\x07\x1a\x1b\r\t ABC+:,0123456789"), max_size=30),
    st.sampled_from(
        [
            "OK",
            "",
            "  ",
            '+CMTI: "SM",3',
            '+CMTI: "ME",12',
            "ERROR",
            "+CMS ERROR: 321",
            "+CMGL:",
            "+CMGL: 1",
            "+CMGL: x,1,,23",
            "AT+CMGL=4",
            "\ufffd\ufffd",
        ]
    ),
)


@FAST
@given(st.lists(st.one_of(headers, pdu_lines, noise_lines), max_size=30))
def test_parse_listing_never_raises_on_random_lines(lines):
    listing = parse_listing("SM", lines)
    stripped = [line.strip() for line in lines]
    for entry in listing.entries:
        assert entry.pdu in stripped
        assert isinstance(entry.slot, int) and isinstance(entry.status, int)
        # Each entry is the line right after a header naming its slot and status.
        assert any(
            (match := CMGL.match(stripped[i]))
            and (int(match.group(1)), int(match.group(2))) == (entry.slot, entry.status)
            and stripped[i + 1] == entry.pdu
            for i in range(len(stripped) - 1)
        )


well_formed_entries = st.lists(
    st.tuples(st.integers(0, 300), st.integers(0, 3), pdu_lines.filter(lambda pdu: pdu.strip())),
    max_size=12,
)
# Lines a modem may put between entries (never between a header and its PDU).
between = st.lists(st.sampled_from(["", '+CMTI: "SM",3', "+CMT: ,24"]), max_size=1)


def _listing_lines(entries, data) -> list[str]:
    lines: list[str] = []
    for slot, stat, pdu in entries:
        lines += data.draw(between)
        lines += [f"+CMGL: {slot},{stat},,{len(pdu) // 2}", pdu]
    return lines + data.draw(between) + ["OK"]


@FAST
@given(well_formed_entries, st.data())
def test_parse_listing_well_formed_is_clean(entries, data):
    listing = parse_listing("ME", _listing_lines(entries, data))
    assert listing.clean
    assert listing.storage == "ME"
    assert [(e.slot, e.status, e.pdu) for e in listing.entries] == entries


unexpected_lines = st.one_of(noise_lines, pdu_lines).filter(
    lambda line: (
        line.strip()
        and line.strip() != "OK"
        and not CMGL.match(line.strip())
        and not line.strip().startswith(WAKE_PREFIXES)
    )
)


@FAST
@given(well_formed_entries, unexpected_lines, st.data())
def test_parse_listing_unexpected_line_makes_it_unclean(entries, line, data):
    lines = _listing_lines(entries, data)
    lines.insert(data.draw(st.integers(0, len(lines))), line)
    assert not parse_listing("SM", lines).clean


@settings(max_examples=5, deadline=None, derandomize=True)
@example(digits=4301)
@given(st.integers(1, 6000))
def test_parse_listing_survives_a_header_with_a_huge_slot_number(digits):
    listing = parse_listing("SM", ["+CMGL: " + "1" * digits + ",1,,20", "0011", "OK"])
    assert isinstance(listing, Listing)


# --- 4. commit_listing -------------------------------------------------------------------------


@st.composite
def listing_pdus(draw) -> list[str]:
    """Return PDUs as a modem would hold them: whole messages, parts of long ones, junk."""
    pdus: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["single", "long", "some parts", "damaged", "garbage"]))
        if kind == "single":
            pdus += draw(valid_pdus)[:1]
        elif kind == "long":
            pdus += draw(st.permutations(encode_deliver(draw(senders), draw(long_texts), NOW)))
        elif kind == "some parts":
            parts = encode_deliver(draw(senders), draw(long_texts), NOW)
            pdus += draw(st.lists(st.sampled_from(parts), min_size=1, max_size=len(parts)))
        elif kind == "damaged":
            pdus.append(draw(mutated_pdus))
        else:
            pdus.append(draw(garbage.filter(lambda text: text.strip() == text and text)))
    return pdus


def _config(directory: str) -> Config:
    return loads(
        f"modem:\n  port: /dev/x\ndatabase: {directory}/x.db\n", f"{directory}/antirelou.yaml"
    )


def _is_part(decoded: Deliver) -> bool:
    concat = decoded.concat
    return (
        decoded.error is None
        and concat is not None
        and concat.total > 1
        and 1 <= concat.sequence <= concat.total
    )


def _check_committed(db: sqlite3.Connection, pairs: set[tuple[int, str]]) -> None:
    rows = db.execute("SELECT slot, pdu FROM pdus").fetchall()
    counts = Counter((slot, pdu) for slot, pdu in rows)
    assert set(counts) == pairs
    assert all(count == 1 for count in counts.values()), counts.most_common(3)
    for slot, pdu in pairs:
        decoded = decode_deliver(pdu)
        message_id, text, error = db.execute(
            "SELECT m.id, m.text, m.error FROM pdus p LEFT JOIN messages m ON m.id = p.message_id"
            " WHERE p.slot = ? AND p.pdu = ?",
            (slot, pdu),
        ).fetchone()
        if decoded.error is not None:
            event("undecodable PDU listed")
            assert message_id is not None, f"undecodable PDU {pdu!r} not logged"
            assert error is not None and decoded.error in error
        elif not _is_part(decoded):
            assert message_id is not None, f"PDU {pdu!r} not logged"
            assert text == decoded.text and error is None
        if text is not None:
            text.encode("utf-8")
        if _is_part(decoded) and message_id is not None:
            event("long message assembled")
    replies = dict(
        db.execute(
            "SELECT m.id, COUNT(r.id) FROM messages m LEFT JOIN replies r ON r.message_id = m.id"
            " GROUP BY m.id"
        ).fetchall()
    )
    assert set(replies.values()) <= {1}, "a message without exactly one replies row"
    for kind, status, recipient in db.execute(
        "SELECT m.sender_kind, r.status, r.recipient FROM replies r"
        " JOIN messages m ON m.id = r.message_id"
    ).fetchall():
        event(f"reply {status}, sender kind {kind}")
        if kind != NumberKind.PHONE.value:
            assert status == "skipped", (kind, status, recipient)
        if status == "queued":
            assert E164.fullmatch(recipient), recipient


@SLOW
@given(listing_pdus(), st.data())
def test_commit_listing_logs_every_pdu_once_and_never_answers_non_phones(pdus, data):
    # Slots from a small range: the same slot listed with different PDUs happens too.
    entries, seen = [], set()
    for pdu in pdus:
        slot = data.draw(st.integers(0, 9), label="slot")
        if (slot, pdu) not in seen:  # exact duplicates have a test of their own
            seen.add((slot, pdu))
            entries.append(StoredPdu(slot, data.draw(st.integers(0, 3)), pdu))
    listing = Listing("SM", tuple(entries), data.draw(st.booleans()))
    with tempfile.TemporaryDirectory() as directory:
        config = _config(directory)
        store = Store(os.path.join(directory, "x.db"))
        try:
            first = commit_listing(store, listing, config, NOW)
            assert first.new_pdus == len(entries)
            # A PDU line that is not hex may be damage on the wire: it stays on the
            # modem for one more listing, and goes when it comes back unchanged.
            hexadecimal = [e.slot for e in entries if re.fullmatch("[0-9A-Fa-f]+", e.pdu)]
            assert sorted(first.plan.slots) == sorted(hexadecimal)
            _check_committed(store._db, seen)
            again = commit_listing(store, listing, config, NOW + timedelta(seconds=5))
            assert sorted(again.plan.slots) == sorted(entry.slot for entry in entries)
            assert again.new_pdus == 0
            assert not again.logged
            _check_committed(store._db, seen)
        finally:
            store.close()


@settings(max_examples=10, deadline=None, derandomize=True)
@example(pdus=[encode_deliver("+33612345678", "hi", NOW)[0]])
@given(st.lists(valid_pdus.map(lambda parts: parts[0]), min_size=1, max_size=3))
def test_commit_listing_repeated_entry_is_logged_once(pdus):
    entries = tuple(StoredPdu(1, 1, pdu) for pdu in pdus for _ in range(2))
    listing = Listing("SM", entries, True)
    with tempfile.TemporaryDirectory() as directory:
        config = _config(directory)
        store = Store(os.path.join(directory, "x.db"))
        try:
            commit_listing(store, listing, config, NOW)
            assert commit_listing(store, listing, config, NOW).new_pdus == 0
            _check_committed(store._db, {(1, pdu) for pdu in pdus})
        finally:
            store.close()


# --- 5. config.loads ---------------------------------------------------------------------------

CONFIG_FILE = "/srv/fuzz/antirelou.yaml"
_KEYS = [
    "modem",
    "port",
    "baudrate",
    "pin",
    "poll_interval",
    "command_timeout",
    "send_timeout",
    "storage",
    "database",
    "numbers",
    "default_country",
    "never_reply_prefixes",
    "replies",
    "enabled",
    "text",
    "sequence",
    "languages",
    "country_languages",
    "cooldown",
    "delay",
    "retry",
    "attempts",
    "backoff",
    "budgets",
    "segments_per_hour",
    "flood",
    "alerts",
    "numbers",
    "command",
    "logging",
    "level",
    "unknown",
    "Modem",
    "porte",
    "fr",
    "+44",
]
_VALUES = [
    "",
    "/dev/ttyUSB0",
    "115200",
    "9600",
    "12",
    "-3",
    "0",
    "033",
    "1:30",
    "1e3",
    ".inf",
    "30s",
    "1h30m",
    "2 days",
    "30m1h",
    "true",
    "no",
    "oui",
    "null",
    "~",
    '"1234"',
    "1234",
    "unlimited",
    "[]",
    '["+338"]',
    "[+338, 44]",
    "{}",
    '{"+44": en}',
    "{a: [b, {c: d}]}",
    '"Stop."',
    "'x'",
    "|",
    ">-",
    "- a",
    "&a x",
    "*a",
    "!!int x",
    "!!binary AA",
    "é😀",
    "'",
    '"',
    "[",
    "{",
    "a: b: c",
    "#",
    "%YAML 1.1",
    "---",
    "...",
    "\t",
    "? x",
]
yaml_lines = st.builds(
    lambda indent, key, separator, value: f"{indent}{key}{separator}{value}",
    st.sampled_from(["", "", "  ", "    ", " ", "\t", "  - ", "- "]),
    st.one_of(st.sampled_from(_KEYS), st.text(max_size=8)),
    st.sampled_from([": ", ":", " : ", ": ", ""]),
    st.one_of(st.sampled_from(_VALUES), st.text(max_size=12)),
)
VALID_CONFIG = "modem:\n  port: /dev/x\ndatabase: x.db\n"
config_texts = st.one_of(
    st.text(max_size=200),
    st.lists(yaml_lines, max_size=12).map("\n".join),
    st.lists(yaml_lines, max_size=8).map(lambda lines: VALID_CONFIG + "\n".join(lines)),
)
printable_config_texts = config_texts.filter(
    lambda text: all(c.isprintable() or c in "\n\t" for c in text)
)


def _load(text: str) -> Config | ConfigError:
    try:
        return loads(text, CONFIG_FILE)
    except ConfigError as error:
        return error


@settings(FAST, max_examples=300)
@given(config_texts)
@example(VALID_CONFIG + "modem:\n  port: /dev/y\n")  # duplicate section
@example(VALID_CONFIG + "replies:\n\ttext: x\n")  # tab indentation
@example("a: &x [*x]\n")
def test_config_loads_gives_config_or_config_error(text):
    result = _load(text)
    if isinstance(result, Config):
        assert result.path == CONFIG_FILE
        return
    assert result.errors
    for issue in result.errors:
        assert issue.file == CONFIG_FILE
        assert (issue.line is None) == (issue.column is None)
        assert issue.line is None or (issue.line >= 1 and issue.column >= 1)
        assert re.match(rf"{re.escape(CONFIG_FILE)}(:\d+:\d+)?: \S", str(issue))


@settings(FAST, max_examples=200)
@given(printable_config_texts)
def test_config_error_lines_name_the_file_for_printable_text(text):
    result = _load(text)
    if isinstance(result, ConfigError):
        for line in str(result).splitlines():
            assert re.match(rf"{re.escape(CONFIG_FILE)}(:\d+:\d+)?: ", line), line


@settings(FAST, max_examples=200)
@given(config_texts)
@example("\x07")
def test_config_error_every_line_names_the_file(text):
    result = _load(text)
    if isinstance(result, ConfigError):
        for line in str(result).splitlines():
            assert re.match(rf"{re.escape(CONFIG_FILE)}(:\d+:\d+)?: ", line), line


@settings(max_examples=10, deadline=None, derandomize=True)
@example(key="  baudrate", digits=4301)
@given(
    st.sampled_from(
        [
            "  baudrate",
            "numbers:\n  default_country",
            "budgets:\n  segments_per_hour",
            "flood:\n  segments_per_hour",
        ]
    ),
    st.integers(1, 6000),
)
def test_config_huge_integer_is_a_config_error(key, digits):
    text = f"modem:\n  port: /dev/x\n{key}: {'1' * digits}\ndatabase: x.db\n"
    assert isinstance(_load(text), Config | ConfigError)


@settings(max_examples=5, deadline=None, derandomize=True)
@example(depth=1000, bracket="[")
@given(depth=st.integers(1, 3000), bracket=st.sampled_from("[{"))
def test_config_deeply_nested_yaml_is_a_config_error(depth, bracket):
    assert isinstance(_load(bracket * depth), Config | ConfigError)


# --- 6. numbers.classify and policy.decide -----------------------------------------------------

number_like = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from("0123456789+ .-()/\t#*abcABC"), max_size=24),
    st.from_regex(r"(\+|00|0)?[0-9 .\-]{0,20}", fullmatch=True),
)
# What a sender or an alerts.numbers entry may hold beyond ASCII: other scripts' digits (Nd)
# and digit-like signs (No: superscripts, circled digits), which str.isdigit() accepts.
unicode_number_like = st.one_of(
    number_like,
    st.text(
        alphabet=st.one_of(st.sampled_from("+0123456789"), st.characters(categories=("Nd", "No"))),
        max_size=20,
    ),
)


def _check_classified(number: Number) -> None:
    assert isinstance(number.kind, NumberKind)
    if number.kind is NumberKind.PHONE:
        assert number.e164 is not None and E164.fullmatch(number.e164), number
    else:
        assert number.e164 is None


@settings(FAST, max_examples=300)
@given(number_like, st.booleans())
def test_classify_ascii_senders(raw, alphanumeric):
    _check_classified(classify(raw, 33, alphanumeric=alphanumeric))


@settings(FAST, max_examples=300)
@given(unicode_number_like)
@example("+33612345²78")
def test_classify_any_string_gives_an_ascii_e164(raw):
    _check_classified(classify(raw, 33))


@pytest.fixture(scope="module")
def policy_config():
    with tempfile.TemporaryDirectory() as directory:
        yield _config(directory)


numbers = st.one_of(
    st.builds(classify, number_like, st.just(33), alphanumeric=st.booleans()),
    st.builds(
        Number,
        st.one_of(st.none(), st.text(max_size=15)),
        st.sampled_from([k for k in NumberKind if k is not NumberKind.PHONE]),
        st.one_of(st.none(), st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True)),
    ),
)


@settings(FAST, max_examples=300)
@given(numbers, st.booleans(), st.integers(0, 10**6))
def test_decide_never_replies_to_a_non_phone(policy_config, sender, in_flood, seed):
    decision = decide(
        sender, History(), Spending(), policy_config, NOW, in_flood=in_flood, seed=seed
    )
    if sender.kind is not NumberKind.PHONE:
        assert not decision.reply
        assert decision.text is None
    if decision.reply:
        assert sender.e164 is not None and E164.fullmatch(sender.e164)
