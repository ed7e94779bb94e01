"""Casework: what a hub user may see of an application and do with it, the same for the API
and the pages. Visibility (an officer sees its own unit's applications only), the version an
action was meant for, the workflow actions with the fields they take, reading personal data
(by role, with a reason, audited), and the masked view both surfaces show.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, get_args

import msgspec
from sqlite_utils import Database

from hub import context, delivery, store, workflow
from hub.blobs import BlobStore
from hub.cases import Hub, request_supplement, transition
from hub.errors import HubError
from hub.keys import HubKeys
from hub.store import write
from hub.users import REVEAL_ROLES
from hub.workdays import SlaState
from sync import glossary
from sync.batch import record_bytes
from sync.errors import ProtocolError
from sync.refusals import REFUSAL_ACTIONS
from sync.sealing import unseal_address, unseal_applicant, unseal_bytes
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


def public_view(
    app: dict[str, Any],
    *,
    missing: Collection[str] | None = None,
    db: Database | None = None,
) -> dict[str, Any]:
    """An application as the API shows it: personal data masked; each material with its
    scans (:func:`material_view`). ``missing``: the SHA-256 of its scans not at the hub yet,
    if the caller has them; else they are read from ``db`` (or the request's database) when
    the application counts any missing, and never when it counts none."""
    if missing is None:
        missing = missing_scan_digests(db, app)
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
        "materials": material_view(app, missing),
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
    carrier and tracking, and for a refusal (``refuse``, ``reject``) its required ``reason``
    (a code of sync/refusals.py; ``other`` needs the ``note`` to say it)."""
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
    if action in REFUSAL_ACTIONS:
        return transition(
            hub, app, action, role=role, actor=actor, note=note, reason=body.get("reason")
        )
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
            note=glossary.note("to_outlet_pickup"),
            data={"said": "to_outlet_pickup"},
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


# --- scans: the pages the outlet photographed, opened for the officer who holds the case ------

log = logging.getLogger("daiban.hub")

# Media types a scan is answered with as it is (a browser shows them inline: never one that
# runs script in the hub's origin, such as HTML or SVG); any other is sent as bytes to save.
INLINE_MEDIA_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
DOWNLOAD_MEDIA_TYPE = "application/octet-stream"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ScanNotFound(HubError):
    """No such material on the application, or no scan of that number (they count from 1)."""

    code = "scan.not_found"
    status = 404


class ScanNotUploaded(HubError):
    """The application lists the scan but its bytes have not (all) reached the hub: the
    outlet's upload may still be under way. ``received``: the bytes the hub holds so far."""

    code = "scan.not_uploaded"
    status = 409


class ScanUnsealFailed(HubError):
    """The hub holds the bytes but they do not open with its key for this application: sealed
    for another application (a record naming someone else's scan) or damaged."""

    code = "scan.unseal_failed"
    status = 422


@dataclass(frozen=True)
class ScanFile:
    """One scan, unsealed: what a surface answers with (``inline``: a type a browser may
    show; else it is to be saved, as ``application/octet-stream``)."""

    data: bytes
    media_type: str
    filename: str
    inline: bool
    material: str
    n: int
    sha256: str

    def headers(self) -> dict[str, str]:
        """The answer's headers, the API's and the page's alike: never cached, never sniffed,
        shown on its own (sandboxed, so it cannot act as a page of the hub's origin)."""
        return {
            "Content-Disposition": (
                f'{"inline" if self.inline else "attachment"}; filename="{self.filename}"'
            ),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Referrer-Policy": "no-referrer",
        }


def missing_scan_digests(db: Database | None, app: dict[str, Any]) -> set[str]:
    """The SHA-256 of the application's scans not at the hub yet (none read when it counts
    none missing); ``db`` defaults to the request's database."""
    if not app["missing_scans"]:
        return set()
    source = db if db is not None else context.get_db()
    return {row["sha256"] for row in store.applications.missing_scans(source, app["id"])}


def material_view(app: dict[str, Any], missing: Collection[str]) -> list[dict[str, Any]]:
    """The materials handed over, as both surfaces show them: ``code``, ``scans`` (their
    SHA-256), ``count``, ``paper`` (true: checked on paper at the outlet, no scan: 已核验纸质
    材料, not a missing one) and ``files``: each scan's number ``n`` (from 1, as
    :func:`scan_for` takes it), ``sha256`` and ``at_hub`` (false while its upload is due)."""
    out = []
    for material in json.loads(app["materials"]):
        scans = list(material.get("scans", []))
        out.append(
            {
                "code": material["code"],
                "scans": scans,
                "count": len(scans),
                "paper": not scans,
                "files": [
                    {"n": n, "sha256": sha, "at_hub": sha not in missing}
                    for n, sha in enumerate(scans, 1)
                ],
            }
        )
    return out


def may_view_scans(user: dict[str, Any], app: dict[str, Any]) -> bool:
    """Whether ``user`` may open the application's scans: a scanned ID card is personal data,
    so the rule of reading it decrypted (:func:`may_reveal`) on a case they see
    (:func:`in_view`: an officer its own unit's only)."""
    return in_view(user, app["unit"]) and may_reveal(user)


def scan_digest(app: dict[str, Any], material: str, n: int) -> str:
    """The SHA-256 of scan ``n`` (from 1) of ``material`` as the application lists it: only a
    scan of this application's own materials is ever read."""
    for entry in json.loads(app["materials"]):
        if entry["code"] == material:
            scans = entry.get("scans", [])
            if isinstance(n, int) and 1 <= n <= len(scans):
                return str(scans[n - 1])
            raise ScanNotFound(
                f"material {material} has {len(scans)} scan(s) (numbered from 1)"
                + ("; it was checked on paper" if not scans else ""),
                field="n",
            )
    raise ScanNotFound(f"the application has no material {material}", field="material")


def _record_body(db: Database, record_id: str) -> bytes | None:
    """An applied uplink record's canonical body (as hub.ingest.record_body, which this
    module cannot import: hub.ingest reaches it through hub.ratings)."""
    row = store.batches.get_record(db, record_id)
    if row is None:
        return None
    if row["body"] or row["frame"] is None:
        return str(row["body"]).encode("utf-8")
    return record_bytes(row["frame"], int(row["idx"]))


def scan_media_type(db: Database, app: dict[str, Any], sha256: str) -> str:
    """The media type the outlet's record gave the scan (the application's create record, or
    the amendment that brought it); ``application/octet-stream`` if no record says."""
    records = [app["id"]]
    for event in store.applications.events(db, app["id"]):
        data = event.get("data")
        if event["action"] in ("supplement", "correct") and data:
            try:
                record = json.loads(data).get("record")
            except (ValueError, AttributeError):
                continue
            if isinstance(record, str):
                records.append(record)
    for record_id in records:
        body = _record_body(db, record_id)
        if body is None:
            continue
        for material in json.loads(body).get("materials", []):
            for scan in material.get("scans", []):
                if scan.get("sha256") == sha256:
                    return str(scan.get("media_type") or DOWNLOAD_MEDIA_TYPE)
    return DOWNLOAD_MEDIA_TYPE


def scan_filename(app: dict[str, Any], material: str, n: int, extension: str) -> str:
    """A file name safe in any header and file system: receipt, material, number."""
    stem = _UNSAFE_NAME.sub("_", f"{app['receipt']}-{material}-{n}").strip("._") or "scan"
    return f"{stem}.{extension}"


def scan_for(
    db: Database,
    keys: HubKeys,
    blobs: BlobStore,
    app: dict[str, Any] | None,
    user: dict[str, Any],
    *,
    material: str,
    n: int,
    reason: object,
    now: int,
) -> ScanFile:
    """Scan ``n`` (from 1) of ``material`` of the application, unsealed with the hub's key,
    for a user who may see the case and read personal data (:func:`may_view_scans`) and says
    why (:func:`reveal_reason`): the same for the API and the pages.

    Refusals, in this order: the case not in the user's view (404 ``not_found``, as if it did
    not exist, also for ``app`` None), a role that may not read personal data (403
    ``forbidden``), no reason (400 ``invalid``), no such material or scan (404
    ``scan.not_found``), bytes not at the hub yet (409 ``scan.not_uploaded``, with
    ``received``), bytes that do not open for this application (422 ``scan.unseal_failed``).
    Only a scan the application's own materials list is read, and it opens only if it was
    sealed for this application (the seal binds the application's id). Each scan shown is
    written to the audit log (``view_scan``: who, when, the application; the material, the
    number, the SHA-256 and the reason in ``detail``); a refusal writes nothing."""
    app = visible(app, user)
    if not may_view_scans(user, app):
        raise HubError("your role may not read personal data", code="forbidden", status=403)
    reason = reveal_reason(reason)
    sha256 = scan_digest(app, material, n)
    if not blobs.has(sha256):
        raise ScanNotUploaded(
            f"scan {n} of {material} has not reached the hub yet: the outlet's upload may still"
            " be under way",
            received=blobs.received(sha256),
        )
    with blobs.open(sha256) as stored:
        sealed = stored.read()
    try:
        data = unseal_bytes(sealed, keys.sealing, record_id=app["id"], purpose="scan")
    except ProtocolError:
        log.warning(
            "scan %s of application %s does not open for it (sealed for another?)",
            sha256,
            app["id"],
        )
        raise ScanUnsealFailed(
            f"scan {n} of {material} does not open for this application: ask the outlet to"
            " scan it again"
        ) from None
    declared = scan_media_type(db, app, sha256)
    inline = declared in INLINE_MEDIA_TYPES
    with write(db):
        store.audit.audit(
            db,
            at=now,
            user=user["name"],
            action="view_scan",
            application=app["id"],
            detail=f"{material} #{n} {sha256}: {reason}",
        )
    return ScanFile(
        data=data,
        media_type=declared if inline else DOWNLOAD_MEDIA_TYPE,
        filename=scan_filename(app, material, n, INLINE_MEDIA_TYPES.get(declared, "bin")),
        inline=inline,
        material=material,
        n=n,
        sha256=sha256,
    )
