"""SMS wire format, the network's side: the SMS-DELIVER PDUs a network hands a dongle and the
decoding of the SMS-SUBMIT PDUs a host sends (3GPP TS 23.040). Only the simulated dongle and
the tests need them; the daemon's codec is antirelou.pdu, whose building blocks (address,
alphabet, user data) these functions share. antirelou.pdu never imports this module.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from antirelou import gsm7

# The other half of the codec: the same fields, read and written the same way.
from antirelou.pdu import (
    _DATA_CODING,
    _DIGITS,
    Concat,
    _alphabet,
    _encode_address,
    _Malformed,
    _pack_user_data,
    _read_address,
    _read_first_octet,
    _read_user_data,
    _segments,
    _semi_octets,
    _valid_unicode,
)

__all__ = [
    "DEFAULT_SMSC",
    "Submit",
    "decode_submit",
    "encode_deliver",
    "encode_deliver_raw",
    "tpdu_length",
]

# The service centre number a simulated network puts in front of what it delivers.
DEFAULT_SMSC = "+33695000695"


@dataclass(frozen=True)
class Submit:
    """A decoded SMS-SUBMIT (what a host sent with AT+CMGS)."""

    number: str | None
    text: str
    units: str
    concat: Concat | None
    reference: int
    request_report: bool
    encoding: str


def decode_submit(pdu_hex: str) -> Submit:
    """Given an SMS-SUBMIT as hex (SMSC field in front, '00' for the modem's own), return
    a Submit. Raise ValueError if it is not a well-formed SMS-SUBMIT.
    """
    try:
        reader, first_octet = _read_first_octet(pdu_hex, 1)
        reference = reader.byte("message reference")
        number, _ = _read_address(reader, "destination address")
        reader.byte("protocol identifier")
        data_coding = reader.byte("data coding scheme")
        validity_format = (first_octet >> 3) & 0x03
        reader.take({0: 0, 2: 1}.get(validity_format, 7), "validity period")
        units, concat = _read_user_data(reader, first_octet, data_coding, {})
    except _Malformed:
        raise
    except Exception as problem:  # keep the documented contract: garbage gives ValueError
        raise ValueError(f"undecodable SMS-SUBMIT: {problem!r}") from problem
    return Submit(
        number=number,
        text=_valid_unicode(units),
        units=units,
        concat=concat,
        reference=reference,
        request_report=bool(first_octet & 0x20),
        encoding=_alphabet(data_coding),
    )


def encode_deliver(
    sender: str,
    text: str,
    timestamp: datetime,
    *,
    smsc: str = DEFAULT_SMSC,
    concat_reference: int | None = None,
    message_class: int | None = None,
) -> list[str]:
    """Given a sender, a text and the SMSC time, return the SMS-DELIVER PDUs (hex, SMSC field
    in front, as a modem stores them) a network would deliver, one per segment.

    Sender '+<digits>' is international, '<digits>' unknown type of number (short codes
    too), anything else alphanumeric. A naive timestamp is taken as UTC. When concat_reference
    is None it is derived from sender, text and time. Raise ValueError for a sender that
    cannot be encoded (alphanumeric longer than 11 septets or outside GSM 7-bit).
    message_class 0-3 marks the data coding with that class (0 flash, 2 SIM-specific).
    """
    if concat_reference is None:
        seed = f"{sender}\x00{text}\x00{timestamp.isoformat()}"
        concat_reference = zlib.crc32(seed.encode("utf-8", "surrogatepass")) & 0xFF
    encoding, segments = _segments(text, concat_reference)
    pdus = []
    for sequence, (chunk, header) in enumerate(segments, start=1):
        pdus.append(
            encode_deliver_raw(
                sender,
                chunk,
                data_coding=_class_coding(_DATA_CODING[encoding], message_class),
                timestamp=timestamp,
                smsc=smsc,
                header=header,
                more_messages=sequence < len(segments),
            )
        )
    return pdus


def encode_deliver_raw(
    sender: str,
    payload: str | bytes,
    *,
    data_coding: int = 0x00,
    timestamp: datetime | None = None,
    smsc: str | None = DEFAULT_SMSC,
    header: bytes = b"",
    more_messages: bool = False,
    user_data_length: int | None = None,
) -> str:
    """Given a sender and a payload, return one SMS-DELIVER as hex, built as told (for tests
    that need odd PDUs: 16-bit concat headers, 8-bit data, wrong lengths).

    The payload is a text, or raw units: septet values for a GSM 7-bit data coding, octets
    otherwise (compressed data too, taken as it is). `header` holds information elements (see concat_information_element); the
    header length octet and TP-UDHI are added. user_data_length overrides TP-UDL.
    Raise ValueError if the payload cannot be encoded in the data coding's alphabet.
    """
    encoding = _alphabet(data_coding)
    if isinstance(payload, str):
        if encoding == "unknown":
            raise ValueError("cannot compress a text: give compressed data as bytes")
        if encoding == "gsm7":
            units: bytes | list[int] = gsm7.encode(payload)
        elif encoding == "ucs2":
            units = payload.encode("utf-16-be", "surrogatepass")
        else:
            units = payload.encode("latin-1")
    else:
        units = bytes(payload)
    if encoding == "gsm7" and any(unit > 0x7F for unit in units):
        raise ValueError("GSM 7-bit payload values must be septets (0-127)")
    length, user_data = _pack_user_data(units, encoding, header)
    first_octet = 0x00 | (0 if more_messages else 0x04) | (0x40 if header else 0)
    moment = timestamp if timestamp is not None else datetime.now(UTC)
    tpdu = (
        bytes([first_octet])
        + _encode_address(sender, alphanumeric_allowed=True)
        + bytes([0x00, data_coding])
        + _encode_timestamp(moment)
        + bytes([length if user_data_length is None else user_data_length])
        + user_data
    )
    return (_encode_smsc(smsc) + tpdu).hex().upper()


def _class_coding(data_coding: int, message_class: int | None) -> int:
    """Given a general data coding and a message class (None: none), return the TP-DCS
    (23.038 §4: bit 4 says bits 1-0 hold the class).
    """
    if message_class is None:
        return data_coding
    if message_class not in range(4):
        raise ValueError(f"a message class is 0-3, got {message_class}")
    return data_coding | 0x10 | message_class


def tpdu_length(pdu_hex: str) -> int:
    """Given a PDU as hex, return its octets after the SMSC field, as +CMGL/+CMGR/+CMGS/+CMT
    count them.
    """
    try:
        data = bytes.fromhex(pdu_hex)
    except ValueError:
        return len(pdu_hex) // 2
    if not data:
        return 0
    return max(0, len(data) - 1 - data[0])


def _encode_smsc(smsc: str | None) -> bytes:
    if not smsc:
        return b"\x00"
    if smsc.startswith("+") and _DIGITS.fullmatch(smsc[1:]):
        digits, type_of_address = smsc[1:], 0x91
    elif _DIGITS.fullmatch(smsc):
        digits, type_of_address = smsc, 0x81
    else:
        raise ValueError(f"not an SMSC number: {smsc!r}")
    value = _semi_octets(digits)
    return bytes([1 + len(value), type_of_address]) + value


def _encode_timestamp(moment: datetime) -> bytes:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    offset = moment.utcoffset() or timedelta(0)
    quarters = round(offset.total_seconds() / 900)
    if not 1969 <= moment.year <= 2068 or abs(quarters) > 79:
        raise ValueError(f"timestamp {moment.isoformat()} cannot be encoded in TP-SCTS")
    fields = (
        moment.year % 100,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        abs(quarters),
    )
    octets = bytearray((value % 10) << 4 | value // 10 for value in fields)
    if quarters < 0:
        octets[6] |= 0x08
    return bytes(octets)
