"""Identifiers made on the device without asking the hub.

Record ids are UUIDv7 (RFC 9562): a millisecond timestamp then random bits, so they sort by
creation time and never collide across devices. Receipt numbers are what a citizen is told:
the device's tag (unique, assigned once at enrolment), a per-device counter and an ISO 7064
MOD 37-36 check character that catches any single mistyped character.
"""

from __future__ import annotations

import re
import uuid

from stdnum.iso7064 import mod_37_36

from .errors import InvalidValue

UUID7_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_UUID7 = re.compile(UUID7_PATTERN)

# Letters and digits a clerk cannot confuse when reading aloud: no 0/O, 1/I.
TAG_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TAG_LENGTH = 4
RECEIPT_PATTERN = r"^[2-9A-HJ-NP-Z]{4}-[0-9]{6,9}-[0-9A-Z]$"
_RECEIPT = re.compile(RECEIPT_PATTERN)


def uuid7(unix_ms: int, rand: bytes) -> str:
    """Build a UUIDv7 string from a millisecond Unix time and 10 random bytes."""
    if not 0 <= unix_ms < 1 << 48:
        raise InvalidValue("timestamp out of range for a UUIDv7", field="unix_ms")
    if len(rand) != 10:
        raise InvalidValue("a UUIDv7 needs exactly 10 random bytes", field="rand")
    value = (unix_ms << 80) | int.from_bytes(rand, "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 9562 variant
    h = f"{value:032x}"  # what str(uuid.UUID(int=value)) gives, at a third of the cost
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def uuid7_time_ms(record_id: str) -> int:
    """The millisecond timestamp a UUIDv7 was made at (by the device's clock)."""
    if not _UUID7.match(record_id):
        raise InvalidValue(f"{record_id!r} is not a UUIDv7", field="id", reason="uuid7")
    return uuid.UUID(record_id).int >> 80


def is_uuid7(text: str) -> bool:
    """True if ``text`` is a lowercase canonical UUIDv7."""
    return bool(_UUID7.match(text))


def device_tag(number: int) -> str:
    """The receipt tag for the ``number``-th enrolled device (0-based), e.g. ``'2222'``."""
    base = len(TAG_ALPHABET)
    if not 0 <= number < base**TAG_LENGTH:
        raise InvalidValue("device number out of range for a receipt tag", field="number")
    chars = []
    for _ in range(TAG_LENGTH):
        number, digit = divmod(number, base)
        chars.append(TAG_ALPHABET[digit])
    return "".join(reversed(chars))


def receipt_number(tag: str, seq: int) -> str:
    """The receipt number for the ``seq``-th application captured on the device ``tag``."""
    if len(tag) != TAG_LENGTH or any(c not in TAG_ALPHABET for c in tag):
        raise InvalidValue(f"{tag!r} is not a device tag", field="tag")
    if not 1 <= seq <= 999_999_999:
        raise InvalidValue("receipt counter out of range", field="seq")
    body = f"{tag}{seq:06d}"
    return f"{tag}-{seq:06d}-{mod_37_36.calc_check_digit(body)}"


def receipt_tag(receipt: str) -> str:
    """The tag of the device that made a (well-formed) receipt number: its first part.

    Only the device enrolled with that tag gives the number (and, once, the same home
    enrolled again: docs/protocol.md section 4.3); the hub refuses it from any other
    (``receipt.foreign``), so a device cannot take the numbers another one will give.
    """
    return receipt[:TAG_LENGTH]


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALNUM_VALUE = {c: i for i, c in enumerate(_ALNUM)}


def _check_character(body: str) -> str:
    """ISO 7064 MOD 37-36 check character: ``mod_37_36.calc_check_digit`` without its
    per-character ``str.index`` (the hub checks every receipt of every batch)."""
    check = 18
    for char in body:
        check = ((check or 36) * 2 % 37 + _ALNUM_VALUE[char]) % 36
    return _ALNUM[(1 - (check or 36) * 2 % 37) % 36]


def check_receipt(text: str) -> str:
    """Normalise a typed receipt number and verify its check character."""
    value = text.strip().upper().replace(" ", "")
    if not _RECEIPT.match(value):
        raise InvalidValue(
            f"{text!r} is not a receipt number (like 2A7K-000042-M)",
            field="receipt",
            reason="format",
        )
    body, check = value[:-2].replace("-", ""), value[-1]
    if _check_character(body) != check:
        raise InvalidValue(
            f"receipt number {text!r} has a wrong check character",
            field="receipt",
            reason="checksum",
        )
    return value
