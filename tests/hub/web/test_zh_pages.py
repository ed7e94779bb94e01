"""No raw English or codes on the hub's Chinese pages (issue 16).

A served hub with real traffic (an enrolled outlet agent pushing applications, taken through
triage, acceptance, a supplement, refusal, approval, results for pickup and by mail, carrier
events, a hand-over, a bad rating and its follow-up, the sweep's alarms); then every page an
officer and an operator open, in Chinese: their visible text (no tags, scripts, styles or
attribute values but what a screen reader or a tooltip says: aria-label, title, placeholder,
alt; no text marked ``lang="en"`` or set as code) holds no ASCII word of three
letters or more but the data the allowlist names by shape, and no ASCII ':' '(' ')' ','
beside a Chinese character (Chinese text takes ：（），).
"""

from __future__ import annotations

import dataclasses
import random
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import msgspec
import pytest
import requests

from hub import store
from hub.carriers import new_secret
from hub.demo import simcarrier
from hub.setup import publish_catalogue
from hub.store import write
from hub.sweep import run_sweep
from sync.records import ApplicationAmend, MaterialProvided, PickupConfirm, RatingCreate
from tests import factories
from tests.hub.test_e2e_sync import CAT, act, apps_for, enrolled
from tests.hub.web.test_pages import post_form, signed_in, token

SECRET = new_secret()
UNIT = "HRSS-510107"

# The ASCII the Chinese pages may show: data, each by its exact shape.
ALLOWED = [
    re.compile(p)
    for p in (
        r"[A-Z0-9]{4}-\d{8}-\d{4,}",  # receipt numbers: device tag, date, sequence
        r"[A-Z]{2}\d{9}[A-Z]{2}",  # S10 tracking numbers (EA123456785CN)
        r"[A-Z]{2,6}-\d{6}",  # department unit codes (HRSS-510107), shown as codes
        r"HRSS",  # the department's code, in the statistics' code column
        r"[A-Z]{2}-[A-Z]+-\d{2}",  # outlet codes (PO-WUHOU-01)
        r"EMS",  # the carrier's code and name (中国邮政EMS)
        r"(?:clerk|runner)-\d{2,4}",  # the outlet's staff codes: the hub has no names for them
        r"wang|zhang|zhao",  # user names the operator typed
        r"Daiban|CSV|XLSX|xlsx|Excel|QR|HTTPS|English",  # the product, formats, the language switch
    )
]
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@/-]*")
WORD = re.compile(r"[A-Za-z]{3,}")
CJK = r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]"
ASCII_PUNCT_IN_CHINESE = re.compile(rf"{CJK}\s*[:(),]|[:(),]\s*{CJK}")


class Visible(HTMLParser):
    """The text a reader sees: no script, style or template, no attribute values, nothing
    marked as English (``lang="en"``) or as code (``code``, ``pre``, ``kbd``, ``samp``)."""

    SKIP = frozenset({"script", "style", "template", "code", "pre", "kbd", "samp"})
    SAID = frozenset({"aria-label", "title", "placeholder", "alt"})
    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col", "area"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: whether it hides its text
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            self.parts.append(" ")
            return
        hides = tag in self.SKIP or (tag != "html" and dict(attrs).get("lang") == "en")
        self.stack.append(hides or (bool(self.stack) and self.stack[-1]))
        self.parts.append(" ")
        if not self.stack[-1]:  # what a screen reader or a tooltip says is read too
            self.parts += [f" {v} " for k, v in attrs if k in self.SAID and v]

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts))


def problems(text: str) -> list[str]:
    found = []
    for word in TOKEN.findall(text):
        if WORD.search(word) and not any(p.fullmatch(word) for p in ALLOWED):
            found.append(word)
    for hit in ASCII_PUNCT_IN_CHINESE.finditer(text):
        start = max(hit.start() - 8, 0)
        found.append(f"punctuation: …{text[start : hit.end() + 8]}…")
    return found


def test_the_checks_catch_what_they_are_for():
    assert problems("HRSS-510107 due 2026-12-03 result sent to the outlet for pickup") == [
        "due",
        "result",
        "sent",
        "the",
        "outlet",
        "for",
        "pickup",
    ]
    assert problems("wuhou-hrss(officer) router") == ["wuhou-hrss", "officer", "router"]
    assert problems("wang（部门经办人）EA123456785CN HRSS-510107 PO-WUHOU-01 中国邮政EMS") == []
    assert problems("王芳(部门经办人)") and problems("领取人:本人") and problems("材料, 照片")
    shown = visible_text(
        '<p class="wide" title="标题">中文<script>var x = "code"</script>'
        '<code>SS-CARD-APPLY</code><span lang="en">details</span><b>Oops</b>'
        '<button aria-label="Open it">打开</button></p>'
    )
    assert problems(shown) == ["Oops", "Open"]


# --- the traffic ------------------------------------------------------------------------------


def api_session(hub, name: str, role: str, unit: str | None = None) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {hub.user(name, role, unit)}"
    return s


def ok(response: requests.Response) -> dict:
    assert response.status_code in (200, 201), response.text[:500]
    return response.json()


def record_id(seed: int, ms: int) -> str:
    return factories.record_id(random.Random(5000 + seed), ms)


def no_unit_for_household_registration(hub) -> None:
    """A catalogue where household registration has no city-wide unit (so Shenzhen's goes to
    triage), as in tests/hub/test_e2e_sync.py."""
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
    db = hub.db()
    with write(db):
        publish_catalogue(
            db,
            dataclasses.replace(CAT, departments=departments, items=items),
            now=hub.clock(),
            by="t",
        )
        store.shipments.add_carrier(
            db, code="EMS", name="中国邮政EMS", secret=SECRET, now=hub.clock()
        )
    db.close()


@pytest.fixture
def traffic(hub):
    """Applications in every state, by real pushes and the API; the page users signed in."""
    no_unit_for_household_registration(hub)
    device = enrolled(hub)
    officer_api = api_session(hub, "zhang", "officer", UNIT)
    operator_api = api_session(hub, "zhao", "operator")
    mail = apps_for(device, 4, mail=True, seed=1)
    assert {r.status for r in device.push(mail).results} == {"accepted"}
    pickup = apps_for(device, 4, mail=False, seed=2)
    assert {r.status for r in device.push(pickup).results} == {"accepted"}
    far = apps_for(device, 1, item="HJ-RES-PERMIT", region="440305", seed=3)
    assert {r.status for r in device.push(far).results} == {"accepted"}
    apps = {
        "triage": far[0].id,
        "routed": pickup[3].id,
        "accepted": pickup[2].id,
        "supplement_requested": pickup[1].id,
        "rejected": mail[3].id,
        "result_issued": mail[0].id,
        "mailed": mail[1].id,
        "delivered_mail": mail[2].id,
        "delivered_pickup": pickup[0].id,
    }
    for key in ("accepted", "supplement_requested", "delivered_pickup"):
        ok(act(hub, officer_api, apps[key], "accept"))
    asked = act(
        hub,
        officer_api,
        apps["supplement_requested"],
        "request_supplement",
        materials=["PHOTO"],
        message="请补交近期免冠照片",
    )
    version = ok(asked)["application"]["version"]
    ok(
        act(
            hub,
            officer_api,
            apps["rejected"],
            "refuse",
            reason="other",
            note="申请人不在本市参保，请到参保地办理",
        )
    )
    # The pickup one: asked for a supplement, supplied, approved, handed over, rated badly.
    target = apps["delivered_pickup"]
    v = ok(act(hub, officer_api, target, "request_supplement", materials=["PHOTO"]))
    amend = ApplicationAmend(
        id=record_id(1, hub.clock()),
        application=target,
        base_version=v["application"]["version"],
        reason="supplement",
        staff="clerk-01",
        captured_at=hub.clock(),
        materials=(MaterialProvided(code="PHOTO"),),
    )
    assert device.push([amend]).results[0].status == "accepted"
    for action in ("approve", "issue_result"):
        ok(act(hub, officer_api, target, action))
    handed = PickupConfirm(
        id=record_id(2, hub.clock()),
        application=target,
        staff="clerk-01",
        at=hub.clock(),
        collector="applicant",
        id_checked=True,
    )
    rated = RatingCreate(
        id=record_id(3, hub.clock()),
        application=target,
        staff="clerk-01",
        at=hub.clock(),
        level="very_dissatisfied",
        comment="等了太久",
    )
    assert [r.status for r in device.push([handed, rated]).results] == ["accepted"] * 2
    # The mailed ones: decided and issued; one posted, one delivered by the carrier.
    for key in ("result_issued", "mailed", "delivered_mail"):
        for action in ("accept", "approve", "issue_result"):
            ok(act(hub, officer_api, apps[key], action))
    ok(
        officer_api.post(
            f"{hub.url}/api/v1/applications/{apps['mailed']}/shipment",
            json={"carrier": "EMS", "tracking": "EA123456785CN"},
            timeout=10,
        )
    )
    ok(
        officer_api.post(
            f"{hub.url}/api/v1/applications/{apps['delivered_mail']}/shipment",
            json={"carrier": "EMS", "tracking": "RR473124829CN"},
            timeout=10,
        )
    )
    hub.clock.advance(days=2)
    end = datetime.fromtimestamp(hub.clock() / 1000, UTC)
    events = simcarrier.sequence("RR473124829CN", "delivered", end=end)
    assert {a["status"] for a in simcarrier.push(hub.url, "EMS", SECRET, events)} == {200}
    hub.clock.advance(days=2)
    run_sweep(hub.app)  # the mailed one is quiet for 4 days; 2027's holidays are not loaded
    alarms = ok(operator_api.get(f"{hub.url}/api/v1/alarms", timeout=10))["alarms"]
    assert {"shipments.stale", "calendar.2027"} <= {a["key"] for a in alarms}
    officer = signed_in(hub, "wang", "officer", UNIT)
    operator = signed_in(hub, "li", "operator")
    # The follow-up resolved from the page, by the operator.
    followups = ok(operator_api.get(f"{hub.url}/api/v1/followups", timeout=10))["followups"]
    page = f"/applications/{target}"
    done = post_form(
        operator,
        hub,
        f"/followups/{followups[0]['id']}/resolve",
        {"note": "电话回访，已致歉并说明原因"},
        page=page,
    )
    assert done.status_code == 200, done.text[:500]
    del version
    return {"apps": apps, "officer": officer, "operator": operator}


def zh_page(session: requests.Session, url: str, status: int = 200) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == status, (url, page.status_code)
    assert '<html lang="zh' in page.text, url
    return page.text


def test_no_raw_english_or_codes_on_the_officers_and_operators_pages(hub, traffic):
    apps, officer, operator = traffic["apps"], traffic["officer"], traffic["operator"]
    pages: list[tuple[str, requests.Session, str]] = []
    for name, session in (("officer", officer), ("operator", operator)):
        pages += [
            (name, session, "/queue"),
            (name, session, "/queue?status=accepted"),
            (name, session, "/queue?sla_state=overdue"),
        ]
    for key, app_id in apps.items():
        who = operator if key == "triage" else officer
        pages.append(("operator", operator, f"/applications/{app_id}"))
        if who is officer:
            pages.append(("officer", officer, f"/applications/{app_id}"))
    pages += [("operator", operator, "/devices")]
    db = hub.db()
    device_ids = [d["id"] for d in db.query("SELECT id FROM devices")]
    db.close()
    pages += [("operator", operator, f"/devices/{d}/revoke") for d in device_ids]
    found: dict[str, list[str]] = {}
    for name, session, path in pages:
        text = visible_text(zh_page(session, f"{hub.url}{path}"))
        if problems(text):
            found[f"{name} {path}"] = sorted(set(problems(text)))
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_a_refused_form_says_why_in_chinese(hub, traffic):
    operator, app_id = traffic["operator"], traffic["apps"]["result_issued"]
    page = f"/applications/{app_id}"
    bad = post_form(
        operator,
        hub,
        f"{page}/shipment",
        {"carrier": "EMS", "tracking": "EA123456784CN"},
        page=page,
    )
    assert bad.status_code == 400
    text = visible_text(bad.text)
    assert "邮件号" in text and "check digit" not in bad.text
    assert problems(text) == []
    # Refused by the hub's rules (not the form's checks): the words for its code.
    taken = post_form(
        operator,
        hub,
        f"{page}/shipment",
        {"carrier": "EMS", "tracking": "EA123456785CN"},  # the mailed one's
        page=page,
    )
    assert taken.status_code == 400
    text = visible_text(taken.text)
    assert "这个邮件号已用于另一件邮件。" in text and "already the tracking" not in taken.text
    assert problems(text) == []


def test_the_timeline_says_who_and_what_in_chinese(hub, traffic):
    apps, officer, operator = traffic["apps"], traffic["officer"], traffic["operator"]
    picked = visible_text(zh_page(officer, f"{hub.url}/applications/{apps['delivered_pickup']}"))
    assert "zhang（部门经办人）" in picked
    assert "中心" in picked and "结果已送至网点，等待领取" in picked
    assert "申请人本人领取" in picked and "非常不满意" in picked
    assert "li（中心运营人员）" in picked  # who resolved the follow-up
    assert "PO-WUHOU-01 代办点 · clerk-01" in picked
    assert "材料：近期免冠白底证件照" in picked  # the material asked for, by its name
    routed = visible_text(zh_page(officer, f"{hub.url}/applications/{apps['routed']}"))
    assert "自动分派" in routed and "router" not in routed
    triage = visible_text(zh_page(operator, f"{hub.url}/applications/{apps['triage']}"))
    assert "待人工分派" in triage and "no unit handles" not in triage
    mailed = visible_text(zh_page(officer, f"{hub.url}/applications/{apps['delivered_mail']}"))
    assert "中国邮政EMS，邮件号RR473124829CN" in mailed


def test_the_dashboard_statistics_and_error_pages(hub, traffic):
    """The operator's dashboard (with its alarms), the statistics and their charts, and the
    error page shared with the outlet's (webbase/error.html)."""
    found = {}
    for path, status in (("/dashboard", 200), ("/stats", 200), ("/no-such-page", 404)):
        text = visible_text(zh_page(traffic["operator"], f"{hub.url}{path}", status))
        found[path] = sorted(set(problems(text)))
    assert found == {"/dashboard": [], "/stats": [], "/no-such-page": []}


def test_in_english_the_hubs_own_notes_and_actors_read_in_english(hub, traffic):
    apps, officer, operator = traffic["apps"], traffic["officer"], traffic["operator"]
    for s in (officer, operator):
        page = s.get(f"{hub.url}/queue", timeout=10)
        s.post(f"{hub.url}/lang", data={"lang": "en", "csrf_token": token(page)}, timeout=10)
    picked = visible_text(officer.get(f"{hub.url}/applications/{apps['delivered_pickup']}").text)
    assert "zhang (officer)" in picked and "Result sent to the outlet for pickup" in picked
    assert "Collected by the applicant" in picked and "Very dissatisfied" in picked
    routed = visible_text(officer.get(f"{hub.url}/applications/{apps['routed']}").text)
    assert "Automatic routing" in routed
    triage = visible_text(operator.get(f"{hub.url}/applications/{apps['triage']}").text)
    assert "No department unit handles" in triage and "440305" in triage
    mailed = visible_text(officer.get(f"{hub.url}/applications/{apps['delivered_mail']}").text)
    assert "中国邮政EMS, tracking number RR473124829CN" in mailed


def test_notes_older_hubs_wrote_in_english_are_worded_again(hub, traffic):
    """A hub upgraded with timelines written before: their notes read in Chinese too."""
    app_id = traffic["apps"]["routed"]
    db = hub.db()
    with write(db):
        for note in ("result sent to the outlet for pickup", "collected by proxy"):
            store.applications.add_event(
                db,
                application=app_id,
                at=hub.clock(),
                actor="hub",
                action="to_outlet",
                from_status=None,
                to_status=None,
                note=note,
            )
    db.close()
    text = visible_text(zh_page(traffic["officer"], f"{hub.url}/applications/{app_id}"))
    assert "结果已送至网点，等待领取" in text and "代领人领取" in text
    assert problems(text) == []
