"""Results on their way back: shipments, their carrier events, and the hand-over rules.

A mailed result gets a shipment when the department issues it (``pending`` until its tracking
number is known). Entering the tracking number posts it: the application becomes ``mailed``.
Carrier events then arrive by hand or by webhook, in any order and any number of times: each
is stored once (by carrier and event id) and read in event-time order. ``delivered`` closes
the shipment and the delivery; ``returned`` puts the application in the operators' returned
queue, from where it is mailed again or handed to the outlet for pickup.
"""

from __future__ import annotations

from typing import Any

from hub import store
from hub.carriers import TERMINAL, CarrierError, CarrierEvent, normalise_carrier, normalise_tracking
from hub.cases import CaseError, Hub, transition
from sync import glossary
from sync import records as r


def open_pending(hub: Hub, app: dict[str, Any], *, actor: str) -> dict[str, Any]:
    """The shipment of a result just issued for mail, waiting for its tracking number."""
    existing = store.shipments.current_shipment(hub.db, app["id"])
    if existing is not None:
        return existing
    row = {
        "id": hub.new_id(),
        "application": app["id"],
        "state": "pending",
        "address_record": app.get("address_record"),
        "address_sealed": app.get("address_sealed"),
        "address_masked": app.get("address_masked"),
        "opened_at": hub.now_ms,
        "opened_by": actor,
    }
    store.shipments.add_shipment(hub.db, row)
    return row


def post(
    hub: Hub,
    app: dict[str, Any],
    *,
    carrier: object,
    tracking: object,
    actor: str,
    role: str,
    at_ms: int | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Record that the result was posted with this tracking number; the application becomes
    ``mailed``. Returns the updated application and shipment."""
    if app["delivery"] != "mail" or not app.get("address_sealed"):
        raise CaseError(
            "this application has no mail address: its result is handed over at the outlet",
            code="not_mail",
        )
    code, number = normalise_carrier(carrier), normalise_tracking(tracking)
    known = store.shipments.get_carrier(hub.db, code)
    if known is None:
        raise CarrierError(
            f"carrier: no carrier {code}; add it first with `daiban-hub carrier add`",
            code="unknown_carrier",
            field="carrier",
        )
    if known["disabled"]:
        # Its webhook is refused: a parcel posted with it could never be tracked.
        raise CarrierError(
            f"carrier: {code} is disabled (removed by an operator); post with another carrier",
            code="carrier_disabled",
            field="carrier",
        )
    taken = store.shipments.shipment_by_tracking(hub.db, code, number)
    if taken is not None:
        raise CaseError(
            f"{code} {number} is already the tracking number of another shipment",
            code="tracking_in_use",
        )
    at = hub.now_ms if at_ms is None else at_ms
    if at > hub.now_ms + 10 * 60 * 1000:
        raise CarrierError("at: the posting time is in the future", field="at")
    args = {"carrier": known["name"] or code, "tracking": number}
    updated = transition(
        hub,
        app,
        "ship",
        role=role,
        actor=actor,
        note=glossary.note("posted", **args),
        data={"tracking": number, "said": "posted", "args": args},
    )
    shipment = store.shipments.current_shipment(hub.db, app["id"]) or open_pending(
        hub, app, actor=actor
    )
    fields = {
        "state": "open",
        "carrier": code,
        "tracking": number,
        "posted_at": at,
        "stale_since": None,
    }
    store.shipments.update_shipment(hub.db, shipment["id"], **fields)
    shipment = {**shipment, **fields}
    posted = CarrierEvent(
        event_id=f"posted:{shipment['id']}", tracking=number, kind="posted", at_ms=at
    )
    _store_event(hub, shipment, posted, source=actor)
    return updated, store.shipments.get_shipment(hub.db, shipment["id"]) or shipment


def find(hub: Hub, carrier: str, tracking: str) -> dict[str, Any]:
    shipment = store.shipments.shipment_by_tracking(hub.db, carrier, tracking)
    if shipment is None:
        raise CarrierError(
            f"no shipment with {carrier} tracking number {tracking}",
            code="unknown_shipment",
            field="tracking",
            status=404,
        )
    return shipment


def record(hub: Hub, shipment: dict[str, Any], event: CarrierEvent, *, source: str) -> str:
    """Apply one carrier event: ``stored``, or ``duplicate`` if this event id was applied
    before with the same content. A reused id with other content, or an event contradicting
    how the shipment ended, is refused and changes nothing."""
    if shipment["state"] == "pending":
        raise CarrierError("the shipment has no tracking number yet", code="not_posted", status=409)
    if event.tracking != shipment["tracking"]:
        raise CarrierError(
            f"event for {event.tracking} sent to shipment {shipment['tracking']}",
            field="tracking",
        )
    seen = store.shipments.shipment_event(hub.db, shipment["carrier"], event.event_id)
    if seen is not None:
        if seen["digest"] == event.digest() and seen["shipment"] == shipment["id"]:
            return "duplicate"
        raise CarrierError(
            f"event id {event.event_id} was already used for a different event",
            code="event_id_reused",
            field="event_id",
            status=409,
        )
    ended = shipment["state"] in TERMINAL
    if event.kind in TERMINAL and ended and event.kind != shipment["state"]:
        raise CarrierError(
            f"the shipment was already {shipment['state']}; a {event.kind} event contradicts it",
            code="shipment_closed",
            field="event",
            status=409,
        )
    _store_event(hub, shipment, event, source=source)
    if event.kind in TERMINAL and not ended:
        _close(hub, shipment, event)
    return "stored"


def _store_event(hub: Hub, shipment: dict[str, Any], event: CarrierEvent, *, source: str) -> None:
    store.shipments.add_shipment_event(
        hub.db,
        {
            "shipment": shipment["id"],
            "carrier": shipment["carrier"],
            "event_id": event.event_id,
            "kind": event.kind,
            "at": event.at_ms,
            "location": event.location,
            "note": event.note,
            "source": source,
            "digest": event.digest(),
            "received_at": hub.now_ms,
        },
    )
    if shipment["state"] not in TERMINAL:  # once delivered or returned, that is the news
        latest = store.shipments.latest_event(hub.db, shipment["id"])
        store.shipments.update_shipment(
            hub.db,
            shipment["id"],
            last_event=latest["kind"] if latest else event.kind,
            last_event_at=latest["at"] if latest else event.at_ms,
            stale_since=None,
        )
    app = store.applications.get_application(hub.db, shipment["application"])
    if app is None:  # a shipment always belongs to an application (foreign key)
        raise RuntimeError(f"shipment {shipment['id']} has no application")
    hub.emit(
        app["outlet"],
        r.ShipmentEvent(
            id=hub.new_id(),
            application=app["id"],
            carrier=shipment["carrier"],
            tracking=shipment["tracking"],
            event=event.kind,
            at=event.at_ms,
            location=event.location,
            note=event.note,
        ),
        app["id"],
    )


def _close(hub: Hub, shipment: dict[str, Any], event: CarrierEvent) -> None:
    store.shipments.update_shipment(
        hub.db,
        shipment["id"],
        state=event.kind,
        closed_at=event.at_ms,
        last_event=event.kind,
        last_event_at=event.at_ms,
    )
    app = store.applications.get_application(hub.db, shipment["application"])
    if app is None or app["status"] != "mailed":
        return  # an operator already moved it on (handed to the outlet): the event is history
    action = "deliver" if event.kind == "delivered" else "return_mail"
    known = store.shipments.get_carrier(hub.db, shipment["carrier"])
    args = {
        "carrier": (known or {}).get("name") or shipment["carrier"],
        "tracking": shipment["tracking"],
        "location": event.location,
    }
    said = "mail_event" if event.location else "posted"
    if not event.location:
        del args["location"]
    note = glossary.note(said, **args)
    actor = f"carrier:{shipment['carrier']}"
    transition(
        hub, app, action, role="carrier", actor=actor, note=note, data={"said": said, "args": args}
    )


def flag_stale(hub: Hub, *, days: int) -> int:
    """Mark open shipments with no carrier news for ``days`` days; how many were marked."""
    quiet = store.shipments.quiet_shipments(hub.db, before=hub.now_ms - days * 86_400_000)
    for shipment in quiet:
        store.shipments.update_shipment(hub.db, shipment["id"], stale_since=hub.now_ms)
    return len(quiet)


def view(hub: Hub, shipment: dict[str, Any]) -> dict[str, Any]:
    """A shipment as the API shows it: no sealed address, events in event-time order."""
    out = {k: v for k, v in shipment.items() if k not in ("address_sealed", "address_record")}
    out["events"] = store.shipments.shipment_events(hub.db, shipment["id"])
    return out
