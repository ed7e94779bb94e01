"""Who may do what on the hub's pages, against a real served hub: every form is sent with a
valid CSRF token of the user's own session, so a refusal seen here is the permission check's
own (its status and its message), never the CSRF guard's; and nothing changes."""

from __future__ import annotations

import re

import pytest
import requests

from hub import casework, store
from hub.store import write
from tests.hub.test_e2e_delivery import decided, session
from tests.hub.test_e2e_sync import apps_for, enrolled
from tests.hub.test_permissions import snapshot
from tests.hub.web.test_pages import UNIT, signed_in, token

OTHER = "HRSS-510104"  # the same department's unit of another county
FORBIDDEN = "您无权打开此页面"  # 403: "You may not open this page"
NOT_FOUND = "该页面不存在，或不在您所在单位的队列中。"  # 404's hint
NOT_YOURS = "当前环节您不能执行此操作。"  # "This action is not open to you at this step."
CSRF = "表单已过期"


@pytest.fixture
def ems(hub):
    db = hub.db()
    with write(db):
        store.shipments.add_carrier(db, code="EMS", name="中国邮政EMS", secret="s", now=hub.clock())
    db.close()


def rows(hub, sql: str, params=()) -> list[dict]:
    db = hub.db()
    try:
        return list(db.query(sql, list(params)))
    finally:
        db.close()


def send(s: requests.Session, hub, path: str, data: dict, *, page: str = "/queue"):
    """POST a form with a valid CSRF token of this session, taken from a page it may open."""
    form_page = s.get(f"{hub.url}{page}", timeout=10)
    assert form_page.status_code == 200, (page, form_page.status_code)
    return s.post(f"{hub.url}{path}", data={**data, "csrf_token": token(form_page)}, timeout=10)


def refused_page(answer: requests.Response, status: int, text: str) -> None:
    """The permission check's own refusal: its status, its page, no redirect, not CSRF."""
    assert answer.status_code == status, (answer.status_code, answer.text[:500])
    assert not answer.history, [r.headers.get("Location") for r in answer.history]
    assert text in answer.text and CSRF not in answer.text
    assert "text/html" in answer.headers["Content-Type"]


def pushed(device, *, seed: int):
    app = apps_for(device, 1, seed=seed)[0]
    assert device.push([app]).results[0].status == "accepted"
    return app


# --- signed out ----------------------------------------------------------------------------------


def test_signed_out_every_page_and_form_sends_to_sign_in_and_changes_nothing(hub):
    device = enrolled(hub)
    app = pushed(device, seed=1)
    pages = [
        "/dashboard",
        "/queue",
        f"/applications/{app.id}",
        "/devices",
        f"/devices/{device.device_id}/revoke",
        "/stats",
        "/stats.csv",
    ]
    for path in pages:
        answer = requests.get(f"{hub.url}{path}", timeout=10)
        assert answer.url.endswith(f"/signin?next={path}"), path
    before = snapshot(hub, app.id)
    s = requests.Session()
    signin = s.get(f"{hub.url}/signin", timeout=10)  # a valid token of this session
    forms = [
        (f"/applications/{app.id}/act", {"action": "accept"}),
        (f"/applications/{app.id}/reveal", {"reason": "核对"}),
        (f"/applications/{app.id}/shipment", {"carrier": "EMS", "tracking": "EA123456785CN"}),
        (f"/applications/{app.id}/to-outlet", {"note": "x"}),
        ("/devices/enrol", {"outlet": "PO-WUHOU-01", "ttl_hours": "1", "hub_url": "https://h.cn"}),
        (f"/devices/{device.device_id}/revoke", {"reason": "stolen"}),
        ("/followups/1/resolve", {"note": "x"}),
        ("/shipments/1/events", {"event": "in_transit", "at": "2026-09-21T09:00"}),
    ]
    for path, data in forms:
        answer = s.post(f"{hub.url}{path}", data={**data, "csrf_token": token(signin)}, timeout=10)
        assert answer.history and answer.url.split("?")[0].endswith("/signin"), path
    assert snapshot(hub, app.id) == before
    assert len(rows(hub, "SELECT * FROM enrolment_codes")) == 1  # the device's own
    assert rows(hub, "SELECT revoked_at FROM devices") == [{"revoked_at": None}]


# --- roles ---------------------------------------------------------------------------------------


def test_staff_pages_refuse_an_officer_and_open_for_operators_and_admins(hub, ems):
    device = enrolled(hub)
    staff_pages = ["/dashboard", "/devices", f"/devices/{device.device_id}/revoke"]
    officer = signed_in(hub, "wang", "officer", UNIT)
    for path in staff_pages:
        refused_page(officer.get(f"{hub.url}{path}", timeout=10), 403, FORBIDDEN)
    for name, role in (("li", "operator"), ("root", "admin")):
        s = signed_in(hub, name, role)
        for path in staff_pages:
            assert s.get(f"{hub.url}{path}", timeout=10).status_code == 200, (role, path)
    # The staff's forms, sent by the officer with a valid token: refused, nothing changes.
    api = session(hub, "api", "officer", UNIT)
    app = decided(hub, device, api, mail=True)  # result issued, waiting to be posted
    before = snapshot(hub, app.id)
    form = {"outlet": "PO-WUHOU-01", "ttl_hours": "24", "hub_url": "https://h.cn"}
    refused_page(send(officer, hub, "/devices/enrol", form), 403, FORBIDDEN)
    revoke = send(officer, hub, f"/devices/{device.device_id}/revoke", {"reason": "stolen"})
    refused_page(revoke, 403, FORBIDDEN)
    to_outlet = send(officer, hub, f"/applications/{app.id}/to-outlet", {"note": "地址不详"})
    refused_page(to_outlet, 403, FORBIDDEN)
    assert snapshot(hub, app.id) == before
    assert len(rows(hub, "SELECT * FROM enrolment_codes")) == 1
    assert rows(hub, "SELECT revoked_at FROM devices") == [{"revoked_at": None}]
    # An operator sends it to the outlet.
    op = signed_in(hub, "op", "operator")
    moved = send(
        op, hub, f"/applications/{app.id}/to-outlet", {"note": "地址不详"}, page="/dashboard"
    )
    assert moved.status_code == 200 and moved.url.endswith(f"/applications/{app.id}")
    assert rows(hub, "SELECT status FROM applications") == [{"status": "ready_for_pickup"}]


def test_a_user_may_send_only_the_actions_open_to_their_role(hub):
    device = enrolled(hub)
    app = pushed(device, seed=1)
    path = f"/applications/{app.id}"
    officer = signed_in(hub, "wang", "officer", UNIT)
    page = officer.get(f"{hub.url}{path}", timeout=10)
    buttons = set(re.findall(r'<button name="action" value="([a-z_]+)"', page.text))
    assert buttons == {"return_to_triage", "accept", "refuse"}
    before = snapshot(hub, app.id)
    for action in ("route", "triage", "close", "to_outlet", "ship", "approve"):
        answer = send(officer, hub, f"{path}/act", {"action": action, "unit": UNIT}, page=path)
        refused_page(answer, 400, NOT_YOURS)
        assert "中心拒绝了此操作" not in answer.text  # refused by the page, before the hub
    op = signed_in(hub, "op", "operator")
    op_page = op.get(f"{hub.url}{path}", timeout=10)
    assert set(re.findall(r'<button name="action" value="([a-z_]+)"', op_page.text)) == {
        "return_to_triage"
    }
    for action in ("accept", "refuse", "route"):
        answer = send(op, hub, f"{path}/act", {"action": action, "unit": UNIT}, page=path)
        refused_page(answer, 400, NOT_YOURS)
    assert snapshot(hub, app.id) == before
    done = send(officer, hub, f"{path}/act", {"action": "accept"}, page=path)
    assert done.status_code == 200 and done.url.endswith(path)
    assert rows(hub, "SELECT status FROM applications") == [{"status": "accepted"}]


# --- an officer's unit ---------------------------------------------------------------------------


def test_an_officer_of_another_unit_gets_404_from_every_application_page_and_form(hub, ems):
    device = enrolled(hub)
    api = session(hub, "api", "officer", UNIT)
    routed = pushed(device, seed=1)
    mailed = decided(hub, device, api, mail=True, seed=2)
    posted = api.post(
        f"{hub.url}/api/v1/applications/{mailed.id}/shipment",
        json={"carrier": "EMS", "tracking": "EA123456785CN"},
        timeout=10,
    )
    assert posted.status_code == 201
    shipment = posted.json()["shipment"]["id"]
    other = signed_in(hub, "zhao", "officer", OTHER)
    mine = signed_in(hub, "wang", "officer", UNIT)
    event = {"event": "in_transit", "at": "2026-09-21T09:30", "location": "成都"}
    before = {a: snapshot(hub, a) for a in (routed.id, mailed.id)}

    refused_page(other.get(f"{hub.url}/applications/{routed.id}", timeout=10), 404, NOT_FOUND)
    for action in ("accept", "refuse", "return_to_triage"):
        answer = send(other, hub, f"/applications/{routed.id}/act", {"action": action})
        refused_page(answer, 404, NOT_FOUND)
    refused_page(
        send(other, hub, f"/applications/{routed.id}/reveal", {"reason": "核对"}), 404, NOT_FOUND
    )
    refused_page(
        send(
            other,
            hub,
            f"/applications/{mailed.id}/shipment",
            {"carrier": "EMS", "tracking": "EA000000014CN"},
        ),
        404,
        NOT_FOUND,
    )
    refused_page(send(other, hub, f"/shipments/{shipment}/events", event), 404, NOT_FOUND)
    for missing in ("no-such", "999999"):  # no such shipment, for anyone
        refused_page(send(mine, hub, f"/shipments/{missing}/events", event), 404, NOT_FOUND)
    assert {a: snapshot(hub, a) for a in (routed.id, mailed.id)} == before
    assert routed.receipt not in other.get(f"{hub.url}/queue", params={"unit": UNIT}).text

    # The unit's officer does each of them.
    path = f"/applications/{routed.id}"
    assert mine.get(f"{hub.url}{path}", timeout=10).status_code == 200
    assert routed.receipt in mine.get(f"{hub.url}/queue", timeout=10).text
    shown = send(mine, hub, f"{path}/reveal", {"reason": "核对"}, page=path)
    assert shown.status_code == 200 and 'data-testid="personal"' in shown.text
    done = send(mine, hub, f"{path}/act", {"action": "accept"}, page=path)
    assert done.status_code == 200 and done.url.endswith(path)
    path = f"/applications/{mailed.id}"
    recorded = send(mine, hub, f"/shipments/{shipment}/events", event, page=path)
    assert recorded.status_code == 200 and recorded.url.endswith(path)
    assert len(rows(hub, "SELECT * FROM shipment_events WHERE kind = 'in_transit'")) == 1


def test_the_queue_shows_an_officer_their_units_applications_only(hub):
    device = enrolled(hub)
    app = pushed(device, seed=1)
    other = signed_in(hub, "zhao", "officer", OTHER)
    for params in ({}, {"unit": UNIT}, {"unit": ""}):
        page = other.get(f"{hub.url}/queue", params=params, timeout=10)
        assert page.status_code == 200 and app.receipt not in page.text, params
        assert 'data-testid="total">0<' in page.text
    mine = signed_in(hub, "wang", "officer", UNIT)
    page = mine.get(f"{hub.url}/queue", params={"unit": OTHER}, timeout=10)
    assert app.receipt in page.text and 'data-testid="total">1<' in page.text
    op = signed_in(hub, "op", "operator")
    assert app.receipt in op.get(f"{hub.url}/queue", timeout=10).text
    assert app.receipt in op.get(f"{hub.url}/queue", params={"unit": UNIT}, timeout=10).text
    assert app.receipt not in op.get(f"{hub.url}/queue", params={"unit": OTHER}, timeout=10).text


def test_an_officer_is_never_sent_the_dashboard(hub, ems):
    """A form sent with back=dashboard brings an operator back to the dashboard; an officer,
    who may not see it (every unit's work), to the application page instead."""
    device = enrolled(hub)
    api = session(hub, "api", "officer", UNIT)
    app = decided(hub, device, api, mail=True)
    path = f"/applications/{app.id}"
    officer = signed_in(hub, "wang", "officer", UNIT)
    bad = send(
        officer,
        hub,
        f"{path}/shipment",
        {"carrier": "", "tracking": "EA123456785CN", "back": "dashboard"},
        page=path,
    )
    assert bad.status_code == 400 and 'data-testid="mail"' in bad.text
    assert 'data-testid="queue-counts"' not in bad.text and 'data-testid="to-post-list"' not in (
        bad.text
    )
    done = send(
        officer,
        hub,
        f"{path}/shipment",
        {"carrier": "EMS", "tracking": "EA123456785CN", "back": "dashboard"},
        page=path,
    )
    assert done.status_code == 200 and done.url.endswith(path)
    assert rows(hub, "SELECT status FROM applications") == [{"status": "mailed"}]


def test_the_reveal_form_and_its_answer_follow_the_reveal_roles(hub, monkeypatch):
    """Every role may read personal data today (users.REVEAL_ROLES); were a role taken off
    that list, its users would see no reveal form and be refused (403) if they sent one."""
    device = enrolled(hub)
    app = pushed(device, seed=1)
    path = f"/applications/{app.id}"
    officer = signed_in(hub, "wang", "officer", UNIT)
    page = officer.get(f"{hub.url}{path}", timeout=10)
    assert f'action="{path}/reveal"' in page.text
    monkeypatch.setattr(casework, "REVEAL_ROLES", frozenset({"admin", "operator"}))
    page = officer.get(f"{hub.url}{path}", timeout=10)
    assert page.status_code == 200 and f'action="{path}/reveal"' not in page.text
    refused_page(
        send(officer, hub, f"{path}/reveal", {"reason": "核对"}, page=path), 403, FORBIDDEN
    )
    assert rows(hub, "SELECT * FROM audit_log") == []
    op = signed_in(hub, "op", "operator")
    shown = send(op, hub, f"{path}/reveal", {"reason": "核对"}, page=path)
    assert shown.status_code == 200 and 'data-testid="personal"' in shown.text
    assert [a["user"] for a in rows(hub, "SELECT user FROM audit_log")] == ["op"]


def test_an_operator_routes_from_the_page_only_to_a_unit_of_the_catalogue(hub):
    device = enrolled(hub)
    app = pushed(device, seed=1)
    path = f"/applications/{app.id}"
    op = signed_in(hub, "op", "operator")
    back = send(
        op, hub, f"{path}/act", {"action": "return_to_triage", "note": "不是本单位的"}, page=path
    )
    assert back.status_code == 200 and back.url.endswith(path)
    before = snapshot(hub, app.id)
    for unit in ("", "NO-SUCH-UNIT"):
        bad = send(op, hub, f"{path}/act", {"action": "route", "unit": unit}, page=path)
        assert bad.status_code == 400 and 'id="err-unit"' in bad.text
        assert "请选择部门单位。" in bad.text and "中心拒绝了此操作" not in bad.text
    assert snapshot(hub, app.id) == before
    done = send(op, hub, f"{path}/act", {"action": "route", "unit": UNIT}, page=path)
    assert done.status_code == 200
    assert rows(hub, "SELECT status, unit FROM applications") == [
        {"status": "routed", "unit": UNIT}
    ]


def test_the_posting_form_shows_only_on_a_mail_result_waiting_to_be_posted(hub, ems):
    device = enrolled(hub)
    api = session(hub, "api", "officer", UNIT)
    routed = apps_for(device, 1, seed=1, mail=True)[0]
    assert device.push([routed]).results[0].status == "accepted"
    pickup = decided(hub, device, api, mail=False, seed=2)  # at the outlet, for pickup
    waiting = decided(hub, device, api, mail=True, seed=3)
    officer = signed_in(hub, "wang", "officer", UNIT)
    for app, shown in ((routed, False), (pickup, False), (waiting, True)):
        page = officer.get(f"{hub.url}/applications/{app.id}", timeout=10)
        assert page.status_code == 200
        assert ('data-testid="ship-form"' in page.text) is shown, app.id


def test_a_statistics_export_with_a_bad_grouping_is_refused(hub):
    op = signed_in(hub, "op", "operator")
    refused = op.get(f"{hub.url}/stats.csv", params={"by": "nonsense"}, timeout=10)
    assert refused.status_code == 400 and "text/html" in refused.headers["Content-Type"]
    assert op.get(f"{hub.url}/stats.csv", params={"by": "unit"}, timeout=10).status_code == 200


def test_a_form_for_a_step_the_application_is_not_at_is_refused(hub, ems):
    """Posting or sending to the outlet an application that is not at that step: 400 and
    nothing changes (the page checks the step with the workflow's rule, and the hub would
    refuse it too). The page has no such form at this step, so no message can be shown."""
    device = enrolled(hub)
    routed = apps_for(device, 1, seed=1, mail=True)[0]
    assert device.push([routed]).results[0].status == "accepted"
    path = f"/applications/{routed.id}"
    op = signed_in(hub, "op", "operator")
    before = snapshot(hub, routed.id)
    posted = send(
        op, hub, f"{path}/shipment", {"carrier": "EMS", "tracking": "EA123456785CN"}, page=path
    )
    assert posted.status_code == 400 and not posted.history
    moved = send(op, hub, f"{path}/to-outlet", {"note": "地址不详"}, page=path)
    assert moved.status_code == 400 and not moved.history
    assert snapshot(hub, routed.id) == before
