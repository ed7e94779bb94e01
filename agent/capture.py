"""Capture at the counter: new applications, amendments, pickups and ratings, and attention
items marked as dealt with.

Everything is checked before anything is stored: the item against the catalogue and this
outlet's kind, the materials against the item, the ID number, phone and address against the
validators. Personal data is sealed to the hub's key before it touches the disk; only masked
copies are kept in clear. A record and its outbox entry commit in one transaction.

An application is handed over once and rated once: a second hand-over or rating is refused
here (``once``) while the first waits to sync or after the hub has it, not left for the hub to
refuse. The pages and the CLI both call these functions, so the rules are the same for both.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, get_args

import msgspec
from cryptography.hazmat.primitives.asymmetric import x25519
from sqlite_utils import Database

from sync import records as r
from sync import validators
from sync.catalogue import CatalogueItem, MaterialProblem, material_problems
from sync.clock import china_time
from sync.codec import canonical
from sync.errors import InvalidValue
from sync.ids import receipt_number, uuid7
from sync.masking import mask_address, mask_id_number, mask_name, mask_phone
from sync.sealing import (
    Address,
    Applicant,
    seal,
    seal_address,
    seal_applicant,
    seal_bytes,
    sealing_key_from_text,
)

from .home import Home
from .store import local, meta, outbox, write
from .store import staff as staff_store

# The values of the records' Literal types, typed as such: input is checked against these.
_ID_TYPES: tuple[r.IdType, ...] = get_args(r.IdType)
_COLLECTORS: tuple[r.Collector, ...] = get_args(r.Collector)
_L = TypeVar("_L", bound=str)


def _literal(value: str, allowed: tuple[_L, ...]) -> _L | None:
    """``value`` as one of ``allowed`` (the values of a Literal type), or None."""
    return next((choice for choice in allowed if choice == value), None)


def _enum_value(value: str, allowed: tuple[_L, ...], field_name: str) -> _L:
    """``value`` as one of ``allowed``, or the refusal strict decoding of the record gives."""
    choice = _literal(value, allowed)
    if choice is None:
        raise CaptureError("record.invalid", f"Invalid enum value {value!r} - at `$.{field_name}`")
    return choice


class CaptureError(ValueError):
    """Input refused at the counter: ``code`` picks the words, ``field`` the input to fix."""

    def __init__(self, code: str, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.field, self.params = code, message, field, params


@dataclass
class NewApplication:
    """What the clerk entered."""

    item: str
    name: str
    id_number: str
    phone: str
    staff: str
    id_type: str = "resident_id"
    mail_to: str | None = None  # None: pickup at the outlet
    recipient: str | None = None
    recipient_phone: str | None = None
    postcode: str = ""
    region: str | None = None  # the applicant's county; default: the outlet's
    scans: dict[str, list[Path]] = field(default_factory=dict)  # material -> files
    paper: list[str] = field(default_factory=list)  # materials seen on paper, no scan
    promised: list[str] = field(default_factory=list)
    note: str = ""


def identity(db: Database) -> dict[str, Any]:
    """The enrolled device's identity, or CaptureError if the device is not enrolled."""
    device = meta.get(db, "device")
    if not device:
        raise CaptureError("not_enrolled", "this device is not enrolled yet")
    return dict(device)


def catalogue_items(db: Database) -> dict[str, CatalogueItem]:
    row = local.catalogue(db)
    if row is None:
        return {}
    record = msgspec.json.decode(row["body"], type=r.CatalogueUpdated)
    return {item.code: item for item in record.items}


def _validate(value: str, check: Callable[[str], str], field_name: str) -> str:
    try:
        return check(value)
    except InvalidValue as exc:
        raise CaptureError(f"{field_name}.{exc.reason}", exc.message, field=field_name) from None


def material_refusal(item: CatalogueItem, problem: MaterialProblem) -> CaptureError:
    """A problem of the materials rule (sync.catalogue.material_problems) as capture's
    refusal: its code, its field, and what the words name. A required material missing is
    ``material.missing``, or ``material.missing.promisable`` when the item allows promising it
    for later (容缺), so that only then do the words suggest it."""
    if problem.code == "material.unknown":
        return CaptureError(
            problem.code,
            problem.message,
            field=problem.field,
            name=item.name,
            material=problem.material,
        )
    code = problem.code
    if code == "material.missing" and any(
        m.code == problem.material and m.may_promise for m in item.materials
    ):
        code = "material.missing.promisable"  # the words say it may be promised instead
    return CaptureError(
        code,
        problem.message,
        field=problem.field,
        material_name=problem.name,
        material=problem.material,
    )


def material_refusals(
    item: CatalogueItem, provided: set[str], promised: set[str]
) -> list[CaptureError]:
    """Every problem with the materials at once (the forms mark each row)."""
    return [material_refusal(item, p) for p in material_problems(item, provided, promised)]


def _new_id(now_ms: int) -> str:
    return uuid7(now_ms, os.urandom(10))


def _checked(record: r.UplinkRecord) -> bytes:
    """Canonical bytes of a record after the same strict decoding the hub will do."""
    body = canonical(record)
    try:
        msgspec.json.decode(body, type=r.UplinkRecord)
    except msgspec.ValidationError as exc:
        raise CaptureError("record.invalid", str(exc)) from None
    return body


def _store_scans(
    home: Home,
    scans: dict[str, list[Path]],
    hub_key: x25519.X25519PublicKey,
    application: str,
) -> dict[str, list[r.Scan]]:
    """Seal each scanned page to the hub (purpose ``scan``, bound to the application) and keep
    only the sealed bytes: an ID card's image is personal data too."""
    stored: dict[str, list[r.Scan]] = {}

    def seal(data: bytes) -> bytes:
        return seal_bytes(data, hub_key, record_id=application, purpose="scan")

    for code, files in scans.items():
        for path in files:
            try:
                sha, size = home.store_scan(Path(path), seal=seal)
            except OSError:
                raise CaptureError(
                    "material.file", f"cannot read {path}", field="materials", path=str(path)
                ) from None
            media = "application/pdf" if str(path).lower().endswith(".pdf") else "image/jpeg"
            if str(path).lower().endswith(".png"):
                media = "image/png"
            stored.setdefault(code, []).append(r.Scan(sha256=sha, size=size, media_type=media))
    return stored


def delivery_problems(item: CatalogueItem, mail_to: str | None) -> list[CaptureError]:
    """What is wrong with how the result is to reach the citizen (None: pickup here)."""
    if mail_to is None:
        return []
    if not item.mailable:
        return [
            CaptureError(
                "delivery.not_mailable",
                f"{item.name} cannot be mailed",
                field="mail_to",
                name=item.name,
            )
        ]
    if len(mail_to.strip()) < 6:
        return [
            CaptureError("delivery.address", "a full mail address is required", field="mail_to")
        ]
    return []


def _problem(value: str, check: Callable[[str], str], field_name: str) -> list[CaptureError]:
    try:
        _validate(value, check, field_name)
    except CaptureError as exc:
        return [exc]
    return []


def problems(item: CatalogueItem, new: NewApplication) -> list[CaptureError]:
    """Every problem with what the clerk entered for ``item``, at once, in the order of the
    form (each names its ``field``): the applicant (name, ID number, phone, county), the
    materials, the delivery and the recipient's phone. Capture refuses the first; the pages'
    form marks them all in one pass."""
    found: list[CaptureError] = []
    if not new.name.strip():
        found.append(CaptureError("name.empty", "the applicant's name is required", field="name"))
    if new.id_type == "resident_id":
        found += _problem(new.id_number, validators.resident_id, "id_number")
    elif not 5 <= len(new.id_number.strip()) <= 30:
        found.append(CaptureError("id_number.length", "document number length", field="id_number"))
    found += _problem(new.phone, validators.mobile, "phone")
    if new.region:
        found += _problem(new.region, validators.region_code, "region")
    provided = set(new.scans) | set(new.paper)
    found += material_refusals(item, provided, set(new.promised))
    found += delivery_problems(item, new.mail_to)
    if new.mail_to is not None and new.recipient_phone:
        for exc in _problem(new.recipient_phone, validators.mobile, "phone"):
            exc.field = "recipient_phone"
            found.append(exc)
    return found


def capture(db: Database, home: Home, new: NewApplication, *, now_ms: int) -> dict[str, str]:
    """Check, seal and store a new application with its outbox entry; its id and receipt."""
    device = identity(db)
    items = catalogue_items(db)
    item = items.get(new.item)
    if item is None:
        raise CaptureError(
            "item.unknown", f"no service item {new.item}", field="item", item=new.item
        )
    if device["outlet"]["kind"] not in item.outlet_kinds:
        raise CaptureError(
            "item.outlet_kind",
            f"{item.name} is not accepted at this outlet",
            field="item",
            name=item.name,
        )
    found = problems(item, new)
    if found:
        raise found[0]  # the forms show them all (they ask problems() too)
    name = new.name.strip()
    if new.id_type == "resident_id":
        id_number = validators.resident_id(new.id_number)
    else:
        id_number = new.id_number.strip().upper()
    phone = validators.mobile(new.phone)
    region = validators.region_code(new.region) if new.region else device["outlet"]["region"]
    if not (len(region) == 6 and region.isdigit()):  # the outlet's own, as the hub gave it
        raise CaptureError("region.format", "region is a 6-digit division code", field="region")
    provided = set(new.scans) | set(new.paper)
    recipient_phone = phone
    if new.recipient_phone:
        recipient_phone = validators.mobile(new.recipient_phone)
    id_type = _enum_value(new.id_type, _ID_TYPES, "applicant.id_type")
    hub_key = sealing_key_from_text(device["hub_sealing_key"])
    record_id = _new_id(now_ms)
    scans = _store_scans(home, new.scans, hub_key, record_id)
    person = Applicant(name=name, id_type=new.id_type, id_number=id_number, phone=phone)
    delivery: r.Delivery = r.Pickup()
    if new.mail_to is not None:
        where = Address(
            recipient=(new.recipient or name).strip(),
            phone=recipient_phone,
            address=new.mail_to.strip(),
            postcode=new.postcode.strip(),
        )
        delivery = r.Mail(
            sealed=seal_address(where, hub_key, record_id=record_id),
            masked=mask_address(where.address),
        )
    masked = r.MaskedApplicant(
        name=mask_name(name), id_number=mask_id_number(id_number), phone=mask_phone(phone)
    )
    materials = tuple(
        r.MaterialProvided(code=code, scans=tuple(scans.get(code, ()))) for code in sorted(provided)
    )
    with write(db):
        seq = meta.next_counter(db, "receipt_seq")
        record = r.ApplicationCreate(
            id=record_id,
            receipt=receipt_number(device["tag"], seq),
            outlet=device["outlet"]["code"],
            staff=new.staff,
            item=item.code,
            region=region,
            captured_at=now_ms,
            applicant=r.SealedApplicant(
                id_type=id_type,
                sealed=seal_applicant(person, hub_key, record_id=record_id),
                masked=masked,
            ),
            materials=materials,
            promised=tuple(sorted(new.promised)),
            delivery=delivery,
            note=new.note,
        )
        body = _checked(record)
        for code_scans in scans.values():
            for scan in code_scans:
                local.add_scan(
                    db, sha256=scan.sha256, size=scan.size, media_type=scan.media_type, now=now_ms
                )
        local.add_application(
            db,
            {
                "id": record.id,
                "receipt": record.receipt,
                "item": item.code,
                "item_name": item.name,
                "staff": new.staff,
                "region": region,
                "captured_at": now_ms,
                "applicant_masked": json.dumps(msgspec.to_builtins(masked), ensure_ascii=False),
                "delivery": "mail" if new.mail_to is not None else "pickup",
                "address_masked": delivery.masked if isinstance(delivery, r.Mail) else None,
                "materials": json.dumps([m.code for m in materials]),
                "promised": json.dumps(sorted(new.promised)),
                "sync_state": "queued",
                "updated_at": now_ms,
            },
        )
        outbox.add(
            db,
            record_id=record.id,
            kind="application.create",
            application=record.id,
            body=body,
            now=now_ms,
        )
        local.add_timeline(
            db,
            application=record.id,
            at=now_ms,
            source="local",
            event="captured",
            detail=f"{item.name} · {masked.name}",
        )
    return {"id": record.id, "receipt": record.receipt}


def _own(db: Database, key: str) -> dict[str, Any]:
    app = local.find_application(db, key)
    if app is None:
        raise CaptureError("application.unknown", f"no application {key}", key=key)
    return app


def _queue(
    db: Database,
    record: r.UplinkRecord,
    app_id: str,
    *,
    event: str,
    detail: str,
    now_ms: int,
    staff: str = "",
    keep: str | None = None,
) -> dict[str, str]:
    """Queue a record about an existing application, with its line in the timeline.
    ``keep``: a record of a kind an application has one of (a hand-over, a rating), kept as
    recorded with this detail (agent/store/local.py ``recorded``: the collector, the rating
    level) so that a second one is refused here."""
    body = _checked(record)
    kind = str(record.__struct_config__.tag)
    with write(db):
        if keep is not None:
            # Asked again inside the write: two clicks (two tabs) cannot both pass the check.
            what = next((w for w, k in ONCE.items() if k == kind), None)
            if what is not None:
                once(db, app_id, what)
            local.add_recorded(
                db,
                record_id=record.id,
                application=app_id,
                kind=kind,
                staff=staff,
                at=now_ms,
                detail=keep,
            )
        outbox.add(
            db,
            record_id=record.id,
            kind=kind,
            application=app_id,
            body=body,
            now=now_ms,
        )
        local.add_timeline(
            db, application=app_id, at=now_ms, source="local", event=event, detail=detail
        )
        if isinstance(record, r.ApplicationAmend):
            local.resolve_attention(db, application=app_id, kind="supplement", now=now_ms)
    return {"id": record.id, "application": app_id}


def amend(
    db: Database,
    home: Home,
    key: str,
    *,
    staff: str,
    reason: r.AmendReason,
    scans: dict[str, list[Path]],
    paper: list[str],
    note: str,
    now_ms: int,
) -> dict[str, str]:
    """Supplement materials the hub asked for, or correct an application (as a new record)."""
    device = identity(db)
    app = _own(db, key)
    if app["hub_version"] is None:
        raise CaptureError("application.not_known_to_hub", "the hub has not confirmed it yet")
    if reason == "supplement" and app["hub_status"] != "supplement_requested":
        raise CaptureError("supplement.not_requested", "no supplement was requested")
    hub_key = sealing_key_from_text(device["hub_sealing_key"])
    stored = _store_scans(home, scans, hub_key, app["id"])
    codes = sorted(set(stored) | set(paper))
    record = r.ApplicationAmend(
        id=_new_id(now_ms),
        application=app["id"],
        base_version=app["hub_version"],
        reason=reason,
        staff=staff,
        captured_at=now_ms,
        materials=tuple(r.MaterialProvided(code=c, scans=tuple(stored.get(c, ()))) for c in codes),
        note=note,
    )
    with write(db):
        for code_scans in stored.values():
            for scan in code_scans:
                local.add_scan(
                    db, sha256=scan.sha256, size=scan.size, media_type=scan.media_type, now=now_ms
                )
        return _queue(
            db,
            record,
            app["id"],
            event=f"amended ({reason})",
            detail=", ".join(codes),
            now_ms=now_ms,
        )


def collector_problems(collector: str, proxy_name: str, proxy_id_number: str) -> list[CaptureError]:
    """Every problem with a proxy collector's details, each naming its field, so a form can
    mark them all at once. None for the applicant in person."""
    if collector != "proxy":
        return []
    problems = []
    if not proxy_name.strip():
        problems.append(
            CaptureError(
                "pickup.proxy_name",
                "name the person collecting on the applicant's behalf",
                field="proxy_name",
            )
        )
    try:
        _validate(proxy_id_number, validators.resident_id, "proxy_id_number")
    except CaptureError as exc:
        problems.append(exc)
    return problems


def pickup(
    db: Database,
    key: str,
    *,
    staff: str,
    collector: str,
    now_ms: int,
    proxy_name: str = "",
    proxy_id_number: str = "",
) -> dict[str, str]:
    """The citizen, or a proxy whose name and ID are recorded (sealed), collected the result
    after the clerk checked the collector's ID."""
    device = identity(db)
    app = _own(db, key)
    once(db, app["id"], "pickup")
    if app["hub_status"] in ("delivered", "closed"):
        raise CaptureError(
            "pickup.done",
            "the result has already been handed over or delivered",
            status=app["hub_status"],
        )
    if app["hub_status"] != "ready_for_pickup":
        raise CaptureError(
            "pickup.not_ready",
            "the result is not ready for pickup",
            status=app["hub_status"] or "-",
        )
    record_id = _new_id(now_ms)
    sealed, masked = None, ""
    problems = collector_problems(collector, proxy_name, proxy_id_number)
    if problems:
        raise problems[0]
    if collector == "proxy":
        name = proxy_name.strip()
        number = str(validators.resident_id(proxy_id_number))
        person = canonical({"name": name, "id_number": number})
        hub_key = sealing_key_from_text(device["hub_sealing_key"])
        sealed = seal(person, hub_key, record_id=record_id, purpose="collector")
        masked = f"{mask_name(name)} {mask_id_number(number)}"
    record = r.PickupConfirm(
        id=record_id,
        application=app["id"],
        staff=staff,
        at=now_ms,
        collector=_enum_value(collector, _COLLECTORS, "collector"),
        id_checked=True,
        collector_masked=masked,
        collector_sealed=sealed,
    )
    detail = f"{collector} {masked}".strip()
    return _queue(
        db,
        record,
        app["id"],
        event="picked up",
        detail=detail,
        now_ms=now_ms,
        staff=staff,
        keep=detail,
    )


def rate(
    db: Database, key: str, *, staff: str, level: str, comment: str, now_ms: int
) -> dict[str, str]:
    """Record the citizen's rating (好差评) once the result is in their hands."""
    identity(db)
    app = _own(db, key)
    once(db, app["id"], "rating")
    rating_level = _literal(level, r.RATING_LEVELS)
    if rating_level is None:
        raise CaptureError("rating.level", f"level must be one of {', '.join(r.RATING_LEVELS)}")
    if app["hub_status"] not in ("delivered", "closed"):
        raise CaptureError(
            "rating.too_early", "rate once the result is delivered", status=app["hub_status"] or "-"
        )
    record = r.RatingCreate(
        id=_new_id(now_ms),
        application=app["id"],
        staff=staff,
        at=now_ms,
        level=rating_level,
        comment=comment,
    )
    return _queue(
        db,
        record,
        app["id"],
        event="rated",
        detail=r.RATING_LABELS[level],
        now_ms=now_ms,
        staff=staff,
        keep=rating_level,
    )


def already_recorded(db: Database, app_id: str, kind: str) -> dict[str, Any] | None:
    """The hand-over (``pickup.confirm``) or rating (``rating.create``) this outlet recorded
    for an application and the hub did not refuse, with its ``state`` (``pending``: waiting to
    sync; ``sent``), ``staff`` and ``at``; None if there is none. The pages show it instead of
    the form; :func:`pickup` and :func:`rate` refuse a second one."""
    return local.recorded(db, app_id, kind)


ONCE = {"pickup": "pickup.confirm", "rating": "rating.create"}


def once(db: Database, app_id: str, what: str) -> None:
    """Refuse a second hand-over (``what`` ``pickup``) or rating (``rating``) of an
    application: ``pickup.pending`` / ``rating.pending`` while the first waits to sync,
    ``pickup.done`` / ``rating.done`` once the hub has it. :func:`pickup` and :func:`rate`
    ask it first; so do the pages, before they look at the form sent."""
    found = already_recorded(db, app_id, ONCE[what])
    if found is None:
        return
    pending = found["state"] == "pending"
    raise CaptureError(
        f"{what}.{'pending' if pending else 'done'}",
        f"a {'hand-over' if what == 'pickup' else 'rating'} of this application was already"
        f" recorded{', waiting to sync' if pending else ''}",
        at=china_time(found["at"]),
        staff=staff_name(db, found["staff"]),
    )


def staff_name(db: Database, code: str) -> str:
    """A staff member's name as the pages show it (their code if this laptop does not know
    them)."""
    member = staff_store.get(db, code) if code else None
    return str(member["name"]) if member else code


# --- attention items dealt with ------------------------------------------------------------

# What staff may mark as dealt with: a supplement asked for is dealt with by handing it in.
DISMISSABLE = ("rejected", "conflict", "dept_rejected", "returned")


def deal_with(
    db: Database,
    *,
    kind: str,
    staff: str,
    now_ms: int,
    attention_id: int | None = None,
    application: str | None = None,
    seen_version: int | None = None,
) -> dict[str, Any]:
    """Mark an attention item as dealt with by ``staff``: an attention row (``attention_id``:
    a record the hub refused, mail that came back) or an application's state
    (``application`` with ``kind`` ``dept_rejected`` or ``returned``). It leaves the list
    and the application's timeline says who dealt with it, and when ("dealt with (KIND)").
    Refused: ``attention.supplement`` (hand the supplement in instead), ``attention.unknown``
    (no such item, or dealt with already), ``attention.changed`` (``seen_version``, the hub
    version the page showed, is not the application's now)."""
    app: dict[str, Any] | None = None
    version: int | None = None
    if attention_id is not None:
        row = local.get_attention(db, attention_id)
        if row is None or row["resolved_at"] is not None:
            raise CaptureError("attention.unknown", "this item no longer needs attention")
        kind = row["kind"]
        key = row["application"] or row["record_id"]
        app = local.find_application(db, key) if key else None
    else:
        app = local.find_application(db, application or "") if application else None
        wanted = {"dept_rejected": "rejected", "returned": "returned"}.get(kind)
        if app is None or wanted is None or app["hub_status"] != wanted:
            raise CaptureError("attention.unknown", "this item no longer needs attention")
        if seen_version is not None and seen_version != app["hub_version"]:
            # The page was older than the item (the mail came back again since): the clerk
            # has not seen what they would dismiss.
            raise CaptureError("attention.changed", "the item changed since the page was shown")
    if kind == "supplement":
        raise CaptureError(
            "attention.supplement", "a supplement asked for is dealt with by handing it in"
        )
    if kind not in DISMISSABLE:
        raise CaptureError("attention.unknown", "this item no longer needs attention")
    if app is not None:
        version = app["hub_version"]
    with write(db):
        done = local.dismiss(
            db,
            kind=kind,
            application=app["id"] if app else None,
            attention_id=attention_id,
            hub_version=version,
            staff=staff,
            now=now_ms,
        )
        if not done:
            raise CaptureError("attention.unknown", "this item no longer needs attention")
        if app is not None:
            local.add_timeline(
                db,
                application=app["id"],
                at=now_ms,
                source="local",
                event=f"dealt with ({kind})",
                detail=staff_name(db, staff),
            )
    return {"kind": kind, "application": app["id"] if app else None}


# --- a revoked device ----------------------------------------------------------------------


def revoked(db: Database) -> dict[str, Any] | None:
    """The sync round in which the hub refused this device as revoked (since its enrolment,
    with no successful round after), or None. Capture still records (nothing a citizen hands
    over is lost), but nothing reaches the hub until the operator enrols this laptop again."""
    device = meta.get(db, "device")
    if not device:
        return None
    return outbox.revoked_round(db, since=int(device.get("enrolled_at") or 0))
