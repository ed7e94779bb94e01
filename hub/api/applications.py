"""The applications API: the queue (paged, filtered), one application with its timeline
(and, by role and with a reason, its personal data, audited), workflow actions, and triage."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from hub import casework, context, delivery, store, workflow
from hub.api.args import choice_arg, flag_arg, int_arg, read_json_body
from hub.api.auth import requires
from hub.casework import BY_SHIPMENT, public_view, reveal_reason, role_of
from hub.errors import ApiError
from hub.store import write
from sync import paging
from sync.errors import InvalidValue

bp = Blueprint("applications_api", __name__, url_prefix="/api/v1")


# The paging bounds of GET /applications and the staleness window of GET /devices.
PER_PAGE = (1, 500)


PAGES = (1, 1_000_000)


@bp.get("/applications")
@requires("admin", "operator", "officer")
def list_applications() -> Response:
    """A page of the queue: filter by status, item, outlet, sla_state (overdue, due_soon),
    unit; search with ``q``; page with ``cursor`` and ``limit`` (or ``page``/``per_page``)."""
    user = g.user
    unit = casework.queue_unit(user, request.args.get("unit"))
    status = request.args.get("status")
    if status is not None and status not in workflow.STATES:
        raise ApiError(400, "invalid", f"unknown status {status}", field="status")
    sla = choice_arg("sla_state", casework.SLA_STATES)
    if flag_arg("overdue"):
        sla = "overdue"
    limit = int_arg("limit", None, *PER_PAGE)
    per_page = int_arg("per_page", None, *PER_PAGE)
    page = int_arg("page", None, *PAGES)
    cursor = request.args.get("cursor")
    if page is not None and cursor is not None:
        raise ApiError(400, "invalid", "page: give either page or cursor", field="page")
    size = limit if limit is not None else per_page if per_page is not None else 50
    try:
        asked = paging.PageRequest(cursor=cursor, limit=size, q=request.args.get("q", ""))
        found = store.applications.application_page(
            context.get_db(),
            asked,
            unit=unit,
            status=status,
            item=request.args.get("item"),
            outlet=request.args.get("outlet"),
            sla_state=sla,
            offset=(page - 1) * size if page is not None else None,
        )
    except InvalidValue as exc:
        raise ApiError(400, "invalid", exc.message, field=exc.field, reason=exc.reason) from None
    return jsonify(
        {
            "ok": True,
            "total": found.total,
            "start": found.start,
            "page": found.start // size + 1,
            "per_page": size,
            "next_cursor": found.next_cursor,
            "prev_cursor": found.prev_cursor,
            "applications": [public_view(a) for a in found.rows],
        }
    )


@bp.get("/applications/<app_id>")
@requires("admin", "operator", "officer")
def show_application(app_id: str) -> Response:
    """One application with its timeline; ``?reveal=1`` decrypts personal data (audited)."""
    revealing = flag_arg("reveal")
    # Checked before anything is read: a refused reveal decrypts and audits nothing.
    reason = reveal_reason(request.args.get("reason")) if revealing else ""
    db = context.get_db()
    app = casework.visible(store.applications.get_application(db, app_id), g.user)
    body = public_view(app)
    body["timeline"] = [
        {k: e[k] for k in ("at", "actor", "action", "from_status", "to_status", "note")}
        for e in store.applications.events(db, app_id)
    ]
    body["missing"] = store.applications.missing_scans(db, app_id)
    body["allowed_actions"] = [
        a for a in workflow.ordered_actions(app["status"], role_of(g.user)) if a not in BY_SHIPMENT
    ]
    hub = context.hub()
    body["shipments"] = [
        delivery.view(hub, s) for s in store.shipments.application_shipments(db, app_id)
    ]
    body["rating"] = store.ratings.rating_for(db, app_id)
    if revealing:
        keys = context.config_value("KEYS")
        body["personal"] = casework.reveal(
            db, keys, app, g.user, reason=reason, now=context.now_ms()
        )
    return jsonify({"ok": True, "application": body})


@bp.post("/applications/<app_id>/actions")
@requires("admin", "operator", "officer")
def act(app_id: str) -> Response:
    """Carry out a workflow action: {action, note?, version?, materials?, message?, unit?,
    carrier?, tracking?, reason?}; ``reason`` is required to refuse or reject
    (sync/refusals.py), and ``400 refusal_reason`` changes nothing."""
    body = read_json_body()
    action = body.get("action")
    if not isinstance(action, str):
        raise ApiError(400, "invalid", 'send JSON {"action": ..., "note"?: ...}', field="action")
    if action not in workflow.ACTIONS:
        raise ApiError(400, "invalid", f"unknown action {action}", field="action")
    note = casework.text_field(body, "note", default="")
    expected = body.get("version")
    if expected is not None and (
        not isinstance(expected, int) or isinstance(expected, bool) or expected < 1
    ):
        raise ApiError(
            400, "invalid", "version is the application's version number", field="version"
        )
    hub = context.hub()
    user = g.user
    with write(hub.db):
        app = casework.visible(store.applications.get_application(hub.db, app_id), g.user)
        casework.check_version(app, expected)
        updated = casework.carry_out(hub, app, user, action, body, note=note)
    return jsonify({"ok": True, "application": public_view(updated)})


@bp.get("/triage")
@requires("admin", "operator")
def triage() -> Response:
    rows, total = store.applications.queue(context.get_db(), status="triage", limit=500)
    return jsonify({"ok": True, "total": total, "applications": [public_view(a) for a in rows]})
