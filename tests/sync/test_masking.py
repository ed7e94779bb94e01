"""Tests for sync.masking: what a masked receipt or screen shows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.masking import MASK, mask_address, mask_id_number, mask_name, mask_phone

# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("李小明", "李**"),
        ("张", "张*"),  # a single character is still masked
        (" 张三 ", "张*"),
        ("Zhang San", "Z********"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize("blank", ["", " ", "\u3000"])
def test_mask_name_blank(blank: str) -> None:
    assert mask_name(blank) == ""


# --- ID numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("51010519900101123X", "5101**********123X"),
        ("510107199003071236", "5101**********1236"),
        (" 110105491231002 ", "1101*******1002"),
        ("123456789", "1234*6789"),
        ("12345678", "********"),
        ("", ""),
    ],
)
def test_mask_id_number(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked


def test_mask_id_number_shape() -> None:
    masked = mask_id_number("51010519900101123X")
    assert len(masked) == 18
    assert masked[:4] == "5101"
    assert masked[4:14] == MASK * 10
    assert masked[14:] == "123X"
    assert "19900101" not in masked  # the birth date is hidden


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        (" 19912345678 ", "199****5678"),
        ("1234567", "*******"),
        ("12345678", "123*5678"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


# --- addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("四川省成都市武侯区人民南路四段1号", "四川省成都市武侯区****"),
        ("北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("上海市浦东新区世纪大道100号", "上海市浦东新区****"),
        ("广西壮族自治区南宁市青秀区民族大道1号", "广西壮族自治区南宁市青秀区****"),
        ("四川省阿坝藏族羌族自治州汶川县威州镇", "四川省阿坝藏族羌族自治州汶川县****"),
        ("贵州省贵阳市南明区中华南路1号", "贵州省贵阳市南明区****"),
        ("人民路1号", "人民路****"),  # no division: first three characters kept
        ("", ""),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("广东省广州市天河区体育西路1号", "广东省广州市天河区****"),
        ("浙江省杭州市西湖区文三路1号", "浙江省杭州市西湖区****"),
        ("江苏省苏州市昆山市玉山镇1号", "江苏省苏州市昆山市****"),
        ("山东省济南市市中区经七路1号", "山东省济南市市中区****"),
        ("杭州西湖区文三路1号", "杭州西湖区****"),
        ("四川省甘孜藏族自治州康定市炉城镇", "四川省甘孜藏族自治州康定市****"),
        # a "市" in a street-level name is not a city
        ("四川省成都市人民南路3号市政大楼", "四川省成都市****"),
    ],
)
def test_mask_address_prefecture_ending_in_zhou(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_mask_address_never_shows_the_street() -> None:
    masked = mask_address("四川省成都市武侯区人民南路四段1号")
    assert "人民南路" not in masked
    assert "1号" not in masked


def test_mask_address_division_only_still_masked() -> None:
    # Nothing but divisions: the whole text would be kept, so only three characters are.
    assert mask_address("四川省成都市武侯区") == "四川省****"


# --- properties -------------------------------------------------------------------------------

# Text a clerk could type: no mask character (an already-masked value may legitimately come back
# unchanged, e.g. mask_name("张*") == "张*") and not whitespace only (that masks to "").
typed_text = st.text(
    alphabet=st.characters(exclude_characters=MASK, exclude_categories=["Cs"]), min_size=2
).filter(lambda s: s.strip() != "")


@given(typed_text)
def test_masked_differs_and_contains_mask(text: str) -> None:
    for mask in (mask_name, mask_phone, mask_address):
        masked = mask(text)
        assert masked != text, mask.__name__
        assert MASK in masked, mask.__name__


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_mask_phone_keeps_only_ends(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]


@given(st.text(alphabet="0123456789X", min_size=9, max_size=30))
def test_mask_id_number_keeps_length_and_ends(number: str) -> None:
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    assert masked[:4] == number[:4]
    assert masked[-4:] == number[-4:]
    assert set(masked[4:-4]) == {MASK}
