"""Results in the post: posting a result, shipments, carrier events by hand and by webhook."""

from __future__ import annotations

from typing import Any

import msgspec
from flask import Blueprint, Response, g, jsonify, request

from hub import casework, context, delivery, store
from hub.api.args import choice_arg, flag_arg, read_json_body
from hub.api.auth import actor, requires, role
from hub.carriers import (
    CarrierError,
    manual_event_from,
    normalise_carrier,
    parse_event,
    parse_time,
    verify_webhook,
)
from hub.casework import public_view
from hub.errors import ApiError
from hub.store import write
from sync.types import Millis

bp = Blueprint("shipments_api", __name__, url_prefix="/api/v1")


SHIPMENT_STATES = ("pending", "open", "delivered", "returned")


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


def _shipment(shipment_id: str) -> dict[str, Any]:
    """The shipment if this user may see its application; 404 otherwise."""
    db = context.get_db()
    shipment = store.shipments.get_shipment(db, shipment_id)
    if shipment is None:
        raise ApiError(404, "not_found", f"no shipment {shipment_id}")
    try:
        casework.visible(store.applications.get_application(db, shipment["application"]), g.user)
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
        app = casework.visible(store.applications.get_application(hub.db, app_id), g.user)
        updated, shipment = delivery.post(
            hub,
            app,
            carrier=body.get("carrier"),
            tracking=body.get("tracking"),
            actor=actor(),
            role=role(),
            at_ms=at,
        )
        out = delivery.view(hub, shipment)
    return jsonify({"ok": True, "application": public_view(updated), "shipment": out}), 201


@bp.get("/shipments")
@requires("admin", "operator", "officer")
def list_shipments() -> Response:
    """Shipments, newest first: filter by state; ``stale=1`` for those with no recent news."""
    state = choice_arg("state", SHIPMENT_STATES)
    unit = casework.queue_unit(g.user)
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
        outcome = delivery.record(hub, shipment, event, source=actor())
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
