"""Ratings (好差评): follow-ups of bad ones, and excluding a mistaken one from the figures."""

from __future__ import annotations

import re

from flask import Blueprint, Response, g, jsonify

from hub import casework, context, ratings, store
from hub.api.args import choice_arg, read_json_body
from hub.api.auth import actor, requires
from hub.errors import ApiError
from hub.store import write

bp = Blueprint("ratings_api", __name__, url_prefix="/api/v1")


FOLLOWUP_STATES = ("open", "resolved", "excluded")


FOLLOWUP_FILTERS = (*FOLLOWUP_STATES, "all")


_ID_NUMBER = re.compile(r"[0-9]{1,16}")  # a follow-up id: ASCII digits, within SQLite integers


@bp.get("/followups")
@requires("admin", "operator", "officer")
def list_followups() -> Response:
    """Follow-ups of bad ratings, soonest due first; filter by state (default open)."""
    state = choice_arg("state", FOLLOWUP_FILTERS) or "open"
    hub = context.hub()
    rows = store.ratings.list_followups(hub.db, state=None if state == "all" else state)
    rows = [row for row in rows if casework.in_view(g.user, row["unit"])]
    return jsonify({"ok": True, "followups": [ratings.view(hub, row) for row in rows]})


@bp.post("/followups/<followup_id>/resolve")
@requires("admin", "operator", "officer")
def resolve_followup(followup_id: str) -> Response:
    """Close a follow-up: {note} says what was done (required)."""
    if not _ID_NUMBER.fullmatch(followup_id):
        raise ApiError(404, "not_found", f"no follow-up {followup_id}")
    number = int(followup_id)
    body = read_json_body()
    hub = context.hub()
    with write(hub.db):
        ratings.followup_for(hub, number, g.user)
        out = ratings.resolve(hub, number, note=body.get("note"), by=actor())
    return jsonify({"ok": True, "followup": out})


@bp.post("/ratings/<rating_id>/exclude")
@requires("admin", "operator")
def exclude_rating(rating_id: str) -> Response:
    """Exclude a mistaken or malicious rating from the figures: {reason} (required)."""
    body = read_json_body()
    hub = context.hub()
    with write(hub.db):
        out = ratings.exclude(hub, rating_id, reason=body.get("reason"), by=actor())
    return jsonify({"ok": True, "rating": out})
