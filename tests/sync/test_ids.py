"""Tests for sync.ids: UUIDv7 record ids, device tags and receipt numbers."""

from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.errors import InvalidValue
from sync.ids import (
    RECEIPT_PATTERN,
    TAG_ALPHABET,
    TAG_LENGTH,
    UUID7_PATTERN,
    check_receipt,
    device_tag,
    is_uuid7,
    receipt_number,
    uuid7,
    uuid7_time_ms,
)

RAND = bytes(range(10))
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in milliseconds

# --- UUIDv7 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("rand", [RAND, b"\x00" * 10, b"\xff" * 10])
@pytest.mark.parametrize("unix_ms", [0, 1, T0, (1 << 48) - 1])
def test_uuid7_canonical_version_and_variant(unix_ms: int, rand: bytes) -> None:
    text = uuid7(unix_ms, rand)
    assert re.fullmatch(UUID7_PATTERN, text)
    assert text == text.lower()
    parsed = uuid.UUID(text)
    assert str(parsed) == text
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert is_uuid7(text)
    assert uuid7_time_ms(text) == unix_ms


def test_uuid7_layout() -> None:
    text = uuid7(T0, RAND)
    assert text[:13].replace("-", "") == f"{T0:012x}"
    assert text[14] == "7"
    assert text[19] in "89ab"


@given(
    unix_ms=st.integers(min_value=0, max_value=(1 << 48) - 1),
    rand=st.binary(min_size=10, max_size=10),
)
def test_uuid7_time_round_trips(unix_ms: int, rand: bytes) -> None:
    text = uuid7(unix_ms, rand)
    assert uuid7_time_ms(text) == unix_ms
    assert uuid.UUID(text).version == 7


@given(
    times=st.lists(
        st.integers(min_value=0, max_value=(1 << 48) - 1), min_size=2, max_size=20, unique=True
    ),
    data=st.data(),
)
def test_uuid7_sorts_by_time(times: list[int], data: st.DataObject) -> None:
    ids = {t: uuid7(t, data.draw(st.binary(min_size=10, max_size=10))) for t in times}
    by_time = [ids[t] for t in sorted(times)]
    assert sorted(ids.values()) == by_time


def test_uuid7_increasing_times_sort_as_strings() -> None:
    ids = [uuid7(T0 + step, b"\xff" * 10 if step % 2 else b"\x00" * 10) for step in range(50)]
    assert ids == sorted(ids)


@pytest.mark.parametrize("rand", [b"", b"\x00" * 9, b"\x00" * 11, b"\x00" * 16])
def test_uuid7_wrong_rand_length(rand: bytes) -> None:
    with pytest.raises(InvalidValue) as info:
        uuid7(T0, rand)
    assert info.value.field == "rand"


@pytest.mark.parametrize("unix_ms", [-1, -T0, 1 << 48])
def test_uuid7_time_out_of_range(unix_ms: int) -> None:
    with pytest.raises(InvalidValue) as info:
        uuid7(unix_ms, RAND)
    assert info.value.field == "unix_ms"


@pytest.mark.parametrize(
    "text",
    [
        "c7c43f60-1227-4e80-a1aa-ba2d7d0d7263",  # a version-4 UUID, fixed so workers collect alike
        uuid7(T0, RAND).upper(),
        "{" + uuid7(T0, RAND) + "}",
        uuid7(T0, RAND).replace("-", ""),
        "",
        "not-a-uuid",
    ],
)
def test_uuid7_time_ms_refuses_other_text(text: str) -> None:
    assert not is_uuid7(text)
    with pytest.raises(InvalidValue) as info:
        uuid7_time_ms(text)
    assert info.value.reason == "uuid7"


# --- device tags ------------------------------------------------------------------------------


def test_device_tag_zero() -> None:
    assert device_tag(0) == "2222"


def test_device_tag_examples() -> None:
    base = len(TAG_ALPHABET)
    assert device_tag(1) == "2223"
    assert device_tag(base) == "2232"
    assert device_tag(base**TAG_LENGTH - 1) == "ZZZZ"


def test_device_tags_distinct() -> None:
    tags = [device_tag(n) for n in range(5000)]
    assert len(set(tags)) == len(tags)
    for tag in tags:
        assert len(tag) == TAG_LENGTH
        assert set(tag) <= set(TAG_ALPHABET)


@given(
    st.integers(min_value=0, max_value=len(TAG_ALPHABET) ** TAG_LENGTH - 1),
    st.integers(min_value=0, max_value=len(TAG_ALPHABET) ** TAG_LENGTH - 1),
)
def test_device_tag_injective(a: int, b: int) -> None:
    assert (device_tag(a) == device_tag(b)) == (a == b)


def test_tag_alphabet_has_no_confusable_characters() -> None:
    assert not set(TAG_ALPHABET) & set("01OI")


@pytest.mark.parametrize("number", [-1, len(TAG_ALPHABET) ** TAG_LENGTH, 10**9])
def test_device_tag_out_of_range(number: int) -> None:
    with pytest.raises(InvalidValue) as info:
        device_tag(number)
    assert info.value.field == "number"


# --- receipt numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("seq", [1, 42, 999_999, 1_000_000, 999_999_999])
@pytest.mark.parametrize("device", [0, 1, 777, len(TAG_ALPHABET) ** TAG_LENGTH - 1])
def test_receipt_number_passes_check(device: int, seq: int) -> None:
    tag = device_tag(device)
    receipt = receipt_number(tag, seq)
    assert re.fullmatch(RECEIPT_PATTERN, receipt)
    assert receipt.startswith(f"{tag}-")
    assert int(receipt.split("-")[1]) == seq
    assert check_receipt(receipt) == receipt


def test_receipt_number_pads_counter() -> None:
    assert receipt_number("2222", 42).startswith("2222-000042-")


def test_check_receipt_normalises() -> None:
    receipt = receipt_number("2A7K", 42)
    assert check_receipt(receipt.lower()) == receipt
    assert check_receipt(f"  {receipt}  ") == receipt
    tag, seq, check = receipt.split("-")
    assert check_receipt(f"{tag.lower()} - {seq[:3]} {seq[3:]} - {check.lower()}") == receipt


@pytest.mark.parametrize(
    "text", ["", "2222", "2222-42-A", "2222-000042", "1111-000042-A", "2222-000042-AB", "junk"]
)
def test_check_receipt_format(text: str) -> None:
    with pytest.raises(InvalidValue) as info:
        check_receipt(text)
    assert info.value.field == "receipt"
    assert info.value.reason == "format"


@pytest.mark.parametrize(("tag", "seq"), [("222", 1), ("22222", 1), ("0000", 1), ("2222", 0)])
def test_receipt_number_bad_arguments(tag: str, seq: int) -> None:
    with pytest.raises(InvalidValue):
        receipt_number(tag, seq)


def test_receipt_number_counter_out_of_range() -> None:
    with pytest.raises(InvalidValue):
        receipt_number("2222", 1_000_000_000)


CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _alphabet_at(receipt: str, index: int) -> str:
    """The characters allowed at ``index`` of a receipt number by its format."""
    tag_end = TAG_LENGTH
    check_at = len(receipt) - 1
    if index < tag_end:
        return TAG_ALPHABET
    if index == check_at:
        return CHECK_ALPHABET
    return "0123456789"


@given(
    device=st.integers(min_value=0, max_value=len(TAG_ALPHABET) ** TAG_LENGTH - 1),
    seq=st.integers(min_value=1, max_value=999_999_999),
    data=st.data(),
)
def test_single_character_change_refused(device: int, seq: int, data: st.DataObject) -> None:
    receipt = receipt_number(device_tag(device), seq)
    positions = [i for i, c in enumerate(receipt) if c != "-"]
    index = data.draw(st.sampled_from(positions), label="index")
    choices = [c for c in _alphabet_at(receipt, index) if c != receipt[index]]
    new = data.draw(st.sampled_from(choices), label="new")
    changed = receipt[:index] + new + receipt[index + 1 :]
    assert re.fullmatch(RECEIPT_PATTERN, changed)  # still well-formed...
    with pytest.raises(InvalidValue) as info:
        check_receipt(changed)
    assert info.value.reason == "checksum"  # ...refused by the check character


def test_every_single_change_refused_exhaustively() -> None:
    receipt = receipt_number("2A7K", 42)
    for index, old in enumerate(receipt):
        if old == "-":
            continue
        for new in _alphabet_at(receipt, index):
            if new == old:
                continue
            changed = receipt[:index] + new + receipt[index + 1 :]
            with pytest.raises(InvalidValue):
                check_receipt(changed)
