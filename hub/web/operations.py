"""The operators' forms: enrolment codes (shown as QR codes) and revoking devices, and the
delivery work: posting a result, returned mail, carrier events by hand, follow-ups of bad
ratings.

Each form calls the function its API endpoint calls (``hub.devices``, ``hub.delivery``,
``hub.casework.carry_out``, ``hub.ratings``), inside one write transaction, so a page and an
API call cannot disagree. Each form is a class of ``hub.web.forms``; one that fails its checks
changes nothing and comes back with the input kept and each invalid field marked (status 400);
a refusal by the hub's rules is shown the same way, on the field it concerns.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from hub import casework, context, delivery, devices, ratings, store
from hub.carriers import manual_event_from
from hub.casework import role_of
from hub.devices import DeviceError
from hub.errors import HubError
from hub.store import write
from hub.web.forms import (
    TTL_HOURS,
    BackForm,
    EnrolForm,
    EventForm,
    PageForm,
    ResolveForm,
    RevokeForm,
    ShipmentForm,
    ToOutletForm,
)
from hub.web.views import (
    ALL_ROLES,
    STAFF_ROLES,
    bp,
    carrier_choices,
    may,
    refusal_text,
    render_application,
    render_dashboard,
    role_required,
    visible,
)
from webbase.qr import QUIET_ZONE, qr_code

REFUSED = (HubError,)  # every refusal by the hub's rules: shown on the form


def actor() -> str:
    user = g.page_user
    return f"{user['name']}({user['role']})"


def refusal(exc: Exception, about: str = "") -> str:
    """The refusal in the reader's language (hub.web.views.refusal_text)."""
    return refusal_text(exc, about)


def send_back(key: str, form: PageForm, app_id: str) -> Any:
    """The page the form was on, again, with this form's input and errors (400).

    The errors are also said at the top of the page: the form may no longer be on it (an
    application another operator posted meanwhile shows no posting form), and a refusal
    that nobody can read is a dead end."""
    failed = {"key": key, "errors": form.marks, "values": form.shown}
    for message in dict.fromkeys(form.marks.values()):
        flash(message, "error")
    if from_dashboard(form):
        return render_dashboard(failed=failed, status=400)
    return render_application(visible(app_id), failed=failed, status=400)


def from_dashboard(form: PageForm) -> bool:
    """Whether the form was sent from the dashboard (by staff, who see it) and goes back there."""
    back = form.back.data if isinstance(form, BackForm) else None
    return back == "dashboard" and g.page_user["role"] in STAFF_ROLES


def back_to(app_id: str, form: PageForm) -> Any:
    if from_dashboard(form):
        return redirect(url_for("pages.dashboard"))
    return redirect(url_for("pages.application", app_id=app_id))


# --- devices ---------------------------------------------------------------------------------


def default_hub_url() -> str:
    """The address devices reach the hub at: PUBLIC_URL (DAIBAN_HUB_PUBLIC_URL) when set,
    else the address this page was opened at."""
    return str(current_app.config.get("PUBLIC_URL") or request.url_root).rstrip("/")


def render_devices(
    form: EnrolForm | None = None,
    *,
    issued: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    """The devices page; ``form`` is the enrolment form sent (its input and errors)."""
    db = context.get_db()
    now = context.now_ms()
    return (
        render_template(
            "devices.html",
            devices=devices.device_rows(db, now),
            outlets=store.devices.list_outlets(db),
            open_codes=store.devices.open_enrolment_codes(db, now=now),
            values=form.shown if form else {"ttl_hours": "24", "hub_url": default_hub_url()},
            errors=form.marks if form else {},
            issued=issued,
            ttl_range=TTL_HOURS,
        ),
        status,
    )


@bp.get("/devices")
@role_required(*STAFF_ROLES)
def devices_page() -> Any:
    return render_devices()


def qr_svg(payload: str, *, title: str, desc: str) -> str:
    """A QR code (error correction M) as inline SVG, dark on white, sized by CSS."""
    svg = str(
        qr_code(payload).svg_inline(
            scale=4,
            border=QUIET_ZONE,
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
    form = EnrolForm()
    if not form.validate():
        return render_devices(form, status=400)
    values = form.shown
    db = context.get_db()
    now = context.now_ms()
    try:
        with write(db):
            code = devices.enrolment_code(
                db, outlet=values["outlet"], now=now, ttl_s=int(values["ttl_hours"]) * 3600
            )
            setup_audit(db, "enrolment_code", f"{values['outlet']} for {values['ttl_hours']} h")
    except DeviceError as exc:
        form.refuse("outlet", refusal(exc, "enrol"))
        return render_devices(form, status=400)
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
    return render_devices(form, issued=issued)


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
    form = RevokeForm()
    # A device already revoked is shown as such (revoke.html), with no form: the hub's own
    # refusal (devices.revoke_device) keeps a second revocation from changing anything.
    if form.validate_on_submit():
        db = context.get_db()
        try:
            with write(db):
                devices.revoke_device(
                    db,
                    device_id=device_id,
                    reason=form.reason.data,
                    by=g.page_user["name"],
                    now=context.now_ms(),
                )
        except DeviceError as exc:
            form.refuse("reason", refusal(exc, "revoke"))
        else:
            flash(
                _("Device %(tag)s is revoked: the hub refuses it from now on.", tag=device["tag"]),
                "ok",
            )
            return redirect(url_for("pages.devices_page"))
    status = 400 if form.errors else 200
    page = render_template("revoke.html", device=device, values=form.shown, errors=form.marks)
    return page, status


# --- delivery --------------------------------------------------------------------------------


@bp.post("/applications/<app_id>/shipment")
@role_required(*ALL_ROLES)
def post_shipment(app_id: str) -> Any:
    """Post a result (issued for mail, or returned and sent again): carrier and tracking."""
    app = visible(app_id)
    form = ShipmentForm(allowed={c["code"] for c in carrier_choices()})
    if form.validate() and not (app["delivery"] == "mail" and may("ship", app)):
        form.refuse("tracking", _("This application is not waiting to be posted."))
    if not form.errors:
        hub = context.hub()
        try:
            with write(hub.db):
                fresh = visible(app_id)
                shipment = delivery.post(
                    hub,
                    fresh,
                    carrier=form.carrier.data,
                    tracking=form.tracking.data,
                    actor=actor(),
                    role=role_of(g.page_user),
                )[1]
        except REFUSED as exc:
            field = getattr(exc, "field", None)
            if getattr(exc, "code", "") == "tracking_in_use":
                field = "tracking"
            form.refuse(field if field in ("carrier", "tracking") else "tracking", refusal(exc))
        else:
            flash(
                _(
                    "Posted: %(carrier)s %(tracking)s.",
                    carrier=shipment["carrier"],
                    tracking=shipment["tracking"],
                ),
                "ok",
            )
            return back_to(app_id, form)
    return send_back(f"ship-{app_id}", form, app_id)


@bp.post("/applications/<app_id>/to-outlet")
@role_required(*STAFF_ROLES)
def to_outlet(app_id: str) -> Any:
    """Send an issued or returned result to the outlet for pickup, saying why (required)."""
    app = visible(app_id)
    form = ToOutletForm()
    if form.validate() and not may("to_outlet", app):
        form.refuse("note", _("This application cannot go to the outlet at this step."))
    if not form.errors:
        hub = context.hub()
        try:
            with write(hub.db):
                fresh = visible(app_id)
                casework.carry_out(hub, fresh, g.page_user, "to_outlet", {}, note=form.note.data)
        except REFUSED as exc:
            form.refuse("note", refusal(exc))
        else:
            flash(_("Sent to the outlet: it waits there for pickup."), "ok")
            return back_to(app_id, form)
    return send_back(f"outlet-{app_id}", form, app_id)


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
    form = EventForm()
    if form.validate() and shipment["state"] == "pending":
        form.refuse("event", _("The result has not been posted yet: enter its tracking number."))
    if not form.errors:
        hub = context.hub()
        try:
            with write(hub.db):
                fresh = store.shipments.get_shipment(hub.db, shipment_id) or shipment
                event = manual_event_from(form.body(shipment["tracking"]), now_ms=hub.now_ms)
                outcome = delivery.record(hub, fresh, event, source=actor())
        except REFUSED as exc:
            field = getattr(exc, "field", None)
            form.refuse(field if field in form.shown else "event", refusal(exc))
        else:
            if outcome == "duplicate":
                flash(_("This event was already recorded; nothing changed."), "info")
            else:
                flash(_("The carrier event is recorded."), "ok")
            return back_to(app_id, form)
    return send_back(f"event-{shipment_id}", form, app_id)


@bp.post("/followups/<int:followup_id>/resolve")
@role_required(*ALL_ROLES)
def resolve_followup(followup_id: int) -> Any:
    """Close the follow-up of a bad rating, saying what was done (required)."""
    try:
        followup = ratings.followup_for(context.hub(), followup_id, g.page_user)
    except HubError:
        abort(404)
    app_id = followup["application"]
    form = ResolveForm()
    if form.validate() and followup["state"] != "open":
        form.refuse("note", _("This follow-up is already closed."))
    if not form.errors:
        hub = context.hub()
        try:
            with write(hub.db):
                ratings.resolve(hub, followup_id, note=form.note.data, by=actor())
        except REFUSED as exc:
            form.refuse("note", refusal(exc, "followup"))
        else:
            flash(_("The follow-up is resolved."), "ok")
            return back_to(app_id, form)
    return send_back(f"followup-{followup_id}", form, app_id)
