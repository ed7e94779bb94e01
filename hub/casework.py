"""Casework: what a hub user may see of an application and do with it, the same for the API
and the pages. Visibility (an officer sees its own unit's applications only), the version an
action was meant for, the workflow actions with the fields they take, reading personal data
(by role, with a reason, audited), and the masked view both surfaces show.
"""

from __future__ import annotations

import json
from typing import Any, get_args

import msgspec
from sqlite_utils import Database

from hub import delivery, store, workflow
from hub.cases import Hub, request_supplement, transition
from hub.errors import HubError
from hub.keys import HubKeys
from hub.store import write
from hub.users import REVEAL_ROLES
from hub.workdays import SlaState
from sync.errors import ProtocolError
from sync.sealing import unseal_address, unseal_applicant
from sync.types import Code, LongText

# The time-limit states an application shows (``sla_state``): the calendar's while the clock
# runs, then those hub/cases.py sets when it pauses and once the department decided.
SLA_STATES: tuple[str, ...] = (*get_args(SlaState), "paused", "met", "late")


NOTE_MAX: int = get_args(LongText)[1].max_length  # a note or message: the records' LongText


REVEAL_REASON_MAX = 500  # characters of the reason for reading personal data (audited)


def reveal_reason(reason: object) -> str:
    """Why personal data is read, as the audit log keeps it: required, not blank, at most
    :data:`REVEAL_REASON_MAX` characters (the rule of the API and of the pages)."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise HubError(
            "reason: say why you read the personal data; it goes to the audit log",
            field="reason",
        )
    if len(text) > REVEAL_REASON_MAX:
        raise HubError(
            f"reason: at most {REVEAL_REASON_MAX} characters",
            field="reason",
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


def in_view(user: dict[str, Any], unit: str | None) -> bool:
    """Whether ``user`` sees work of department ``unit``: an officer its own unit's only,
    operators and admins everything (applications, their shipments and follow-ups, counts)."""
    return user["role"] != "officer" or unit == user["unit"]


def queue_unit(user: dict[str, Any], asked: str | None = None) -> str | None:
    """The unit a list for ``user`` is limited to: an officer's own, whatever was asked;
    for others the unit asked for (None: every unit)."""
    return user["unit"] if user["role"] == "officer" else asked


def visible(app: dict[str, Any] | None, user: dict[str, Any]) -> dict[str, Any]:
    """The application if ``user`` may see it; 404 otherwise, with no hint it exists."""
    if app is None or not in_view(user, app["unit"]):
        raise HubError("no such application in your queue", code="not_found", status=404)
    return app


def may_reveal(user: dict[str, Any]) -> bool:
    """Whether ``user``'s role may read decrypted personal data (with a reason, audited)."""
    return user["role"] in REVEAL_ROLES


def role_of(user: dict[str, Any]) -> str:
    """The workflow role a hub user acts in (an admin acts as an operator)."""
    return "operator" if user["role"] == "admin" else user["role"]


def reveal(
    db: Database,
    keys: HubKeys,
    app: dict[str, Any],
    user: dict[str, Any],
    *,
    reason: str,
    now: int,
) -> dict[str, Any]:
    """The application's personal data, decrypted, for a user whose role allows it and who
    says why (:func:`reveal_reason`); every reveal is written to the audit log with that
    reason (shared by the API and the pages)."""
    if not may_reveal(user):
        raise HubError("your role may not read personal data", code="forbidden", status=403)
    reason = reveal_reason(reason)
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
        raise HubError(
            f"sealed data does not open: {exc}", code="unseal_failed", status=500
        ) from None
    with write(db):
        store.audit.audit(
            db,
            at=now,
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
        materials = codes_field(body.get("materials"), "materials")
        message = text_field(body, "message", default=note) or note
        return request_supplement(
            hub, app, actor=actor, role=role, materials=materials, message=message
        )
    if action == "route":
        unit = body.get("unit")
        if not isinstance(unit, str) or unit not in hub.catalogue.units():
            raise HubError(f"no department unit {unit!r}", field="unit")
        return transition(hub, app, "route", role=role, actor=actor, note=note, unit=unit)
    if action in BY_SHIPMENT:
        raise HubError(BY_SHIPMENT[action], field="action")
    updated = transition(hub, app, action, role=role, actor=actor, note=note)
    if action == "issue_result":
        updated = send_result(hub, updated, body, actor=actor, role=role)
    return updated


def text_field(body: dict[str, Any], name: str, *, default: str) -> str:
    """An optional text field of a body (null is absent), at most :data:`NOTE_MAX`
    characters: what the outlet's records can carry (sync.types.LongText)."""
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > NOTE_MAX:
        raise HubError(
            f"{name} is text of at most {NOTE_MAX} characters",
            field=name,
        )
    return value


_CODES: Any = list[Code]  # the records' code type, checked by msgspec as the outlet will


def codes_field(value: object, name: str) -> list[str]:
    """A list of codes (sync.types.Code) that an outlet's device can decode, or 400."""
    if value is None:
        return []
    try:
        codes: list[str] = msgspec.convert(value, type=_CODES)
    except msgspec.ValidationError:
        raise HubError(
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


def check_version(app: dict[str, Any], expected: int | None) -> None:
    """An action meant for the version the user saw: refused (409 version_stale) when the
    application changed since."""
    if expected is not None and expected != app["version"]:
        raise HubError(
            f"the application is at version {app['version']}",
            code="version_stale",
            status=409,
            field="version",
        )
