"""End to end over loopback: a real hub (waitress), devices built from sync/, real SQLite."""

from __future__ import annotations

import random

import pytest
import requests

from hub.catalogue import sample_catalogue
from sync.batch import encode_batch
from sync.errors import BadSignature
from sync.records import ApplicationAmend, MaterialProvided, PickupConfirm, RatingCreate
from sync.replies import state_digest
from sync.sealing import Applicant, unseal_applicant
from tests import factories
from tests.support.device import Device
from tests.support.served import ServedHub

CAT = sample_catalogue()


def enrolled(hub: ServedHub, outlet: str = "PO-WUHOU-01") -> Device:
    device = Device(hub.url, hub.clock)
    body = device.enroll(hub.enrolment_code(outlet))
    assert body["ok"], body
    return device


def apps_for(device: Device, n: int, *, item: str = "SS-CARD-APPLY", seed: int = 1, **kw):
    rng = random.Random(seed)
    assert device.sealing_key is not None
    return [
        factories.catalogue_application(
            rng,
            device.sealing_key,
            CAT.item(item),
            tag=device.tag,
            seq=device.seq * 100 + i + 1,
            outlet=device.outlet["code"],
            ms=device.clock(),
            **kw,
        )
        for i in range(n)
    ]


def count(hub: ServedHub, table: str) -> int:
    db = hub.db()
    try:
        return db.table(table).count
    finally:
        db.close()


def test_enrolment_codes_are_one_time_and_expire(hub, clock):
    code = hub.enrolment_code("PO-WUHOU-01", ttl_s=60)
    assert Device(hub.url, clock).enroll("AAAA-BBBB-CCCC")["code"] == "enrol_code_unknown"
    first = Device(hub.url, clock).enroll(code)
    assert first["ok"] and first["outlet"]["code"] == "PO-WUHOU-01"
    assert first["catalogue"]["kind"] == "catalogue.updated"
    assert Device(hub.url, clock).enroll(code)["code"] == "enrol_code_used"
    late = hub.enrolment_code("PO-WUHOU-01", ttl_s=60)
    clock.advance(seconds=61)
    assert Device(hub.url, clock).enroll(late)["code"] == "enrol_code_expired"


def test_push_routes_and_a_resent_batch_changes_nothing(hub):
    device = enrolled(hub)
    batch = device.batch(apps_for(device, 3))
    frame = encode_batch(batch)
    first = device.verified(device.push_frame(frame))
    ack = __import__("sync").decode_ack(first.content)
    assert [r.status for r in ack.results] == ["accepted"] * 3
    again = device.verified(device.push_frame(frame))
    assert again.content == first.content  # the same acknowledgement, byte for byte
    assert count(hub, "applications") == 3
    records, _ = device.pull_all()
    statuses = [r.status for r in records if r.__struct_config__.tag == "status.changed"]
    assert statuses == ["routed"] * 3
    unit = {r.unit for r in records if r.__struct_config__.tag == "status.changed"}
    assert unit == {"HRSS-510107"}


def test_applied_records_are_kept_as_received_once(hub):
    """A record sent canonical is kept as its slot of the stored batch frame, not copied."""
    import json

    import msgspec

    from hub.ingest import record_body
    from sync.batch import _RawBatch
    from sync.codec import canonical, encode_frame

    device = enrolled(hub)
    apps = apps_for(device, 2)
    device.push([apps[0]])
    # The second sent with its keys out of canonical order: its canonical body is kept apart.
    fields = json.loads(canonical(apps[1]))
    loose = json.dumps(dict(reversed(fields.items())), ensure_ascii=False).encode()
    assert loose != canonical(apps[1])
    batch = device.batch([apps[1]])
    envelope = _RawBatch(
        v=1,
        device=batch.device,
        batch=batch.batch,
        seq=batch.seq,
        sent_at=batch.sent_at,
        records=[msgspec.Raw(loose)],
    )
    response = device.verified(device.push_frame(encode_frame(canonical(envelope), version=1)))
    assert __import__("sync").decode_ack(response.content).results[0].status == "accepted"
    db = hub.db()
    try:
        stored = {r["id"]: r for r in db.query("SELECT id, body, idx FROM records")}
        assert stored[apps[0].id]["body"] == "" and stored[apps[0].id]["idx"] == 0
        assert stored[apps[1].id]["body"] == canonical(apps[1]).decode()
        for app in apps:
            assert record_body(db, app.id) == canonical(app)
        assert record_body(db, "0190ffff-ffff-7fff-bfff-ffffffffffff") is None
    finally:
        db.close()


def test_an_acknowledgement_carries_the_feed_records_of_its_batch_when_asked(hub):
    from sync.replies import decode_ack

    device = enrolled(hub)
    _, cursor = device.pull_all()
    plain = device.verified(device.push_frame(encode_batch(device.batch(apps_for(device, 2)))))
    assert b'"feed"' not in __import__("zlib").decompress(plain.content[37:])  # not asked
    good, bad = apps_for(device, 1, seed=3)[0], apps_for(device, 1, item="HJ-ID-RENEW", seed=5)[0]
    frame = encode_batch(device.batch([good, bad]))
    ack = decode_ack(device.verified(device.push_frame(frame, feed=1)).content)
    assert [r.status for r in ack.results] == ["accepted", "rejected"]
    # What a pull from before this batch would bring, after the first batch's records.
    first_records, first_cursor = device.pull_all(cursor)
    assert ack.feed is not None and ack.feed.after == device.pull(cursor, limit=2).next_cursor
    page = device.pull(ack.feed.after)
    assert ack.feed.records == page.records and ack.feed.cursor == page.next_cursor
    kinds = [str(x.__struct_config__.tag) for x in ack.feed.records]
    assert sorted(kinds) == ["record.rejected", "status.changed"]
    assert first_cursor == ack.feed.cursor and len(first_records) == 4
    # A re-sent batch gets the same acknowledgement, with the same feed records when asked.
    again = decode_ack(device.verified(device.push_frame(frame, feed=1)).content)
    assert again == ack
    assert decode_ack(device.verified(device.push_frame(frame)).content).feed is None


def test_a_record_sent_again_in_a_new_batch_is_a_duplicate(hub):
    device = enrolled(hub)
    apps = apps_for(device, 2)
    device.push(apps)
    ack = device.push([apps[1], *apps_for(device, 1, seed=9)])
    assert [r.status for r in ack.results] == ["duplicate", "accepted"]
    assert count(hub, "applications") == 3


def test_a_bad_record_is_rejected_and_the_rest_applied(hub):
    device = enrolled(hub)
    good = apps_for(device, 2)
    wrong_outlet_kind = apps_for(device, 1, item="HJ-ID-RENEW", seed=5)[0]  # township only
    ack = device.push([good[0], wrong_outlet_kind, good[1]])
    assert [r.status for r in ack.results] == ["accepted", "rejected", "accepted"]
    assert ack.results[1].reasons[0].code == "item.outlet_kind"
    records, _ = device.pull_all()
    rejected = [r for r in records if r.__struct_config__.tag == "record.rejected"]
    assert [r.record for r in rejected] == [wrong_outlet_kind.id]
    assert count(hub, "quarantine") == 1 and count(hub, "applications") == 2


def test_same_id_with_other_content_is_a_conflict(hub):
    device = enrolled(hub)
    app = apps_for(device, 1)[0]
    device.push([app])
    changed = app.__class__(
        **{**{f: getattr(app, f) for f in app.__struct_fields__}, "note": "changed after sending"}
    )
    ack = device.push([changed])
    assert ack.results[0].status == "conflict"
    assert count(hub, "applications") == 1


def test_missing_materials_and_unknown_items_are_rejected_with_reasons(hub):
    device = enrolled(hub)
    app = apps_for(device, 1)[0]
    fields = {f: getattr(app, f) for f in app.__struct_fields__}
    no_id_card = app.__class__(**{**fields, "materials": (), "promised": ()})
    ack = device.push([no_id_card])
    codes = {x.code for x in ack.results[0].reasons}
    assert codes == {"material.missing"}


def test_requests_that_must_be_refused(hub, clock):
    device = enrolled(hub)
    frame = encode_batch(device.batch(apps_for(device, 1)))
    url = f"{hub.url}/api/v1/sync/push"
    unsigned = requests.post(url, data=frame, timeout=10)
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "bad_signature")
    # A captured request replayed byte for byte.
    signed = device.push_frame(frame)
    assert signed.status_code == 200
    replay = requests.post(url, data=frame, headers=dict(signed.request.headers), timeout=10)
    assert (replay.status_code, replay.json()["code"]) == (401, "replayed_signature")
    # Tampered body under a valid signature.
    tampered = requests.post(
        url,
        data=frame[:-1] + bytes([frame[-1] ^ 1]),
        headers=dict(device.push_frame(frame).request.headers),
        timeout=10,
    )
    assert tampered.status_code == 401
    # A device clock six minutes fast: refused, told the hub's time.
    device.offset_ms = 400_000
    stale = device.push_frame(frame)
    device.offset_ms = 0
    assert stale.status_code == 401 and stale.json()["code"] == "stale_signature"
    assert abs(stale.json()["hub_time"] - clock()) < 1000
    # Garbage and a wrong version.
    garbage = device.push_frame(b"not a frame")
    assert (garbage.status_code, garbage.json()["code"]) == (400, "malformed")
    v9 = bytearray(frame)
    v9[3] = 9
    assert device.push_frame(bytes(v9)).json()["code"] == "unsupported_version"
    assert count(hub, "applications") == 1


def test_a_batch_naming_another_device_or_reusing_an_id_is_refused(hub):
    one, two = enrolled(hub), enrolled(hub)
    batch = one.batch(apps_for(one, 1))
    frame = encode_batch(batch)
    response = two.push_frame(frame)
    assert (response.status_code, response.json()["code"]) == (403, "wrong_device")
    assert one.push_frame(frame).status_code == 200
    other = encode_batch(
        batch.__class__(
            **{
                **{f: getattr(batch, f) for f in batch.__struct_fields__},
                "records": tuple(apps_for(one, 1, seed=3)),
            }
        )
    )
    reused = one.push_frame(other)
    assert (reused.status_code, reused.json()["code"]) == (409, "batch_conflict")


def test_a_revoked_device_is_refused(hub):
    from hub import store
    from hub.store import write

    device = enrolled(hub)
    db = hub.db()
    with write(db):
        store.devices.revoke_device(db, device.device_id, reason="laptop stolen", now=hub.clock())
    db.close()
    response = device.push_frame(encode_batch(device.batch(apps_for(device, 1))))
    assert (response.status_code, response.json()["code"]) == (403, "device_revoked")


def test_an_unsigned_or_foreign_answer_is_not_trusted(hub):
    device = enrolled(hub)
    response = device.push_frame(encode_batch(device.batch(apps_for(device, 1))))
    device.verified(response)
    forged = requests.Response()
    forged.status_code, forged._content = 200, b"<html>Welcome to Free WiFi</html>"
    forged.request = response.request
    with pytest.raises(BadSignature):
        device.verified(forged)


def test_outlets_see_only_their_own_applications(hub):
    wuhou, village = enrolled(hub), enrolled(hub, "VL-JINTANG-01")
    mine = apps_for(wuhou, 2)
    wuhou.push(mine)
    theirs = apps_for(village, 1, item="MI-RES-PAY", region="510121", seed=7)
    village.push(theirs)
    village_records, _ = village.pull_all()
    seen = {getattr(r, "application", None) for r in village_records}
    assert seen - {None} == {theirs[0].id}
    # Acting on another outlet's application is refused as if it did not exist.
    rng = random.Random(3)
    rating = factories.rating(rng, mine[0].id)
    ack = village.push([rating])
    assert ack.results[0].reasons[0].code == "application.unknown"


def test_pull_pages_with_a_cursor_and_a_state_digest(hub):
    device = enrolled(hub)
    device.push(apps_for(device, 5))
    first = device.pull(0, limit=2)
    assert first.more and len(first.records) == 2
    second = device.pull(first.next_cursor, limit=2)
    assert second.cursor == first.next_cursor and second.next_cursor > first.next_cursor
    records, cursor = device.pull_all()
    versions = {
        (r.application, r.version) for r in records if r.__struct_config__.tag == "status.changed"
    }
    assert not device.pull(cursor, state=state_digest(versions)).resync
    assert device.pull(cursor, state=state_digest(list(versions)[1:])).resync


def department_flow_setup(hub: ServedHub):
    device = enrolled(hub)
    app = apps_for(device, 1)[0]
    device.push([app])
    token = hub.user("wang", "officer", unit="HRSS-510107")
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    return device, app, api


def act(hub: ServedHub, api: requests.Session, app_id: str, action: str, **body):
    response = api.post(
        f"{hub.url}/api/v1/applications/{app_id}/actions",
        json={"action": action, **body},
        timeout=10,
    )
    return response


def test_the_timeline_shows_the_capture_the_routing_and_what_followed(hub, clock):
    _, app, api = department_flow_setup(hub)
    clock.advance(seconds=30)
    act(hub, api, app.id, "accept")
    shown = api.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()
    steps = [
        (e["actor"], e["action"], e["from_status"], e["to_status"], e["note"])
        for e in shown["application"]["timeline"]
    ]
    assert steps == [
        (f"{app.staff}@{app.outlet}", "capture", None, "received", ""),
        ("router", "route", "received", "routed", ""),
        ("wang(officer)", "accept", "routed", "accepted", ""),
    ]
    times = [e["at"] for e in shown["application"]["timeline"]]
    assert times[0] <= times[1] < times[2]  # captured (device clock, corrected), routed, accepted
    # Stored as one row: the routing rides on the capture it followed.
    db = hub.db()
    try:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2
    finally:
        db.close()


def test_department_flow_with_supplement_pause_and_pickup(hub, clock):
    device, app, api = department_flow_setup(hub)
    queue = api.get(f"{hub.url}/api/v1/applications", params={"status": "routed"}, timeout=10)
    assert [a["id"] for a in queue.json()["applications"]] == [app.id]
    accepted = act(hub, api, app.id, "accept").json()["application"]
    # Accepted Monday 2026-09-21, 5 working days: 22, 23, 24, (25-27 Mid-Autumn) 28, 29.
    assert (accepted["accepted_on"], accepted["due_date"]) == ("2026-09-21", "2026-09-29")
    clock.advance(days=1)  # Tuesday: one working day used
    asked = act(hub, api, app.id, "request_supplement", materials=["PHOTO"], message="请补交照片")
    assert asked.json()["application"]["sla_state"] == "paused"
    records, cursor = device.pull_all()
    supplement = [r for r in records if r.__struct_config__.tag == "supplement.requested"]
    assert supplement and supplement[0].materials == ("PHOTO",)
    version = supplement[0].version
    clock.advance(days=2)  # Thursday 24th: the outlet brings the photo
    amend = ApplicationAmend(
        id=factories.record_id(random.Random(8), clock()),
        application=app.id,
        base_version=version,
        reason="supplement",
        staff="clerk-01",
        captured_at=clock(),
        materials=(MaterialProvided(code="PHOTO"),),
    )
    assert device.push([amend]).results[0].status == "accepted"
    shown = api.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()["application"]
    # Tuesday 22nd was used; 4 days left after Thursday 24th: 28, 29, 30, (Oct 1-7 National
    # Day) 8 -> 2026-10-08, where without the pause it would have been 2026-09-29.
    assert (shown["status"], shown["due_date"]) == ("accepted", "2026-10-08")
    assert act(hub, api, app.id, "approve").status_code == 200
    issued = act(hub, api, app.id, "issue_result").json()["application"]
    assert issued["status"] == "ready_for_pickup"
    pickup = PickupConfirm(
        id=factories.record_id(random.Random(9), clock()),
        application=app.id,
        staff="clerk-01",
        at=clock(),
        collector="applicant",
        id_checked=True,
    )
    rating = RatingCreate(
        id=factories.record_id(random.Random(10), clock()),
        application=app.id,
        staff="clerk-01",
        at=clock(),
        level="very_satisfied",
    )
    ack = device.push([pickup, rating])
    assert [r.status for r in ack.results] == ["accepted", "accepted"]
    final, _ = device.pull_all(cursor)
    assert [r.status for r in final if r.__struct_config__.tag == "status.changed"][-1] == (
        "delivered"
    )


def test_illegal_actions_and_other_units_are_refused(hub):
    _device, app, api = department_flow_setup(hub)
    response = act(hub, api, app.id, "approve")
    assert response.status_code == 409 and "allowed from accepted" in response.json()["error"]
    assert act(hub, api, app.id, "fly").status_code == 400
    other = requests.Session()
    other.headers["Authorization"] = f"Bearer {hub.user('li', 'officer', unit='TAX-510107')}"
    assert other.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).status_code == 404
    assert act(hub, other, app.id, "accept").status_code == 404
    anonymous = requests.get(f"{hub.url}/api/v1/applications", timeout=10)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthenticated")


def test_reading_personal_data_is_audited(hub, tmp_path):
    _device, app, api = department_flow_setup(hub)
    masked = api.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()["application"]
    assert "*" in masked["applicant"]["id_number"] and "personal" not in masked
    revealed = api.get(
        f"{hub.url}/api/v1/applications/{app.id}",
        params={"reveal": "1", "reason": "核对身份"},
        timeout=10,
    ).json()
    person = revealed["application"]["personal"]
    from hub.keys import load_keys

    keys = load_keys(hub.data / "keys")
    expected: Applicant = unseal_applicant(app.applicant.sealed, keys.sealing, record_id=app.id)
    assert person["id_number"] == expected.id_number and person["name"] == expected.name
    admin_token = hub.user("root", "admin")
    log = requests.get(
        f"{hub.url}/api/v1/audit",
        params={"application": app.id},
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=10,
    ).json()
    assert [(e["user"], e["action"], e["detail"]) for e in log["entries"]] == [
        ("wang", "reveal_personal_data", "核对身份")
    ]


def test_unroutable_applications_go_to_triage_and_an_operator_routes_them(hub):
    import dataclasses

    import msgspec

    from hub.setup import publish_catalogue
    from hub.store import write

    # A catalogue where household registration has no city-wide unit: Shenzhen has no route.
    hj = CAT.department("HJ")
    assert hj is not None
    units = tuple(dataclasses.replace(u, regions=()) if "*" in u.regions else u for u in hj.units)
    departments = tuple(
        dataclasses.replace(d, units=units) if d.code == "HJ" else d for d in CAT.departments
    )
    items = tuple(
        msgspec.structs.replace(
            i, unit_by_region={k: v for k, v in i.unit_by_region.items() if k != "*"}
        )
        if i.department == "HJ"
        else i
        for i in CAT.items
    )
    local = dataclasses.replace(CAT, departments=departments, items=items)
    db = hub.db()
    with write(db):
        publish_catalogue(db, local, now=hub.clock(), by="test")
    db.close()
    device = enrolled(hub)
    far = apps_for(device, 1, item="HJ-RES-PERMIT", region="440305", seed=4)[0]
    assert device.push([far]).results[0].status == "accepted"
    operator = requests.Session()
    operator.headers["Authorization"] = f"Bearer {hub.user('ops', 'operator')}"
    triage = operator.get(f"{hub.url}/api/v1/triage", timeout=10).json()["applications"]
    assert [a["id"] for a in triage] == [far.id]
    assert act(hub, operator, far.id, "route", unit="NOPE").status_code == 400
    routed = act(hub, operator, far.id, "route", unit="HJ-CITY").json()["application"]
    assert routed["status"] == "routed" and routed["unit"] == "HJ-CITY"
    records, _ = device.pull_all()
    statuses = [r.status for r in records if r.__struct_config__.tag == "status.changed"]
    assert statuses == ["triage", "routed"]


def test_devices_report_backlog_and_skew(hub, clock):
    device = enrolled(hub)
    device.push_frame(
        encode_batch(device.batch(apps_for(device, 1))), agent="0.1.0", unsent=7, quarantined=1
    )
    operator = requests.Session()
    operator.headers["Authorization"] = f"Bearer {hub.user('ops', 'operator')}"
    rows = operator.get(f"{hub.url}/api/v1/devices", timeout=10).json()["devices"]
    row = next(d for d in rows if d["id"] == device.device_id)
    assert (row["agent_version"], row["unsent"], row["quarantined"]) == ("0.1.0", 7, 1)
    assert row["batches"] == 1 and row["skew_ms"] == 0 and not row["stale"]


def test_pages_added_later_keep_the_order_they_were_photographed_in(hub, clock):
    """An officer's "scan 2" stays the page it was (front, back): pages a correction adds
    go after the ones already there, in the order the outlet sent them."""
    from sync.records import Scan

    device, app, api = department_flow_setup(hub)
    before = api.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()
    (card,) = [m for m in before["application"]["materials"] if m["code"] == "ID-CARD"]
    late, early = "f" * 64, "0" * 64  # sorted by digest, the new pages would come first
    pages = tuple(Scan(sha256=s, size=90_000, media_type="image/jpeg") for s in (late, early))
    amend = ApplicationAmend(
        id=factories.record_id(random.Random(11), clock()),
        application=app.id,
        base_version=before["application"]["version"],
        reason="correction",
        staff="clerk-01",
        captured_at=clock(),
        materials=(MaterialProvided(code="ID-CARD", scans=pages),),
    )
    assert device.push([amend]).results[0].status == "accepted"
    after = api.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()
    (card_now,) = [m for m in after["application"]["materials"] if m["code"] == "ID-CARD"]
    assert card_now["scans"] == [*card["scans"], late, early]
    assert [f["n"] for f in card_now["files"]] == [1, 2, 3]
