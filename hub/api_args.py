"""The API's query parameters, read one way for every route: each malformed value is a 400
in the error shape naming its parameter, never a 500 or a silent default."""

from __future__ import annotations

import re
from typing import overload

from flask import request

from hub.errors import ApiError

# Query flags: ``reveal=1``, ``overdue=true``, ``stale=0``; anything else is refused.
FLAGS = {"1": True, "true": True, "0": False, "false": False}
# ASCII digits only, and few enough for int(): str.isdigit() also takes "²" and "٣", and
# Python refuses to convert a string of over 4,300 digits.
_DIGITS = re.compile(r"[0-9]{1,16}")


@overload
def int_arg(name: str, default: int, low: int = 0, high: int = 2**53) -> int: ...
@overload
def int_arg(name: str, default: None = None, low: int = 0, high: int = 2**53) -> int | None: ...
def int_arg(name: str, default: int | None = None, low: int = 0, high: int = 2**53) -> int | None:
    """A query parameter of ASCII digits within [low, high]; absent is ``default``."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise ApiError(400, "invalid", f"{name} must be an integer in [{low}, {high}]", field=name)
    return int(raw)


def flag_arg(name: str) -> bool:
    """A yes/no query parameter: absent is no; 1, true, 0 or false; anything else is 400."""
    raw = request.args.get(name)
    if raw is None:
        return False
    if raw not in FLAGS:
        raise ApiError(400, "invalid", f"{name} is one of {', '.join(FLAGS)}", field=name)
    return FLAGS[raw]


def choice_arg(name: str, choices: tuple[str, ...]) -> str | None:
    """A query parameter that must be one of ``choices`` when given, or 400 naming it."""
    raw = request.args.get(name)
    if raw is not None and raw not in choices:
        raise ApiError(400, "invalid", f"{name}: one of {', '.join(choices)}", field=name)
    return raw
