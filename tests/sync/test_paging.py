"""sync/paging.py: cursors, page requests, search terms, and keyset pages over a plain list."""

from __future__ import annotations

import base64
import json

import pytest

from sync import paging
from sync.errors import InvalidValue
from sync.ids import receipt_number
from sync.paging import BadCursor, BadSearch, PageRequest, parse_search

RECEIPT = receipt_number("2A7K", 42)  # 2A7K-000042-O


def kinds(q: str) -> list[tuple[str, str]]:
    return [(t.kind, t.value) for t in parse_search(q)]


# --- search terms ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        RECEIPT,
        RECEIPT.lower(),
        RECEIPT.replace("-", ""),
        f" {RECEIPT} ",
        "2A7K 000042 " + RECEIPT[-1],
    ],
)
def test_a_whole_receipt_number_is_one_exact_term(typed):
    assert kinds(typed) == [("receipt", RECEIPT)]


def test_a_receipt_of_a_digits_only_tag_typed_without_dashes():
    assert kinds("22220000016") == [("receipt", "2222-000001-6")]
    assert kinds("2222000001") == [("receipt_prefix", "2222-000001")]


def test_a_receipt_with_a_digit_check_character_typed_without_dashes():
    whole = next(
        receipt_number("3B8M", n) for n in range(1, 99) if receipt_number("3B8M", n)[-1].isdigit()
    )
    assert kinds(whole.replace("-", "")) == [("receipt", whole)]


@pytest.mark.parametrize(
    ("typed", "prefix"),
    [
        ("2A7K", "2A7K"),
        ("2a7k", "2A7K"),
        ("2A7K-", "2A7K-"),
        ("2A7K-0000", "2A7K-0000"),
        ("2A7K-000042", "2A7K-000042"),
        ("2A7K000042", "2A7K-000042"),
        ("2A7K-000042-", "2A7K-000042-"),
        ("2222-", "2222-"),
    ],
)
def test_the_start_of_a_receipt_number_is_a_prefix(typed, prefix):
    assert kinds(typed) == [("receipt_prefix", prefix)]


def test_a_wrong_check_character_is_refused_as_a_mistyped_receipt():
    wrong = RECEIPT[:-1] + ("A" if RECEIPT[-1] != "A" else "B")
    with pytest.raises(BadSearch) as caught:
        parse_search(wrong)
    assert (caught.value.field, caught.value.reason) == ("q", "checksum")


@pytest.mark.parametrize(
    ("typed", "counter"),
    [("42", "000042-"), ("000042", "000042-"), ("1234567", "1234567-"), ("7", "000007-")],
)
def test_digits_alone_are_the_receipt_counter_of_any_device(typed, counter):
    assert kinds(typed) == [("receipt_counter", counter)]


def test_four_digits_are_a_phone_tail_and_eleven_a_mobile_number():
    assert kinds("5678") == [("phone_tail", "5678")]
    assert kinds("2222") == [("phone_tail", "2222")]  # a tag of digits needs its dash
    [term] = parse_search("13812345678")
    assert (term.kind, term.value, term.tail) == ("phone", "138****5678", "5678")


def test_names_match_what_the_masked_copy_keeps():
    assert kinds("张") == [("surname", "张")]
    assert kinds("张三") == [("masked_name", "张*")]
    assert kinds("欧阳娜娜") == [("masked_name", "欧***")]
    assert kinds("张*") == [("masked_name", "张*")]


def test_terms_separated_by_spaces_must_all_match():
    assert kinds("张 5678") == [("surname", "张"), ("phone_tail", "5678")]
    assert kinds("2A7K 42") == [("receipt_prefix", "2A7K"), ("receipt_counter", "000042-")]
    assert parse_search("   ") == []


@pytest.mark.parametrize(
    "typed", ["0", "000", "1234567890", "123456789012", "@@", "a1b2", "张3", "x" * 101,
              "a b c d e", "\x00"],
)  # fmt: skip
def test_a_term_of_no_kind_is_refused_naming_q(typed):
    with pytest.raises(BadSearch) as caught:
        parse_search(typed)
    assert isinstance(caught.value, InvalidValue)
    assert caught.value.field == "q"
    assert caught.value.to_dict()["field"] == "q"


# --- cursors ---------------------------------------------------------------------------------


def test_a_cursor_round_trips_and_is_url_safe():
    scope = paging.scope_of(status="routed", q="")
    text = paging.after(scope, [1_790_000_000_000], "0199-x", start=50)
    assert text.isascii() and "=" not in text and "+" not in text and "/" not in text
    cursor = paging.decode_cursor(text, scope=scope)
    assert (cursor.key, cursor.id, cursor.back, cursor.start) == (
        [1_790_000_000_000],
        "0199-x",
        False,
        50,
    )


def test_the_scope_depends_on_every_filter():
    assert paging.scope_of(a=1, b=None) == paging.scope_of(b=None, a=1)
    assert paging.scope_of(a=1, b=None) != paging.scope_of(a=1, b="x")
    assert paging.scope_of(a="1") != paging.scope_of(a=1)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


SCOPE = paging.scope_of(list="test")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "!!!",
        "a",  # not base64 of anything
        "x" * 2000,
        _b64(b"not json"),
        _b64(b"{}"),
        _b64(json.dumps([1, SCOPE, False, 0, [1]]).encode()),  # a member short
        _b64(json.dumps([2, SCOPE, False, 0, [1], "id"]).encode()),  # another version
        _b64(json.dumps([1, SCOPE, False, -5, [1], "id"]).encode()),
        _b64(json.dumps([1, SCOPE, False, 0, None, None]).encode()),  # "from the end", forward
        _b64(json.dumps([1, SCOPE, False, 0, [1], None]).encode()),
        _b64(json.dumps([1, SCOPE, "no", 0, [1], "id"]).encode()),
        _b64(json.dumps([1, SCOPE, False, 0, [[1]], "id"]).encode()),
        _b64(json.dumps([1, SCOPE, False, 0, [], "id"]).encode()),  # no sort key
        _b64(json.dumps([1, SCOPE, False, 0, [2**63], "id"]).encode()),  # beyond SQLite's ints
        _b64(json.dumps([1, SCOPE, False, 2**64 - 1, [1], "id"]).encode()),  # no such position
    ],
)
def test_a_damaged_or_foreign_cursor_is_refused_naming_cursor(text):
    with pytest.raises(BadCursor) as caught:
        paging.decode_cursor(text, scope=SCOPE)
    assert (caught.value.field, caught.value.reason) == ("cursor", "cursor")


def test_a_cursor_of_another_list_is_refused():
    text = paging.after(paging.scope_of(list="test", status="routed"), [1], "id", start=1)
    with pytest.raises(BadCursor, match="another list"):
        paging.decode_cursor(text, scope=SCOPE)


# --- page requests ---------------------------------------------------------------------------


def test_a_page_request_from_a_form():
    assert paging.page_request() == PageRequest(None, paging.DEFAULT_LIMIT, "")
    assert paging.page_request("", "20", "  张 ") == PageRequest(None, 20, "张")
    for limit in ("0", "501", "x", "-1", "²"):
        with pytest.raises(InvalidValue) as caught:
            paging.page_request(limit=limit)
        assert caught.value.field == "limit"
    with pytest.raises(BadSearch):
        paging.page_request(q="@@")  # refused when asked, not when read
    with pytest.raises(InvalidValue):
        PageRequest(limit=True)


# --- keyset pages over a list ----------------------------------------------------------------

ROWS = [{"at": n // 3, "id": f"id{n:04d}"} for n in range(103)]  # ties: three per key


def read(request: PageRequest, rows: list[dict] = ROWS) -> paging.Page[dict]:
    ordered = sorted(rows, key=lambda r: (r["at"], r["id"]))

    def fetch(key, row_id, back, limit):
        if key is None:
            chosen = list(reversed(ordered)) if back else ordered
        elif back:
            chosen = [r for r in reversed(ordered) if (r["at"], r["id"]) < (key[0], row_id)]
        else:
            chosen = [r for r in ordered if (r["at"], r["id"]) > (key[0], row_id)]
        return chosen[:limit]

    return paging.read_page(
        request,
        scope=SCOPE,
        fetch=fetch,
        count=lambda: len(rows),
        key_of=lambda r: [r["at"]],
        id_of=lambda r: r["id"],
        offset=None,
    )


def test_paging_forward_reaches_every_row_once_then_back_again():
    seen, cursor, starts = [], None, []
    while True:
        page = read(PageRequest(cursor=cursor, limit=10))
        assert page.total == 103
        starts.append(page.start)
        seen += [r["id"] for r in page.rows]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [r["id"] for r in ROWS]
    assert starts == list(range(0, 110, 10))
    assert (page.first_shown, page.last_shown) == (101, 103)
    assert page.last_cursor is None and page.prev_cursor is not None
    back: list[str] = []
    cursor = page.prev_cursor
    while cursor is not None:
        page = read(PageRequest(cursor=cursor, limit=10))
        back = [r["id"] for r in page.rows] + back
        cursor = page.prev_cursor
    assert back == [r["id"] for r in ROWS[:100]]
    assert page.start == 0 and page.next_cursor is not None


def test_the_first_page_has_no_previous_and_the_last_cursor_reaches_the_end():
    first = read(PageRequest(limit=25))
    assert first.prev_cursor is None and first.next_cursor and first.last_cursor
    last = read(PageRequest(cursor=first.last_cursor, limit=25))
    assert [r["id"] for r in last.rows] == [r["id"] for r in ROWS[-25:]]
    assert last.start == 78 and last.next_cursor is None and last.prev_cursor


def test_an_empty_list_is_one_empty_page():
    page = read(PageRequest(), rows=[])
    assert (page.rows, page.total, page.next_cursor, page.prev_cursor) == ([], 0, None, None)
    assert (page.first_shown, page.last_shown) == (0, 0)
