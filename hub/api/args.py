"""The API's query parameters and JSON bodies, read one way for every route: each malformed
value is a 400 in the error shape naming its parameter, never a 500 or a silent default."""

from __future__ import annotations

import json
import re
from typing import Any, overload

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


# How deep a JSON request body may nest: the API's bodies are flat objects (a list of codes at
# most), so anything deeper is refused before it can exhaust the parser's recursion.
MAX_JSON_DEPTH = 32
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # re reads the escapes: any lone surrogate


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_json_body() -> dict[str, Any]:
    """The request's body as a JSON object (the one reader of every JSON route of the API),
    or ``400 invalid_json`` (``field``: ``body``) when it cannot be read: not sent as
    ``application/json``, not UTF-8, malformed, ``NaN``/``Infinity``, nested deeper than
    :data:`MAX_JSON_DEPTH`, or holding a lone surrogate (which could be neither stored nor
    answered); ``400 invalid`` (``field``: ``body``) when it is JSON but not an object. A
    body over ``MAX_CONTENT_LENGTH`` is ``413 too_large``."""
    if not request.is_json:
        raise ApiError(
            400,
            "invalid_json",
            "send a JSON object with Content-Type: application/json",
            field="body",
        )
    raw = request.get_data(cache=True)  # werkzeug's RequestEntityTooLarge past the limit
    problem: str | None
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "the body is not UTF-8 text", field="body") from None
    except RecursionError:  # deeper than the parser goes: deeper than MAX_JSON_DEPTH too
        document, problem = None, f"nested deeper than {MAX_JSON_DEPTH} levels"
    except ValueError as exc:
        raise ApiError(400, "invalid_json", f"the body is not JSON: {exc}", field="body") from None
    else:
        problem = _json_problem(document)
    if problem:
        raise ApiError(400, "invalid_json", f"the body is not usable JSON: {problem}", field="body")
    if not isinstance(document, dict):
        raise ApiError(400, "invalid", "send a JSON object", field="body")
    return document


def _json_problem(document: Any) -> str | None:
    """Why a parsed JSON document is refused (too deep, a lone surrogate), or None."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return "a string holds a lone UTF-16 surrogate"
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                return f"nested deeper than {MAX_JSON_DEPTH} levels"
            if isinstance(value, dict):
                stack.extend((key, depth) for key in value)
                stack.extend((item, depth + 1) for item in value.values())
            else:
                stack.extend((item, depth + 1) for item in value)
    return None
