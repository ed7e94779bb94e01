"""One JSON error shape for the whole API: {"ok": false, "code", "error", "status", ...}."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from sync.errors import ProtocolError

from .blobs import BlobError, OffsetMismatch
from .carriers import CarrierError
from .cases import CaseError
from .ingest import BatchConflict
from .stats import StatsError

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


def error_body(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "code": code, "error": message, "status": status}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _json(status: int, code: str, message: str, **extra: Any):  # type: ignore[no-untyped-def]
    response = jsonify(error_body(status, code, message, **extra))
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(e: ApiError):  # type: ignore[no-untyped-def]
        return _json(e.status, e.code, e.message, field=e.field, **e.extra)

    @app.errorhandler(ProtocolError)
    def protocol_error(e: ProtocolError):  # type: ignore[no-untyped-def]
        extra = {k: v for k, v in e.to_dict().items() if k not in ("ok", "code", "error", "status")}
        if e.status == 401:
            from .context import now_ms

            extra["hub_time"] = now_ms()  # lets a device with a wrong clock re-sign at once
        return _json(e.status, e.code, e.message, **extra)

    @app.errorhandler(BlobError)
    def blob_error(e: BlobError):  # type: ignore[no-untyped-def]
        extra = {"expected": e.expected} if isinstance(e, OffsetMismatch) else {}
        response = _json(e.status, f"blob.{e.code}", str(e), **extra)
        if isinstance(e, OffsetMismatch):
            response.headers["Upload-Offset"] = str(e.expected)
        return response

    @app.errorhandler(CaseError)
    def case_error(e: CaseError):  # type: ignore[no-untyped-def]
        return _json(e.status, e.code, e.message)

    @app.errorhandler(CarrierError)
    def carrier_error(e: CarrierError):  # type: ignore[no-untyped-def]
        return _json(e.status, e.code, e.message, field=e.field)

    @app.errorhandler(StatsError)
    def stats_error(e: StatsError):  # type: ignore[no-untyped-def]
        return _json(400, "invalid", e.message, field=e.field)

    @app.errorhandler(BatchConflict)
    def batch_conflict(e: BatchConflict):  # type: ignore[no-untyped-def]
        return _json(e.status, e.code, str(e))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):  # type: ignore[no-untyped-def]
        if not request.path.startswith("/api/") and request.path != "/healthz":
            return e
        code = (e.name or "error").lower().replace(" ", "_")
        return _json(e.code or 500, code, e.description or e.name)

    @app.errorhandler(Exception)
    def unexpected(e: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _json(500, "internal", "the hub failed on this request; it was logged")
