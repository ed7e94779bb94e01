"""Lists on the pages, the same on both apps: the page a query string asks for
(``cursor``, ``limit``, ``q``: sync.paging), and a refused search or page in the reader's words.
The store of each app reads the page; the pages show it with webbase/macros.html's
``showing`` and ``pager``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import request
from flask_babel import gettext as _

from sync import paging
from sync.errors import InvalidValue

T = TypeVar("T")


def read(
    reader: Callable[[paging.PageRequest], paging.Page[T]],
) -> tuple[paging.Page[T] | None, str]:
    """The page ``reader`` gives for this request's ``cursor``, ``limit`` and ``q``, or None
    and why not (a search no list can use, a cursor of another list or a stale one)."""
    try:
        asked = paging.page_request(
            request.args.get("cursor"), request.args.get("limit"), request.args.get("q")
        )
        return reader(asked), ""
    except InvalidValue as exc:
        return None, refusal(exc)


def refusal(exc: InvalidValue) -> str:
    """A refused search or page, in the reader's words."""
    if exc.field == "cursor":
        return _("That page of the list is no longer there: start again from the first page.")
    if exc.reason == "checksum":
        return _("That receipt number's check letter is wrong: look at the receipt again.")
    if exc.field == "limit":
        return _("A page shows from 1 to %(n)s applications.", n=paging.MAX_LIMIT)
    return _(
        "Search by receipt number (or its beginning), the last 4 digits of a phone number,"
        " or a name."
    )
