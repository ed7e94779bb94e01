"""The scans of an application, for the people who hold the case: one scanned page, unsealed
at the hub when asked, with a reason, audited (hub/casework.py ``scan_for`` decides all of
it; this module only answers)."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from hub import casework, context, store
from hub.api.auth import requires

bp = Blueprint("scans_api", __name__, url_prefix="/api/v1")


def scan_number(text: str) -> int:
    """The scan's number from the URL: ASCII digits only (not ``²`` nor ``٣``), else 0, which
    no scan has (``scan.not_found``)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else 0


@bp.get("/applications/<app_id>/materials/<material>/<n>")
@requires("admin", "operator", "officer")
def show_scan(app_id: str, material: str, n: str) -> Response:
    """Scan ``n`` (from 1) of a material, as the outlet photographed it: ``?reason=`` is
    required and goes to the audit log with the reading."""
    db = context.get_db()
    scan = casework.scan_for(
        db,
        context.config_value("KEYS"),
        context.config_value("BLOBS"),
        store.applications.get_application(db, app_id),
        g.user,
        material=material,
        n=scan_number(n),
        reason=request.args.get("reason"),
        now=context.now_ms(),
    )
    return Response(scan.data, status=200, mimetype=scan.media_type, headers=scan.headers())
