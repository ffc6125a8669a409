"""SMS wire format, the daemon's side: SMS-DELIVER decoding, SMS-SUBMIT encoding, lengths
(3GPP TS 23.040, alphabets of TS 23.038). The network's side (SMS-DELIVER encoding, SMS-SUBMIT
decoding), which only the simulated dongle needs, is antirelou.simulator.network_pdu.

Pure functions, no I/O, and no library that does I/O is loaded. The GSM 7-bit alphabet is
antirelou.gsm7; the rest is done here because python-gsmmodem's codec loses text in ways
that matter to us:
its septet unpacker drops a final '@' when the septet count is a multiple of 8, an unknown
escape code silently swallows two characters and a final escape raises StopIteration,
a user data length longer than the data gives a partial text with no error, UCS-2 text
comes back as unpaired surrogates (emoji), 8-bit data ignores the length, its extension
table maps 'ÿ' instead of form feed, its encoder cannot encode emoji at all
(bytearray.append(ord(c)) with ord(c) > 0xFFFF) and splits messages anywhere, even inside
a surrogate pair.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from antirelou import gsm7

__all__ = [
    "Concat",
    "Deliver",
    "SegmentInfo",
    "SubmitPdu",
    "concat_information_element",
    "decode_deliver",
    "encode_submit",
    "join_parts",
    "segment_info",
]

# --- limits --------------------------------------------------------------------------------

GSM7_SINGLE_LIMIT = 160  # septets in one SMS
GSM7_PART_LIMIT = 153  # septets in one part, after the 6-octet concatenation header
UCS2_SINGLE_LIMIT = 70  # UTF-16 code units in one SMS
UCS2_PART_LIMIT = 67

_SEMI_OCTET_DIGITS = "0123456789*#abc"
_DIGITS = re.compile(r"[0-9]+")


# --- public types --------------------------------------------------------------------------


@dataclass(frozen=True)
class Concat:
    """Where one part sits in a concatenated message."""

    reference: int  # 8- or 16-bit concat reference
    total: int
    sequence: int  # 1-based


@dataclass(frozen=True)
class Deliver:
    """A decoded SMS-DELIVER, or the reason it could not be decoded (`error`)."""

    sender: str | None
    sender_alphanumeric: bool
    text: str | None
    units: str
    smsc_time: datetime | None
    concat: Concat | None
    encoding: str  # 'gsm7' | 'ucs2' | '8bit' | 'unknown'
    error: str | None


@dataclass(frozen=True)
class SegmentInfo:
    """How a text travels: alphabet, length in that alphabet's units, SMS billed."""

    encoding: str
    units: int
    segments: int
    ucs2_characters: tuple[str, ...]


@dataclass(frozen=True)
class SubmitPdu:
    """One SMS-SUBMIT ready for AT+CMGS=<tpdu_length>."""

    hex: str
    tpdu_length: int


class _Malformed(ValueError):
    """The PDU is not what its own fields say it is."""


# --- decoding ------------------------------------------------------------------------------


def decode_deliver(pdu_hex: str) -> Deliver:
    """Given an SMS-DELIVER as hex (with its SMSC field in front, as modems list them),
    return a Deliver. Never raise: anything undecodable comes back with `error` set and
    `text` None, keeping whatever was decoded before the problem (sender, time).
    """
    found: dict = {}
    try:
        return _decode_deliver(pdu_hex, found)
    except _Malformed as problem:
        return _failed(str(problem), found)
    except Exception as problem:  # noqa: BLE001 - the promise is "never raises", whatever the input
        return _failed(f"decoder failure: {problem!r}", found)


def smsc_address(pdu_hex: str) -> str | None:
    """Given a PDU as hex with its SMSC field in front (as modems list them), return the SMS
    centre's address ("+33689004000"; with a "+" when its type of number is international), or
    None if the field is empty or unreadable. Never raise: it describes evidence, it decides
    nothing."""
    try:
        reader = _Reader(_parse_hex(pdu_hex))
        length = reader.byte("SMSC length")
        if not 2 <= length <= 11:
            return None
        type_of_address = reader.byte("SMSC type")
        digits = _decode_semi_octets(reader.take(length - 1, "SMSC address"), 2 * (length - 1))
    except _Malformed:
        return None
    if not digits:
        return None
    return "+" + digits if (type_of_address >> 4) & 0x07 == 0x01 else digits


def _failed(reason: str, found: dict) -> Deliver:
    return Deliver(
        sender=found.get("sender"),
        sender_alphanumeric=found.get("sender_alphanumeric", False),
        text=None,
        units="",
        smsc_time=found.get("smsc_time"),
        concat=found.get("concat"),
        encoding=found.get("encoding", "unknown"),
        error=reason,
    )


def _decode_deliver(pdu_hex: str, found: dict) -> Deliver:
    reader, first_octet = _read_first_octet(pdu_hex, 0)
    sender, alphanumeric = _read_address(reader, "originating address")
    found.update(sender=sender, sender_alphanumeric=alphanumeric)
    reader.byte("protocol identifier")
    data_coding = reader.byte("data coding scheme")
    found["encoding"] = _alphabet(data_coding)
    found["smsc_time"] = _decode_timestamp(reader.take(7, "service centre time stamp"))
    units, concat = _read_user_data(reader, first_octet, data_coding, found)
    return Deliver(
        sender=sender,
        sender_alphanumeric=alphanumeric,
        text=_valid_unicode(units),
        units=units,
        smsc_time=found["smsc_time"],
        concat=concat,
        encoding=found["encoding"],
        error=None,
    )


class Part(Protocol):
    """One part of a concatenated message, decoded: its text as raw UTF-16 code units."""

    @property
    def units(self) -> str: ...


def join_parts(parts: Sequence[Part]) -> str:
    """Given the parts of one concatenated message in sequence order (missing parts simply
    left out; Deliver, or the simulator's decoded SMS-SUBMIT), return their joined text as
    valid Unicode.

    Joins the raw UTF-16 code units before repairing them, so an emoji whose surrogate pair
    a sender split across two parts survives.
    """
    return _valid_unicode("".join(part.units for part in parts))


_MESSAGE_TYPES = {
    0: "SMS-DELIVER",
    1: "SMS-SUBMIT",
    2: "SMS-STATUS-REPORT or SMS-COMMAND",
    3: "reserved message type",
}


class _Reader:
    """Bounds-checked cursor over PDU octets: running out is a _Malformed, never IndexError."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def take(self, count: int, what: str) -> bytes:
        end = self.position + count
        if end > len(self.data):
            raise _Malformed(
                f"PDU truncated: {what} needs {count} octet(s) at offset {self.position}, "
                f"only {len(self.data) - self.position} left"
            )
        chunk = self.data[self.position : end]
        self.position = end
        return chunk

    def rest(self) -> bytes:
        chunk = self.data[self.position :]
        self.position = len(self.data)
        return chunk


def _read_first_octet(pdu_hex: str, message_type: int) -> tuple[_Reader, int]:
    """Given a PDU as hex (SMSC field in front) and the TP-MTI it must have (0 SMS-DELIVER,
    1 SMS-SUBMIT), return a reader past the first octet, and that octet. Raise _Malformed
    if the PDU is shorter or of another type.
    """
    reader = _Reader(_parse_hex(pdu_hex))
    _skip_smsc(reader)
    first_octet = reader.byte("first octet")
    found_type = first_octet & 0x03
    if found_type != message_type:
        raise _Malformed(
            f"not an {_MESSAGE_TYPES[message_type]} but an {_MESSAGE_TYPES[found_type]}"
        )
    return reader, first_octet


def _parse_hex(pdu_hex: str) -> bytes:
    if isinstance(pdu_hex, bytes | bytearray):
        pdu_hex = bytes(pdu_hex).decode("ascii", "replace")
    if not isinstance(pdu_hex, str):
        raise _Malformed(f"expected a hex string, got {type(pdu_hex).__name__}")
    compact = "".join(pdu_hex.split())
    if not compact:
        raise _Malformed("empty PDU")
    if len(compact) % 2:
        raise _Malformed(f"odd number of hex digits ({len(compact)})")
    try:
        return bytes.fromhex(compact)
    except ValueError:
        raise _Malformed("PDU is not hexadecimal") from None


def _skip_smsc(reader: _Reader) -> None:
    # The SMSC length counts octets (type of address included), unlike TP addresses.
    length = reader.byte("SMSC length")
    if length > 11:
        raise _Malformed(f"SMSC field of {length} octets (at most 11)")
    reader.take(length, "SMSC address")


def _read_address(reader: _Reader, what: str) -> tuple[str | None, bool]:
    """Read a TP address; return (address, is_alphanumeric)."""
    length = reader.byte(f"{what} length")  # useful semi-octets, not octets
    if length > 20:
        raise _Malformed(f"{what} of {length} semi-octets (at most 20)")
    type_of_address = reader.byte(f"{what} type")
    octets = reader.take((length + 1) // 2, what)
    type_of_number = (type_of_address >> 4) & 0x07
    if type_of_number == 0x05:
        septet_count = length * 4 // 7
        name = gsm7.decode(gsm7.unpack(octets, septet_count))
        if septet_count % 8 == 0 and name.endswith("@"):
            # Senders that give the length as 2 × octets turn 7 fill bits into a last '@'.
            name = name[:-1]
        return name or None, True
    digits = _decode_semi_octets(octets, length)
    if not digits:
        return None, False
    return ("+" + digits if type_of_number == 0x01 else digits), False


def _decode_semi_octets(octets: bytes, count: int) -> str:
    digits = []
    for octet in octets:
        for nibble in (octet & 0x0F, octet >> 4):
            if len(digits) < count and nibble != 0x0F:
                digits.append(_SEMI_OCTET_DIGITS[nibble])
    return "".join(digits)


def _decode_timestamp(octets: bytes) -> datetime | None:
    """Return the 7-octet TP-SCTS as an aware datetime, or None if it is not a date."""
    try:
        year, month, day, hour, minute, second = (_swapped_bcd(octet) for octet in octets[:6])
        quarters = _swapped_bcd(octets[6] & 0xF7)  # bit 3 of the last octet is the sign
        offset = timedelta(minutes=15 * quarters)
        # Same century pivot as strptime's %y (and gsmmodem): 69-99 are the 1900s.
        century = 1900 if year >= 69 else 2000
        return datetime(
            century + year,
            month,
            day,
            hour,
            minute,
            second,
            tzinfo=timezone(-offset if octets[6] & 0x08 else offset),
        )
    except ValueError:
        return None


def _swapped_bcd(octet: int) -> int:
    low, high = octet & 0x0F, octet >> 4
    if low > 9 or high > 9:
        raise ValueError(f"not a BCD octet: {octet:02X}")
    return low * 10 + high


def _alphabet(data_coding: int) -> str:
    """Given a TP-DCS octet, return 'gsm7', '8bit', 'ucs2' or 'unknown' (compressed)."""
    group = data_coding >> 4
    if group <= 0x07:  # general data coding and "marked for automatic deletion" groups
        if data_coding & 0x20:
            return "unknown"  # compressed (TS 23.042): nobody implements it
        return ("gsm7", "8bit", "ucs2", "gsm7")[(data_coding >> 2) & 0x03]
    if group == 0x0E:
        return "ucs2"
    if group == 0x0F:
        return "8bit" if data_coding & 0x04 else "gsm7"
    # 0xC-0xD are message waiting with GSM 7-bit; 23.038 §4 says a receiver shall treat
    # reserved codings (0x8-0xB, alphabet 11) as the GSM 7-bit default alphabet too.
    return "gsm7"


def _read_user_data(
    reader: _Reader, first_octet: int, data_coding: int, found: dict
) -> tuple[str, Concat | None]:
    """Read TP-UDL and TP-UD; return (text as UTF-16 code units, concatenation)."""
    encoding = _alphabet(data_coding)
    length = reader.byte("user data length")
    if encoding == "unknown":
        raise _Malformed(f"compressed user data (data coding 0x{data_coding:02X}) not supported")
    needed = (length * 7 + 7) // 8 if encoding == "gsm7" else length
    payload = reader.rest()
    if len(payload) < needed:
        unit = "septets" if encoding == "gsm7" else "octets"
        raise _Malformed(
            f"user data truncated: length says {length} {unit} ({needed} octets), "
            f"only {len(payload)} octets present"
        )
    payload = payload[:needed]  # anything after the announced length is padding
    header_size = 0
    concat = None
    if first_octet & 0x40:
        if not payload:
            raise _Malformed("user data header announced but user data is empty")
        header_size = 1 + payload[0]
        if header_size > len(payload):
            raise _Malformed(f"user data header of {header_size} octets in {len(payload)}")
        concat = _find_concat(payload[1:header_size])
        found["concat"] = concat
    if encoding == "gsm7":
        # The header plus its fill bits occupies a whole number of septets.
        header_septets = (header_size * 8 + 6) // 7
        if header_septets > length:
            raise _Malformed("user data header longer than the user data length")
        septets = gsm7.unpack(payload, length)[header_septets:]
        return gsm7.decode(septets), concat
    body = payload[header_size:]
    if encoding == "8bit":
        return body.decode("latin-1"), concat
    if len(body) % 2:
        raise _Malformed(f"UCS-2 user data of {len(body)} octets (odd)")
    code_units = struct.unpack(f">{len(body) // 2}H", body)
    return "".join(map(chr, code_units)), concat


def _find_concat(header: bytes) -> Concat | None:
    """Return the concatenation element of a user data header, if a usable one is there."""
    concat = None
    position = 0
    while position + 2 <= len(header):
        identifier, size = header[position], header[position + 1]
        data = header[position + 2 : position + 2 + size]
        position += 2 + size
        if len(data) < size:
            break  # element runs past the header: ignore it, keep the text
        if identifier == 0x00 and size == 3:
            candidate = Concat(reference=data[0], total=data[1], sequence=data[2])
        elif identifier == 0x08 and size == 4:
            candidate = Concat(reference=data[0] << 8 | data[1], total=data[2], sequence=data[3])
        else:
            continue
        # 23.040 §9.2.3.24.1: ignore the element if total is 0 or sequence is out of range.
        # A repeated element: the last one wins, as the spec says.
        if 1 <= candidate.sequence <= candidate.total:
            concat = candidate
    return concat


def _valid_unicode(units: str) -> str:
    """Pair surrogates into real characters; a lone surrogate becomes U+FFFD."""
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


# --- length and splitting ------------------------------------------------------------------


def segment_info(text: str) -> SegmentInfo:
    """Given a text, return how it would be sent: GSM 7-bit if every character is in the
    default alphabet or its extension table, else UCS-2; its length in septets (escaped
    characters count 2) or UTF-16 code units; and the number of SMS it takes.

    The count is what encode_submit produces: 160/153 septets or 70/67 code units per SMS,
    except that an escape pair or a surrogate pair is never cut, so a part may hold one
    unit less and the count may exceed ceil(units / 153) by one in rare cases.
    """
    text = _valid_unicode(text)
    encoding, costs = _costs(text)
    chunks = _chunk_bounds(costs, encoding)
    ucs2_characters: tuple[str, ...] = ()
    if encoding == "ucs2":
        ucs2_characters = tuple(dict.fromkeys(c for c in text if gsm7.cost(c) is None))
    return SegmentInfo(
        encoding=encoding, units=sum(costs), segments=len(chunks), ucs2_characters=ucs2_characters
    )


def _costs(text: str) -> tuple[str, list[int]]:
    """Return the encoding a text needs and the units each character takes in it."""
    costs = [gsm7.cost(character) for character in text]
    if all(cost is not None for cost in costs):
        return "gsm7", [cost or 0 for cost in costs]
    return "ucs2", [2 if ord(character) > 0xFFFF else 1 for character in text]


def _chunk_bounds(costs: list[int], encoding: str) -> list[tuple[int, int]]:
    """Return (start, end) character ranges, one per SMS, never cutting a character."""
    single, part = (
        (GSM7_SINGLE_LIMIT, GSM7_PART_LIMIT)
        if encoding == "gsm7"
        else (UCS2_SINGLE_LIMIT, UCS2_PART_LIMIT)
    )
    if sum(costs) <= single:
        return [(0, len(costs))]
    bounds = []
    start = used = 0
    for index, cost in enumerate(costs):
        if used + cost > part:
            bounds.append((start, index))
            start, used = index, 0
        used += cost
    bounds.append((start, len(costs)))
    return bounds


def _segments(text: str, concat_reference: int) -> tuple[str, list[tuple[str, bytes]]]:
    """Given a text and a concatenation reference, return the encoding it needs and, for
    each SMS, its piece of the text and its user data header (none for a single SMS).
    """
    text = _valid_unicode(text)
    encoding, costs = _costs(text)
    chunks = [text[start:end] for start, end in _chunk_bounds(costs, encoding)]
    if len(chunks) == 1:
        return encoding, [(chunks[0], b"")]
    headers = [
        concat_information_element(concat_reference & 0xFF, len(chunks), sequence)
        for sequence in range(1, len(chunks) + 1)
    ]
    return encoding, list(zip(chunks, headers, strict=True))


# --- encoding ------------------------------------------------------------------------------


def encode_submit(
    number: str,
    text: str,
    reference: int,
    *,
    concat_reference: int = 0,
    request_report: bool = False,
) -> list[SubmitPdu]:
    """Given a destination number ('+336…' or national digits), a text and a TP-MR (0-255),
    return one SMS-SUBMIT per segment, without SMSC (the modem's own is used).

    Long texts get an 8-bit concatenation header carrying concat_reference & 0xFF; part n
    uses TP-MR (reference + n - 1) & 0xFF. Raise ValueError if the number is not a phone
    number or the reference is out of range.
    """
    if not 0 <= reference <= 0xFF:
        raise ValueError(f"TP-MR must be 0-255, got {reference}")
    address = _encode_address(number, alphanumeric_allowed=False)
    encoding, segments = _segments(text, concat_reference)
    pdus = []
    for sequence, (chunk, header) in enumerate(segments, start=1):
        first_octet = 0x01 | (0x20 if request_report else 0) | (0x40 if header else 0)
        user_data_length, user_data = _encode_user_data(chunk, encoding, header)
        tpdu = (
            bytes([first_octet, (reference + sequence - 1) & 0xFF])
            + address
            + bytes([0x00, _DATA_CODING[encoding], user_data_length])
            + user_data
        )
        pdus.append(SubmitPdu(hex="00" + tpdu.hex().upper(), tpdu_length=len(tpdu)))
    return pdus


def concat_information_element(
    reference: int, total: int, sequence: int, *, sixteen_bit: bool = False
) -> bytes:
    """Given a concat reference, part count and 1-based part number, return the user data
    header information element (IEI 00, or 08 with sixteen_bit). Raise ValueError if a value
    does not fit its field.
    """
    if not (1 <= total <= 0xFF and 0 <= sequence <= 0xFF):
        raise ValueError(f"concat total {total} / sequence {sequence} out of range")
    if sixteen_bit:
        if not 0 <= reference <= 0xFFFF:
            raise ValueError(f"16-bit concat reference out of range: {reference}")
        return bytes([0x08, 4, reference >> 8, reference & 0xFF, total, sequence])
    if not 0 <= reference <= 0xFF:
        raise ValueError(f"8-bit concat reference out of range: {reference}")
    return bytes([0x00, 3, reference, total, sequence])


_DATA_CODING = {"gsm7": 0x00, "ucs2": 0x08}


def _encode_user_data(chunk: str, encoding: str, header: bytes) -> tuple[int, bytes]:
    units = gsm7.encode(chunk) if encoding == "gsm7" else chunk.encode("utf-16-be")
    return _pack_user_data(units, encoding, header)


def _pack_user_data(units: bytes | list[int], encoding: str, header: bytes) -> tuple[int, bytes]:
    """Return (TP-UDL, TP-UD) for the given units and header information elements."""
    with_length = bytes([len(header)]) + header if header else b""
    if encoding != "gsm7":
        user_data = with_length + bytes(units)
        return len(user_data), user_data
    # Pack placeholder septets where the header goes, then lay the header octets over them:
    # the header plus its fill bits takes exactly header_septets septets.
    header_septets = (len(with_length) * 8 + 6) // 7
    packed = gsm7.pack([0] * header_septets + list(units))
    return header_septets + len(units), with_length + packed[len(with_length) :]


def _encode_address(address: str, *, alphanumeric_allowed: bool) -> bytes:
    """Return a TP address field: length in semi-octets, type of address, value."""
    if address.startswith("+") and _DIGITS.fullmatch(address[1:]):
        digits, type_of_address = address[1:], 0x91
    elif _DIGITS.fullmatch(address):
        digits, type_of_address = address, 0x81
    elif alphanumeric_allowed and address:
        septets = gsm7.encode(address)
        if len(septets) > 11:
            raise ValueError(f"alphanumeric address {address!r} longer than 11 septets")
        # Length counts the semi-octets the packed septets really use.
        return bytes([(len(septets) * 7 + 3) // 4, 0xD0]) + gsm7.pack(septets)
    else:
        raise ValueError(f"not a phone number: {address!r}")
    if len(digits) > 20:
        raise ValueError(f"number {address!r} longer than 20 digits")
    return bytes([len(digits), type_of_address]) + _semi_octets(digits)


def _semi_octets(digits: str) -> bytes:
    if len(digits) % 2:
        digits += "F"
    return bytes(int(digits[index + 1] + digits[index], 16) for index in range(0, len(digits), 2))
