"""Alarms the sweep raised for operators."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from hub import context, store
from hub.api.auth import requires

bp = Blueprint("alarms_api", __name__, url_prefix="/api/v1")


@bp.get("/alarms")
@requires("admin", "operator")
def alarms() -> Response:
    return jsonify({"ok": True, "alarms": store.alarms.active_alarms(context.get_db())})
