"""Results back to the citizen, against a served hub: shipments and tracking by hand and by
the carrier's signed webhook, returned mail, pickup, ratings and their follow-ups, statistics.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
import requests

from hub import store
from hub.carriers import new_secret, sign_webhook
from hub.demo import simcarrier
from hub.store import write
from hub.sweep import run_sweep
from sync.records import PickupConfirm, RatingCreate, RatingLevel
from tests import factories
from tests.hub.test_e2e_sync import act, apps_for, enrolled
from tests.support.served import ServedHub

SECRET = new_secret()


@pytest.fixture
def ems(hub: ServedHub) -> str:
    db = hub.db()
    with write(db):
        store.shipments.add_carrier(
            db, code="EMS", name="中国邮政EMS", secret=SECRET, now=hub.clock()
        )
    db.close()
    return SECRET


def session(hub: ServedHub, name: str, role: str, unit: str | None = None) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {hub.user(name, role, unit)}"
    return s


def decided(hub: ServedHub, device, api, *, mail: bool, seed: int = 1):
    """An application captured, routed, accepted, approved and its result issued."""
    app = apps_for(device, 1, mail=mail, seed=seed)[0]
    assert device.push([app]).results[0].status == "accepted"
    for action in ("accept", "approve", "issue_result"):
        assert act(hub, api, app.id, action).status_code == 200, action
    return app


def hub_time(hub: ServedHub) -> datetime:
    return datetime.fromtimestamp(hub.clock() / 1000, UTC)


def feed_tags(device, cursor: int = 0):
    records, cursor = device.pull_all(cursor)
    return records, cursor


def post(hub, api, app_id, **body):
    return api.post(f"{hub.url}/api/v1/applications/{app_id}/shipment", json=body, timeout=10)


def shown(hub, api, app_id):
    return api.get(f"{hub.url}/api/v1/applications/{app_id}", timeout=10).json()["application"]


def test_a_mailed_result_is_tracked_to_delivery_by_the_carriers_webhook(hub, ems):
    device = enrolled(hub)
    api = session(hub, "wang", "officer", "HRSS-510107")
    app = decided(hub, device, api, mail=True)
    issued = shown(hub, api, app.id)
    assert issued["status"] == "result_issued"
    assert [s["state"] for s in issued["shipments"]] == ["pending"]
    assert "address_sealed" not in issued["shipments"][0]
    assert issued["allowed_actions"] == []  # mail moves by its shipment, not by bare actions
    refused = act(hub, api, app.id, "ship")
    assert refused.status_code == 400 and "shipment" in refused.json()["error"]

    # A wrong check digit is refused and nothing changes.
    bad = post(hub, api, app.id, carrier="EMS", tracking="EA123456784CN")
    assert bad.status_code == 400 and bad.json()["field"] == "tracking"
    assert shown(hub, api, app.id)["status"] == "result_issued"

    posted = post(hub, api, app.id, carrier="ems", tracking="ea 123 456 785 cn")
    assert posted.status_code == 201, posted.text
    shipment = posted.json()["shipment"]
    assert (shipment["carrier"], shipment["tracking"], shipment["state"]) == (
        "EMS",
        "EA123456785CN",
        "open",
    )
    assert posted.json()["application"]["status"] == "mailed"

    hub.clock.advance(days=2)
    events = simcarrier.sequence("EA123456785CN", "delivered", end=hub_time(hub))
    answers = simcarrier.push(hub.url, "EMS", ems, events)
    assert [a["status"] for a in answers] == [200] * len(events)
    assert {a["outcome"] for a in answers} == {"stored"}
    final = shown(hub, api, app.id)
    assert final["status"] == "delivered"
    timeline = final["shipments"][0]["events"]
    assert [e["kind"] for e in timeline] == [
        "posted",  # entered by the officer
        "posted",
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert final["shipments"][0]["state"] == "delivered"

    # The carrier re-sends everything (it does): nothing changes.
    again = simcarrier.push(hub.url, "EMS", ems, events)
    assert {a["outcome"] for a in again} == {"duplicate"}
    assert len(shown(hub, api, app.id)["shipments"][0]["events"]) == 6

    # The outlet hears every step, so the clerk can tell the citizen.
    records, _ = device.pull_all()
    mail = [r for r in records if r.__struct_config__.tag == "shipment.event"]
    assert [m.event for m in mail][-1] == "delivered"
    assert {m.tracking for m in mail} == {"EA123456785CN"}
    statuses = [r.status for r in records if r.__struct_config__.tag == "status.changed"]
    assert statuses[-2:] == ["mailed", "delivered"]


def test_out_of_order_events_are_kept_in_event_time_order(hub, ems):
    device = enrolled(hub)
    api = session(hub, "wang", "officer", "HRSS-510107")
    app = decided(hub, device, api, mail=True)
    assert post(hub, api, app.id, carrier="EMS", tracking="EA123456785CN").status_code == 201
    hub.clock.advance(days=2)
    events = simcarrier.sequence("EA123456785CN", "delivered", end=hub_time(hub))
    answers = simcarrier.push(hub.url, "EMS", ems, [*reversed(events)])
    assert all(a["status"] == 200 for a in answers)
    stored = shown(hub, api, app.id)["shipments"][0]
    times = [e["at"] for e in stored["events"]]
    assert times == sorted(times)
    assert stored["last_event"] == "delivered" and stored["state"] == "delivered"


def _push(hub, secret, event, *, carrier="EMS", at=None, message_id=None):
    body = json.dumps(event).encode()
    headers = sign_webhook(
        secret,
        body,
        message_id=message_id or f"msg_{event.get('event_id', 'x')}",
        at=at or datetime.now(UTC),
    )
    return requests.post(
        f"{hub.url}/api/v1/carriers/{carrier}/events", data=body, headers=headers, timeout=10
    )


def test_webhook_refusals_change_nothing(hub, ems):
    device = enrolled(hub)
    api = session(hub, "wang", "officer", "HRSS-510107")
    app = decided(hub, device, api, mail=True)
    assert post(hub, api, app.id, carrier="EMS", tracking="EA123456785CN").status_code == 201
    at = (hub_time(hub) + timedelta(minutes=1)).isoformat()
    event = {"event_id": "E1", "tracking": "EA123456785CN", "event": "in_transit", "at": at}

    def count() -> int:
        return len(shown(hub, api, app.id)["shipments"][0]["events"])

    before = count()
    wrong_secret = _push(hub, new_secret(), event)
    assert (wrong_secret.status_code, wrong_secret.json()["code"]) == (401, "bad_signature")
    stale = _push(hub, ems, event, at=datetime.now(UTC) - timedelta(minutes=10))
    assert stale.status_code == 401 and "too old" in stale.json()["error"]
    unknown_carrier = _push(hub, ems, event, carrier="SF")
    assert unknown_carrier.status_code == 401
    tampered = sign_webhook(ems, json.dumps(event).encode(), message_id="m", at=datetime.now(UTC))
    forged = requests.post(
        f"{hub.url}/api/v1/carriers/EMS/events",
        data=json.dumps({**event, "event": "delivered"}),
        headers=tampered,
        timeout=10,
    )
    assert forged.status_code == 401
    garbage = requests.post(
        f"{hub.url}/api/v1/carriers/EMS/events",
        data=b"{}",
        headers={"webhook-id": "m", "webhook-timestamp": "1", "webhook-signature": "nonsense"},
        timeout=10,
    )
    assert garbage.status_code == 401
    unknown_parcel = _push(hub, ems, {**event, "event_id": "E2", "tracking": "EA000000014CN"})
    assert (unknown_parcel.status_code, unknown_parcel.json()["code"]) == (404, "unknown_shipment")
    bad_kind = _push(hub, ems, {**event, "event": "lost"})
    assert (bad_kind.status_code, bad_kind.json()["field"]) == (400, "event")
    no_offset = _push(hub, ems, {**event, "at": "2026-09-21T10:00:00"})
    assert (no_offset.status_code, no_offset.json()["field"]) == (400, "at")
    future = _push(hub, ems, {**event, "at": (hub_time(hub) + timedelta(days=1)).isoformat()})
    assert (future.status_code, future.json()["field"]) == (400, "at")
    assert count() == before

    assert _push(hub, ems, event).json()["outcome"] == "stored"
    reused = _push(hub, ems, {**event, "location": "somewhere else"})
    assert (reused.status_code, reused.json()["code"]) == (409, "event_id_reused")
    delivered = {**event, "event_id": "E3", "event": "delivered"}
    assert _push(hub, ems, delivered).json()["outcome"] == "stored"
    contradicting = _push(hub, ems, {**event, "event_id": "E4", "event": "returned"})
    assert (contradicting.status_code, contradicting.json()["code"]) == (409, "shipment_closed")
    assert count() == before + 2
    assert shown(hub, api, app.id)["status"] == "delivered"


def test_returned_mail_is_sent_again_or_handed_over_at_the_outlet(hub, ems):
    device = enrolled(hub)
    officer = session(hub, "wang", "officer", "HRSS-510107")
    operator = session(hub, "li", "operator")
    first = decided(hub, device, officer, mail=True, seed=1)
    second = decided(hub, device, officer, mail=True, seed=2)
    for app, number in ((first, "EA123456785CN"), (second, "EA000000014CN")):
        assert post(hub, officer, app.id, carrier="EMS", tracking=number).status_code == 201
    hub.clock.advance(days=4)
    for number in ("EA123456785CN", "EA000000014CN"):
        events = simcarrier.sequence(number, "returned", end=hub_time(hub))
        assert all(a["status"] == 200 for a in simcarrier.push(hub.url, "EMS", ems, events))
    returned = operator.get(
        f"{hub.url}/api/v1/applications", params={"status": "returned"}, timeout=10
    ).json()
    assert {a["id"] for a in returned["applications"]} == {first.id, second.id}
    assert {
        s["state"]
        for s in operator.get(f"{hub.url}/api/v1/shipments", timeout=10).json()["shipments"]
    } == {"returned"}

    # The first goes out again with a new number (the old one cannot be reused).
    reuse = post(hub, operator, first.id, carrier="EMS", tracking="EA123456785CN")
    assert (reuse.status_code, reuse.json()["code"]) == (409, "tracking_in_use")
    resent = post(hub, operator, first.id, carrier="EMS", tracking="EA000000028CN")
    assert resent.status_code == 201, resent.text
    assert [s["state"] for s in shown(hub, operator, first.id)["shipments"]] == [
        "returned",
        "open",
    ]
    # The second waits at the outlet; the clerk hands it over and the citizen rates it.
    moved = act(hub, operator, second.id, "to_outlet", note="citizen will collect")
    assert moved.json()["application"]["status"] == "ready_for_pickup"
    rng = random.Random(1005)
    pickup = PickupConfirm(
        id=factories.record_id(rng, hub.clock()),
        application=second.id,
        staff="clerk-01",
        at=hub.clock(),
        collector="applicant",
        id_checked=True,
    )
    assert device.push([pickup]).results[0].status == "accepted"
    assert shown(hub, operator, second.id)["status"] == "delivered"


def rating(app_id: str, level: RatingLevel, ms: int, seed: int) -> RatingCreate:
    return RatingCreate(
        id=factories.record_id(random.Random(1000 + seed), ms),
        application=app_id,
        staff="clerk-01",
        at=ms,
        level=level,
        comment="等了太久" if level.endswith("dissatisfied") else "",
    )


def test_ratings_bad_ones_open_follow_ups_due_in_working_days(hub, ems):
    device = enrolled(hub)
    officer = session(hub, "wang", "officer", "HRSS-510107")
    operator = session(hub, "li", "operator")
    early = decided(hub, device, officer, mail=False, seed=1)  # ready_for_pickup, not collected
    too_early = device.push([rating(early.id, "satisfied", hub.clock(), 1)]).results[0]
    assert (too_early.status, too_early.reasons[0].code) == ("rejected", "rating.too_early")

    pickup = PickupConfirm(
        id=factories.record_id(random.Random(1002), hub.clock()),
        application=early.id,
        staff="clerk-01",
        at=hub.clock(),
        collector="applicant",
        id_checked=True,
    )
    # The city rule: bad ratings are followed up within 10 working days in Chengdu.
    db = hub.db()
    with write(db):
        store.ratings.set_followup_days(db, "510100", 10)
    db.close()
    bad = rating(early.id, "very_dissatisfied", hub.clock(), 3)
    results = device.push([pickup, bad]).results
    assert [r.status for r in results] == ["accepted", "accepted"]
    twice = device.push([rating(early.id, "satisfied", hub.clock(), 4)]).results[0]
    assert (twice.status, twice.reasons[0].code) == ("rejected", "rating.exists")

    followups = operator.get(f"{hub.url}/api/v1/followups", timeout=10).json()["followups"]
    assert len(followups) == 1
    # Monday 2026-09-21 + 10 working days: 22, 23, 24, (25-27 Mid-Autumn) 28, 29, 30,
    # (Oct 1-7 National Day) 8, 9, Saturday 10 (a make-up working day), 12.
    assert followups[0]["due_date"] == "2026-10-12"
    assert followups[0]["overdue"] is False
    fid = followups[0]["id"]
    empty = operator.post(f"{hub.url}/api/v1/followups/{fid}/resolve", json={"note": " "})
    assert (empty.status_code, empty.json()["code"]) == (400, "invalid")
    done = operator.post(
        f"{hub.url}/api/v1/followups/{fid}/resolve",
        json={"note": "电话回访，已致歉并说明原因"},
        timeout=10,
    )
    assert done.json()["followup"]["state"] == "resolved"
    again = operator.post(f"{hub.url}/api/v1/followups/{fid}/resolve", json={"note": "x"})
    assert again.status_code == 409

    # A malicious rating is excluded on review: it stays on record, but not in the figures.
    stats = operator.get(f"{hub.url}/api/v1/stats", params={"by": "outlet"}, timeout=10).json()
    assert (stats["total"]["ratings"], stats["total"]["bad"]) == (1, 1)
    excluded = operator.post(
        f"{hub.url}/api/v1/ratings/{bad.id}/exclude",
        json={"reason": "评价人非办事群众，系误评"},
        timeout=10,
    )
    assert excluded.status_code == 200 and excluded.json()["rating"]["excluded_by"]
    stats = operator.get(f"{hub.url}/api/v1/stats", params={"by": "outlet"}, timeout=10).json()
    assert (stats["total"]["ratings"], stats["total"]["excluded"]) == (0, 1)
    assert stats["total"]["satisfaction_rate"] is None
    officer_cannot = officer.post(
        f"{hub.url}/api/v1/ratings/{bad.id}/exclude", json={"reason": "x"}, timeout=10
    )
    assert officer_cannot.status_code == 403


def test_a_quiet_shipment_is_flagged_by_the_sweep_and_cleared_by_news(hub, ems):
    device = enrolled(hub)
    api = session(hub, "wang", "officer", "HRSS-510107")
    operator = session(hub, "li", "operator")
    app = decided(hub, device, api, mail=True)
    assert post(hub, api, app.id, carrier="EMS", tracking="EA123456785CN").status_code == 201
    hub.clock.advance(days=2)
    run_sweep(hub.app)
    assert (
        operator.get(f"{hub.url}/api/v1/shipments", params={"stale": 1}).json()["shipments"] == []
    )
    hub.clock.advance(days=2)
    result = run_sweep(hub.app)
    assert result["shipments_flagged"] == 1
    stale = operator.get(f"{hub.url}/api/v1/shipments", params={"stale": 1}).json()["shipments"]
    assert [s["application"] for s in stale] == [app.id]
    alarms = operator.get(f"{hub.url}/api/v1/alarms", timeout=10).json()["alarms"]
    assert "shipments.stale" in {a["key"] for a in alarms}
    # Manual entry from the tracking page: the shipment is no longer quiet.
    sid = stale[0]["id"]
    entry = {"event": "in_transit", "at": hub_time(hub).isoformat(), "location": "成都邮区中心局"}
    first = operator.post(f"{hub.url}/api/v1/shipments/{sid}/events", json=entry, timeout=10)
    assert first.json()["outcome"] == "stored"
    twice = operator.post(f"{hub.url}/api/v1/shipments/{sid}/events", json=entry, timeout=10)
    assert twice.json()["outcome"] == "duplicate"
    run_sweep(hub.app)
    assert (
        operator.get(f"{hub.url}/api/v1/shipments", params={"stale": 1}).json()["shipments"] == []
    )
    alarms = operator.get(f"{hub.url}/api/v1/alarms", timeout=10).json()["alarms"]
    assert "shipments.stale" not in {a["key"] for a in alarms}


def test_statistics_count_what_happened_and_export_as_csv(hub, ems):
    device = enrolled(hub)
    officer = session(hub, "wang", "officer", "HRSS-510107")
    mailed = decided(hub, device, officer, mail=True, seed=1)
    decided(hub, device, officer, mail=False, seed=2)
    refused = apps_for(device, 1, seed=3)[0]
    device.push([refused])
    assert act(hub, officer, refused.id, "refuse", reason="not_eligible").status_code == 200
    waiting = apps_for(device, 1, seed=4)[0]
    device.push([waiting])
    assert act(hub, officer, waiting.id, "accept").status_code == 200
    assert post(hub, officer, mailed.id, carrier="EMS", tracking="EA123456785CN").status_code == 201
    hub.clock.advance(days=20)  # the accepted one is now long overdue
    run_sweep(hub.app)
    events = simcarrier.sequence("EA123456785CN", "delivered", end=hub_time(hub))
    simcarrier.push(hub.url, "EMS", ems, events)

    today = datetime.fromtimestamp(hub.clock() / 1000 + 8 * 3600, UTC).date().isoformat()
    params = {"by": "unit", "from": "2026-09-01", "to": today}
    report = officer.get(f"{hub.url}/api/v1/stats", params=params, timeout=10).json()
    assert [row["key"] for row in report["rows"]] == ["HRSS-510107"]
    row = report["rows"][0]
    assert {k: row[k] for k in ("received", "completed", "on_time", "overdue_now")} == {
        "received": 4,
        "completed": 3,
        "on_time": 3,
        "overdue_now": 1,
    }
    assert (row["mailed"], row["delivered"], row["returned"]) == (1, 1, 0)
    assert row["on_time_rate"] == 1.0
    assert row["name"] == "武侯区人力资源和社会保障局"
    assert report["total"]["received"] == 4
    # The same figures by department and as CSV.
    dept = officer.get(f"{hub.url}/api/v1/stats", params={**params, "by": "department"}).json()
    assert [(r["key"], r["received"]) for r in dept["rows"]] == [("HRSS", 4)]
    exported = officer.get(f"{hub.url}/api/v1/stats.csv", params=params, timeout=10)
    assert exported.headers["Content-Type"].startswith("text/csv")
    text = exported.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["unit"] == "HRSS-510107" and rows[0]["received"] == "4"
    assert rows[-1]["unit"] == "total"
    daily = officer.get(f"{hub.url}/api/v1/stats/daily", params=params, timeout=10).json()
    assert sum(d["received"] for d in daily["days"]) == 4
    assert sum(d["completed"] for d in daily["days"]) == 3
    # Bad parameters are named.
    wrong = officer.get(f"{hub.url}/api/v1/stats", params={"by": "city"}, timeout=10)
    assert (wrong.status_code, wrong.json()["field"]) == (400, "by")
    backwards = officer.get(
        f"{hub.url}/api/v1/stats", params={"from": "2026-10-01", "to": "2026-09-01"}
    )
    assert (backwards.status_code, backwards.json()["field"]) == (400, "from")


def test_simulated_events_never_come_before_the_posting_they_follow():
    """Carrier times are whole seconds; the hub's posting has milliseconds. A journey
    squeezed into the posting's own second must not read as older than the posting."""

    posted = datetime(2026, 11, 29, 8, 0, 0, 700_000, tzinfo=UTC)
    for end in (posted + timedelta(milliseconds=200), posted + timedelta(seconds=3)):
        events = simcarrier.sequence("EA123456785CN", "delivered", start=posted, end=end)
        times = [datetime.fromisoformat(e["at"]) for e in events]
        assert all(t >= posted for t in times), times
        assert times == sorted(times) and events[-1]["event"] == "delivered"
