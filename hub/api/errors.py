"""The API's one error shape, {"ok": false, "code", "error", "status", ...}, and its one
handler: a hub refusal (hub.errors.HubError) with its code, status and field; a protocol
refusal (sync.errors); werkzeug's own (404, 405, 413, ...) with their headers; anything
else a logged 500 that says nothing of its insides."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from hub import context
from hub.errors import HubError
from sync.errors import ProtocolError

log = logging.getLogger("daiban.hub")


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


def json_error(e: Exception) -> ResponseReturnValue:
    """Any exception raised while answering an API request, in the API's error shape."""
    if isinstance(e, HubError) and e.status >= 500:
        # The hub's own failure, whatever raised it: logged, and said without its insides.
        log.error("hub failed on %s %s", request.method, request.path, exc_info=e)
        message = INTERNAL if e.code == "internal" else e.message
        return _json(e.status, e.code, message, field=e.field)
    if isinstance(e, HubError):
        response = _json(e.status, e.code, e.message, field=e.field, **e.extra)
        response.headers.update(e.headers())
        return response
    if isinstance(e, ProtocolError):
        extra = {k: v for k, v in e.to_dict().items() if k not in ("ok", "code", "error", "status")}
        if e.status == 401:
            extra["hub_time"] = context.now_ms()  # lets a device with a wrong clock re-sign at once
        return _json(e.status, e.code, e.message, **extra)
    if isinstance(e, HTTPException):
        # werkzeug's own refusals in the JSON shape, with the headers it gives them (Allow).
        status = e.code or 500
        code = HTTP_CODES.get(status) or (e.name or "error").lower().replace(" ", "_")
        message = INTERNAL if status == 500 else e.description or e.name
        response = _json(status, code, message)
        for name, value in e.get_headers(request.environ):
            if name.lower() not in ("content-type", "content-length"):
                response.headers[name] = value
        return response
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _json(500, "internal", INTERNAL)
