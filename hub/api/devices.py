"""Devices and the records they sent that the hub refused: last contact, backlog, staleness."""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request

from hub import context, devices, store
from hub.api.args import int_arg
from hub.api.auth import requires

bp = Blueprint("devices_api", __name__, url_prefix="/api/v1")


STALE_HOURS = (1, 24 * 365)


@bp.get("/devices")
@requires("admin", "operator")
def list_devices() -> Response:
    """Every device: last seen, last batch, clock skew, backlog and version it reported."""
    stale_hours = int_arg("stale_hours", 24, *STALE_HOURS)
    out = devices.device_rows(
        context.get_db(), context.now_ms(), request.args.get("outlet"), stale_hours=stale_hours
    )
    return jsonify({"ok": True, "devices": out})


@bp.get("/quarantine")
@requires("admin", "operator")
def quarantine() -> Response:
    rows = store.batches.list_quarantine(context.get_db(), request.args.get("outlet"))
    for row in rows:
        row["reasons"] = json.loads(row["reasons"])
    return jsonify({"ok": True, "records": rows})
