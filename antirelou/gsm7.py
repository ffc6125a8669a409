"""The GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1): its tables, and text to septets and
septets to octets and back. Spec data, kept here rather than imported from python-gsmmodem,
whose table comes with its modem module and pyserial.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["BASIC", "ESCAPE", "EXTENSION", "cost", "decode", "encode", "pack", "unpack"]

# 23.038 §6.2.1, the default alphabet: the character of each septet 0x00-0x7F, in rows of 16.
# 0x1B is the escape to the extension table. python-gsmmodem's copy has '`' at 0x5F, where the
# spec (and every phone) has '§': with it, a '§' in a reply cost a UCS-2 SMS and a '`' showed
# as '§' on the phone.
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
ESCAPE = 0x1B
# 23.038 §6.2.1.1, default extension table (form feed included, CR2 and SS2 are controls).
EXTENSION = {
    "\x0c": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
_EXTENSION_DECODE = {code: character for character, code in EXTENSION.items()}
# 0x1B is the escape, not a character a text may contain.
_BASIC_CODES = {character: code for code, character in enumerate(BASIC) if code != ESCAPE}


def cost(character: str) -> int | None:
    """Given a character, return the septets it takes (2 through the extension table), or
    None if the alphabet does not have it.
    """
    if character in _BASIC_CODES:
        return 1
    if character in EXTENSION:
        return 2
    return None


def encode(text: str) -> list[int]:
    """Given a text, return its septets. Raise ValueError for a character not in the
    alphabet or its extension table.
    """
    septets = []
    for character in text:
        if character in _BASIC_CODES:
            septets.append(_BASIC_CODES[character])
        elif character in EXTENSION:
            septets.extend((ESCAPE, EXTENSION[character]))
        else:
            raise ValueError(f"{character!r} is not in the GSM 7-bit alphabet")
    return septets


def decode(septets: Sequence[int]) -> str:
    """Given septets, return their text; never raise (every septet means something)."""
    characters = []
    escaped = False
    for septet in septets:
        if escaped:
            escaped = False
            character = _EXTENSION_DECODE.get(septet)
            if character is None:
                # 23.038 §6.2.1.1: a code missing from the extension table is shown as the
                # basic-table character; the escape of escape (SS2) is shown as a space.
                character = " " if septet == ESCAPE else BASIC[septet]
            characters.append(character)
        elif septet == ESCAPE:
            escaped = True
        else:
            characters.append(BASIC[septet])
    if escaped:
        characters.append(" ")  # an escape with nothing after it: a space, not silence
    return "".join(characters)


def pack(septets: Sequence[int]) -> bytes:
    """Given septets, return them packed into octets, least significant bits first."""
    packed = 0
    for index, septet in enumerate(septets):
        packed |= septet << (7 * index)
    return packed.to_bytes((len(septets) * 7 + 7) // 8, "little")


def unpack(octets: bytes, count: int) -> list[int]:
    """Given packed octets and how many septets they hold, return the septets."""
    packed = int.from_bytes(octets, "little")
    return [(packed >> (7 * index)) & 0x7F for index in range(count)]
