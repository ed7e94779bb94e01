"""The audit log of reads of personal data and revoked devices (admins)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from hub import context, store
from hub.api.auth import requires

bp = Blueprint("audit_api", __name__, url_prefix="/api/v1")


@bp.get("/audit")
@requires("admin")
def audit_log() -> Response:
    return jsonify(
        {
            "ok": True,
            "entries": store.audit.audit_entries(context.get_db(), request.args.get("application")),
        }
    )
