"""Who may do what, over the API and the sync protocol, against a real served hub.

Each test takes a permission check of the hub and shows both sides of it: the user (or the
outlet's device) it is for succeeds, and anyone else is refused with the documented answer
and nothing at all changes (the application, its timeline, the outlet's feed, the audit
log). A check that is removed makes one of these fail: see bench/mutants.py."""

from __future__ import annotations

import random
import secrets

import msgspec
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ed25519

from hub import casework, store, workflow
from hub.store import write
from sync import signing
from sync.batch import encode_batch
from sync.records import ApplicationAmend, MaterialProvided, PickupConfirm
from tests import factories
from tests.hub.test_e2e_delivery import SECRET, _push, decided, hub_time, rating, session
from tests.hub.test_e2e_sync import act, apps_for, enrolled
from tests.support.served import ServedHub

UNIT = "HRSS-510107"  # where SS-CARD-APPLY from Wuhou (510107) is routed
OTHER = "HRSS-510104"  # the same department's unit of another county
ROLES = ("admin", "operator", "officer")


# --- helpers -----------------------------------------------------------------------------------


def rows(hub: ServedHub, sql: str, params: list | tuple = ()) -> list[dict]:
    db = hub.db()
    try:
        return list(db.query(sql, list(params)))
    finally:
        db.close()


def snapshot(hub: ServedHub, app_id: str) -> dict:
    """Everything an action on an application could change."""
    return {
        "application": rows(hub, "SELECT * FROM applications WHERE id = ?", [app_id]),
        "events": rows(hub, "SELECT * FROM events WHERE application = ? ORDER BY id", [app_id]),
        "feed": rows(hub, "SELECT seq FROM feed ORDER BY seq"),
        "shipments": rows(hub, "SELECT * FROM shipments WHERE application = ?", [app_id]),
        "shipment_events": rows(hub, "SELECT * FROM shipment_events"),
        "audit": rows(hub, "SELECT * FROM audit_log"),
        "ratings": rows(hub, "SELECT * FROM ratings"),
        "followups": rows(hub, "SELECT * FROM followups"),
    }


def refused(response: requests.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.json()["ok"] is False


@pytest.fixture
def ems(hub: ServedHub) -> str:
    db = hub.db()
    with write(db):
        store.shipments.add_carrier(
            db, code="EMS", name="中国邮政EMS", secret=SECRET, now=hub.clock()
        )
    db.close()
    return SECRET


def pushed(device, *, seed: int, mail: bool = False):
    app = apps_for(device, 1, mail=mail, seed=seed)[0]
    assert device.push([app]).results[0].status == "accepted"
    return app


# --- an officer's unit ---------------------------------------------------------------------------


def test_an_officer_of_another_unit_can_neither_see_nor_act_on_an_application(hub, ems):
    device = enrolled(hub)
    app = pushed(device, seed=1, mail=True)
    mine, other = session(hub, "wang", "officer", UNIT), session(hub, "zhao", "officer", OTHER)
    url = f"{hub.url}/api/v1/applications/{app.id}"
    before = snapshot(hub, app.id)

    refused(other.get(url, timeout=10), 404, "not_found")
    reveal = other.get(url, params={"reveal": "1", "reason": "核对"}, timeout=10)
    refused(reveal, 404, "not_found")
    # Every action, whatever the state allows: as if the application did not exist.
    for action in workflow.ACTIONS:
        answer = other.post(
            f"{url}/actions", json={"action": action, "unit": OTHER, "note": "x"}, timeout=10
        )
        refused(answer, 404, "not_found")
    posted = other.post(
        f"{url}/shipment", json={"carrier": "EMS", "tracking": "EA123456785CN"}, timeout=10
    )
    refused(posted, 404, "not_found")
    # Not in their lists, even when they ask for the other unit by name.
    listing = other.get(f"{hub.url}/api/v1/applications", params={"unit": UNIT}, timeout=10)
    assert listing.json()["total"] == 0 and listing.json()["applications"] == []
    queues = other.get(f"{hub.url}/api/v1/stats/queues", timeout=10).json()["queues"]
    assert queues == []
    assert snapshot(hub, app.id) == before

    # The unit's own officer sees it, reads it (audited) and decides it.
    assert mine.get(url, timeout=10).json()["application"]["unit"] == UNIT
    assert [a["id"] for a in mine.get(f"{hub.url}/api/v1/applications").json()["applications"]] == [
        app.id
    ]
    assert [q["unit"] for q in mine.get(f"{hub.url}/api/v1/stats/queues").json()["queues"]] == [
        UNIT
    ]
    shown = mine.get(url, params={"reveal": "1", "reason": "核对"}, timeout=10)
    assert shown.status_code == 200 and shown.json()["application"]["personal"]["name"]
    for action in ("accept", "approve", "issue_result"):
        assert act(hub, mine, app.id, action).status_code == 200, action

    # Its shipment is the unit's too.
    before = snapshot(hub, app.id)
    posted = other.post(
        f"{url}/shipment", json={"carrier": "EMS", "tracking": "EA123456785CN"}, timeout=10
    )
    refused(posted, 404, "not_found")
    assert snapshot(hub, app.id) == before
    posted = mine.post(
        f"{url}/shipment", json={"carrier": "EMS", "tracking": "EA123456785CN"}, timeout=10
    )
    assert posted.status_code == 201
    shipment = posted.json()["shipment"]["id"]
    assert other.get(f"{hub.url}/api/v1/shipments", timeout=10).json()["shipments"] == []
    refused(other.get(f"{hub.url}/api/v1/shipments/{shipment}", timeout=10), 404, "not_found")
    event = {"event": "in_transit", "at": hub_time(hub).isoformat(), "location": "成都"}
    before = snapshot(hub, app.id)
    refused(
        other.post(f"{hub.url}/api/v1/shipments/{shipment}/events", json=event, timeout=10),
        404,
        "not_found",
    )
    assert snapshot(hub, app.id) == before
    listed = mine.get(f"{hub.url}/api/v1/shipments", timeout=10).json()["shipments"]
    assert [s["id"] for s in listed] == [shipment]
    for missing in ("no-such", "999999"):
        refused(mine.get(f"{hub.url}/api/v1/shipments/{missing}", timeout=10), 404, "not_found")
        refused(
            mine.post(f"{hub.url}/api/v1/shipments/{missing}/events", json=event, timeout=10),
            404,
            "not_found",
        )
    assert mine.get(f"{hub.url}/api/v1/shipments/{shipment}", timeout=10).status_code == 200
    recorded = mine.post(f"{hub.url}/api/v1/shipments/{shipment}/events", json=event, timeout=10)
    assert recorded.status_code == 200 and recorded.json()["outcome"] == "stored"


def bad_rating_followup(hub: ServedHub, device, officer: requests.Session) -> tuple:
    """A result collected at the outlet and rated very dissatisfied: a follow-up opens."""
    app = decided(hub, device, officer, mail=False, seed=1)  # ready for pickup
    pickup = PickupConfirm(
        id=factories.record_id(random.Random(1002), hub.clock()),
        application=app.id,
        staff="clerk-01",
        at=hub.clock(),
        collector="applicant",
        id_checked=True,
    )
    bad = rating(app.id, "very_dissatisfied", hub.clock(), 3)
    assert [r.status for r in device.push([pickup, bad]).results] == ["accepted", "accepted"]
    (followup,) = rows(hub, "SELECT * FROM followups")
    return app, bad, followup


def test_a_follow_up_is_resolved_by_an_officer_of_its_unit_only(hub):
    device = enrolled(hub)
    mine, other = session(hub, "wang", "officer", UNIT), session(hub, "zhao", "officer", OTHER)
    app, _bad, followup = bad_rating_followup(hub, device, mine)
    fid = followup["id"]
    resolve = f"{hub.url}/api/v1/followups/{fid}/resolve"
    before = snapshot(hub, app.id)

    listed = other.get(f"{hub.url}/api/v1/followups", params={"state": "all"}, timeout=10)
    assert listed.status_code == 200 and listed.json()["followups"] == []
    # Refused as if it did not exist (as another unit's applications are), and nothing changes.
    answer = other.post(resolve, json={"note": "已电话回访"}, timeout=10)
    refused(answer, 404, "not_found")
    assert answer.json()["error"] == f"no follow-up {fid}"
    assert snapshot(hub, app.id) == before
    assert rows(hub, "SELECT state, resolution, resolved_by FROM followups") == [
        {"state": "open", "resolution": None, "resolved_by": None}
    ]
    for missing in ("999999", "x1", "٣"):
        refused(
            mine.post(f"{hub.url}/api/v1/followups/{missing}/resolve", json={"note": "x"}),
            404,
            "not_found",
        )

    assert [f["id"] for f in mine.get(f"{hub.url}/api/v1/followups").json()["followups"]] == [fid]
    done = mine.post(resolve, json={"note": "已电话回访，致歉"}, timeout=10)
    assert done.status_code == 200, done.text
    assert (done.json()["followup"]["state"], done.json()["followup"]["resolved_by"]) == (
        "resolved",
        "wang(officer)",
    )
    assert rows(hub, "SELECT state, resolution, resolved_by FROM followups") == [
        {"state": "resolved", "resolution": "已电话回访，致歉", "resolved_by": "wang(officer)"}
    ]
    timeline = rows(hub, "SELECT actor, action FROM events WHERE action = 'resolve_followup'")
    assert timeline == [{"actor": "wang(officer)", "action": "resolve_followup"}]


def test_an_operator_resolves_any_follow_up_and_only_staff_exclude_a_rating(hub):
    device = enrolled(hub)
    officer = session(hub, "wang", "officer", UNIT)
    app, bad, followup = bad_rating_followup(hub, device, officer)
    before = snapshot(hub, app.id)
    exclude = f"{hub.url}/api/v1/ratings/{bad.id}/exclude"
    refused(officer.post(exclude, json={"reason": "误评"}, timeout=10), 403, "forbidden")
    assert snapshot(hub, app.id) == before
    operator = session(hub, "li", "operator")
    done = operator.post(
        f"{hub.url}/api/v1/followups/{followup['id']}/resolve", json={"note": "回访"}, timeout=10
    )
    assert done.status_code == 200 and done.json()["followup"]["resolved_by"] == "li(operator)"
    admin = session(hub, "root", "admin")
    excluded = admin.post(exclude, json={"reason": "误评"}, timeout=10)
    assert excluded.status_code == 200 and excluded.json()["rating"]["excluded_by"] == "root(admin)"


# --- roles ---------------------------------------------------------------------------------------

# Every GET route of the cases and delivery API, and the roles it is for.
STAFF = {"admin", "operator"}
EVERYONE = set(ROLES)
ROUTES = [
    ("/api/v1/applications", EVERYONE),
    ("/api/v1/triage", STAFF),
    ("/api/v1/devices", STAFF),
    ("/api/v1/quarantine", STAFF),
    ("/api/v1/stats/queues", EVERYONE),
    ("/api/v1/audit", {"admin"}),
    ("/api/v1/alarms", STAFF),
    ("/api/v1/shipments", EVERYONE),
    ("/api/v1/followups", EVERYONE),
    ("/api/v1/stats", EVERYONE),
    ("/api/v1/stats.csv", EVERYONE),
    ("/api/v1/stats/daily", EVERYONE),
]


def test_each_route_is_open_to_its_roles_and_refused_to_the_others(hub):
    users = {
        "admin": session(hub, "root", "admin"),
        "operator": session(hub, "li", "operator"),
        "officer": session(hub, "wang", "officer", UNIT),
    }
    for path, allowed in ROUTES:
        for role, s in users.items():
            answer = s.get(f"{hub.url}{path}", timeout=10)
            if role in allowed:
                assert answer.status_code == 200, (path, role, answer.text)
            else:
                refused(answer, 403, "forbidden")
                assert answer.json()["error"] == f"the {role} role may not do this", path
    assert {r.rule for r in hub.app.url_map.iter_rules() if "GET" in r.methods} >= {
        p for p, _ in ROUTES
    }


def test_every_role_a_route_names_may_use_it(hub, ems):
    """The other side of the role lists: each role a POST route (or a route of one record)
    names can use it, as its own actor."""
    device = enrolled(hub)
    users = {
        "admin": session(hub, "root", "admin"),
        "operator": session(hub, "li", "operator"),
        "officer": session(hub, "wang", "officer", UNIT),
    }
    decider = users["officer"]
    actors = {"admin": "root(admin)", "operator": "li(operator)", "officer": "wang(officer)"}
    numbers = {"admin": "EA123456785CN", "operator": "EA000000014CN", "officer": "EA000000028CN"}
    at = hub_time(hub).isoformat()
    for n, (role, s) in enumerate(users.items()):
        app = decided(hub, device, decider, mail=True, seed=10 + n)
        url = f"{hub.url}/api/v1/applications/{app.id}"
        assert s.get(url, timeout=10).status_code == 200, role
        posted = s.post(
            f"{url}/shipment", json={"carrier": "EMS", "tracking": numbers[role]}, timeout=10
        )
        assert posted.status_code == 201, (role, posted.text)
        shipment = posted.json()["shipment"]["id"]
        assert s.get(f"{hub.url}/api/v1/shipments/{shipment}", timeout=10).status_code == 200
        event = {"event": "in_transit", "at": at, "location": "成都"}
        recorded = s.post(f"{hub.url}/api/v1/shipments/{shipment}/events", json=event)
        assert recorded.status_code == 200, (role, recorded.text)
        events = rows(hub, "SELECT source FROM shipment_events WHERE shipment = ?", [shipment])
        assert actors[role] in [e["source"] for e in events]
    # Follow-ups of bad ratings: one resolved by each role.
    for n, (role, s) in enumerate(users.items()):
        app = decided(hub, device, decider, mail=False, seed=20 + n)
        pickup = pickup_of(app.id, seed=40 + n, ms=hub.clock())
        bad = rating(app.id, "very_dissatisfied", hub.clock(), 50 + n)
        assert [r.status for r in device.push([pickup, bad]).results] == ["accepted"] * 2
        (followup,) = rows(hub, "SELECT id FROM followups WHERE application = ?", [app.id])
        done = s.post(f"{hub.url}/api/v1/followups/{followup['id']}/resolve", json={"note": "回访"})
        assert done.status_code == 200, (role, done.text)
        assert done.json()["followup"]["resolved_by"] == actors[role]
        if role != "officer":
            excluded = s.post(f"{hub.url}/api/v1/ratings/{bad.id}/exclude", json={"reason": "误评"})
            assert excluded.status_code == 200, (role, excluded.text)
            assert excluded.json()["rating"]["excluded_by"] == actors[role]


@pytest.mark.parametrize("path", [p for p, _ in ROUTES])
def test_without_a_valid_token_every_route_is_unauthenticated(hub, path):
    url = f"{hub.url}{path}"
    refused(requests.get(url, timeout=10), 401, "unauthenticated")
    refused(
        requests.get(url, headers={"Authorization": "Basic cm9vdDpyb290"}, timeout=10),
        401,
        "unauthenticated",
    )
    refused(
        requests.get(url, headers={"Authorization": "Bearer dbt_nope"}, timeout=10),
        401,
        "unauthenticated",
    )


def test_a_token_is_taken_only_as_a_bearer_token(hub):
    token = hub.user("li", "operator")
    url = f"{hub.url}/api/v1/triage"
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).ok
    for header in (f"Token: {token}", f"bearer {token}", token, f"Basic {token}"):
        answer = requests.get(url, headers={"Authorization": header}, timeout=10)
        refused(answer, 401, "unauthenticated")
        assert answer.json()["error"] == "send Authorization: Bearer <token>", header


def test_a_disabled_users_token_is_refused(hub):
    token = hub.user("li", "operator")
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{hub.url}/api/v1/triage", headers=headers, timeout=10).ok
    db = hub.db()
    with write(db):
        db.execute("UPDATE users SET disabled = 1 WHERE name = 'li'")
    db.close()
    answer = requests.get(f"{hub.url}/api/v1/triage", headers=headers, timeout=10)
    refused(answer, 401, "unauthenticated")
    assert answer.json()["error"] == "unknown or disabled API token"


def test_personal_data_is_revealed_to_the_reveal_roles_only(hub, monkeypatch):
    """Every role may read personal data today (users.REVEAL_ROLES); were a role taken off
    that list, the API would refuse it and audit nothing."""
    device = enrolled(hub)
    app = pushed(device, seed=1)
    officer, operator = session(hub, "wang", "officer", UNIT), session(hub, "li", "operator")
    url = f"{hub.url}/api/v1/applications/{app.id}"
    params = {"reveal": "1", "reason": "核对身份"}
    monkeypatch.setattr(casework, "REVEAL_ROLES", frozenset({"admin", "operator"}))
    refused(officer.get(url, params=params, timeout=10), 403, "forbidden")
    assert rows(hub, "SELECT * FROM audit_log") == []
    shown = operator.get(url, params=params, timeout=10)
    assert shown.status_code == 200 and shown.json()["application"]["personal"]["name"]
    assert [a["user"] for a in rows(hub, "SELECT user FROM audit_log")] == ["li"]


def test_each_role_takes_only_its_own_workflow_actions(hub):
    device = enrolled(hub)
    app = pushed(device, seed=1)
    officer = session(hub, "wang", "officer", UNIT)
    operator = session(hub, "li", "operator")
    admin = session(hub, "root", "admin")
    before = snapshot(hub, app.id)
    # The unit's officer may not route, triage, send to the outlet or close...
    for action in ("route", "triage", "to_outlet", "close"):
        answer = act(hub, officer, app.id, action, unit=UNIT)
        refused(answer, 403, "action_not_allowed")
        assert answer.json()["error"].startswith(f"the officer role may not {action}: only")
    # ...nor an operator decide what the department decides; an admin acts as an operator.
    for action in ("accept", "refuse", "request_supplement", "approve", "reject", "issue_result"):
        for staff in (operator, admin):
            answer = act(hub, staff, app.id, action, materials=["PHOTO"], message="x")
            refused(answer, 403, "action_not_allowed")
            assert answer.json()["error"].startswith(f"the operator role may not {action}")
    assert snapshot(hub, app.id) == before

    # What each may do: the operator and the admin move it between triage and a unit...
    back = act(hub, operator, app.id, "return_to_triage", note="不是本单位的")
    assert back.status_code == 200 and back.json()["application"]["status"] == "triage"
    assert back.json()["application"]["unit"] is None
    routed = act(hub, admin, app.id, "route", unit=UNIT)
    assert routed.status_code == 200 and routed.json()["application"]["status"] == "routed"
    actors = rows(
        hub, "SELECT actor, action FROM events WHERE application = ? ORDER BY id", [app.id]
    )
    assert actors[-2:] == [
        {"actor": "li(operator)", "action": "return_to_triage"},
        {"actor": "root(admin)", "action": "route"},
    ]
    # ...and the officer decides.
    accepted = act(hub, officer, app.id, "accept")
    assert accepted.status_code == 200 and accepted.json()["application"]["status"] == "accepted"
    shown = officer.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()
    # The usual action first (the pages make it the primary button), the rare ones after.
    assert shown["application"]["allowed_actions"] == ["approve", "request_supplement", "reject"]
    shown = admin.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()
    assert shown["application"]["allowed_actions"] == []


# --- an outlet's records ---------------------------------------------------------------------


def amendment(app_id: str, version: int, *, seed: int, ms: int, reason: str = "supplement"):
    return ApplicationAmend(
        id=factories.record_id(random.Random(seed), ms),
        application=app_id,
        base_version=version,
        reason=reason,  # type: ignore[arg-type]
        staff="clerk-01",
        captured_at=ms,
        materials=(MaterialProvided(code="PHOTO"),) if reason == "supplement" else (),
        note="补交照片" if reason == "supplement" else "更正备注",
    )


def pickup_of(app_id: str, *, seed: int, ms: int) -> PickupConfirm:
    return PickupConfirm(
        id=factories.record_id(random.Random(seed), ms),
        application=app_id,
        staff="clerk-01",
        at=ms,
        collector="applicant",
        id_checked=True,
    )


def version_of(hub: ServedHub, app_id: str) -> int:
    return int(rows(hub, "SELECT version FROM applications WHERE id = ?", [app_id])[0]["version"])


def refused_as_unknown(device, record) -> None:
    (result,) = device.push([record]).results
    assert result.status == "rejected", result
    assert [(r.code, r.field) for r in result.reasons] == [("application.unknown", "application")]


def test_a_device_may_not_amend_collect_or_rate_another_outlets_application(hub):
    wuhou, village = enrolled(hub), enrolled(hub, "VL-JINTANG-01")
    officer = session(hub, "wang", "officer", UNIT)
    app = pushed(wuhou, seed=1)
    for action in ("accept",):
        assert act(hub, officer, app.id, action).status_code == 200
    asked = act(hub, officer, app.id, "request_supplement", materials=["PHOTO"], message="照片")
    assert asked.status_code == 200
    _, village_cursor = village.pull_all()
    ms = hub.clock()

    # A supplement or a correction from another outlet, at the right version: refused.
    before = snapshot(hub, app.id)
    refused_as_unknown(village, amendment(app.id, version_of(hub, app.id), seed=11, ms=ms))
    refused_as_unknown(
        village, amendment(app.id, version_of(hub, app.id), seed=12, ms=ms, reason="correction")
    )
    after = snapshot(hub, app.id)
    assert after["application"] == before["application"] and after["events"] == before["events"]
    # The other outlet learns nothing about it: only that its own records were refused.
    told, village_cursor = village.pull_all(village_cursor)
    assert {r.__struct_config__.tag for r in told} == {"record.rejected"}
    assert all(getattr(r, "application", None) is None for r in told)
    # The application's own outlet supplements it.
    (ok,) = wuhou.push([amendment(app.id, version_of(hub, app.id), seed=13, ms=ms)]).results
    assert ok.status == "accepted", ok
    correction = amendment(app.id, version_of(hub, app.id), seed=14, ms=ms, reason="correction")
    assert wuhou.push([correction]).results[0].status == "accepted"
    for action in ("approve", "issue_result"):
        assert act(hub, officer, app.id, action).status_code == 200, action
    assert rows(hub, "SELECT status FROM applications") == [{"status": "ready_for_pickup"}]

    # Collected at another outlet: refused; at its own: delivered.
    before = snapshot(hub, app.id)
    refused_as_unknown(village, pickup_of(app.id, seed=21, ms=ms))
    assert snapshot(hub, app.id)["application"] == before["application"]
    assert wuhou.push([pickup_of(app.id, seed=22, ms=ms)]).results[0].status == "accepted"
    assert rows(hub, "SELECT status FROM applications") == [{"status": "delivered"}]

    # Rated by another outlet: refused, nothing stored; by its own: stored.
    refused_as_unknown(village, rating(app.id, "very_dissatisfied", ms, 31))
    assert rows(hub, "SELECT * FROM ratings") == [] and rows(hub, "SELECT * FROM followups") == []
    assert wuhou.push([rating(app.id, "satisfied", ms, 32)]).results[0].status == "accepted"
    assert [r["outlet"] for r in rows(hub, "SELECT outlet FROM ratings")] == ["PO-WUHOU-01"]
    told, _ = village.pull_all(village_cursor)
    assert {r.__struct_config__.tag for r in told} == {"record.rejected"}


def test_a_device_records_applications_for_its_own_outlet_only(hub):
    wuhou = enrolled(hub)
    (theirs,) = apps_for(wuhou, 1, seed=1)
    theirs = msgspec.structs.replace(theirs, outlet="VL-JINTANG-01")
    (result,) = wuhou.push([theirs]).results
    assert result.status == "rejected"
    assert [(r.code, r.field) for r in result.reasons] == [("outlet.mismatch", "outlet")]
    assert rows(hub, "SELECT * FROM applications") == []
    quarantined = rows(hub, "SELECT record_id, outlet FROM quarantine")
    assert quarantined == [{"record_id": theirs.id, "outlet": "PO-WUHOU-01"}]
    # An item the outlet's kind may not accept: refused on the item.
    village = enrolled(hub, "VL-JINTANG-01")
    (card,) = apps_for(village, 1, seed=2, region="510121")
    (result,) = village.push([card]).results
    assert [(r.code, r.field) for r in result.reasons] == [("item.outlet_kind", "item")]
    assert rows(hub, "SELECT * FROM applications") == []
    (mine,) = apps_for(wuhou, 1, seed=3)
    assert wuhou.push([mine]).results[0].status == "accepted"


def test_a_request_signed_by_no_enrolled_device_is_refused(hub):
    """Only an enrolled device's key opens the devices' API: an unknown key id, or another
    device's id with the wrong key, is a bad signature, and nothing is stored."""
    device = enrolled(hub)
    (app,) = apps_for(device, 1, seed=1)
    frame = encode_batch(device.batch([app]))
    for key_id in ("dev-NOPE", device.device_id):
        stranger = requests.Session()
        stranger.auth = signing.RequestAuth(
            key=ed25519.Ed25519PrivateKey.generate(),
            key_id=key_id,
            clock=lambda: hub.clock() // 1000,
            nonces=lambda: secrets.token_urlsafe(16),
        )
        pushed_ = stranger.post(
            f"{hub.url}/api/v1/sync/push",
            data=frame,
            headers={"Content-Type": "application/vnd.daiban.frame"},
            timeout=10,
        )
        refused(pushed_, 401, "bad_signature")
        pulled = stranger.get(f"{hub.url}/api/v1/sync/pull", params={"cursor": 0}, timeout=10)
        refused(pulled, 401, "bad_signature")
    assert rows(hub, "SELECT * FROM applications") == []
    assert device.push([app]).results[0].status == "accepted"


# --- carriers ------------------------------------------------------------------------------------


def test_a_disabled_carrier_may_not_push_events(hub, ems):
    device = enrolled(hub)
    officer = session(hub, "wang", "officer", UNIT)
    app = decided(hub, device, officer, mail=True)
    posted = officer.post(
        f"{hub.url}/api/v1/applications/{app.id}/shipment",
        json={"carrier": "EMS", "tracking": "EA123456785CN"},
        timeout=10,
    )
    assert posted.status_code == 201
    at = hub_time(hub).isoformat()
    event = {"event_id": "E1", "tracking": "EA123456785CN", "event": "delivered", "at": at}
    db = hub.db()
    with write(db):
        db.execute("UPDATE carriers SET disabled = 1 WHERE code = 'EMS'")
    db.close()
    before = snapshot(hub, app.id)
    answer = _push(hub, ems, event)
    refused(answer, 401, "unknown_carrier")
    assert snapshot(hub, app.id) == before
    db = hub.db()
    with write(db):
        db.execute("UPDATE carriers SET disabled = 0 WHERE code = 'EMS'")
    db.close()
    assert _push(hub, ems, event).json()["outcome"] == "stored"
    assert rows(hub, "SELECT status FROM applications") == [{"status": "delivered"}]
