"""The operators' forms on the hub's pages, against a real served hub: enrolment codes as QR
codes, revoking a device, posting a result, carrier events by hand, returned mail, follow-ups
of bad ratings. Each form: it works, a bad input changes nothing and comes back marked, a
wrong role gets 403, a form without its CSRF token is refused."""

from __future__ import annotations

import html
import random
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import segno

from hub import store
from hub.store import write
from sync.records import PickupConfirm
from tests import factories
from tests.hub.test_e2e_delivery import apps_for, decided, rating, session
from tests.hub.test_e2e_sync import enrolled
from tests.hub.web.test_pages import UNIT, post_form, signed_in, token

QR_PATH = re.compile(r'<path[^>]*class="qrline"[^>]* d="([^"]+)"')
SVG = re.compile(r"<svg[^>]*class=\"qr-code\".*?</svg>", re.DOTALL)


@pytest.fixture
def ems(hub):
    db = hub.db()
    with write(db):
        store.shipments.add_carrier(db, code="EMS", name="中国邮政EMS", secret="s", now=hub.clock())
    db.close()


def rows(hub, sql: str, params=()):
    db = hub.db()
    try:
        return list(db.query(sql, list(params)))
    finally:
        db.close()


def application_row(hub, app_id: str) -> dict:
    return rows(hub, "SELECT * FROM applications WHERE id = ?", [app_id])[0]


def shipments_of(hub, app_id: str) -> list[dict]:
    return rows(hub, "SELECT * FROM shipments WHERE application = ? ORDER BY opened_at", [app_id])


def marked(page: requests.Response, key: str, name: str) -> bool:
    """The field is marked invalid and described by its error message."""
    field = re.search(rf'<[^>]+id="f-{key}-{name}"[^>]*>', page.text)
    return (
        bool(field)
        and 'aria-invalid="true"' in field.group(0)
        and (f'id="err-{key}-{name}"' in page.text)
    )


# --- devices ---------------------------------------------------------------------------------


def test_an_enrolment_code_is_shown_as_a_qr_code_that_enrols_a_device(hub, clock):
    s = signed_in(hub, "op", "operator")
    page = s.get(f"{hub.url}/devices", timeout=10)
    assert 'data-testid="enrol-form"' in page.text and "PO-WUHOU-01" in page.text
    assert f'value="{hub.url}"' in page.text  # the address the page was opened at, by default
    done = post_form(
        s,
        hub,
        "/devices/enrol",
        {"outlet": "PO-WUHOU-01", "ttl_hours": "48", "hub_url": "https://hub.example.cn/"},
        page="/devices",
    )
    assert done.status_code == 200, done.text[:800]
    code = re.search(r'data-testid="enrol-code"[^>]*>([^<]+)<', done.text).group(1)
    payload = f"daiban://enroll?hub=https://hub.example.cn&code={code}"
    shown = re.search(r'data-testid="enrol-payload">([^<]+)<', done.text).group(1)
    assert html.unescape(shown) == payload
    assert f"daiban-agent enroll https://hub.example.cn {code}" in done.text
    # The QR code is exactly segno's QR code of that payload.
    svg = SVG.search(done.text).group(0)
    expected = segno.make(payload, error="m").svg_inline(scale=4, border=4)
    assert QR_PATH.search(svg).group(1) == QR_PATH.search(expected).group(1)
    assert 'role="img"' in svg and "<title>" in svg and "<desc>" in svg
    assert "<title>PO-WUHOU-01 代办点 的设备注册二维码</title>" in svg  # the outlet's name
    query = parse_qs(urlsplit(payload).query)
    assert query == {"hub": ["https://hub.example.cn"], "code": [code]}
    # Listed as waiting, valid for 48 hours, audited; and it enrols a device.
    assert 'data-testid="open-codes"' in s.get(f"{hub.url}/devices", timeout=10).text
    codes = rows(hub, "SELECT * FROM enrolment_codes")
    assert len(codes) == 1 and codes[0]["expires_at"] - codes[0]["created_at"] == 48 * 3600_000
    audit = rows(hub, "SELECT * FROM audit_log WHERE action = 'enrolment_code'")
    assert [(a["user"], a["detail"]) for a in audit] == [("op", "PO-WUHOU-01 for 48 h")]
    from tests.support.device import Device

    assert Device(hub.url, clock).enroll(query["code"][0])["ok"]


def test_the_qr_payload_escapes_what_would_break_its_query():
    from hub.devices import enrolment_uri

    uri = enrolment_uri("https://hub.example.cn:8443/x y?a=1&b#c", "ABCD-EFGH-JKMN")
    query = parse_qs(urlsplit(uri).query)
    assert query == {"hub": ["https://hub.example.cn:8443/x y?a=1&b#c"], "code": ["ABCD-EFGH-JKMN"]}
    assert enrolment_uri("http://10.0.0.2:8700", "A-B") == (
        "daiban://enroll?hub=http://10.0.0.2:8700&code=A-B"
    )


def test_an_enrolment_form_with_bad_input_comes_back_marked_and_stores_nothing(hub):
    s = signed_in(hub, "op", "operator")
    bad = post_form(
        s,
        hub,
        "/devices/enrol",
        {"outlet": "", "ttl_hours": "0", "hub_url": "hub.example.cn"},
        page="/devices",
    )
    assert bad.status_code == 400
    for name in ("outlet", "ttl_hours", "hub_url"):
        assert marked(bad, "enrol", name), name
    assert 'value="hub.example.cn"' in bad.text and 'value="0"' in bad.text  # input kept
    assert "请选择设备所属的网点" in bad.text  # in Chinese by default
    unknown = post_form(
        s,
        hub,
        "/devices/enrol",
        {"outlet": "NO-SUCH", "ttl_hours": "999", "hub_url": "https://h.cn"},
        page="/devices",
    )
    assert unknown.status_code == 400 and marked(unknown, "enrol", "outlet")
    assert marked(unknown, "enrol", "ttl_hours")
    assert rows(hub, "SELECT * FROM enrolment_codes") == []
    assert rows(hub, "SELECT * FROM audit_log") == []


def test_device_forms_refuse_an_officer_and_a_form_without_its_token(hub):
    device = enrolled(hub)
    officer = signed_in(hub, "li", "officer", UNIT)
    page = officer.get(f"{hub.url}/queue", timeout=10)
    form = {"outlet": "PO-WUHOU-01", "ttl_hours": "24", "hub_url": "https://h.cn"}
    enrol = officer.post(
        f"{hub.url}/devices/enrol", data={**form, "csrf_token": token(page)}, timeout=10
    )
    assert enrol.status_code == 403 and "您无权打开此页面" in enrol.text
    assert (
        officer.get(f"{hub.url}/devices/{device.device_id}/revoke", timeout=10).status_code == 403
    )
    revoke = officer.post(
        f"{hub.url}/devices/{device.device_id}/revoke",
        data={"reason": "stolen", "csrf_token": token(page)},
        timeout=10,
    )
    assert revoke.status_code == 403
    op = signed_in(hub, "op", "operator")
    no_token = op.post(f"{hub.url}/devices/enrol", data=form, timeout=10)
    assert no_token.status_code == 400 and "表单已过期" in no_token.text
    no_token = op.post(
        f"{hub.url}/devices/{device.device_id}/revoke", data={"reason": "stolen"}, timeout=10
    )
    assert no_token.status_code == 400
    assert len(rows(hub, "SELECT * FROM enrolment_codes")) == 1  # the fixture's device only
    assert rows(hub, "SELECT revoked_at FROM devices") == [{"revoked_at": None}]


def test_revoking_a_device_asks_for_confirmation_and_a_reason_and_is_audited(hub):
    device = enrolled(hub)
    s = signed_in(hub, "op", "operator")
    listing = s.get(f"{hub.url}/devices", timeout=10)
    assert f'data-testid="revoke-{device.device_id}"' in listing.text
    path = f"/devices/{device.device_id}/revoke"
    confirm = s.get(f"{hub.url}{path}", timeout=10)
    assert confirm.status_code == 200 and 'data-testid="revoke-form"' in confirm.text
    assert device.tag in confirm.text and 'data-testid="revoke-cancel"' in confirm.text
    # Nothing happens until the confirmation is sent with a reason.
    assert rows(hub, "SELECT revoked_at FROM devices") == [{"revoked_at": None}]
    blank = post_form(s, hub, path, {"reason": "  "})
    assert blank.status_code == 400 and marked(blank, "revoke", "reason")
    assert rows(hub, "SELECT revoked_at FROM devices") == [{"revoked_at": None}]
    done = post_form(s, hub, path, {"reason": "笔记本电脑被盗"})
    assert done.status_code == 200 and done.url.endswith("/devices")
    assert "已吊销" in done.text and f'data-testid="revoke-{device.device_id}"' not in done.text
    stored = rows(hub, "SELECT revoked_at, revoked_reason FROM devices")[0]
    assert stored["revoked_at"] == hub.clock() and stored["revoked_reason"] == "笔记本电脑被盗"
    audit = rows(hub, "SELECT * FROM audit_log WHERE action = 'revoke_device'")
    assert [(a["user"], a["detail"]) for a in audit] == [
        ("op", f"{device.device_id}: 笔记本电脑被盗")
    ]
    answer = device.session.get(f"{hub.url}/api/v1/sync/pull", timeout=10)
    assert answer.json()["code"] == "device_revoked"
    again = post_form(s, hub, path, {"reason": "again"})
    assert again.status_code == 400 and len(rows(hub, "SELECT * FROM audit_log")) == 1
    # The page shows the device as revoked (with the first reason), not a refusal.
    assert "该设备已被吊销。" in again.text and "笔记本电脑被盗" in again.text
    assert 'data-testid="revoke-form"' not in again.text
    assert rows(hub, "SELECT revoked_reason FROM devices")[0]["revoked_reason"] == "笔记本电脑被盗"
    assert s.get(f"{hub.url}/devices/no-such/revoke", timeout=10).status_code == 404


# --- delivery --------------------------------------------------------------------------------


def test_posting_a_result_from_the_dashboard_and_the_application_page(hub, ems):
    device = enrolled(hub)
    api = session(hub, "wang", "officer", UNIT)
    first = decided(hub, device, api, mail=True, seed=1)
    second = decided(hub, device, api, mail=True, seed=2)
    s = signed_in(hub, "op", "operator")
    board = s.get(f"{hub.url}/dashboard", timeout=10)
    assert f'data-testid="to-post-{first.receipt}"' in board.text
    app_path = f"/applications/{first.id}"
    page = s.get(f"{hub.url}{app_path}", timeout=10)
    assert 'data-testid="ship-form"' in page.text and 'value="to_outlet"' not in page.text
    key = f"ship-{first.id}"

    # A wrong check digit and no carrier: marked, kept, nothing stored.
    bad = post_form(
        s,
        hub,
        f"{app_path}/shipment",
        {"carrier": "", "tracking": "EA123456784CN", "back": "dashboard"},
        page="/dashboard",
    )
    assert bad.status_code == 400 and marked(bad, key, "carrier") and marked(bad, key, "tracking")
    assert 'value="EA123456784CN"' in bad.text and 'data-testid="to-post-list"' in bad.text
    assert application_row(hub, first.id)["status"] == "result_issued"
    assert [x["state"] for x in shipments_of(hub, first.id)] == ["pending"]
    no_token = s.post(
        f"{hub.url}{app_path}/shipment", data={"carrier": "EMS", "tracking": "EA123456785CN"}
    )
    assert no_token.status_code == 400
    assert application_row(hub, first.id)["status"] == "result_issued"

    done = post_form(
        s,
        hub,
        f"{app_path}/shipment",
        {"carrier": "EMS", "tracking": "ea 123 456 785 cn", "back": "dashboard"},
        page="/dashboard",
    )
    assert done.status_code == 200 and done.url.endswith("/dashboard")
    assert f'data-testid="to-post-{first.receipt}"' not in done.text
    assert application_row(hub, first.id)["status"] == "mailed"
    shipment = shipments_of(hub, first.id)[0]
    assert (shipment["state"], shipment["carrier"], shipment["tracking"]) == (
        "open",
        "EMS",
        "EA123456785CN",
    )
    # The same number for another application is refused on the tracking field.
    path2 = f"/applications/{second.id}"
    taken = post_form(
        s, hub, f"{path2}/shipment", {"carrier": "EMS", "tracking": "EA123456785CN"}, page=path2
    )
    assert taken.status_code == 400 and marked(taken, f"ship-{second.id}", "tracking")
    assert application_row(hub, second.id)["status"] == "result_issued"
    # An officer of the unit posts from the application page too.
    officer = signed_in(hub, "li", "officer", UNIT)
    posted = post_form(
        officer,
        hub,
        f"{path2}/shipment",
        {"carrier": "EMS", "tracking": "EA000000014CN"},
        page=path2,
    )
    assert posted.status_code == 200 and posted.url.endswith(path2)
    assert application_row(hub, second.id)["status"] == "mailed"
    other = signed_in(hub, "zhao", "officer", "CA-CITY")
    other_page = other.get(f"{hub.url}/queue", timeout=10)
    hidden = other.post(
        f"{hub.url}{path2}/shipment",
        data={"carrier": "EMS", "tracking": "EA000000028CN", "csrf_token": token(other_page)},
    )
    assert hidden.status_code == 404


def test_the_pages_post_and_send_to_the_outlet_only_a_result_waiting_for_it(hub, ems):
    """The page's own checks, with its own words: a pickup application is never posted, a
    mailed one not before its result is issued, and neither goes to the outlet before."""
    device = enrolled(hub)
    pickup = apps_for(device, 1, mail=False, seed=7)[0]
    assert device.push([pickup]).results[0].status == "accepted"
    waiting = apps_for(device, 1, mail=True, seed=8)[0]  # routed, its result not yet issued
    assert device.push([waiting]).results[0].status == "accepted"
    s = signed_in(hub, "op", "operator")
    for app in (pickup, waiting):
        path = f"/applications/{app.id}"
        before = application_row(hub, app.id)
        posted = post_form(
            s, hub, f"{path}/shipment", {"carrier": "EMS", "tracking": "EA123456785CN"}, page=path
        )
        assert posted.status_code == 400
        assert "该申请当前不在待寄出状态。" in posted.text, app.id
        assert "中心拒绝了此操作" not in posted.text  # the page's check, not the hub's refusal
        sent = post_form(s, hub, f"{path}/to-outlet", {"note": "地址不详"}, page=path)
        assert sent.status_code == 400
        assert "该申请在当前环节不能转到网点领取。" in sent.text
        assert "中心拒绝了此操作" not in sent.text
        assert shipments_of(hub, app.id) == [] and application_row(hub, app.id) == before


def test_carrier_events_by_hand_then_returned_mail_sent_again_or_to_the_outlet(hub, ems):
    device = enrolled(hub)
    api = session(hub, "wang", "officer", UNIT)
    apps = [decided(hub, device, api, mail=True, seed=n) for n in (1, 2)]
    for app, number in zip(apps, ("EA123456785CN", "EA000000014CN"), strict=True):
        posted = api.post(
            f"{hub.url}/api/v1/applications/{app.id}/shipment",
            json={"carrier": "EMS", "tracking": number},
        )
        assert posted.status_code == 201
    s = signed_in(hub, "op", "operator")
    first = apps[0]
    path = f"/applications/{first.id}"
    page = s.get(f"{hub.url}{path}", timeout=10)
    assert 'data-testid="event-form"' in page.text
    shipment = shipments_of(hub, first.id)[0]
    events = f"/shipments/{shipment['id']}/events"
    key = f"event-{shipment['id']}"

    def count() -> int:
        return len(rows(hub, "SELECT * FROM shipment_events WHERE shipment = ?", [shipment["id"]]))

    before = count()
    bad = post_form(s, hub, events, {"event": "teleported", "at": ""}, page=path)
    assert bad.status_code == 400 and marked(bad, key, "event") and marked(bad, key, "at")
    future = post_form(s, hub, events, {"event": "in_transit", "at": "2026-09-22T10:00"}, page=path)
    assert future.status_code == 400 and marked(future, key, "at")
    assert 'value="2026-09-22T10:00"' in future.text
    assert count() == before
    no_token = s.post(f"{hub.url}{events}", data={"event": "in_transit", "at": "2026-09-21T09:30"})
    assert no_token.status_code == 400 and count() == before
    form = {"event": "in_transit", "at": "2026-09-21T09:30", "location": "成都邮区中心局"}
    done = post_form(s, hub, events, form, page=path)
    assert done.status_code == 200 and "成都邮区中心局" in done.text and count() == before + 1
    stored = rows(hub, "SELECT * FROM shipment_events WHERE kind = 'in_transit'")[0]
    assert stored["event_id"] == "manual:EA123456785CN:in_transit:1789954200000"
    assert stored["source"] == "op(operator)"
    again = post_form(s, hub, events, form, page=path)
    assert "已记录过" in again.text and count() == before + 1

    # Both come back in the same minute (two parcels, two events); the dashboard lists them.
    for app in apps:
        ship = shipments_of(hub, app.id)[0]
        returned = post_form(
            s,
            hub,
            f"/shipments/{ship['id']}/events",
            {"event": "returned", "at": "2026-09-21T09:50", "note": "地址不详"},
            page=f"/applications/{app.id}",
        )
        assert returned.status_code == 200, re.findall(
            r"class=\"error\"[^>]*>([^<]*)", returned.text
        )
        assert application_row(hub, app.id)["status"] == "returned"
    board = s.get(f"{hub.url}/dashboard", timeout=10)
    for app in apps:
        assert f'data-testid="returned-{app.receipt}"' in board.text

    # Sent again: the old number is refused, a new one posts it.
    reuse = post_form(
        s,
        hub,
        f"{path}/shipment",
        {"carrier": "EMS", "tracking": "EA123456785CN", "back": "dashboard"},
        page="/dashboard",
    )
    assert reuse.status_code == 400 and marked(reuse, f"ship-{first.id}", "tracking")
    assert '<details class="subform" open>' in reuse.text
    resent = post_form(
        s,
        hub,
        f"{path}/shipment",
        {"carrier": "EMS", "tracking": "EA000000028CN", "back": "dashboard"},
        page="/dashboard",
    )
    assert resent.status_code == 200 and application_row(hub, first.id)["status"] == "mailed"
    assert [x["state"] for x in shipments_of(hub, first.id)] == ["returned", "open"]

    # To the outlet: operators only, with a note.
    second = apps[1]
    path2 = f"/applications/{second.id}"
    key2 = f"outlet-{second.id}"
    assert 'data-testid="to-outlet-form"' in s.get(f"{hub.url}{path2}", timeout=10).text
    officer = signed_in(hub, "li", "officer", UNIT)
    officer_page = officer.get(f"{hub.url}{path2}", timeout=10)
    assert 'data-testid="to-outlet-form"' not in officer_page.text
    refused = officer.post(
        f"{hub.url}{path2}/to-outlet",
        data={"note": "x", "csrf_token": token(officer_page)},
        timeout=10,
    )
    assert refused.status_code == 403
    blank = post_form(s, hub, f"{path2}/to-outlet", {"note": " "}, page=path2)
    assert blank.status_code == 400 and marked(blank, key2, "note")
    no_token = s.post(f"{hub.url}{path2}/to-outlet", data={"note": "地址不详"}, timeout=10)
    assert no_token.status_code == 400
    assert application_row(hub, second.id)["status"] == "returned"
    moved = post_form(
        s, hub, f"{path2}/to-outlet", {"note": "地址不详，改为网点领取", "back": "dashboard"}
    )
    assert moved.status_code == 200 and moved.url.endswith("/dashboard")
    assert application_row(hub, second.id)["status"] == "ready_for_pickup"
    assert 'data-testid="returned-list"' not in moved.text
    timeline = rows(hub, "SELECT * FROM events WHERE application = ?", [second.id])
    assert (timeline[-1]["action"], timeline[-1]["note"]) == ("to_outlet", "地址不详，改为网点领取")


def bad_rating_followup(hub):
    device = enrolled(hub)
    api = session(hub, "wang", "officer", UNIT)
    app = decided(hub, device, api, mail=False, seed=1)  # ready for pickup
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
    followup = rows(hub, "SELECT * FROM followups")[0]
    return app, followup


def test_resolving_a_follow_up_needs_a_note_and_goes_to_the_timeline(hub):
    app, followup = bad_rating_followup(hub)
    fid = followup["id"]
    s = signed_in(hub, "op", "operator")
    board = s.get(f"{hub.url}/dashboard", timeout=10)
    assert f'data-testid="followup-{app.receipt}"' in board.text
    assert 'data-testid="resolve-form"' in board.text
    key = f"followup-{fid}"
    blank = post_form(
        s, hub, f"/followups/{fid}/resolve", {"note": "", "back": "dashboard"}, page="/dashboard"
    )
    assert blank.status_code == 400 and marked(blank, key, "note")
    assert 'data-testid="followup-list"' in blank.text  # the dashboard, the form opened
    no_token = s.post(f"{hub.url}/followups/{fid}/resolve", data={"note": "x"}, timeout=10)
    assert no_token.status_code == 400
    assert rows(hub, "SELECT state FROM followups") == [{"state": "open"}]
    other = signed_in(hub, "zhao", "officer", "CA-CITY")
    # Another session's token is refused by the CSRF guard, before any permission check.
    stolen = other.post(
        f"{hub.url}/followups/{fid}/resolve",
        data={"note": "x", "csrf_token": token(board)},
        timeout=10,
    )
    assert stolen.status_code == 400 and "表单已过期" in stolen.text
    # With its own valid token, an officer of another unit is refused by the unit check: 404
    # as for an application not in their queue, on the spot (no redirect), and nothing changes.
    other_page = other.get(f"{hub.url}/queue", timeout=10)
    hidden = other.post(
        f"{hub.url}/followups/{fid}/resolve",
        data={"note": "x", "csrf_token": token(other_page)},
        timeout=10,
    )
    assert hidden.status_code == 404 and not hidden.history
    assert "该页面不存在，或不在您所在单位的队列中。" in hidden.text
    assert "表单已过期" not in hidden.text
    assert rows(hub, "SELECT state, resolution, resolved_by FROM followups") == [
        {"state": "open", "resolution": None, "resolved_by": None}
    ]
    assert rows(hub, "SELECT * FROM events WHERE action = 'resolve_followup'") == []
    # The unit's officer resolves it from the application page.
    officer = signed_in(hub, "li", "officer", UNIT)
    path = f"/applications/{app.id}"
    page = officer.get(f"{hub.url}{path}", timeout=10)
    assert 'data-testid="resolve-form"' in page.text and "非常不满意" in page.text
    done = post_form(
        officer, hub, f"/followups/{fid}/resolve", {"note": "电话回访，已致歉"}, page=path
    )
    assert done.status_code == 200 and done.url.endswith(path)
    assert 'data-testid="followup-resolution"' in done.text and "电话回访，已致歉" in done.text
    closed = rows(hub, "SELECT * FROM followups")[0]
    assert (closed["state"], closed["resolution"], closed["resolved_by"]) == (
        "resolved",
        "电话回访，已致歉",
        "li(officer)",
    )
    assert f'data-testid="followup-{app.receipt}"' not in s.get(f"{hub.url}/dashboard").text
    twice = post_form(s, hub, f"/followups/{fid}/resolve", {"note": "again"}, page=path)
    assert twice.status_code == 400
    assert len(rows(hub, "SELECT * FROM events WHERE action = 'resolve_followup'")) == 1


# --- statistics ------------------------------------------------------------------------------


def test_the_statistics_page_draws_its_three_charts_with_tables(hub):
    device = enrolled(hub)
    api = session(hub, "wang", "officer", UNIT)
    decided(hub, device, api, mail=False, seed=1)
    s = signed_in(hub, "op", "operator")
    page = s.get(f"{hub.url}/stats", params={"by": "unit"}, timeout=10)
    assert page.status_code == 200
    for chart in ("chart-throughput", "chart-on-time", "chart-satisfaction"):
        assert f'data-testid="{chart}"' in page.text
        assert f'<title id="{chart}-title">' in page.text
        assert f'data-testid="{chart}-table"' in page.text
    assert "每日办件量" in page.text and "按时办结率" in page.text
    throughput = page.text.split('data-testid="chart-throughput-table"')[1].split("</table>")[0]
    assert (
        '<th scope="row">2026-09-21</th><td data-label="已接收">1</td><td data-label="办结">1</td>'
    ) in throughput  # each cell labelled, for the phone's cards
    on_time = page.text.split('data-testid="chart-on-time-table"')[1].split("</table>")[0]
    assert "100.0%" in on_time


def test_the_new_forms_read_in_english_too(hub, ems):
    device = enrolled(hub)
    api = session(hub, "wang", "officer", UNIT)
    app = decided(hub, device, api, mail=True, seed=1)
    s = signed_in(hub, "op", "operator")
    page = s.get(f"{hub.url}/dashboard", timeout=10)
    s.post(f"{hub.url}/lang", data={"lang": "en", "csrf_token": token(page)}, timeout=10)
    expected = {
        "/dashboard": "Results to post",
        f"/applications/{app.id}": "Record the posting",
        "/devices": "Make an enrolment code",
        f"/devices/{device.device_id}/revoke": "Revoke this device",
        "/stats": "Throughput per day",
    }
    for path, text in expected.items():
        shown = s.get(f"{hub.url}{path}", timeout=10)
        assert shown.status_code == 200 and text in shown.text, path
    bad = post_form(s, hub, "/devices/enrol", {"outlet": ""}, page="/devices")
    assert "Choose the outlet the device belongs to." in bad.text
