"""The operators' forms: enrolment codes (shown as QR codes) and revoking devices, and the
delivery work: posting a result, returned mail, carrier events by hand, follow-ups of bad
ratings.

Each form calls the function its API endpoint calls (``hub.devices``, ``hub.delivery``,
``hub.casework.carry_out``, ``hub.ratings``), inside one write transaction, so a page and an
API call cannot disagree. A form that fails its checks changes nothing and comes back with the
input kept and each invalid field marked (status 400); a refusal by the hub's rules is shown
the same way, on the field it concerns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import segno
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from hub import casework, context, delivery, devices, ratings, store
from hub.carriers import EVENT_KINDS, CarrierError, manual_event_from, normalise_tracking
from hub.casework import role_of
from hub.devices import DeviceError
from hub.errors import HubError
from hub.store import write
from hub.web.views import (
    ALL_ROLES,
    NOTE_MAX,
    STAFF_ROLES,
    bp,
    carrier_choices,
    may,
    render_application,
    render_dashboard,
    role_required,
    visible,
)
from sync.clock import CHINA

TTL_HOURS = (1, 168)  # an enrolment code lives from an hour to a week
TEXT_MAX = 200  # a carrier event's location and note (hub.carriers)
REFUSED = (HubError,)  # every refusal by the hub's rules: shown on the form


def actor() -> str:
    user = g.page_user
    return f"{user['name']}({user['role']})"


def note_problem(note: str, missing: str) -> str | None:
    """Why a required note cannot be taken (``missing`` when empty), or None."""
    if not note:
        return missing
    if len(note) > NOTE_MAX:
        return _("A note is at most %(n)s characters.", n=NOTE_MAX)
    return None


def refusal(exc: Exception) -> str:
    return _("The hub refused this: %(why)s", why=getattr(exc, "message", str(exc)))


def send_back(key: str, errors: dict[str, str], values: dict[str, Any], app_id: str):
    """The page the form was on, again, with this form's input and errors (400).

    The errors are also said at the top of the page: the form may no longer be on it (an
    application another operator posted meanwhile shows no posting form), and a refusal
    that nobody can read is a dead end."""
    failed = {"key": key, "errors": errors, "values": values}
    for message in dict.fromkeys(errors.values()):
        flash(message, "error")
    if request.form.get("back") == "dashboard" and g.page_user["role"] in STAFF_ROLES:
        return render_dashboard(failed=failed, status=400)
    return render_application(visible(app_id), failed=failed, status=400)


def back_to(app_id: str) -> Any:
    if request.form.get("back") == "dashboard" and g.page_user["role"] in STAFF_ROLES:
        return redirect(url_for("pages.dashboard"))
    return redirect(url_for("pages.application", app_id=app_id))


# --- devices ---------------------------------------------------------------------------------


def default_hub_url() -> str:
    """The address devices reach the hub at: PUBLIC_URL (DAIBAN_HUB_PUBLIC_URL) when set,
    else the address this page was opened at."""
    return str(current_app.config.get("PUBLIC_URL") or request.url_root).rstrip("/")


def render_devices(
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    issued: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    db = context.get_db()
    now = context.now_ms()
    return (
        render_template(
            "devices.html",
            devices=devices.device_rows(db, now),
            outlets=store.devices.list_outlets(db),
            open_codes=store.devices.open_enrolment_codes(db, now=now),
            values=values or {"ttl_hours": "24", "hub_url": default_hub_url()},
            errors=errors or {},
            issued=issued,
            ttl_range=TTL_HOURS,
        ),
        status,
    )


@bp.get("/devices")
@role_required(*STAFF_ROLES)
def devices_page() -> Any:
    return render_devices()


def check_hub_url(raw: str) -> str | None:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Give the address as http://… or https://… with the hub's host name.")
    if parts.query or parts.fragment or any(c.isspace() for c in raw) or len(raw) > 200:
        return _("Give only the hub's address, without spaces, ? or #.")
    return None


def qr_svg(payload: str, *, title: str, desc: str) -> str:
    """A QR code (error correction M) as inline SVG, dark on white, sized by CSS."""
    svg = str(
        segno.make(payload, error="m").svg_inline(
            scale=4,
            border=4,
            dark="#000",
            light="#fff",
            title=title,
            desc=desc,
            svgclass="qr-code",
            omitsize=True,
        )
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


@bp.post("/devices/enrol")
@role_required(*STAFF_ROLES)
def enrol() -> Any:
    """Make a one-time enrolment code for an outlet's next device, shown once with its QR."""
    values = {
        "outlet": request.form.get("outlet", "").strip(),
        "ttl_hours": request.form.get("ttl_hours", "").strip(),
        "hub_url": request.form.get("hub_url", "").strip().rstrip("/"),
    }
    errors: dict[str, str] = {}
    db = context.get_db()
    if not values["outlet"]:
        errors["outlet"] = _("Choose the outlet the device belongs to.")
    elif store.devices.get_outlet(db, values["outlet"]) is None:
        errors["outlet"] = _("There is no such outlet.")
    low, high = TTL_HOURS
    if not values["ttl_hours"].isdigit() or not low <= int(values["ttl_hours"]) <= high:
        errors["ttl_hours"] = _(
            "A whole number of hours from %(low)s to %(high)s.", low=low, high=high
        )
    hub_url_error = check_hub_url(values["hub_url"])
    if hub_url_error:
        errors["hub_url"] = hub_url_error
    if errors:
        return render_devices(values=values, errors=errors, status=400)
    now = context.now_ms()
    try:
        with write(db):
            code = devices.enrolment_code(
                db, outlet=values["outlet"], now=now, ttl_s=int(values["ttl_hours"]) * 3600
            )
            setup_audit(db, "enrolment_code", f"{values['outlet']} for {values['ttl_hours']} h")
    except DeviceError as exc:
        return render_devices(values=values, errors={"outlet": refusal(exc)}, status=400)
    payload = devices.enrolment_uri(values["hub_url"], code["code"])
    outlet = store.devices.get_outlet(db, values["outlet"]) or {"name": values["outlet"]}
    issued = {
        **code,
        "outlet_name": outlet["name"],
        "hub_url": values["hub_url"],
        "payload": payload,
        "command": f"daiban-agent enroll {values['hub_url']} {code['code']}",
        "qr": qr_svg(
            payload,
            title=_("Enrolment QR code for %(outlet)s", outlet=outlet["name"]),
            desc=_(
                "Holds the hub address %(url)s and the code %(code)s.",
                url=values["hub_url"],
                code=code["code"],
            ),
        ),
    }
    return render_devices(values=values, issued=issued)


def setup_audit(db: Any, action: str, detail: str) -> None:
    store.audit.audit(
        db,
        at=context.now_ms(),
        user=g.page_user["name"],
        action=action,
        application=None,
        detail=detail,
    )


def device_or_404(device_id: str) -> dict[str, Any]:
    rows = [
        d for d in devices.device_rows(context.get_db(), context.now_ms()) if d["id"] == device_id
    ]
    if not rows:
        abort(404)
    return rows[0]


@bp.route("/devices/<device_id>/revoke", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def revoke(device_id: str) -> Any:
    """The confirmation page for revoking a device: its facts, a required reason, a button."""
    device = device_or_404(device_id)
    values = {"reason": request.form.get("reason", "").strip()}
    errors: dict[str, str] = {}
    # A device already revoked is shown as such (revoke.html), with no form: the hub's own
    # refusal (devices.revoke_device) keeps a second revocation from changing anything.
    if request.method == "POST":
        if not values["reason"]:
            errors["reason"] = _("Say why the device is revoked; the reason is recorded.")
        elif len(values["reason"]) > devices.REASON_MAX:
            errors["reason"] = _("A reason is at most %(n)s characters.", n=devices.REASON_MAX)
        if not errors:
            db = context.get_db()
            try:
                with write(db):
                    devices.revoke_device(
                        db,
                        device_id=device_id,
                        reason=values["reason"],
                        by=g.page_user["name"],
                        now=context.now_ms(),
                    )
            except DeviceError as exc:
                errors["reason"] = refusal(exc)
            else:
                flash(
                    _(
                        "Device %(tag)s is revoked: the hub refuses it from now on.",
                        tag=device["tag"],
                    ),
                    "ok",
                )
                return redirect(url_for("pages.devices_page"))
    status = 400 if errors else 200
    return render_template("revoke.html", device=device, values=values, errors=errors), status


# --- delivery --------------------------------------------------------------------------------


@bp.post("/applications/<app_id>/shipment")
@role_required(*ALL_ROLES)
def post_shipment(app_id: str) -> Any:
    """Post a result (issued for mail, or returned and sent again): carrier and tracking."""
    app = visible(app_id)
    key = f"ship-{app_id}"
    values = {
        "carrier": request.form.get("carrier", "").strip(),
        "tracking": request.form.get("tracking", "").strip(),
    }
    errors: dict[str, str] = {}
    if not values["carrier"]:
        errors["carrier"] = _("Choose the carrier.")
    elif values["carrier"] not in {c["code"] for c in carrier_choices()}:
        errors["carrier"] = _("This carrier is not registered at the hub.")
    if not values["tracking"]:
        errors["tracking"] = _("Enter the tracking number on the parcel's label.")
    else:
        try:
            normalise_tracking(values["tracking"])
        except CarrierError:
            errors["tracking"] = _(
                "This is not a tracking number: check the letters and digits (the last digit"
                " before CN is a check digit)."
            )
    if not errors and not (app["delivery"] == "mail" and may("ship", app)):
        errors["tracking"] = _("This application is not waiting to be posted.")
    if not errors:
        hub = context.hub()
        try:
            with write(hub.db):
                fresh = visible(app_id)
                shipment = delivery.post(
                    hub,
                    fresh,
                    carrier=values["carrier"],
                    tracking=values["tracking"],
                    actor=actor(),
                    role=role_of(g.page_user),
                )[1]
        except REFUSED as exc:
            field = getattr(exc, "field", None)
            if getattr(exc, "code", "") == "tracking_in_use":
                field = "tracking"
            errors[field if field in values else "tracking"] = refusal(exc)
        else:
            flash(
                _(
                    "Posted: %(carrier)s %(tracking)s.",
                    carrier=shipment["carrier"],
                    tracking=shipment["tracking"],
                ),
                "ok",
            )
            return back_to(app_id)
    return send_back(key, errors, values, app_id)


@bp.post("/applications/<app_id>/to-outlet")
@role_required(*STAFF_ROLES)
def to_outlet(app_id: str) -> Any:
    """Send an issued or returned result to the outlet for pickup, saying why (required)."""
    app = visible(app_id)
    key = f"outlet-{app_id}"
    values = {"note": request.form.get("note", "").strip()}
    errors: dict[str, str] = {}
    problem = note_problem(
        values["note"], _("Say why, for the outlet and the citizen (e.g. address unclear).")
    )
    if problem:
        errors["note"] = problem
    if not errors and not may("to_outlet", app):
        errors["note"] = _("This application cannot go to the outlet at this step.")
    if not errors:
        hub = context.hub()
        try:
            with write(hub.db):
                fresh = visible(app_id)
                casework.carry_out(hub, fresh, g.page_user, "to_outlet", {}, note=values["note"])
        except REFUSED as exc:
            errors["note"] = refusal(exc)
        else:
            flash(_("Sent to the outlet: it waits there for pickup."), "ok")
            return back_to(app_id)
    return send_back(key, errors, values, app_id)


def local_time(raw: str) -> str | None:
    """``2026-11-23T09:30`` (a datetime-local field, China's time) as ISO 8601 with +08:00."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    return moment.isoformat()


@bp.post("/shipments/<shipment_id>/events")
@role_required(*ALL_ROLES)
def shipment_event(shipment_id: str) -> Any:
    """A carrier event typed from the carrier's tracking page."""
    db = context.get_db()
    shipment = store.shipments.get_shipment(db, shipment_id)
    if shipment is None:
        abort(404)
    app_id = shipment["application"]
    visible(app_id)
    key = f"event-{shipment_id}"
    values = {
        name: request.form.get(name, "").strip() for name in ("event", "at", "location", "note")
    }
    errors: dict[str, str] = {}
    if values["event"] not in EVENT_KINDS:
        errors["event"] = _("Choose what happened to the parcel.")
    at = local_time(values["at"]) if values["at"] else None
    if not values["at"]:
        errors["at"] = _("Enter when it happened, as the carrier's page shows it.")
    elif at is None:
        errors["at"] = _("Give a date and time, like 2026-11-23 09:30.")
    elif datetime.fromisoformat(at).timestamp() * 1000 > context.now_ms() + 10 * 60 * 1000:
        errors["at"] = _("This time is in the future.")
    for name in ("location", "note"):
        if len(values[name]) > TEXT_MAX:
            errors[name] = _("At most %(n)s characters.", n=TEXT_MAX)
    if not errors and shipment["state"] == "pending":
        errors["event"] = _("The result has not been posted yet: enter its tracking number.")
    if not errors:
        hub = context.hub()
        body = {**values, "at": at, "tracking": shipment["tracking"]}
        try:
            with write(hub.db):
                fresh = store.shipments.get_shipment(hub.db, shipment_id) or shipment
                event = manual_event_from(body, now_ms=hub.now_ms)
                outcome = delivery.record(hub, fresh, event, source=actor())
        except REFUSED as exc:
            field = getattr(exc, "field", None)
            errors[field if field in values else "event"] = refusal(exc)
        else:
            if outcome == "duplicate":
                flash(_("This event was already recorded; nothing changed."), "info")
            else:
                flash(_("The carrier event is recorded."), "ok")
            return back_to(app_id)
    return send_back(key, errors, values, app_id)


@bp.post("/followups/<int:followup_id>/resolve")
@role_required(*ALL_ROLES)
def resolve_followup(followup_id: int) -> Any:
    """Close the follow-up of a bad rating, saying what was done (required)."""
    try:
        followup = ratings.followup_for(context.hub(), followup_id, g.page_user)
    except HubError:
        abort(404)
    app_id = followup["application"]
    key = f"followup-{followup_id}"
    values = {"note": request.form.get("note", "").strip()}
    errors: dict[str, str] = {}
    problem = note_problem(
        values["note"], _("Say what was done about the complaint; it goes to the timeline.")
    )
    if problem:
        errors["note"] = problem
    elif followup["state"] != "open":
        errors["note"] = _("This follow-up is already closed.")
    if not errors:
        hub = context.hub()
        try:
            with write(hub.db):
                ratings.resolve(hub, followup_id, note=values["note"], by=actor())
        except REFUSED as exc:
            errors["note"] = refusal(exc)
        else:
            flash(_("The follow-up is resolved."), "ok")
            return back_to(app_id)
    return send_back(key, errors, values, app_id)
