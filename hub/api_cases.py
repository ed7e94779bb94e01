"""The departments' and operators' API (``/api/v1``), authenticated by bearer tokens.

Officers see and act on their own unit's queue; operators and admins see everything, work
the triage queue and watch devices. Reading decrypted personal data is allowed by role and
written to the audit log every time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar, get_args

import msgspec
from flask import Blueprint, Response, g, jsonify, request
from sqlite_utils import Database

from hub import context, delivery, store, workflow
from hub.api_args import choice_arg, flag_arg, int_arg
from hub.calendar import SlaState
from hub.cases import CaseError, Hub, request_supplement, transition
from hub.errors import ApiError, read_json_body
from hub.store import write
from hub.users import REVEAL_ROLES, user_for_token
from sync.errors import ProtocolError
from sync.sealing import unseal_address, unseal_applicant
from sync.types import Code, LongText

bp = Blueprint("cases_api", __name__, url_prefix="/api/v1")


_P = ParamSpec("_P")
_R = TypeVar("_R")


def requires(*roles: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Bearer-token authentication and a role check."""

    def decorate(view: Callable[_P, _R]) -> Callable[_P, _R]:
        @wraps(view)
        def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                raise ApiError(401, "unauthenticated", "send Authorization: Bearer <token>")
            user = user_for_token(context.get_db(), header[7:].strip())
            if user is None:
                raise ApiError(401, "unauthenticated", "unknown or disabled API token")
            if user["role"] not in roles:
                raise ApiError(403, "forbidden", f"the {user['role']} role may not do this")
            g.user = user
            return view(*args, **kwargs)

        return wrapped

    return decorate


# The time-limit states an application shows (``sla_state``): the calendar's while the clock
# runs, then those hub/cases.py sets when it pauses and once the department decided.
SLA_STATES: tuple[str, ...] = (*get_args(SlaState), "paused", "met", "late")
# The paging bounds of GET /applications and the staleness window of GET /devices.
PER_PAGE = (1, 500)
PAGES = (1, 1_000_000)
STALE_HOURS = (1, 24 * 365)
NOTE_MAX: int = get_args(LongText)[1].max_length  # a note or message: the records' LongText
REVEAL_REASON_MAX = 500  # characters of the reason for reading personal data (audited)


def reveal_reason(reason: object) -> str:
    """Why personal data is read, as the audit log keeps it: required, not blank, at most
    :data:`REVEAL_REASON_MAX` characters (the rule of the API and of the pages)."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ApiError(
            400,
            "invalid",
            "reason: say why you read the personal data; it goes to the audit log",
            field="reason",
        )
    if len(text) > REVEAL_REASON_MAX:
        raise ApiError(
            400, "invalid", f"reason: at most {REVEAL_REASON_MAX} characters", field="reason"
        )
    return text


def public_view(app: dict[str, Any]) -> dict[str, Any]:
    """An application as the API shows it: personal data masked."""
    return {
        "id": app["id"],
        "receipt": app["receipt"],
        "outlet": app["outlet"],
        "item": app["item"],
        "region": app["region"],
        "unit": app["unit"],
        "status": app["status"],
        "version": app["version"],
        "staff": app["staff"],
        "captured_at": app["captured_at_hub"],
        "clock_flagged": bool(app["clock_flagged"]),
        "received_at": app["received_at"],
        "applicant": {"id_type": app["applicant_id_type"], **json.loads(app["applicant_masked"])},
        "delivery": {"method": app["delivery"], "address": app["address_masked"]},
        "materials": json.loads(app["materials"]),
        "promised": json.loads(app["promised"]),
        "missing_scans": app["missing_scans"],
        "note": app["note"],
        "accepted_on": app["accepted_on"],
        "limit_days": app["limit_days"],
        "due_date": app["due_date"],
        "due_provisional": bool(app["due_provisional"]),
        "sla_state": app["sla_state"],
    }


def _visible(app: dict[str, Any] | None) -> dict[str, Any]:
    """The application if this user may see it; 404 otherwise (no hint it exists)."""
    user = g.user
    if app is None or (user["role"] == "officer" and app["unit"] != user["unit"]):
        raise ApiError(404, "not_found", "no such application in your queue")
    return app


@bp.get("/applications")
@requires("admin", "operator", "officer")
def list_applications() -> Response:
    """A page of the queue: filter by status, item, sla_state (overdue, due_soon), unit."""
    user = g.user
    unit = user["unit"] if user["role"] == "officer" else request.args.get("unit")
    status = request.args.get("status")
    if status is not None and status not in workflow.STATES:
        raise ApiError(400, "invalid", f"unknown status {status}", field="status")
    sla = choice_arg("sla_state", SLA_STATES)
    if flag_arg("overdue"):
        sla = "overdue"
    per_page = int_arg("per_page", 50, *PER_PAGE)
    page = int_arg("page", 1, *PAGES)
    rows, total = store.applications.queue(
        context.get_db(),
        unit=unit,
        status=status,
        item=request.args.get("item"),
        outlet=request.args.get("outlet"),
        sla_state=sla,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return jsonify(
        {
            "ok": True,
            "total": total,
            "page": page,
            "per_page": per_page,
            "applications": [public_view(a) for a in rows],
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
    app = _visible(store.applications.get_application(db, app_id))
    body = public_view(app)
    body["timeline"] = [
        {k: e[k] for k in ("at", "actor", "action", "from_status", "to_status", "note")}
        for e in store.applications.events(db, app_id)
    ]
    body["missing"] = store.applications.missing_scans(db, app_id)
    body["allowed_actions"] = [
        a for a in workflow.allowed_actions(app["status"], role_of(g.user)) if a not in BY_SHIPMENT
    ]
    hub = context.hub()
    body["shipments"] = [
        delivery.view(hub, s) for s in store.shipments.application_shipments(db, app_id)
    ]
    body["rating"] = store.ratings.rating_for(db, app_id)
    if revealing:
        body["personal"] = _reveal(app, reason=reason)
    return jsonify({"ok": True, "application": body})


def role_of(user: dict[str, Any]) -> str:
    """The workflow role a hub user acts in (an admin acts as an operator)."""
    return "operator" if user["role"] == "admin" else user["role"]


def _reveal(app: dict[str, Any], *, reason: str) -> dict[str, Any]:
    return reveal(app, g.user, reason=reason)


def reveal(app: dict[str, Any], user: dict[str, Any], *, reason: str) -> dict[str, Any]:
    """The application's personal data, decrypted, for a user whose role allows it and who
    says why (:func:`reveal_reason`); every reveal is written to the audit log with that
    reason (shared by the API and the pages)."""
    if user["role"] not in REVEAL_ROLES:
        raise ApiError(403, "forbidden", "your role may not read personal data")
    reason = reveal_reason(reason)
    keys = context.config_value("KEYS")
    try:
        person = unseal_applicant(
            app["applicant_sealed"], keys.sealing, record_id=app["applicant_record"]
        )
        address = (
            unseal_address(app["address_sealed"], keys.sealing, record_id=app["address_record"])
            if app["address_sealed"]
            else None
        )
    except ProtocolError as exc:
        raise ApiError(500, "unseal_failed", f"sealed data does not open: {exc}") from None
    db = context.get_db()
    with write(db):
        store.audit.audit(
            db,
            at=context.now_ms(),
            user=user["name"],
            action="reveal_personal_data",
            application=app["id"],
            detail=reason,
        )
    out: dict[str, Any] = {
        "name": person.name,
        "id_type": person.id_type,
        "id_number": person.id_number,
        "phone": person.phone,
    }
    if address is not None:
        out["address"] = {
            "recipient": address.recipient,
            "phone": address.phone,
            "address": address.address,
            "postcode": address.postcode,
        }
    return out


@bp.post("/applications/<app_id>/actions")
@requires("admin", "operator", "officer")
def act(app_id: str) -> Response:
    """Carry out a workflow action: {action, note?, version?, materials?, message?, unit?,
    carrier?, tracking?}."""
    body = read_json_body()
    action = body.get("action")
    if not isinstance(action, str):
        raise ApiError(400, "invalid", 'send JSON {"action": ..., "note"?: ...}', field="action")
    if action not in workflow.ACTIONS:
        raise ApiError(400, "invalid", f"unknown action {action}", field="action")
    note = _text(body, "note", default="")
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
        app = _visible(store.applications.get_application(hub.db, app_id))
        if expected is not None and expected != app["version"]:
            raise ApiError(
                409,
                "version_stale",
                f"the application is at version {app['version']}",
                field="version",
            )
        updated = carry_out(hub, app, user, action, body, note=note)
    return jsonify({"ok": True, "application": public_view(updated)})


def carry_out(
    hub: Hub,
    app: dict[str, Any],
    user: dict[str, Any],
    action: str,
    body: dict[str, Any],
    *,
    note: str,
) -> dict[str, Any]:
    """One workflow action by ``user`` on ``app`` (inside the caller's write transaction):
    the same rules for the API and the pages. ``body`` may hold materials, message, unit,
    carrier and tracking."""
    actor = f"{user['name']}({user['role']})"
    role = role_of(user)
    if action == "request_supplement":
        materials = _codes(body.get("materials"), "materials")
        message = _text(body, "message", default=note) or note
        return request_supplement(
            hub, app, actor=actor, role=role, materials=materials, message=message
        )
    if action == "route":
        unit = body.get("unit")
        if not isinstance(unit, str) or unit not in hub.catalogue.units():
            raise ApiError(400, "invalid", f"no department unit {unit!r}", field="unit")
        return transition(hub, app, "route", role=role, actor=actor, note=note, unit=unit)
    if action in BY_SHIPMENT:
        raise ApiError(400, "invalid", BY_SHIPMENT[action], field="action")
    updated = transition(hub, app, action, role=role, actor=actor, note=note)
    if action == "issue_result":
        updated = send_result(hub, updated, body, actor=actor, role=role)
    return updated


def _text(body: dict[str, Any], name: str, *, default: str) -> str:
    """An optional text field of a body (null is absent), at most :data:`NOTE_MAX`
    characters: what the outlet's records can carry (sync.types.LongText)."""
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > NOTE_MAX:
        raise ApiError(
            400, "invalid", f"{name} is text of at most {NOTE_MAX} characters", field=name
        )
    return value


_CODES: Any = list[Code]  # the records' code type, checked by msgspec as the outlet will


def _codes(value: object, name: str) -> list[str]:
    """A list of codes (sync.types.Code) that an outlet's device can decode, or 400."""
    if value is None:
        return []
    try:
        codes: list[str] = msgspec.convert(value, type=_CODES)
    except msgspec.ValidationError:
        raise ApiError(
            400,
            "invalid",
            f"{name} is a list of codes (letters, digits, '.', '_' or '-', at most 64)",
            field=name,
        ) from None
    return codes


# Mail moves by its shipment, so its timeline and the application's state always agree.
BY_SHIPMENT = {
    "ship": "post a result with POST /api/v1/applications/{id}/shipment {carrier, tracking}",
    "deliver": "record delivery as a shipment event: POST /api/v1/shipments/{id}/events",
    "return_mail": "record a return as a shipment event: POST /api/v1/shipments/{id}/events",
}
# The actions this API takes: the workflow's actions for officers and operators, less those
# mail takes through its shipment (outlets take theirs through their records).
API_ACTIONS: tuple[str, ...] = tuple(
    name
    for name, spec in workflow.ACTIONS.items()
    if spec.roles & {"officer", "operator"} and name not in BY_SHIPMENT
)


def send_result(
    hub: Hub, app: dict[str, Any], body: dict[str, Any], *, actor: str, role: str
) -> dict[str, Any]:
    """A result just issued goes to the outlet for pickup, or into a shipment for mail
    (posted at once when the officer gives the carrier and tracking number)."""
    if app["delivery"] == "pickup":
        return transition(
            hub,
            app,
            "to_outlet",
            role="system",
            actor="hub",
            note="result sent to the outlet for pickup",
        )
    delivery.open_pending(hub, app, actor=actor)
    if body.get("tracking") is None:
        return app
    updated, _ = delivery.post(
        hub, app, carrier=body.get("carrier"), tracking=body["tracking"], actor=actor, role=role
    )
    return updated


@bp.get("/triage")
@requires("admin", "operator")
def triage() -> Response:
    rows, total = store.applications.queue(context.get_db(), status="triage", limit=500)
    return jsonify({"ok": True, "total": total, "applications": [public_view(a) for a in rows]})


@bp.get("/devices")
@requires("admin", "operator")
def list_devices() -> Response:
    """Every device: last seen, last batch, clock skew, backlog and version it reported."""
    stale_hours = int_arg("stale_hours", 24, *STALE_HOURS)
    out = device_rows(
        context.get_db(), context.now_ms(), request.args.get("outlet"), stale_hours=stale_hours
    )
    return jsonify({"ok": True, "devices": out})


def device_rows(
    db: Database, now: int, outlet: str | None = None, *, stale_hours: int = 24
) -> list[dict[str, Any]]:
    """Every device (of one outlet) without its key; ``stale`` when not revoked and not seen
    for ``stale_hours`` (shared by the API and the pages)."""
    stale_after = stale_hours * 3600 * 1000
    out = []
    for d in store.devices.list_devices(db, outlet):
        row = {k: v for k, v in d.items() if k != "public_key"}
        row["stale"] = d["revoked_at"] is None and (
            d["last_seen_at"] is None or now - d["last_seen_at"] > stale_after
        )
        out.append(row)
    return out


@bp.get("/quarantine")
@requires("admin", "operator")
def quarantine() -> Response:
    rows = store.batches.list_quarantine(context.get_db(), request.args.get("outlet"))
    for row in rows:
        row["reasons"] = json.loads(row["reasons"])
    return jsonify({"ok": True, "records": rows})


@bp.get("/stats/queues")
@requires("admin", "operator", "officer")
def queue_stats() -> Response:
    rows = store.applications.queue_counts(context.get_db())
    if g.user["role"] == "officer":
        rows = [r for r in rows if r["unit"] == g.user["unit"]]
    return jsonify({"ok": True, "queues": rows})


@bp.get("/audit")
@requires("admin")
def audit_log() -> Response:
    return jsonify(
        {
            "ok": True,
            "entries": store.audit.audit_entries(context.get_db(), request.args.get("application")),
        }
    )


@bp.get("/alarms")
@requires("admin", "operator")
def alarms() -> Response:
    return jsonify({"ok": True, "alarms": store.alarms.active_alarms(context.get_db())})


__all__ = ["CaseError", "bp"]
