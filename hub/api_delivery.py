"""Results back to citizens over the API: shipments, carrier events (by hand and by webhook),
follow-ups of bad ratings, and the statistics (JSON and CSV)."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from flask import Blueprint, Response, g, jsonify, request

from hub import context, delivery, ratings, stats, store
from hub.api_args import choice_arg, flag_arg
from hub.api_cases import _visible, public_view, requires
from hub.carriers import (
    CarrierError,
    manual_event_from,
    normalise_carrier,
    parse_event,
    parse_time,
    verify_webhook,
)
from hub.errors import ApiError, read_json_body
from hub.store import write
from sync.types import Millis

bp = Blueprint("delivery_api", __name__, url_prefix="/api/v1")

SHIPMENT_STATES = ("pending", "open", "delivered", "returned")
FOLLOWUP_STATES = ("open", "resolved", "excluded")


FOLLOWUP_FILTERS = (*FOLLOWUP_STATES, "all")
_ID_NUMBER = re.compile(r"[0-9]{1,16}")  # a follow-up id: ASCII digits, within SQLite integers


_MILLIS: Any = Millis  # the records' time type: 1990 to 2200, in Unix milliseconds


def _recordable(at_ms: int) -> int:
    """A time the outlet's records can carry (the feed record the hub makes of a posting or
    an event holds it: one the device cannot decode would stop its feed), or 400 ``at``."""
    try:
        msgspec.convert(at_ms, type=_MILLIS)
    except msgspec.ValidationError:
        raise ApiError(
            400, "invalid", "at: a time from 1990 to 2200 (ISO 8601 or Unix ms)", field="at"
        ) from None
    return at_ms


def _actor() -> str:
    return f"{g.user['name']}({g.user['role']})"


def _role() -> str:
    return "operator" if g.user["role"] == "admin" else g.user["role"]


def _shipment(shipment_id: str) -> dict[str, Any]:
    """The shipment if this user may see its application; 404 otherwise."""
    db = context.get_db()
    shipment = store.shipments.get_shipment(db, shipment_id)
    if shipment is None:
        raise ApiError(404, "not_found", f"no shipment {shipment_id}")
    try:
        _visible(store.applications.get_application(db, shipment["application"]))
    except ApiError:
        raise ApiError(404, "not_found", f"no shipment {shipment_id}") from None
    return shipment


@bp.post("/applications/<app_id>/shipment")
@requires("admin", "operator", "officer")
def post_shipment(app_id: str) -> tuple[Response, int]:
    """Record that a result was posted: {carrier, tracking, at?}; the application is mailed."""
    body = read_json_body()
    at = _recordable(parse_time(body["at"])) if body.get("at") is not None else None
    hub = context.hub()
    with write(hub.db):
        app = _visible(store.applications.get_application(hub.db, app_id))
        updated, shipment = delivery.post(
            hub,
            app,
            carrier=body.get("carrier"),
            tracking=body.get("tracking"),
            actor=_actor(),
            role=_role(),
            at_ms=at,
        )
        out = delivery.view(hub, shipment)
    return jsonify({"ok": True, "application": public_view(updated), "shipment": out}), 201


@bp.get("/shipments")
@requires("admin", "operator", "officer")
def list_shipments() -> Response:
    """Shipments, newest first: filter by state; ``stale=1`` for those with no recent news."""
    state = choice_arg("state", SHIPMENT_STATES)
    unit = g.user["unit"] if g.user["role"] == "officer" else None
    rows = store.shipments.list_shipments(
        context.get_db(), state=state, stale=flag_arg("stale"), unit=unit
    )
    hidden = ("address_sealed", "address_record")
    out = [{k: v for k, v in row.items() if k not in hidden} for row in rows]
    return jsonify({"ok": True, "shipments": out})


@bp.get("/shipments/<shipment_id>")
@requires("admin", "operator", "officer")
def show_shipment(shipment_id: str) -> Response:
    """A shipment and its events in the order they happened."""
    shipment = _shipment(shipment_id)
    return jsonify({"ok": True, "shipment": delivery.view(context.hub(), shipment)})


@bp.post("/shipments/<shipment_id>/events")
@requires("admin", "operator", "officer")
def manual_event(shipment_id: str) -> Response:
    """Manual entry of a carrier event: {event, at, location?, note?, event_id?}."""
    body = read_json_body()
    hub = context.hub()
    with write(hub.db):
        shipment = _shipment(shipment_id)
        if shipment["state"] == "pending":
            raise ApiError(409, "not_posted", "the shipment has no tracking number yet")
        event = manual_event_from({**body, "tracking": shipment["tracking"]}, now_ms=hub.now_ms)
        _recordable(event.at_ms)
        outcome = delivery.record(hub, shipment, event, source=_actor())
        out = delivery.view(hub, store.shipments.get_shipment(hub.db, shipment_id) or shipment)
    return jsonify({"ok": True, "outcome": outcome, "shipment": out})


@bp.post("/carriers/<code>/events")
def carrier_webhook(code: str) -> Response:
    """A carrier's push: one event, signed the Standard Webhooks way with its secret."""
    db = context.get_db()
    try:
        carrier = store.shipments.get_carrier(db, normalise_carrier(code))
    except CarrierError:
        carrier = None
    if carrier is None or carrier["disabled"]:
        # 401 like a bad signature: a caller learns nothing about which carriers exist.
        raise ApiError(401, "unknown_carrier", f"no carrier {code} takes pushes here")
    payload = verify_webhook(carrier["secret"], dict(request.headers), request.get_data())
    hub = context.hub()
    event = parse_event(payload, now_ms=hub.now_ms, event_id=request.headers.get("webhook-id"))
    _recordable(event.at_ms)
    with write(hub.db):
        shipment = delivery.find(hub, carrier["code"], event.tracking)
        outcome = delivery.record(hub, shipment, event, source=f"webhook:{carrier['code']}")
    return jsonify({"ok": True, "outcome": outcome, "shipment": shipment["id"]})


# --- follow-ups and ratings ------------------------------------------------------------------


@bp.get("/followups")
@requires("admin", "operator", "officer")
def list_followups() -> Response:
    """Follow-ups of bad ratings, soonest due first; filter by state (default open)."""
    state = choice_arg("state", FOLLOWUP_FILTERS) or "open"
    hub = context.hub()
    rows = store.ratings.list_followups(hub.db, state=None if state == "all" else state)
    if g.user["role"] == "officer":
        rows = [row for row in rows if row["unit"] == g.user["unit"]]
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
        followup = store.ratings.get_followup(hub.db, number)
        if followup is None or (g.user["role"] == "officer" and followup["unit"] != g.user["unit"]):
            raise ApiError(404, "not_found", f"no follow-up {followup_id}")
        out = ratings.resolve(hub, number, note=body.get("note"), by=_actor())
    return jsonify({"ok": True, "followup": out})


@bp.post("/ratings/<rating_id>/exclude")
@requires("admin", "operator")
def exclude_rating(rating_id: str) -> Response:
    """Exclude a mistaken or malicious rating from the figures: {reason} (required)."""
    body = read_json_body()
    hub = context.hub()
    with write(hub.db):
        out = ratings.exclude(hub, rating_id, reason=body.get("reason"), by=_actor())
    return jsonify({"ok": True, "rating": out})


# --- statistics ------------------------------------------------------------------------------


def _report() -> dict[str, Any]:
    hub = context.hub()
    return stats.statistics(
        hub.db,
        hub.catalogue,
        by=request.args.get("by", "department"),
        start=request.args.get("from"),
        end=request.args.get("to"),
        today=hub.today,
    )


@bp.get("/stats")
@requires("admin", "operator", "officer")
def statistics() -> Response:
    """Figures per department, unit, outlet or item (``by``) over ``from``..``to``."""
    return jsonify({"ok": True, **_report()})


@bp.get("/stats.csv")
@requires("admin", "operator", "officer")
def statistics_csv() -> Response:
    report = _report()
    name = f"daiban-stats-{report['by']}-{report['from']}-{report['to']}.csv"
    return Response(
        stats.to_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/stats/daily")
@requires("admin", "operator", "officer")
def statistics_daily() -> Response:
    """Received and completed per day over ``from``..``to`` (throughput)."""
    hub = context.hub()
    report = stats.daily(
        hub.db, start=request.args.get("from"), end=request.args.get("to"), today=hub.today
    )
    return jsonify({"ok": True, **report})
