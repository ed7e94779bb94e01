"""Tests for sync.validators: resident IDs, credit codes, mobiles, tracking numbers and county
codes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc
from stdnum.iso7064 import mod_11_2

from sync.errors import InvalidValue
from sync.validators import (
    counties,
    credit_code,
    inspect_resident_id,
    mobile,
    region_code,
    resident_id,
    s10_check_digit,
    tracking_number,
)

TODAY = dt.date(2025, 6, 1)


def with_check(body17: str) -> str:
    """An 18-character resident ID number: the 17-digit body and its ISO 7064 check."""
    assert len(body17) == 17 and body17.isdigit()
    return body17 + mod_11_2.calc_check_digit(body17)


def wrong_check(number: str) -> str:
    """The same number with a check character that is certainly wrong."""
    return number[:17] + ("1" if number[17] != "1" else "2")


def refused(func, value, *, field: str, reason: str | None = None, **kwargs) -> InvalidValue:
    with pytest.raises(InvalidValue) as info:
        func(value, **kwargs)
    assert info.value.field == field
    if reason is not None:
        assert info.value.reason == reason, info.value.message
    return info.value


# --- resident identity card numbers -----------------------------------------------------------

VALID_BODIES = [
    "11010519491231002",  # 北京市朝阳区, check character X
    "51010719900307123",  # 四川省成都市武侯区
    "11010520000229001",  # a leap day
    "51010719851111042",
    "11010519000101001",
]


@pytest.mark.parametrize("body", VALID_BODIES)
def test_resident_id_valid(body: str) -> None:
    number = with_check(body)
    assert resident_id(number, today=TODAY) == number


def test_resident_id_check_x_is_computed_not_remembered() -> None:
    number = with_check("11010519491231002")
    assert number == "11010519491231002X"
    assert resident_id(number, today=TODAY) == number


def test_resident_id_lowercase_x_is_upper_cased() -> None:
    assert resident_id("11010519491231002x", today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize(
    "typed",
    [
        "110105 19491231 002X",
        " 11010519491231002X ",
        "110105-19491231-002x",
        "1101 0519 4912 3100 2x",
        "110105\t19491231\u3000002X",
    ],
)
def test_resident_id_spaces_stripped(typed: str) -> None:
    assert resident_id(typed, today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize("body", VALID_BODIES)
def test_resident_id_wrong_check_refused(body: str) -> None:
    refused(
        resident_id,
        wrong_check(with_check(body)),
        field="id_number",
        reason="checksum",
        today=TODAY,
    )


@pytest.mark.parametrize("body", VALID_BODIES)
@pytest.mark.parametrize("position", range(17))
def test_resident_id_single_digit_typo_refused(body: str, position: int) -> None:
    number = with_check(body)
    typo = str((int(number[position]) + 1) % 10)
    mistyped = number[:position] + typo + number[position + 1 :]
    refused(resident_id, mistyped, field="id_number", reason="checksum", today=TODAY)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "1",
        "51010719900307123",  # 17: the check character left off
        "5101071990030712366",  # 19
        "51010719900307",
        "5101071990030712",  # 16
        "1101051949123100",  # 16
    ],
)
def test_resident_id_wrong_length(typed: str) -> None:
    refused(resident_id, typed, field="id_number", reason="length", today=TODAY)


@pytest.mark.parametrize(
    "typed",
    [
        "5101071990O3071236",  # letter O for zero in the body
        "51010A199003071236",
        "X10107199003071236",
        "51010719900307123Y",  # check character is neither a digit nor X
        "5101071990030712X6",
        "51010790030712X",  # 15 characters, not all digits
        "ABCDEFGHIJKLMNO",
    ],
)
def test_resident_id_letters_refused_as_format(typed: str) -> None:
    refused(resident_id, typed, field="id_number", reason="format", today=TODAY)


@pytest.mark.parametrize(
    "birth",
    [
        "19900230",  # 30 February
        "19010229",  # 1901 is no leap year
        "19001301",  # month 13
        "19900000",
        "19900431",  # 31 April
        "00000000",
        "18700101",  # before 1880
    ],
)
def test_resident_id_impossible_birth_date(birth: str) -> None:
    number = with_check("510107" + birth + "123")
    refused(resident_id, number, field="id_number", reason="birth_date", today=TODAY)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # What a Chinese input method in full-width mode types: folded to ASCII.
        ("51010719900307１236", "510107199003071236"),
        ("５１０１０７１９９００３０７１２３６", "510107199003071236"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("１１０１０５４９１２３１００２", "11010519491231002X"),  # legacy 15
    ],
)
def test_resident_id_full_width_digits_normalised(typed: str, expected: str) -> None:
    number = resident_id(typed, today=TODAY)
    assert number == expected
    assert number.isascii()


@pytest.mark.parametrize("digit", ["٥", "५", "𝟓"])  # Arabic-Indic, Devanagari, math bold five
def test_resident_id_other_script_digits_never_kept(digit: str) -> None:
    typed = "51010719900307123" + digit
    try:
        number = resident_id(typed, today=TODAY)
    except InvalidValue as err:
        assert err.field == "id_number"
    else:
        assert number.isascii()


def test_resident_id_birth_after_today_refused() -> None:
    number = with_check("51010720250602123")
    refused(resident_id, number, field="id_number", reason="birth_date", today=TODAY)
    # ...and accepted once that day has come.
    assert resident_id(number, today=dt.date(2025, 6, 2)) == number
    assert resident_id(number, today=dt.date(2030, 1, 1)) == number


def test_resident_id_birth_today_accepted() -> None:
    number = with_check("51010720250601123")
    assert resident_id(number, today=TODAY) == number


@pytest.mark.parametrize(
    ("body", "province", "county"),
    [
        ("11010519491231002", "北京", "朝阳区"),
        ("51010719900307123", "四川", "武侯区"),
    ],
)
def test_inspect_known_division(body: str, province: str, county: str) -> None:
    info = inspect_resident_id(with_check(body), today=TODAY)
    assert info.division == body[:6]
    assert info.place is not None
    assert province in info.place
    assert county in info.place
    assert "[" not in info.place  # the "[1990-]" validity prefixes are removed
    assert info.warnings == ()
    assert info.upgraded_from is None


def test_inspect_birth_date_and_sex() -> None:
    male = inspect_resident_id(with_check("51010719900307123"), today=TODAY)
    assert male.birth_date == dt.date(1990, 3, 7)
    assert male.sex == "male"
    female = inspect_resident_id(with_check("11010519491231002"), today=TODAY)
    assert female.birth_date == dt.date(1949, 12, 31)
    assert female.sex == "female"


@pytest.mark.parametrize("division", ["990101", "000000", "990000"])
def test_unknown_division_accepted_with_warning(division: str) -> None:
    number = with_check(division + "19900307123")
    info = inspect_resident_id(number, today=TODAY)
    assert info.number == number
    assert info.place is None
    assert len(info.warnings) == 1
    assert division in info.warnings[0]
    assert resident_id(number, today=TODAY) == number


def test_unknown_county_in_known_province_warns() -> None:
    number = with_check("51999919900307123")
    info = inspect_resident_id(number, today=TODAY)
    assert info.number == number  # accepted, an abolished county stays valid for life
    assert info.place is not None and "四川" in info.place
    assert len(info.warnings) == 1
    assert "519999" in info.warnings[0]


@pytest.mark.parametrize(
    ("legacy", "expected_body"),
    [
        ("110105491231002", "11010519491231002"),
        ("510107900307123", "51010719900307123"),
        ("510107850101042", "51010719850101042"),
    ],
)
def test_legacy_15_digit_upgraded(legacy: str, expected_body: str) -> None:
    info = inspect_resident_id(legacy, today=TODAY)
    assert info.upgraded_from == legacy
    assert len(info.number) == 18
    assert info.number[:17] == legacy[:6] + "19" + legacy[6:]
    assert info.number == with_check(expected_body)
    assert info.number[17] == mod_11_2.calc_check_digit(info.number[:17])
    assert mod_11_2.is_valid(info.number)
    assert info.birth_date.year == 1900 + int(legacy[6:8])
    # The sex digit of a legacy number is its last one.
    assert info.sex == ("male" if int(legacy[-1]) % 2 else "female")
    assert resident_id(legacy, today=TODAY) == info.number


def test_legacy_15_digit_with_spaces_upgraded() -> None:
    assert resident_id("110105 491231 002", today=TODAY) == "11010519491231002X"


def test_legacy_15_digit_impossible_date_refused() -> None:
    refused(resident_id, "510107900230123", field="id_number", reason="birth_date", today=TODAY)


@pytest.mark.parametrize("value", [None, 123, 510107199003071236, b"510107199003071236", 1.5, []])
def test_resident_id_non_text_is_invalid_value(value: object) -> None:
    err = refused(resident_id, value, field="id_number", today=TODAY)
    assert not isinstance(err, TypeError)
    err = refused(inspect_resident_id, value, field="id_number", today=TODAY)
    assert not isinstance(err, TypeError)


def test_resident_id_errors_serialise() -> None:
    err = refused(resident_id, "123", field="id_number", reason="length", today=TODAY)
    body = err.to_dict()
    assert body["field"] == "id_number"
    assert body["reason"] == "length"
    assert body["code"] == "invalid"


def test_resident_id_default_today_refuses_far_future() -> None:
    number = with_check("51010729990101123")
    refused(resident_id, number, field="id_number", reason="birth_date")


@given(
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    seq=st.integers(min_value=0, max_value=999),
    lower=st.booleans(),
)
def test_resident_id_property_valid_roundtrip(born: dt.date, seq: int, lower: bool) -> None:
    number = with_check(f"510107{born:%Y%m%d}{seq:03d}")
    typed = number.lower() if lower else number
    info = inspect_resident_id(typed, today=TODAY)
    assert info.number == number
    assert info.birth_date == born
    assert info.sex == ("male" if seq % 2 else "female")


# --- unified social credit codes (GB 32100-2015) ----------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [3**i % 31 for i in range(17)]


def uscc_check(body17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def make_uscc(body17: str) -> str:
    assert len(body17) == 17
    return body17 + uscc_check(body17)


USCC_BODIES = [
    "91110000600037341",  # 9: a company registered with market regulation
    "91510107MA6CXXXXX",
    "92440300L12345678",  # 9 2: an individual business
    "N2440306MA5DXXXX1",  # N: village collective economic organisation
    "N2510107123456789",
    "N1110105ABCDEFGHJ",
    "A1110000000000000",  # A: trade union
    "Y1510107MA6ABCDEF",  # Y: other registration authority
    "11100000000013127",  # 1: government agency
    "51110000500000720",  # 5: civil affairs (social organisation)
]


def test_uscc_weights_are_powers_of_three() -> None:
    assert USCC_WEIGHTS[:6] == [1, 3, 9, 27, 19, 26]
    assert len(USCC_WEIGHTS) == 17


def test_uscc_check_cross_checked_with_stdnum() -> None:
    body = "91110000600037341"
    assert uscc_check(body) == uscc.calc_check_digit(body)
    for body in USCC_BODIES:
        assert uscc_check(body) == uscc.calc_check_digit(body)


@pytest.mark.parametrize("body", USCC_BODIES)
def test_credit_code_valid(body: str) -> None:
    code = make_uscc(body)
    assert credit_code(code) == code


@pytest.mark.parametrize("body", USCC_BODIES)
def test_credit_code_normalised(body: str) -> None:
    code = make_uscc(body)
    typed = " ".join([code[:6].lower(), code[6:12], code[12:].lower()])
    assert credit_code(typed) == code
    assert credit_code(f"{code[:9]}-{code[9:]}".lower()) == code


@pytest.mark.parametrize("body", USCC_BODIES)
def test_credit_code_wrong_check_refused(body: str) -> None:
    code = make_uscc(body)
    for other in USCC_ALPHABET:
        if other != code[17]:
            refused(credit_code, code[:17] + other, field="credit_code", reason="checksum")


@pytest.mark.parametrize("body", USCC_BODIES[:3])
@pytest.mark.parametrize("position", [0, 1, 8, 12, 16])
def test_credit_code_single_substitution_refused(body: str, position: int) -> None:
    code = make_uscc(body)
    old = USCC_ALPHABET.index(code[position])
    new = USCC_ALPHABET[old - 1]
    mistyped = code[:position] + new + code[position + 1 :]
    refused(credit_code, mistyped, field="credit_code", reason="checksum")


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
@pytest.mark.parametrize("position", [0, 1, 10, 17])
def test_credit_code_letters_never_used_refused(letter: str, position: int) -> None:
    code = make_uscc("91510107MA6CXXXXX")
    bad = code[:position] + letter + code[position + 1 :]
    refused(credit_code, bad, field="credit_code", reason="format")
    refused(credit_code, bad.lower(), field="credit_code", reason="format")


@pytest.mark.parametrize("position", range(2, 8))
def test_credit_code_division_must_be_digits(position: int) -> None:
    body = "91510107MA6CXXXXX"
    bad_body = body[:position] + "A" + body[position + 1 :]
    # A correct check character, so only the division-code rule can refuse it.
    refused(credit_code, make_uscc(bad_body), field="credit_code", reason="format")


@pytest.mark.parametrize("punct", ["*", "#", "中", ".", "_"])
def test_credit_code_foreign_characters_refused(punct: str) -> None:
    code = make_uscc("91110000600037341")
    refused(credit_code, code[:10] + punct + code[11:], field="credit_code", reason="format")


@pytest.mark.parametrize(
    "typed",
    ["", "9111000060003734", "91110000600037341", "91110000600037341LL", "N", "A" * 30],
)
def test_credit_code_wrong_length(typed: str) -> None:
    refused(credit_code, typed, field="credit_code", reason="length")


def test_credit_code_full_width_normalised() -> None:
    code = make_uscc("91510107MA6CXXXXX")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())
    assert credit_code(full_width) == code


@pytest.mark.parametrize("value", [None, 91110000600037341, b"91110000600037341L"])
def test_credit_code_non_text(value: object) -> None:
    refused(credit_code, value, field="credit_code")


@given(
    st.text(alphabet=USCC_ALPHABET, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)
def test_credit_code_property_valid(head: str, division: str, tail: str) -> None:
    code = make_uscc(head + division + tail)
    assert credit_code(code) == code
    assert code[17] == uscc.calc_check_digit(code[:17])


# --- mainland mobile numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "+86 138 1234 5678",
        "0086-138-1234-5678",
        "(+86)13812345678",
        "+8613812345678",
        "138-1234-5678",
        " 138 1234 5678 ",
        "+86 (138) 1234-5678",
        "１３８１２３４５６７８",  # full width
    ],
)
def test_mobile_normalised(typed: str) -> None:
    assert mobile(typed) == "13812345678"


@pytest.mark.parametrize(
    "number",
    ["13012345678", "15012345678", "17712345678", "18612345678", "19912345678", "16612345678"],
)
def test_mobile_other_ranges(number: str) -> None:
    assert mobile(number) == number


@pytest.mark.parametrize(
    "typed",
    [
        "01012345678",  # a Beijing landline
        "010-1234-5678",
        "+1 202 555 0143",  # not China
        "+852 6123 4567",  # Hong Kong mobile
        "12345",
        "abc",
        "",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "10012345678",  # starts with 1 but no mobile range
    ],
)
def test_mobile_refused(typed: str) -> None:
    refused(mobile, typed, field="phone")


@pytest.mark.parametrize("value", [None, 13812345678])
def test_mobile_non_text(value: object) -> None:
    refused(mobile, value, field="phone")


# --- postal tracking numbers (UPU S10) --------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("EA123456785CN", "EA123456785CN"),
        ("RR473124829GB", "RR473124829GB"),
        ("ea 123 456 785 cn", "EA123456785CN"),
        ("ea123456785cn", "EA123456785CN"),
        ("EA-123-456-785-CN", "EA123456785CN"),
        (" RR473124829GB ", "RR473124829GB"),
        ("1150037862815", "1150037862815"),  # domestic, no check digit
        ("ＥＡ１２３４５６７８５ＣＮ", "EA123456785CN"),  # full width
    ],
)
def test_tracking_number_valid(typed: str, expected: str) -> None:
    assert tracking_number(typed) == expected


def test_s10_check_digit_known_examples() -> None:
    assert s10_check_digit("12345678") == "5"
    assert s10_check_digit("47312482") == "9"


@pytest.mark.parametrize("wrong", "012346789")
def test_tracking_number_wrong_check_digit(wrong: str) -> None:
    refused(tracking_number, f"EA12345678{wrong}CN", field="tracking_number", reason="checksum")


@pytest.mark.parametrize(
    "typed",
    ["abc", "", "EA12345678CN", "115003786281", "11500378628150", "EA1234567855CN", "E12345678CN"],
)
def test_tracking_number_junk_refused(typed: str) -> None:
    refused(tracking_number, typed, field="tracking_number", reason="format")


@pytest.mark.parametrize("value", [None, 1150037862815])
def test_tracking_number_non_text(value: object) -> None:
    refused(tracking_number, value, field="tracking_number")


S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def _s10_remainder(serial: str) -> int:
    return sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11


def _serial_with_remainder(remainder: int) -> str:
    for n in range(10_000):
        serial = f"{n:08d}"
        if _s10_remainder(serial) == remainder:
            return serial
    raise AssertionError(f"no serial found with remainder {remainder}")


def test_s10_check_digit_ten_becomes_zero() -> None:
    serial = _serial_with_remainder(1)  # 11 - 1 == 10
    assert s10_check_digit(serial) == "0"
    assert tracking_number(f"RR{serial}0CN") == f"RR{serial}0CN"


def test_s10_check_digit_eleven_becomes_five() -> None:
    serial = _serial_with_remainder(0)  # 11 - 0 == 11
    assert s10_check_digit(serial) == "5"
    assert tracking_number(f"RR{serial}5CN") == f"RR{serial}5CN"


@pytest.mark.parametrize("remainder", range(2, 11))
def test_s10_check_digit_other_remainders(remainder: int) -> None:
    serial = _serial_with_remainder(remainder)
    assert s10_check_digit(serial) == str(11 - remainder)


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_s10_property(serial: str) -> None:
    check = s10_check_digit(serial)
    assert len(check) == 1 and check.isdigit()
    assert tracking_number(f"EE{serial}{check}CN") == f"EE{serial}{check}CN"
    for other in "0123456789":
        if other != check:
            with pytest.raises(InvalidValue):
                tracking_number(f"EE{serial}{other}CN")


# --- county-level division codes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected", "name", "prefecture", "province"),
    [
        ("510107", "510107", "武侯区", "成都市", "四川省"),
        (" 510121 ", "510121", "金堂县", "成都市", "四川省"),
        ("５１０１０４", "510104", "锦江区", "成都市", "四川省"),  # full-width digits
        ("110105", "110105", "朝阳区", "", "北京市"),  # a municipality's district
        ("441900", "441900", "东莞市", "", "广东省"),  # a city without counties is its own
    ],
)
def test_region_code_a_county_that_exists_now(typed, expected, name, prefecture, province):
    assert region_code(typed) == expected
    county = counties()[expected]
    assert (county.name, county.prefecture, county.province) == (name, prefecture, province)


@pytest.mark.parametrize(
    "typed",
    [
        "999999",  # no such division
        "510100",  # 成都市: a prefecture with counties, not a county
        "510000",  # 四川省
        "510101",  # 市辖区: a placeholder, not a county
        "510122",  # 双流县: abolished in 2015 (now 双流区 510116)
        "110103",  # 崇文区: merged into 东城区 in 2010
    ],
)
def test_region_code_refuses_a_code_that_is_no_county(typed):
    refused(region_code, typed, field="region", reason="unknown")


@pytest.mark.parametrize("typed", ["", "51010", "5101077", "5101O7", "武侯区"])
def test_region_code_refuses_what_is_not_six_digits(typed):
    refused(region_code, typed, field="region", reason="format")


def test_region_code_non_text():
    refused(region_code, 510107, field="region", reason="type")


def test_counties_are_every_county_level_division_grouped_by_province():
    table = counties()
    assert 2800 < len(table) < 3000  # China has about 2,850 county-level divisions
    assert list(table) == sorted(table)
    assert all(len(code) == 6 and code.isdigit() for code in table)
    assert all(c.name and c.name != "市辖区" and c.province for c in table.values())
    assert "510116" in table and table["510116"].name == "双流区"
