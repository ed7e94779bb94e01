"""The hub's pages against a real served hub: sign-in, sessions, CSRF, roles, the officer's
work on an application, the audited reveal, the dashboard, devices and statistics."""

from __future__ import annotations

import re

import pytest
import requests

from hub import store
from hub.catalogue import sample_catalogue
from hub.store import write
from hub.users import create_user
from tests.hub.test_e2e_sync import apps_for, enrolled

PASSWORD = "correct horse 9"
UNIT = "HRSS-510107"  # where SS-CARD-APPLY from Wuhou (510107) is routed
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_user(hub, name: str, role: str, unit: str | None = None) -> None:
    db = hub.db()
    with write(db):
        create_user(
            db,
            name=name,
            role=role,
            unit=unit,
            known_units=set(sample_catalogue().units()),
            now=hub.clock(),
            password=PASSWORD,
        )
    db.close()


def token(page: requests.Response) -> str:
    found = TOKEN.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def signed_in(hub, name: str, role: str, unit: str | None = None) -> requests.Session:
    add_user(hub, name, role, unit)
    s = requests.Session()
    page = s.get(f"{hub.url}/signin", timeout=10)
    done = s.post(
        f"{hub.url}/signin",
        data={"name": name, "password": PASSWORD, "csrf_token": token(page)},
        timeout=10,
    )
    assert done.status_code == 200 and name in done.text, done.text[:500]
    return s


def pushed_application(hub):
    device = enrolled(hub)
    app = apps_for(device, 1)[0]
    device.push([app])
    return app


def post_form(s: requests.Session, hub, path: str, data: dict, page: str | None = None):
    form_page = s.get(f"{hub.url}{page or path}", timeout=10)
    return s.post(f"{hub.url}{path}", data={**data, "csrf_token": token(form_page)}, timeout=10)


def test_sign_in_good_and_bad_password_and_sign_out(hub):
    add_user(hub, "op", "operator")
    s = requests.Session()
    first = s.get(f"{hub.url}/", timeout=10)
    assert first.url.endswith("/signin") and "登录" in first.text  # Chinese by default
    bad = s.post(
        f"{hub.url}/signin",
        data={"name": "op", "password": "wrong", "csrf_token": token(first)},
        timeout=10,
    )
    assert bad.status_code == 401 and 'value="op"' in bad.text  # the name is kept
    assert "用户名或密码错误" in bad.text
    unknown = s.post(
        f"{hub.url}/signin",
        data={"name": "nobody", "password": PASSWORD, "csrf_token": token(first)},
        timeout=10,
    )
    assert unknown.status_code == 401
    good = s.post(
        f"{hub.url}/signin",
        data={"name": "op", "password": PASSWORD, "csrf_token": token(first), "next": "/devices"},
        timeout=10,
    )
    assert good.status_code == 200 and good.url.endswith("/devices")
    assert "HttpOnly" in good.history[0].headers["Set-Cookie"]
    out = s.post(f"{hub.url}/signout", data={"csrf_token": token(good)}, timeout=10)
    assert out.url.endswith("/signin")
    assert s.get(f"{hub.url}/dashboard", timeout=10).url.endswith("/signin?next=/dashboard")


def test_a_disabled_user_cannot_sign_in_or_stay_signed_in(hub):
    s = signed_in(hub, "op", "operator")
    db = hub.db()
    with write(db):
        db.execute("UPDATE users SET disabled = 1 WHERE name = 'op'")
    db.close()
    assert s.get(f"{hub.url}/dashboard", timeout=10).url.endswith("/signin?next=/dashboard")


def test_sessions_end_after_30_idle_minutes_and_after_8_hours(hub, clock):
    s = signed_in(hub, "op", "operator")
    clock.advance(seconds=29 * 60)
    assert s.get(f"{hub.url}/dashboard", timeout=10).url.endswith("/dashboard")
    clock.advance(seconds=31 * 60)
    idle = s.get(f"{hub.url}/dashboard", timeout=10)
    assert idle.url.endswith("/signin?next=/dashboard") and "登录已过期" in idle.text
    s = signed_in(hub, "op2", "operator")
    for _ in range(17):  # active every 29 minutes, for more than 8 hours
        clock.advance(seconds=29 * 60)
        last = s.get(f"{hub.url}/dashboard", timeout=10)
    assert last.url.endswith("/signin?next=/dashboard")


def test_a_form_without_its_csrf_token_is_refused_with_a_page(hub):
    add_user(hub, "op", "operator")
    s = requests.Session()
    s.get(f"{hub.url}/signin", timeout=10)
    refused = s.post(f"{hub.url}/signin", data={"name": "op", "password": PASSWORD}, timeout=10)
    assert refused.status_code == 400 and "text/html" in refused.headers["Content-Type"]
    assert "表单已过期" in refused.text
    assert "daiban_hub" not in s.cookies.get_dict() or "user" not in refused.text


def test_the_api_keeps_its_json_errors_and_needs_no_csrf_token(hub):
    missing = requests.get(f"{hub.url}/api/v1/nothing-here", timeout=10)
    assert missing.status_code == 404 and missing.json()["ok"] is False
    api = requests.post(f"{hub.url}/api/v1/applications/x/actions", json={}, timeout=10)
    assert api.status_code == 401 and api.json()["code"] == "unauthenticated"
    assert requests.get(f"{hub.url}/healthz", timeout=10).json()["ok"] is True
    page = requests.get(f"{hub.url}/no-such-page", timeout=10)
    assert page.status_code == 404 and "text/html" in page.headers["Content-Type"]
    assert "找不到" in page.text


def test_officer_accepts_then_requests_a_supplement_then_the_timeline_shows_it(hub):
    app = pushed_application(hub)
    s = signed_in(hub, "officer", "officer", UNIT)
    queue = s.get(f"{hub.url}/queue", params={"status": "routed"}, timeout=10)
    assert app.receipt in queue.text
    path = f"/applications/{app.id}"
    page = s.get(f"{hub.url}{path}", timeout=10)
    assert 'value="accept"' in page.text and 'value="ship"' not in page.text
    done = post_form(s, hub, f"{path}/act", {"action": "accept", "note": ""}, page=path)
    assert done.status_code == 200 and "已受理" in done.text
    # A supplement request with nothing said is refused, the note kept and marked.
    empty = post_form(s, hub, f"{path}/act", {"action": "request_supplement"}, page=path)
    assert empty.status_code == 400 and 'aria-invalid="true"' in empty.text
    asked = post_form(
        s, hub, f"{path}/act", {"action": "request_supplement", "note": "请补交户口本"}, page=path
    )
    assert asked.status_code == 200 and "待补正" in asked.text and "请补交户口本" in asked.text
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {hub.user('reader', 'operator')}"
    shown = api.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()
    assert shown["application"]["status"] == "supplement_requested"
    # An action the state does not allow is refused and nothing changes.
    wrong = post_form(s, hub, f"{path}/act", {"action": "approve"}, page=path)
    assert wrong.status_code == 400
    again = api.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()
    assert again["application"]["version"] == shown["application"]["version"]


def test_approve_and_issue_result_for_pickup_goes_to_the_outlet(hub):
    device = enrolled(hub)
    app = apps_for(device, 1)[0]
    device.push([app])
    s = signed_in(hub, "officer", "officer", UNIT)
    path = f"/applications/{app.id}"
    for action in ("accept", "approve", "issue_result"):
        done = post_form(s, hub, f"{path}/act", {"action": action}, page=path)
        assert done.status_code == 200, done.text[:800]
    assert any(w in done.text for w in ("待领取", "结果已出"))


def test_officer_of_another_unit_gets_404_and_an_officer_no_dashboard(hub):
    app = pushed_application(hub)
    s = signed_in(hub, "other", "officer", "CA-CITY")
    assert s.get(f"{hub.url}/applications/{app.id}", timeout=10).status_code == 404
    assert app.receipt not in s.get(f"{hub.url}/queue", timeout=10).text
    forbidden = s.get(f"{hub.url}/dashboard", timeout=10)
    assert forbidden.status_code == 403 and "text/html" in forbidden.headers["Content-Type"]
    assert "Traceback" not in forbidden.text
    assert s.get(f"{hub.url}/devices", timeout=10).status_code == 403
    page = s.get(f"{hub.url}/queue", timeout=10)
    refused = s.post(
        f"{hub.url}/applications/{app.id}/act",
        data={"action": "accept", "csrf_token": token(page)},
        timeout=10,
    )
    assert refused.status_code == 404


def test_reveal_needs_a_reason_and_is_audited(hub):
    app = pushed_application(hub)
    s = signed_in(hub, "officer", "officer", UNIT)
    path = f"/applications/{app.id}"
    no_reason = post_form(s, hub, f"{path}/reveal", {"reason": " "}, page=path)
    assert no_reason.status_code == 400 and 'data-testid="personal"' not in no_reason.text
    db = hub.db()
    assert store.audit.audit_entries(db, app.id) == []
    shown = post_form(s, hub, f"{path}/reveal", {"reason": "电话核实材料"}, page=path)
    assert shown.status_code == 200 and 'data-testid="personal"' in shown.text
    entries = store.audit.audit_entries(db, app.id)
    db.close()
    assert [(e["user"], e["action"], e["detail"]) for e in entries] == [
        ("officer", "reveal_personal_data", "电话核实材料")
    ]


def test_dashboard_shows_queue_counts_triage_and_alarms(hub):
    pushed_application(hub)
    db = hub.db()
    with write(db):
        store.alarms.raise_alarm(
            db, key="calendar.2027", level="warn", message="no 2027", now=hub.clock()
        )
    db.close()
    s = signed_in(hub, "op", "operator")
    page = s.get(f"{hub.url}/dashboard", timeout=10)
    assert page.status_code == 200
    assert 'data-testid="triage">0<' in page.text
    assert 'data-testid="overdue">0<' in page.text
    assert 'data-testid="in-transit">0<' in page.text
    table = page.text.split('data-testid="queue-counts"')[1].split("</table>")[0]
    assert "已分派" in table and ">1</a>" in table
    assert "节假日安排未导入" in page.text and "calendar.2027" not in page.text  # words, no key
    assert "尚未导入2027年节假日安排" in page.text and "no 2027" not in page.text  # in Chinese


def test_devices_page_marks_a_stale_device(hub, clock):
    device = enrolled(hub)
    device.push(apps_for(device, 1))
    s = signed_in(hub, "op", "operator")
    fresh = s.get(f"{hub.url}/devices", timeout=10)
    assert device.tag in fresh.text and "stale" not in fresh.text.split("<tbody>")[1]
    clock.advance(days=2)
    s = signed_in(hub, "op2", "operator")
    stale = s.get(f"{hub.url}/devices", timeout=10)
    assert "kind-returned stale" in stale.text


def test_statistics_page_and_csv_under_the_session(hub):
    pushed_application(hub)
    s = signed_in(hub, "op", "operator")
    page = s.get(f"{hub.url}/stats", params={"by": "unit"}, timeout=10)
    assert page.status_code == 200 and UNIT in page.text
    csv = s.get(f"{hub.url}/stats.csv", params={"by": "unit"}, timeout=10)
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert csv.text.startswith("\ufeff单位,名称,已接收") and UNIT in csv.text  # the reader's words
    assert requests.get(f"{hub.url}/stats.csv", timeout=10).url.endswith("/signin?next=/stats.csv")


def test_language_toggle_switches_to_english_and_back(hub):
    s = signed_in(hub, "op", "operator")
    page = s.get(f"{hub.url}/dashboard", timeout=10)
    assert "仪表盘" in page.text
    english = s.post(
        f"{hub.url}/lang",
        data={"lang": "en", "next": "/dashboard", "csrf_token": token(page)},
        timeout=10,
    )
    assert english.url.endswith("/dashboard") and "Dashboard" in english.text
    assert 'lang="en"' in english.text
    back = s.post(f"{hub.url}/lang", data={"lang": "zh", "csrf_token": token(english)}, timeout=10)
    assert "仪表盘" in back.text


@pytest.mark.parametrize(
    ("raw", "version"), [(None, None), ("3", 3), ("²", -1), ("9" * 5000, -1), ("x", -1)]
)
def test_the_version_a_form_was_drawn_for(raw, version):
    """Digits Python's isdigit takes but int refuses (superscripts, over 4,300 of them) are a
    stale form, not a crash."""
    from hub.web.views import form_version

    assert form_version(raw) == version
