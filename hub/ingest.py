"""Ingest: apply a device's batch exactly once, record by record, in one transaction.

A batch already applied is answered with the acknowledgement stored the first time, so a batch
re-sent after a lost answer changes nothing. Inside a new batch each record is accepted,
a duplicate (the same id and content arrived before), a conflict (the same id with other
content, or an amendment of a version that is no longer current), or rejected with reasons.
Refused records are quarantined for audit and appear in the outlet's feed as
``record.rejected``; they never stop the records beside them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from sqlite_utils import Database

from hub import ratings, routing, store, workflow
from hub.blobs import BlobStore
from hub.cases import CaseError, Hub, status_record, transition
from hub.errors import HubError
from sync import glossary
from sync import records as r
from sync.batch import DecodedBatch, Entry, record_bytes
from sync.catalogue import material_problems
from sync.codec import canonical
from sync.ids import is_uuid7, receipt_tag
from sync.replies import Ack, RecordResult, decode_ack, encode_ack, new_ack

# Device clocks further than this from the hub's are flagged on the records they carry.
SKEW_FLAG_MS = 5 * 60 * 1000


class BatchConflict(HubError):
    """A batch id the hub knows, sent again with other content or by another device."""

    code = "batch_conflict"
    status = 409


Outcome = Literal["rejected", "conflict"]


class Refusal(Exception):
    """Why one record is not applied: ``outcome`` is 'rejected' or 'conflict'."""

    def __init__(self, outcome: Outcome, reasons: tuple[r.Reason, ...]) -> None:
        super().__init__(outcome, reasons)
        self.outcome, self.reasons = outcome, reasons


def _reject(code: str, message: str, field: str | None = None) -> Refusal:
    return Refusal("rejected", (r.Reason(code=code, message=message, field=field),))


def _conflict(code: str, message: str, field: str | None = None) -> Refusal:
    return Refusal("conflict", (r.Reason(code=code, message=message, field=field),))


@dataclass
class BatchResult:
    ack: Ack
    frame: bytes
    replayed: bool  # True when this is the stored answer to a batch applied before
    # The outlet's feed cursor before and after the batch: the feed records it made.
    feed_after: int | None = None
    feed_cursor: int | None = None


def apply_batch(
    hub: Hub,
    *,
    device: dict[str, Any],
    outlet: dict[str, Any],
    batch: DecodedBatch,
    blobs: BlobStore,
    frame: bytes | None = None,
    skew_ms: int | None = None,
) -> BatchResult:
    """Apply a decoded batch from ``device`` (already authenticated) and acknowledge it.

    ``frame``: the batch as received. Kept once with the batch, it holds the bodies of the
    records that were sent canonical, so their rows need no copy (see record_body).
    ``skew_ms``: the device's clock minus the hub's, measured at this send from its signature
    (sync.batch.clock_skew_ms); without it, the batch's ``sent_at`` against the hub's clock.
    """
    known = store.batches.get_batch(hub.db, batch.batch)
    if known is not None:
        if known["device"] != device["id"] or known["digest"] != batch.digest:
            raise BatchConflict(
                f"batch {batch.batch} was already received with other content; "
                "a new batch needs a new id"
            )
        return BatchResult(
            decode_ack(known["ack"]),
            known["ack"],
            replayed=True,
            feed_after=known["feed_after"],
            feed_cursor=known["feed_cursor"],
        )
    feed_after = store.applications.feed_position(hub.db, outlet["code"])
    if skew_ms is None:
        skew_ms = batch.sent_at - hub.now_ms
    results: list[RecordResult] = []
    applied: list[store.batches.RecordRow] = []
    pending = _Pending(hub, batch)
    for entry in batch.entries:
        result = _apply_entry(hub, device, outlet, batch, entry, skew_ms, blobs, pending)
        results.append(result)
        if result.status == "accepted" and entry.record is not None:
            body = "" if frame is not None and entry.as_sent else entry.body.decode("utf-8")
            applied.append(
                (
                    entry.record.id,
                    str(entry.kind),
                    device["id"],
                    batch.batch,
                    entry.digest,
                    body,
                    hub.now_ms,
                    entry.index,
                )
            )
    pending.flush()
    store.batches.save_records(hub.db, applied)
    ack = new_ack(
        device=device["id"],
        batch=batch.batch,
        seq=batch.seq,
        digest=batch.digest,
        received_at=hub.now_ms,
        skew_ms=skew_ms,
        results=results,
        hub_time=hub.now_ms,
    )
    ack_frame = encode_ack(ack)
    feed_cursor = store.applications.feed_position(hub.db, outlet["code"])
    store.batches.save_batch(
        hub.db,
        id=batch.batch,
        device=device["id"],
        seq=batch.seq,
        digest=batch.digest,
        sent_at=batch.sent_at,
        received_at=hub.now_ms,
        skew_ms=skew_ms,
        records=len(results),
        accepted=sum(x.status == "accepted" for x in results),
        rejected=sum(x.status in ("rejected", "conflict") for x in results),
        ack=ack_frame,
        frame=frame,
        feed_after=feed_after,
        feed_cursor=feed_cursor,
    )
    store.devices.batch_received(
        hub.db, device["id"], now=hub.now_ms, seq=batch.seq, skew_ms=skew_ms, records=len(results)
    )
    return BatchResult(
        ack, ack_frame, replayed=False, feed_after=feed_after, feed_cursor=feed_cursor
    )


def record_body(db: Database, record_id: str) -> bytes | None:
    """The canonical body of an applied uplink record, as the hub received it (for audit)."""
    row = store.batches.get_record(db, record_id)
    if row is None:
        return None
    if row["body"] or row["frame"] is None:
        return str(row["body"]).encode("utf-8")
    return record_bytes(row["frame"], int(row["idx"]))


def _apply_entry(
    hub: Hub,
    device: dict[str, Any],
    outlet: dict[str, Any],
    batch: DecodedBatch,
    entry: Entry,
    skew_ms: int,
    blobs: BlobStore,
    pending: _Pending,
) -> RecordResult:
    try:
        if entry.error is not None:
            error = entry.error
            raise Refusal(
                "rejected",
                (
                    r.Reason(
                        code=f"invalid.{error.reason}", message=error.message, field=error.field
                    ),
                ),
            )
        record = entry.record
        assert record is not None
        previous = pending.known_digests.get(record.id)
        if previous == entry.digest:
            return RecordResult(index=entry.index, id=record.id, status="duplicate")
        if previous is not None:
            raise _conflict(
                "record.changed",
                "this record id was received before with other content; "
                "a change to a sent record must be an amendment",
            )
        if isinstance(record, r.ApplicationCreate):
            # Checked in full before anything is written, then written in bulk.
            _create(hub, device, outlet, record, skew_ms, blobs, pending)
        else:
            pending.flush()  # later records may act on applications created just before
            with hub.db.atomic():  # a savepoint: a refused record leaves nothing behind
                _APPLY[type(record)](hub, device, outlet, record, skew_ms, blobs)
        pending.known_digests[record.id] = entry.digest
        return RecordResult(index=entry.index, id=record.id, status="accepted")
    except Refusal as exc:
        refusal = exc
    except CaseError as exc:
        refusal = _reject(exc.code, exc.message)
    _quarantine(hub, device, outlet, batch, entry, refusal)
    return RecordResult(
        index=entry.index, id=entry.id, status=refusal.outcome, reasons=refusal.reasons
    )


def _quarantine(
    hub: Hub,
    device: dict[str, Any],
    outlet: dict[str, Any],
    batch: DecodedBatch,
    entry: Entry,
    refusal: Refusal,
) -> None:
    body = canonical(entry.record).decode("utf-8") if entry.record is not None else ""
    store.batches.quarantine(
        hub.db,
        record_id=entry.id,
        kind=entry.kind,
        outcome=refusal.outcome,
        device=device["id"],
        outlet=outlet["code"],
        batch=batch.batch,
        idx=entry.index,
        reasons=[{"code": x.code, "message": x.message, "field": x.field} for x in refusal.reasons],
        body=body,
        now=hub.now_ms,
    )
    if entry.id is not None and is_uuid7(entry.id):
        hub.emit(
            outlet["code"],
            r.RecordRejected(
                id=hub.new_id(),
                record=entry.id,
                record_kind=(entry.kind or "unknown")[:200],
                batch=batch.batch,
                at=hub.now_ms,
                reasons=refusal.reasons,
            ),
            None,
        )


# --- per kind -------------------------------------------------------------------------------


def _check_create(hub: Hub, outlet: dict[str, Any], rec: r.ApplicationCreate) -> None:
    if rec.outlet != outlet["code"]:
        raise _reject(
            "outlet.mismatch",
            f"record names outlet {rec.outlet}, but the device belongs to {outlet['code']}",
            "outlet",
        )
    item = hub.catalogue.item(rec.item)
    if item is None:
        raise _reject("item.unknown", f"no service item {rec.item} in the catalogue", "item")
    if outlet["kind"] not in item.outlet_kinds:
        raise _reject(
            "item.outlet_kind",
            f"{item.name} ({item.code}) may not be accepted at a {outlet['kind']} outlet",
            "item",
        )
    reasons = [
        r.Reason(code=p.code, field=p.field, message=p.message)
        for p in material_problems(item, {m.code for m in rec.materials}, set(rec.promised))
    ]
    if isinstance(rec.delivery, r.Mail) and not item.mailable:
        reasons.append(
            r.Reason(
                code="delivery.not_mailable",
                field="delivery",
                message=f"the result of {item.code} cannot be mailed",
            )
        )
    if reasons:
        raise Refusal("rejected", tuple(reasons))


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode("utf-8")


def _masked_json(masked: r.MaskedApplicant) -> str:
    """{"name", "id_number", "phone"} in that order: the Struct's own field order."""
    return msgspec.json.encode(masked).decode("utf-8")


# What _plan decides for a new application: (unit or None for triage, action, status).
_Plan = tuple[str | None, str, r.Status]


class _Pending:
    """New applications of a batch, written together: one statement per table, not per row."""

    def __init__(self, hub: Hub, batch: DecodedBatch) -> None:
        self.hub = hub
        ids = [e.id for e in batch.entries if e.id is not None]
        self.known_digests = store.batches.record_digests(hub.db, ids)
        self.existing = store.applications.existing_ids(hub.db, ids)
        receipts = [
            e.record.receipt for e in batch.entries if isinstance(e.record, r.ApplicationCreate)
        ]
        self.receipts = store.applications.taken_receipts(hub.db, receipts)
        # Receipt tags other than the device's own, by whether it may send them (one look-up
        # per tag per batch: see _check_receipt_tag).
        self.tags: dict[str, bool] = {}
        # What the checks and routing decided for a kind of application (see _plan).
        self.plans: dict[tuple[Any, ...], _Plan | Refusal] = {}
        self.rows: list[store.applications.NewApplication] = []
        self.scans: list[store.applications.ScanRow] = []
        self.events: list[store.applications.EventRow] = []
        self.feed: list[store.applications.FeedRow] = []
        # By materials, ("codes", ...) or ("then", ...).
        self._json_cache: dict[tuple[Any, ...], str] = {}

    def materials_json(self, materials: tuple[r.MaterialProvided, ...]) -> str:
        """The stored list of materials; the same few lists recur across a batch (records
        are frozen Structs, so the tuple itself is the key)."""
        text = self._json_cache.get(materials)
        if text is None:
            text = self._json_cache[materials] = _json(
                [{"code": m.code, "scans": [s.sha256 for s in m.scans]} for m in materials]
            )
        return text

    def then_json(self, *, at: int, actor: str, action: str, to_status: str, note: str) -> str:
        """The routing step stored with a capture (the same few per batch)."""
        key = ("then", at, actor, action, to_status, note)
        text = self._json_cache.get(key)
        if text is None:
            text = self._json_cache[key] = store.applications.then_data(
                at=at,
                actor=actor,
                action=action,
                from_status="received",
                to_status=to_status,
                note=note,
            )
        return text

    def codes_json(self, codes: tuple[str, ...]) -> str:
        key = ("codes", *codes)
        text = self._json_cache.get(key)
        if text is None:
            text = self._json_cache[key] = _json(list(codes))
        return text

    def flush(self) -> None:
        store.applications.insert_applications(self.hub.db, self.rows)
        store.applications.add_scans_rows(self.hub.db, self.scans)
        store.applications.add_events_many(self.hub.db, self.events)
        store.applications.feed_extend(self.hub.db, self.feed)
        self.rows, self.scans, self.events, self.feed = [], [], [], []


def _status(state: str) -> r.Status:
    """A workflow state as the records name it (the workflow's states are r.STATUSES)."""
    for status in r.STATUSES:
        if status == state:
            return status
    raise ValueError(f"{state!r} is not an application status")


def _plan(hub: Hub, outlet: dict[str, Any], rec: r.ApplicationCreate, pending: _Pending) -> _Plan:
    """Check a new application against the catalogue and route it: (unit, action, status).

    A batch carries many applications of the same few kinds, so the answer is kept per
    batch for what it depends on: outlet, item, material codes, promised codes, delivery
    method (for _check_create) and region (for routing).
    """
    key = (
        rec.outlet,
        rec.item,
        tuple([m.code for m in rec.materials]),
        rec.promised,
        isinstance(rec.delivery, r.Mail),
        rec.region,
    )
    plan = pending.plans.get(key)
    if plan is None:
        try:
            _check_create(hub, outlet, rec)
        except Refusal as refusal:
            # Kept unraised (no traceback holding the frames that made it), raised anew below.
            plan = Refusal(refusal.outcome, refusal.reasons)
        else:
            unit = routing.route(hub.catalogue.item(rec.item), rec.region, hub.overrides)
            action = "route" if unit else "triage"
            plan = (unit, action, _status(workflow.next_state("received", action, "system")))
        pending.plans[key] = plan
    if isinstance(plan, Refusal):
        raise Refusal(plan.outcome, plan.reasons)
    return plan


def _create(
    hub: Hub,
    device: dict[str, Any],
    outlet: dict[str, Any],
    rec: r.ApplicationCreate,
    skew_ms: int,
    blobs: BlobStore,
    pending: _Pending,
) -> None:
    _check_receipt_tag(hub, device, rec, pending)
    unit, action, status = _plan(hub, outlet, rec, pending)
    if rec.id in pending.existing:
        raise _conflict("record.changed", "an application with this id already exists")
    if rec.receipt in pending.receipts:
        raise _reject(
            "receipt.duplicate", f"receipt number {rec.receipt} is already used", "receipt"
        )
    scans = {(s.sha256, m.code) for m in rec.materials for s in m.scans}
    present = {sha: blobs.has(sha) for sha, _ in scans}
    mail = rec.delivery if isinstance(rec.delivery, r.Mail) else None
    now = hub.now_ms
    captured_at_hub = rec.captured_at - skew_ms
    clock_flagged = int(abs(skew_ms) > SKEW_FLAG_MS)
    pending.rows.append(
        store.applications.NewApplication(
            id=rec.id,
            receipt=rec.receipt,
            outlet=rec.outlet,
            device=device["id"],
            staff=rec.staff,
            item=rec.item,
            region=rec.region,
            unit=unit,
            status=status,
            version=2,  # 1 received, 2 routed or in triage
            captured_at=rec.captured_at,
            captured_at_hub=captured_at_hub,
            clock_flagged=clock_flagged,
            received_at=now,
            delivery="mail" if mail else "pickup",
            applicant_id_type=rec.applicant.id_type,
            applicant_record=rec.id,
            applicant_sealed=rec.applicant.sealed,
            applicant_masked=_masked_json(rec.applicant.masked),
            address_record=rec.id if mail else None,
            address_sealed=mail.sealed if mail else None,
            address_masked=mail.masked if mail else None,
            materials=pending.materials_json(rec.materials),
            promised=pending.codes_json(rec.promised),
            missing_scans=sum(1 for sha in present if not present[sha]) if present else 0,
            note=rec.note,
            accepted_on=None,
            limit_days=None,
            due_date=None,
            due_provisional=0,
            sla_state=None,
            updated_at=now,
        )
    )
    pending.receipts.add(rec.receipt)
    pending.existing.add(rec.id)
    if scans:
        pending.scans.extend(
            store.applications.ScanRow(rec.id, sha, code, int(present[sha]))
            for sha, code in sorted(scans)
        )
    flagged = glossary.note("clock_off", seconds=f"{skew_ms // 1000:+d}") if clock_flagged else ""
    route_note = "" if unit else _no_unit_note(hub, rec)
    # One timeline row for the capture and the routing that followed it at once (see
    # store.applications.events, which reads it back as the two events).
    pending.events.append(
        store.applications.EventRow(
            application=rec.id,
            at=captured_at_hub,
            actor=f"{rec.staff}@{rec.outlet}",
            action="capture",
            from_status=None,
            to_status="received",
            note=flagged,
            data=pending.then_json(
                at=now, actor="router", action=action, to_status=status, note=route_note
            ),
        )
    )
    change = r.StatusChanged(  # what status_record makes of the new row
        id=hub.new_id(),
        application=rec.id,
        status=status,
        version=2,
        at=now,
        unit=unit,
        due_date=None,
        due_provisional=False,
        note=route_note[:2000],
    )
    pending.feed.append(
        store.applications.FeedRow(
            rec.outlet, "status.changed", rec.id, canonical(change).decode(), now
        )
    )


def _no_unit_note(hub: Hub, rec: r.ApplicationCreate) -> str:
    """Why an application waits in triage, in Chinese as the outlet shows it."""
    item = hub.catalogue.item(rec.item)
    return glossary.note("no_unit", item=item.name if item else rec.item, region=rec.region)


def _check_receipt_tag(
    hub: Hub, device: dict[str, Any], rec: r.ApplicationCreate, pending: _Pending
) -> None:
    """A device gives only receipt numbers of its own tag (protocol.md section 4.3).

    Receipts are unique without asking the hub, so another device's number taken first
    would have the real owner's application refused as a duplicate. The one exception is
    a device's former identity: a home enrolled again (a new key, a new tag) still sends the
    numbers it gave before, and the old key vouched for the new one at enrolment
    (``successor_of``, hub.api.sync.enroll). Only the tags on that chain are accepted: being
    quiet, or enrolled earlier at the same outlet, makes no device another's successor.
    """
    tag = receipt_tag(rec.receipt)
    if tag == device["tag"]:
        return
    allowed = pending.tags.get(tag)
    if allowed is None:
        allowed = pending.tags[tag] = tag in store.devices.former_tags(hub.db, device)
    if not allowed:
        raise _reject(
            "receipt.foreign",
            f"receipt number {rec.receipt} carries the tag {tag}, but {device['id']} gives "
            f"numbers of its own tag {device['tag']}: a device may not give another's numbers",
            "receipt",
        )


def _own_application(hub: Hub, outlet: dict[str, Any], app_id: str) -> dict[str, Any]:
    app = store.applications.get_application(hub.db, app_id)
    if app is None or app["outlet"] != outlet["code"]:
        # Another outlet's application is reported as unknown: nothing leaks across outlets.
        raise _reject(
            "application.unknown", f"no application {app_id} at this outlet", "application"
        )
    return app


def _amend(
    hub: Hub,
    device: dict[str, Any],
    outlet: dict[str, Any],
    rec: r.ApplicationAmend,
    skew_ms: int,
    blobs: BlobStore,
) -> None:
    app = _own_application(hub, outlet, rec.application)
    if rec.base_version != app["version"]:
        raise _conflict(
            "version.stale",
            f"amends version {rec.base_version}, but the application is at version "
            f"{app['version']} ({app['status']}): pull, review, and amend again",
            "base_version",
        )
    if rec.reason == "supplement" and app["status"] != "supplement_requested":
        raise _reject(
            "supplement.not_requested",
            f"no supplement was requested (the application is {app['status']})",
            "reason",
        )
    materials = json.loads(app["materials"])
    by_code = {m["code"]: m for m in materials}
    for m in rec.materials:
        entry = by_code.setdefault(m.code, {"code": m.code, "scans": []})
        # In the order photographed, new pages after the old: an officer's "scan 2" stays
        # the page it was (front, back) when a supplement adds one.
        entry["scans"] += [s.sha256 for s in m.scans if s.sha256 not in entry["scans"]]
    promised = [c for c in json.loads(app["promised"]) if c not in {m.code for m in rec.materials}]
    fields: dict[str, Any] = {
        "materials": json.dumps(list(by_code.values())),
        "promised": json.dumps(promised),
    }
    if rec.applicant is not None:
        fields.update(
            applicant_id_type=rec.applicant.id_type,
            applicant_record=rec.id,
            applicant_sealed=rec.applicant.sealed,
            applicant_masked=json.dumps(
                {
                    "name": rec.applicant.masked.name,
                    "id_number": rec.applicant.masked.id_number,
                    "phone": rec.applicant.masked.phone,
                },
                ensure_ascii=False,
            ),
        )
    if isinstance(rec.delivery, r.Mail):
        fields.update(
            delivery="mail",
            address_record=rec.id,
            address_sealed=rec.delivery.sealed,
            address_masked=rec.delivery.masked,
        )
    elif isinstance(rec.delivery, r.Pickup):
        fields.update(
            delivery="pickup", address_record=None, address_sealed=None, address_masked=None
        )
    scans = [(s.sha256, m.code, blobs.has(s.sha256)) for m in rec.materials for s in m.scans]
    store.applications.add_scans(hub.db, app["id"], scans)
    fields["missing_scans"] = len(store.applications.missing_scans(hub.db, app["id"]))
    fields["updated_at"] = hub.now_ms
    actor = f"{rec.staff}@{outlet['code']}"
    if rec.reason == "supplement":
        store.applications.update_application(hub.db, app["id"], **fields)
        transition(
            hub,
            {**app, **fields},
            "supplement",
            role="outlet",
            actor=actor,
            note=rec.note,
            data={"materials": [m.code for m in rec.materials], "record": rec.id},
        )
        return
    fields["version"] = app["version"] + 1
    store.applications.update_application(hub.db, app["id"], **fields)
    store.applications.add_event(
        hub.db,
        application=app["id"],
        at=hub.now_ms,
        actor=actor,
        action="correct",
        from_status=app["status"],
        to_status=app["status"],
        note=rec.note,
        data={"record": rec.id},
    )
    hub.emit(
        outlet["code"],
        status_record(hub, {**app, **fields}, note=glossary.note("corrected")),
        app["id"],
    )


def _pickup(
    hub: Hub,
    device: dict[str, Any],
    outlet: dict[str, Any],
    rec: r.PickupConfirm,
    skew_ms: int,
    blobs: BlobStore,
) -> None:
    app = _own_application(hub, outlet, rec.application)
    transition(
        hub,
        app,
        "hand_over",
        role="outlet",
        actor=f"{rec.staff}@{outlet['code']}",
        note=glossary.note(f"collected_{rec.collector}"),
        data={"record": rec.id, "said": f"collected_{rec.collector}"},
    )


def _rating(
    hub: Hub,
    device: dict[str, Any],
    outlet: dict[str, Any],
    rec: r.RatingCreate,
    skew_ms: int,
    blobs: BlobStore,
) -> None:
    app = _own_application(hub, outlet, rec.application)
    try:
        ratings.add(
            hub,
            app,
            rating_id=rec.id,
            outlet=outlet,
            level=rec.level,
            comment=rec.comment,
            staff=rec.staff,
            at_ms=rec.at - skew_ms,
        )
    except CaseError as exc:
        raise _reject(exc.code, exc.message, "application") from None


# application.create is checked and written in bulk (_Pending).
_APPLY: dict[type, Callable[..., None]] = {
    r.ApplicationAmend: _amend,
    r.PickupConfirm: _pickup,
    r.RatingCreate: _rating,
}
