"""One JSON error shape for the whole API: {"ok": false, "code", "error", "status", ...}, and
the one reader of JSON request bodies that refuses, in that shape, what it cannot read."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from hub.blobs import BlobError, OffsetMismatch
from hub.carriers import CarrierError
from hub.cases import CaseError
from hub.ingest import BatchConflict
from hub.stats import StatsError
from sync.errors import ProtocolError

log = logging.getLogger("daiban.hub")


class ApiError(Exception):
    """An API refusal with a stable code, an HTTP status and words for the caller."""

    def __init__(
        self, status: int, code: str, message: str, *, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.extra = (
            status,
            code,
            message,
            field,
            extra,
        )


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


def error_body(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "code": code, "error": message, "status": status}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _json(status: int, code: str, message: str, **extra: Any) -> Response:
    response = jsonify(error_body(status, code, message, **extra))
    response.status_code = status
    return response


INTERNAL = "the hub failed on this request; it was logged"
# werkzeug's statuses whose code is not the status's name: the codes the API documents.
HTTP_CODES = {413: "too_large", 500: "internal"}


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(e: ApiError) -> Response:
        return _json(e.status, e.code, e.message, field=e.field, **e.extra)

    @app.errorhandler(ProtocolError)
    def protocol_error(e: ProtocolError) -> Response:
        extra = {k: v for k, v in e.to_dict().items() if k not in ("ok", "code", "error", "status")}
        if e.status == 401:
            from hub.context import now_ms

            extra["hub_time"] = now_ms()  # lets a device with a wrong clock re-sign at once
        return _json(e.status, e.code, e.message, **extra)

    @app.errorhandler(BlobError)
    def blob_error(e: BlobError) -> Response:
        extra = {"expected": e.expected} if isinstance(e, OffsetMismatch) else {}
        response = _json(e.status, f"blob.{e.code}", str(e), **extra)
        if isinstance(e, OffsetMismatch):
            response.headers["Upload-Offset"] = str(e.expected)
        return response

    @app.errorhandler(CaseError)
    def case_error(e: CaseError) -> Response:
        return _json(e.status, e.code, e.message)

    @app.errorhandler(CarrierError)
    def carrier_error(e: CarrierError) -> Response:
        return _json(e.status, e.code, e.message, field=e.field)

    @app.errorhandler(StatsError)
    def stats_error(e: StatsError) -> Response:
        return _json(400, "invalid", e.message, field=e.field)

    @app.errorhandler(BatchConflict)
    def batch_conflict(e: BatchConflict) -> Response:
        return _json(e.status, e.code, str(e))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> ResponseReturnValue:
        """werkzeug's own refusals (404, 405, 413, ...) in the JSON shape, with the headers it
        gives them (``Allow`` on a 405)."""
        if not request.path.startswith("/api/") and request.path != "/healthz":
            return e
        status = e.code or 500
        code = HTTP_CODES.get(status) or (e.name or "error").lower().replace(" ", "_")
        message = INTERNAL if status == 500 else e.description or e.name
        response = _json(status, code, message)
        for name, value in e.get_headers(request.environ):
            if name.lower() not in ("content-type", "content-length"):
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _json(500, "internal", INTERNAL)
