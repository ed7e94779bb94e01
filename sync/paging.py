"""Paging and searching a list, the same way on both sides: pure, no database.

A list is read in **keyset** order: rows sorted by a sort key and the row's id, and a page
is "the next ``limit`` rows after (or before) this (key, id)", never ``OFFSET``: reaching
the millionth row costs what reaching the first does, with an index on (key, id).

The (key, id) a page ends at travels as an opaque **cursor**: base64url of a small JSON
array, carrying also the list it was made for (a digest of the filters and the search, so
that a cursor of one list is refused on another), the direction, and the position of the
page's first row (for "showing 201-250 of 313"; a hint, as rows may come and go).

A **search term** (what a clerk types in one box) is read by :func:`parse_search` into
the kinds both sides can match on what they keep in clear (masked copies only; nothing is
decrypted to search):

* a receipt number, whole (``2A7K-000042-O``, check character verified; a wrong one is
  refused as a typing mistake) or in part: the device tag with or without the number's
  beginning (``2A7K``, ``2A7K-0000``, ``2A7K-000042`` without the check character); dashes
  and spaces optional, but a tag of digits alone needs its dash (``2222-``: ``2222`` is a
  phone tail);
* the receipt's counter alone, any device (``42``, ``000042``: 1 to 9 digits but 4);
* a phone tail, the last 4 digits (``5678``); a whole mobile number (``13812345678``)
  matches its masked form ``138****5678``;
* a name: one character is a surname (``张``: every 张*); a longer name matches its masked
  form (``张三`` -> ``张*``: every two-character name of surname 张), and a masked name
  (``张*``) as it is.

Several terms separated by spaces must all match.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

import msgspec

from .errors import InvalidValue
from .ids import TAG_ALPHABET, TAG_LENGTH, check_receipt
from .masking import MASK, mask_name, mask_phone

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR_CHARS = 1024  # a cursor is ~100 characters; anything far longer is not one
MAX_SEARCH_CHARS = 100
MAX_TERMS = 4
CURSOR_VERSION = 1


class BadCursor(InvalidValue):
    """A cursor that is not one, or one made for another list (other filters or search)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="cursor", reason="cursor")


class BadSearch(InvalidValue):
    """A search term that is none of the kinds a list can be searched by."""

    def __init__(self, message: str, *, reason: str = "search") -> None:
        super().__init__(message, field="q", reason=reason)


# --- cursors ---------------------------------------------------------------------------------

Key = int | str


class Cursor(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """Where a page starts: after (``back=False``) or before (``back=True``) the row whose
    sort key is ``key`` and id ``id``; ``key=None`` with ``back=True`` is "before the end"
    (the last page). ``scope`` is the list's digest (:func:`scope_of`), ``start`` the
    position of the page's first row, 0-based."""

    version: int
    scope: str
    back: bool
    start: int
    key: list[Key] | None
    id: str | None


def scope_of(**parts: object) -> str:
    """A short digest of a list's filters, search and order: a cursor is only good for the
    list it was made for. Values are taken by their ``repr`` (None, str, int, bool)."""
    text = "\x1f".join(f"{name}={parts[name]!r}" for name in sorted(parts))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def encode_cursor(cursor: Cursor) -> str:
    """The cursor as an opaque URL-safe string (base64url, no padding)."""
    raw = msgspec.json.encode(cursor)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


_CURSOR_TEXT = re.compile(r"[A-Za-z0-9_-]+")
_CURSOR_DECODER = msgspec.json.Decoder(Cursor)


def decode_cursor(text: str, *, scope: str) -> Cursor:
    """The cursor ``text`` stands for, made for the list ``scope``; :class:`BadCursor` for
    anything else (not one of ours, damaged, or of another list)."""
    if not text or len(text) > MAX_CURSOR_CHARS or not _CURSOR_TEXT.fullmatch(text):
        raise BadCursor("cursor: not a cursor this list gave; start again from the first page")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        cursor = _CURSOR_DECODER.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise BadCursor(
            "cursor: not a cursor this list gave; start again from the first page"
        ) from None
    if cursor.version != CURSOR_VERSION or not 0 <= cursor.start < 2**53:
        raise BadCursor("cursor: not a cursor this list gave; start again from the first page")
    if cursor.key is not None and (
        not cursor.key  # a list's sort key has one value at least
        or any(isinstance(k, int) and not -(2**63) <= k < 2**63 for k in cursor.key)  # SQLite's
    ):
        raise BadCursor("cursor: not a cursor this list gave; start again from the first page")
    if (cursor.key is None) != (cursor.id is None) or (cursor.key is None and not cursor.back):
        raise BadCursor("cursor: not a cursor this list gave; start again from the first page")
    if cursor.scope != scope:
        raise BadCursor(
            "cursor: made for another list (other filters or search); start again from the"
            " first page"
        )
    return cursor


def after(scope: str, key: list[Key], row_id: str, *, start: int) -> str:
    """The cursor of the page after the row (``key``, ``row_id``), which starts at ``start``."""
    return encode_cursor(Cursor(CURSOR_VERSION, scope, False, start, list(key), row_id))


def before(scope: str, key: list[Key], row_id: str, *, start: int) -> str:
    """The cursor of the page before the row (``key``, ``row_id``), which is at ``start``."""
    return encode_cursor(Cursor(CURSOR_VERSION, scope, True, start, list(key), row_id))


def last(scope: str) -> str:
    """The cursor of a list's last page."""
    return encode_cursor(Cursor(CURSOR_VERSION, scope, True, 0, None, None))


# --- page requests and pages -----------------------------------------------------------------


@dataclass(frozen=True)
class PageRequest:
    """What a list page asks for: where (``cursor``, None: the first page), how many
    (``limit``) and what (``q``, a search term as typed; blank: no search)."""

    cursor: str | None = None
    limit: int = DEFAULT_LIMIT
    q: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not isinstance(self.limit, int):
            raise InvalidValue("limit: a whole number", field="limit", reason="limit")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidValue(f"limit: from 1 to {MAX_LIMIT}", field="limit", reason="limit")
        if self.cursor == "":
            object.__setattr__(self, "cursor", None)
        if len(self.q) > MAX_SEARCH_CHARS:
            raise BadSearch(f"q: at most {MAX_SEARCH_CHARS} characters", reason="too_long")

    @property
    def terms(self) -> list[Term]:
        """The search terms (:func:`parse_search`); empty when there is no search."""
        return parse_search(self.q)


def page_request(
    cursor: str | None = None, limit: int | str | None = None, q: str | None = None
) -> PageRequest:
    """A :class:`PageRequest` from what a form or query string gives (strings, or None for
    absent): a limit that is not a number from 1 to :data:`MAX_LIMIT` is refused
    (``field``: ``limit``), and so is a search term no list can use (``field``: ``q``)."""
    if limit is None or limit == "":
        number = DEFAULT_LIMIT
    elif isinstance(limit, str):
        if not re.fullmatch(r"[0-9]{1,6}", limit):
            raise InvalidValue(f"limit: from 1 to {MAX_LIMIT}", field="limit", reason="limit")
        number = int(limit)
    else:
        number = limit
    request = PageRequest(cursor=cursor or None, limit=number, q=(q or "").strip())
    parse_search(request.q)  # refused now, not when the list is read
    return request


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its ``rows``, the ``total`` matching the filters and search, the
    position of its first row (``start``, 0-based), and the cursors of the pages around it
    (None when there is none: ``next_cursor`` None is the end)."""

    rows: list[T]
    total: int
    start: int = 0
    next_cursor: str | None = None
    prev_cursor: str | None = None
    last_cursor: str | None = None
    terms: list[Term] = field(default_factory=list)

    @property
    def first_shown(self) -> int:
        """The 1-based number of the page's first row ("showing 201-250 of 313"); 0 if empty."""
        return self.start + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        """The 1-based number of the page's last row; 0 if empty."""
        return self.start + len(self.rows)


# What a store gives :func:`read_page`: the rows after (``back=False``) or before
# (``back=True``) the row (key, id) in the list's order, nearest first, at most ``limit``;
# (None, None): from the start, or back from the end.
Fetch = Callable[[list[Key] | None, str | None, bool, int], Sequence[T]]


def read_page(
    request: PageRequest,
    *,
    scope: str,
    fetch: Fetch[T],
    count: Callable[[], int],
    key_of: Callable[[T], list[Key]],
    id_of: Callable[[T], str],
    offset: int | None = None,
    fetch_offset: Callable[[int, int], Sequence[T]] | None = None,
) -> Page[T]:
    """Assemble one keyset page from a store's queries: ``fetch`` (see :data:`Fetch`),
    ``count`` (the total for the list), and how to read a row's sort key and id. One fetch
    of ``limit + 1`` rows tells whether there is more; one of a single row whether there is
    any on the other side. ``offset`` (with ``fetch_offset(offset, limit)``), when the
    request has no cursor, reads a page by position instead, for callers that page by number;
    its cursors are keyset ones. A bad cursor is refused before any query."""
    limit = request.limit
    cursor = decode_cursor(request.cursor, scope=scope) if request.cursor else None
    total = count()
    if offset is not None and fetch_offset is not None and cursor is None:
        got = list(fetch_offset(offset, limit + 1))
        rows, start = got[:limit], offset
        has_next = len(got) > limit
        has_prev = offset > 0 and bool(rows or total)
    elif cursor is not None and cursor.back:
        got = list(fetch(cursor.key, cursor.id, True, limit + 1))
        more = len(got) > limit
        rows = list(reversed(got[:limit]))
        if cursor.key is None:
            start = max(total - len(rows), 0)
        else:
            start = max(cursor.start - len(rows), 0) if more else 0
        has_prev = more
        has_next = bool(rows) and bool(fetch(key_of(rows[-1]), id_of(rows[-1]), False, 1))
    else:
        got = list(
            fetch(cursor.key if cursor else None, cursor.id if cursor else None, False, limit + 1)
        )
        rows, start = got[:limit], cursor.start if cursor else 0
        has_next = len(got) > limit
        has_prev = (
            bool(fetch(key_of(rows[0]), id_of(rows[0]), True, 1))
            if rows and cursor is not None
            else cursor is not None and total > 0
        )
    next_cursor = prev_cursor = None
    if has_next and rows:
        next_cursor = after(scope, key_of(rows[-1]), id_of(rows[-1]), start=start + len(rows))
    if has_prev:
        prev_cursor = (
            before(scope, key_of(rows[0]), id_of(rows[0]), start=start) if rows else last(scope)
        )
    return Page(
        rows=rows,
        total=total,
        start=start,
        next_cursor=next_cursor,
        prev_cursor=prev_cursor,
        last_cursor=last(scope) if next_cursor else None,
        terms=parse_search(request.q),
    )


# --- search terms ----------------------------------------------------------------------------

Kind = Literal[
    "receipt",  # a whole receipt number: value is it, normalised
    "receipt_prefix",  # value is the start of receipt numbers ("2A7K-0000")
    "receipt_counter",  # value is the counter part with its dash ("000042-"), any device
    "phone_tail",  # value is the last 4 digits
    "phone",  # value is the masked phone ("138****5678"); tail is its last 4 digits
    "surname",  # value is the first character of masked names
    "masked_name",  # value is a masked name ("张*")
]


@dataclass(frozen=True)
class Term:
    """One search term as both sides match it: see the module's docstring."""

    kind: Kind
    value: str
    typed: str

    @property
    def tail(self) -> str:
        """The phone tail of a ``phone`` or ``phone_tail`` term."""
        return self.value[-4:]


_TAG_CHARS = re.escape(TAG_ALPHABET)
# Tag, dash, counter digits, dash, check character: all but the tag optional.
_RECEIPT_LIKE = re.compile(rf"^([{_TAG_CHARS}]{{{TAG_LENGTH}}})(-?)([0-9]*)(-?)([0-9A-Z]?)$")
_DIGITS = re.compile(r"^[0-9]+$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# A name: letters of any script (CJK ones first among them), the middle dot of transcribed
# names, spaces inside, or the mask character; no digits, no ASCII punctuation.
_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[·.])*\**$")


def _counter(digits: str) -> str:
    """The counter part of receipt numbers, as written in them, with its dash: 42 ->
    '000042-' (six digits at least, zero-padded)."""
    return f"{int(digits):06d}-"


def _receipt_term(text: str, typed: str) -> Term | None:
    """A receipt number, whole or its start; None if ``text`` is not shaped like one."""
    match = _RECEIPT_LIKE.match(text)
    if not match:
        return None
    tag, dash, digits, dash2, check = match.groups()
    if len(digits) > 10 or ((dash2 or check) and not digits):
        return None
    if check:  # "TAG-NNNNNN-C": whole, and its check character must be right
        try:
            return Term("receipt", check_receipt(f"{tag}-{digits}-{check}"), typed)
        except InvalidValue as exc:
            raise BadSearch(f"q: {exc.message}", reason=exc.reason) from None
    if not dash2 and len(digits) == 7 and digits[0] == "0":
        # Without its last dash: a six-digit counter and a digit check character (a counter
        # of seven digits or more never starts with 0).
        try:
            return Term("receipt", check_receipt(f"{tag}-{digits[:6]}-{digits[6]}"), typed)
        except InvalidValue as exc:
            raise BadSearch(f"q: {exc.message}", reason=exc.reason) from None
    prefix = f"{tag}-{digits}{dash2}" if digits or dash else tag
    return Term("receipt_prefix", prefix, typed)


def _one_term(typed: str) -> Term:
    text = typed.upper()
    if _DIGITS.match(text):
        if len(text) == 4:
            return Term("phone_tail", text, typed)
        if _MOBILE.match(text):
            return Term("phone", mask_phone(text), typed)
        if len(text) <= 9 and int(text) > 0:
            return Term("receipt_counter", _counter(text), typed)
        whole = _receipt_term(text, typed)  # a tag of digits, then its counter: no dashes
        if whole is not None:
            return whole
        raise BadSearch(
            f"q: {typed!r} is neither a receipt counter (up to 9 digits), a phone tail"
            " (4 digits) nor a mobile number (11 digits)"
        )
    receipt = _receipt_term(text, typed)
    if receipt is not None:
        return receipt
    if _NAME.match(typed):
        if MASK in typed:
            return Term("masked_name", typed, typed)
        if len(typed) == 1:
            return Term("surname", typed, typed)
        return Term("masked_name", mask_name(typed), typed)
    raise BadSearch(
        f"q: {typed!r} is not a receipt number (like 2A7K-000042-M, or its beginning), a"
        " phone tail (4 digits) or a name"
    )


def parse_search(q: str) -> list[Term]:
    """The terms of a search box's text, each of one kind (module docstring); all must
    match. Blank: none. :class:`BadSearch` for a term of no kind."""
    text = q.strip()
    if not text:
        return []
    if len(text) > MAX_SEARCH_CHARS:
        raise BadSearch(f"q: at most {MAX_SEARCH_CHARS} characters", reason="too_long")
    # A receipt number read out in groups ("2A7K 000042 M") is one term.
    joined = re.sub(r"\s+", "", text).upper()
    if " " in text or "\t" in text:
        whole = _receipt_term(joined, text) if _RECEIPT_LIKE.match(joined) else None
        if whole is not None and whole.kind == "receipt":
            return [whole]
    words = text.split()
    if len(words) > MAX_TERMS:
        raise BadSearch(f"q: at most {MAX_TERMS} terms", reason="too_many")
    return [_one_term(word) for word in words]
