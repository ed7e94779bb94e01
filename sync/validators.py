"""Validators for what staff type at the counter.

Each returns the normalised value or raises ``InvalidValue`` with the field, a stable
``reason`` word and a message a clerk can act on. They are strict about check characters and
lenient where the real world is messy: an ID number from an abolished county stays valid for
life, so an unknown division code is a warning on ``ResidentId``, never a refusal.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import msgspec
import phonenumbers
from stdnum import numdb
from stdnum.iso7064 import mod_11_2

from .errors import InvalidValue
from .types import Code

__all__ = [
    "County",
    "ResidentId",
    "counties",
    "credit_code",
    "inspect_resident_id",
    "mobile",
    "outlet_code",
    "region_code",
    "resident_id",
    "tracking_number",
]

_SPACES = re.compile(r"[\s\-]+")
_DIGITS = re.compile(r"[0-9]+")
_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")


def _compact(text: object, field_name: str) -> str:
    if not isinstance(text, str):
        raise InvalidValue(f"{field_name} must be text", field=field_name, reason="type")
    # NFKC folds the full-width digits and letters a Chinese input method types into ASCII.
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).upper()


# --- resident identity card numbers (GB 11643-1999) -------------------------------------------


@dataclass(frozen=True)
class ResidentId:
    """A checked resident ID number and what it says about its holder."""

    number: str
    birth_date: dt.date
    sex: str  # "male" | "female"
    division: str
    place: str | None  # e.g. "四川省 武侯区" when the division code is known
    upgraded_from: str | None = None  # the legacy 15-digit number, if that was typed
    warnings: tuple[str, ...] = field(default=())


def _birth_date(text: str, original: str, today: dt.date) -> dt.date:
    try:
        born = dt.date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise InvalidValue(
            f"ID number {original!r} holds no real birth date ({text})",
            field="id_number",
            reason="birth_date",
        ) from None
    if born > today:
        raise InvalidValue(
            f"ID number {original!r} has a birth date in the future ({born.isoformat()})",
            field="id_number",
            reason="birth_date",
        )
    if born.year < 1880:
        raise InvalidValue(
            f"ID number {original!r} has an implausible birth year ({born.year})",
            field="id_number",
            reason="birth_date",
        )
    return born


def _place(division: str) -> tuple[str | None, bool]:
    """The place names a division code resolves to, and whether it resolved to a county."""
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(division):
        info.update(props)
    # Counties renamed over time are listed as "[start-end]name,..."; keep the last name.
    names = [info.get(k, "") for k in ("province", "prefecture", "county")]
    names = [re.sub(r"\[[^\]]*\]", "", n).split(",")[-1] for n in names]
    return (" ".join(n for n in names if n) or None), bool(info.get("county"))


def inspect_resident_id(text: object, *, today: dt.date | None = None) -> ResidentId:
    """Check a resident ID number (18 characters, or a legacy 15-digit one) in full."""
    original = text if isinstance(text, str) else repr(text)
    number = _compact(text, "id_number")
    today = today or dt.date.today()
    upgraded_from = None
    if len(number) == 15:
        if not _DIGITS.fullmatch(number):
            raise InvalidValue(
                f"a 15-digit ID number has digits only; {original!r} does not",
                field="id_number",
                reason="format",
            )
        # Legacy numbers were issued 1984-1999 to people born in the 1900s: add "19" and a check.
        upgraded_from = number
        body = number[:6] + "19" + number[6:]
        number = body + mod_11_2.calc_check_digit(body)
    if len(number) != 18:
        raise InvalidValue(
            f"an ID number has 18 characters; {original!r} has {len(number)}",
            field="id_number",
            reason="length",
        )
    if not _RESIDENT_ID.fullmatch(number):
        raise InvalidValue(
            f"an ID number is 17 digits then a digit or X; {original!r} is not",
            field="id_number",
            reason="format",
        )
    expected = mod_11_2.calc_check_digit(number[:17])
    if number[17] != expected:
        raise InvalidValue(
            f"ID number {original!r} has a wrong check character (a digit was probably mistyped)",
            field="id_number",
            reason="checksum",
        )
    born = _birth_date(number[6:14], original, today)
    division = number[:6]
    place, is_county = _place(division)
    warnings: tuple[str, ...] = ()
    if not is_county:
        known = f" (only {place} is known)" if place else ""
        warnings = (f"division code {division} is not a known county{known}",)
    return ResidentId(
        number=number,
        birth_date=born,
        sex="male" if int(number[16]) % 2 else "female",
        division=division,
        place=place,
        upgraded_from=upgraded_from,
        warnings=warnings,
    )


def resident_id(text: object, *, today: dt.date | None = None) -> str:
    """Normalised 18-character resident ID number (legacy 15-digit numbers upgraded)."""
    return inspect_resident_id(text, today=today).number


# --- unified social credit codes (GB 32100-2015) ----------------------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(text: object) -> str:
    """Normalised 18-character unified social credit code (any registration authority)."""
    original = text if isinstance(text, str) else repr(text)
    code = _compact(text, "credit_code")
    if len(code) != 18:
        raise InvalidValue(
            f"a unified social credit code has 18 characters; {original!r} has {len(code)}",
            field="credit_code",
            reason="length",
        )
    bad = sorted({c for c in code if c not in _USCC_ALPHABET})
    if bad:
        raise InvalidValue(
            f"credit code {original!r} holds characters never used in one: {''.join(bad)}",
            field="credit_code",
            reason="format",
        )
    if not _DIGITS.fullmatch(code[2:8]):
        raise InvalidValue(
            f"characters 3-8 of a credit code are a division code (digits); {original!r} is not",
            field="credit_code",
            reason="format",
        )
    # The GB 32100 check: weights 3^i mod 31, check = (31 - sum mod 31) mod 31. Only this
    # character is checked: registration-authority letters (N, A, Y...) and the embedded
    # organisation code vary too much in real codes to refuse on.
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(code, _USCC_WEIGHTS, strict=False))
    if _USCC_ALPHABET[(31 - total % 31) % 31] != code[17]:
        raise InvalidValue(
            f"credit code {original!r} has a wrong check character",
            field="credit_code",
            reason="checksum",
        )
    return code


# --- mainland mobile numbers ------------------------------------------------------------------

_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def mobile(text: object) -> str:
    """Normalised 11-digit mainland mobile number (a +86 / 0086 prefix is accepted)."""
    original = text if isinstance(text, str) else repr(text)
    compact = _compact(text, "phone").replace("(", "").replace(")", "")
    if compact.startswith("0086"):
        compact = "+86" + compact[4:]
    try:
        parsed = phonenumbers.parse(compact, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidValue(
            f"{original!r} is not a phone number", field="phone", reason="format"
        ) from None
    if parsed.country_code != 86:
        raise InvalidValue(
            f"{original!r} is not a mainland China number", field="phone", reason="country"
        )
    national = str(parsed.national_number)
    if len(national) != 11 or not national.startswith("1"):
        raise InvalidValue(
            f"a mobile number has 11 digits starting with 1; {original!r} does not",
            field="phone",
            reason="format",
        )
    if not phonenumbers.is_valid_number(parsed) or (
        phonenumbers.number_type(parsed) not in _MOBILE_TYPES
    ):
        raise InvalidValue(
            f"{original!r} is not an assigned mobile number range", field="phone", reason="range"
        )
    return national


# --- postal tracking numbers (UPU S10) --------------------------------------------------------

_S10 = re.compile(r"^[A-Z]{2}[0-9]{9}[A-Z]{2}$")
_DOMESTIC = re.compile(r"^[0-9A-Z]{13}$")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> str:
    """UPU S10 check digit for an 8-digit serial number."""
    remainder = sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    return {0: "5", 1: "0"}.get(remainder, str(11 - remainder))


def tracking_number(text: object) -> str:
    """Normalised tracking number: UPU S10 with its check digit, or a 13-character domestic one."""
    original = text if isinstance(text, str) else repr(text)
    value = _compact(text, "tracking_number")
    if _S10.match(value):
        if s10_check_digit(value[2:10]) != value[10]:
            raise InvalidValue(
                f"tracking number {original!r} has a wrong check digit",
                field="tracking_number",
                reason="checksum",
            )
        return value
    if _DOMESTIC.match(value) and not value[:2].isalpha() and not value[-2:].isalpha():
        return value  # domestic numbers carry no check digit we can verify
    raise InvalidValue(
        f"{original!r} is not a tracking number (like EA123456785CN, or 13 domestic characters)",
        field="tracking_number",
        reason="format",
    )


_CODE: Any = Code  # the records' code type


def outlet_code(text: object) -> str:
    """An outlet's code as every record carries it (sync.types.Code: ASCII letters and digits,
    then also ``_``, ``.`` and ``-``, at most 64): an outlet whose code the wire refused could
    send nothing. Raises InvalidValue (reason ``format``)."""
    try:
        return str(msgspec.convert(text, type=_CODE))
    except msgspec.ValidationError:
        raise InvalidValue(
            "an outlet code is 1-64 ASCII letters, digits, '_', '.' or '-', starting with a"
            " letter or digit",
            field="outlet",
            reason="format",
        ) from None


# --- county-level divisions (GB/T 2260) ---------------------------------------------------------

_DIVISION = re.compile(r"[0-9]{6}")
_SPAN = re.compile(r"\[(\d*)-(\d*)\](.*)")


@dataclass(frozen=True)
class County:
    """A county-level division as it is named now: ``code`` (6 digits), its ``name``, the
    ``prefecture`` it belongs to (empty for a municipality's districts) and the ``province``."""

    code: str
    name: str
    prefecture: str
    province: str


def _current_name(names: str) -> str | None:
    """The name a division has now, from python-stdnum's ``[start-end]name,...`` history;
    None when it was abolished (every name of it has an end year)."""
    current = None
    for part in names.split(","):
        span = _SPAN.fullmatch(part)
        if span is None:
            current = part
        elif not span.group(2):
            current = span.group(3)
    return current


@cache
def counties() -> dict[str, County]:
    """Every county-level division that exists now, by code, in code order (grouped by
    province): python-stdnum's GB/T 2260 table, the one ID numbers are read with. Codes ending
    in 00 (provinces, prefectures) and the placeholders 市辖区 ("districts of the city") are
    not counties, but a prefecture-level city without counties is its own (东莞市 441900)."""
    found: dict[str, County] = {}
    for _length, province_code, _high, province, children in sorted(
        numdb.get("cn/loc").prefixes, key=lambda p: p[1]
    ):
        names = {
            low: _current_name(props.get("county", ""))
            for _l, low, _h, props, _c in children
            if low == _h
        }
        with_counties = {
            low[:2]
            for low, name in names.items()
            if name and name != "市辖区" and not low.endswith("00")
        }
        for low in sorted(names):
            name = names[low]
            if not name or name == "市辖区" or low.endswith("0000"):
                continue
            if low.endswith("00") and low[:2] in with_counties:
                continue
            prefecture = "" if low.endswith("00") else names.get(low[:2] + "00") or ""
            found[province_code + low] = County(
                code=province_code + low,
                name=name,
                prefecture="" if prefecture in ("市辖区", "县") else prefecture,
                province=province.get("province", ""),
            )
    return found


def region_code(text: object) -> str:
    """The applicant's county as a record carries it: a county-level division code that
    exists now (:func:`counties`), six digits (full-width ones folded). Raises InvalidValue
    (field ``region``, reason ``type``, ``format`` or ``unknown``)."""
    code = _compact(text, "region")
    if not _DIVISION.fullmatch(code):
        raise InvalidValue(
            f"a county is a 6-digit division code; {text!r} is not", field="region", reason="format"
        )
    if code not in counties():
        raise InvalidValue(
            f"{code} is not the code of a county-level division that exists now",
            field="region",
            reason="unknown",
        )
    return code
