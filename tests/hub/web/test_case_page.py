"""The officer's case page at the hub (issue 16): the usual action is the primary button and
the rare ones come after it; a refusal needs a reason and a ticked confirmation; the materials
are listed by name, each scan opens (with a reason, audited) once it reached the hub, and what
was checked on paper says so instead of "(0)".

A real hub served on loopback, and for the scans a real agent that captures, seals and uploads.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.agent.conftest import Agent
from tests.hub.test_scans import JPEG, OTHER_UNIT, PNG, UNIT, audit, capture, sync
from tests.hub.web.test_pages import post_form, pushed_application, signed_in, token

PRIMARY = re.compile(r'<button name="action" value="([a-z_]+)" class="primary"')
BUTTONS = re.compile(r'<button name="action" value="([a-z_]+)"')
REASON = "核对身份证与申请人一致"


def status_of(hub, app_id: str) -> str:
    db = hub.db()
    try:
        [row] = db.query("SELECT status FROM applications WHERE id = ?", [app_id])
        return str(row["status"])
    finally:
        db.close()


def events(hub, app_id: str) -> list[dict[str, Any]]:
    db = hub.db()
    try:
        return list(db.query("SELECT * FROM events WHERE application = ? ORDER BY id", [app_id]))
    finally:
        db.close()


# --- the usual action first ----------------------------------------------------------------------


def test_the_primary_button_is_the_usual_action_accept_then_approve(hub):
    app = pushed_application(hub)
    s = signed_in(hub, "officer", "officer", UNIT)
    path = f"/applications/{app.id}"
    routed = s.get(f"{hub.url}{path}", timeout=10).text
    assert PRIMARY.findall(routed) == ["accept"]
    assert BUTTONS.findall(routed) == ["accept", "return_to_triage", "refuse"]
    assert routed.index(">受理<") < routed.index(">非本单位事项：退回分派<")
    # The refusal is in its own form, after the usual one, and not a primary button.
    assert 'data-testid="refusal-refuse"' in routed and 'class="danger"' in routed

    accepted = post_form(s, hub, f"{path}/act", {"action": "accept"}, page=path)
    assert accepted.status_code == 200 and status_of(hub, app.id) == "accepted"
    assert PRIMARY.findall(accepted.text) == ["approve"]
    assert BUTTONS.findall(accepted.text) == ["approve", "request_supplement", "reject"]
    assert accepted.text.index(">准予办理<") < accepted.text.index(">要求补正<")


def test_an_operator_whose_only_action_is_a_rare_one_gets_no_primary_button(hub):
    app = pushed_application(hub)
    op = signed_in(hub, "op", "operator")
    page = op.get(f"{hub.url}/applications/{app.id}", timeout=10).text
    assert BUTTONS.findall(page) == ["return_to_triage"] and PRIMARY.findall(page) == []


# --- refusals: a reason and a confirmation -------------------------------------------------------


def test_refusing_needs_a_reason_and_a_ticked_confirmation(hub):
    app = pushed_application(hub)
    s = signed_in(hub, "officer", "officer", UNIT)
    path = f"/applications/{app.id}"
    page = s.get(f"{hub.url}{path}", timeout=10).text
    form = page.split('data-testid="refusal-refuse"')[1].split("</details>")[0]
    # The reasons a refusal to accept may give (sync.refusals), in Chinese, and the box to tick.
    assert 'value="not_in_remit"' in form and "不属于本部门职责范围" in form
    assert 'value="other"' in form and 'value="materials_incomplete"' not in form
    assert "我已核实，确认不予受理" in form and 'type="checkbox" name="confirm"' in form

    bare = post_form(s, hub, f"{path}/act", {"action": "refuse"}, page=path)
    assert bare.status_code == 400 and status_of(hub, app.id) == "routed"
    refusal = bare.text.split('data-testid="refusal-refuse"')[1].split("</details>")[0]
    assert '<details class="subform" open data-testid="refusal-refuse">' in bare.text  # marked
    assert "请选择原因" in refusal and "请勾选确认" in refusal
    assert 'id="err-note"' not in bare.text  # the main form's note is not marked

    unticked = {"action": "refuse", "reason": "not_eligible", "note": "年龄不符"}
    unconfirmed = post_form(s, hub, f"{path}/act", unticked, page=path)
    assert unconfirmed.status_code == 400 and status_of(hub, app.id) == "routed"
    assert "请勾选确认" in unconfirmed.text and "请选择原因" not in unconfirmed.text
    assert 'value="not_eligible" required checked' in unconfirmed.text  # the choice is kept
    assert "年龄不符" in unconfirmed.text

    other = {"action": "refuse", "reason": "other", "note": "无", "confirm": "y"}
    vague = post_form(s, hub, f"{path}/act", other, page=path)
    assert vague.status_code == 400 and "至少 4 个字" in vague.text
    wrong = {"action": "refuse", "reason": "materials_incomplete", "confirm": "y"}
    assert post_form(s, hub, f"{path}/act", wrong, page=path).status_code == 400
    assert status_of(hub, app.id) == "routed"

    done = post_form(s, hub, f"{path}/act", {**unticked, "confirm": "y"}, page=path)
    assert done.status_code == 200 and status_of(hub, app.id) == "rejected"
    assert "申请人不符合申请条件：年龄不符" in done.text  # in the timeline, as the outlet is told
    last = events(hub, app.id)[-1]
    assert (last["action"], last["note"]) == ("refuse", "申请人不符合申请条件：年龄不符")


def test_rejecting_after_acceptance_needs_them_too(hub):
    app = pushed_application(hub)
    s = signed_in(hub, "officer", "officer", UNIT)
    path = f"/applications/{app.id}"
    post_form(s, hub, f"{path}/act", {"action": "accept"}, page=path)
    page = s.get(f"{hub.url}{path}", timeout=10).text
    form = page.split('data-testid="refusal-reject"')[1].split("</details>")[0]
    assert "我已核实，确认不予办理" in form and 'value="materials_incomplete"' in form
    assert 'value="not_in_remit"' not in form
    bare = post_form(s, hub, f"{path}/act", {"action": "reject", "note": "不行"}, page=path)
    assert bare.status_code == 400 and status_of(hub, app.id) == "accepted"
    sent = {"action": "reject", "reason": "beyond_period", "confirm": "y"}
    done = post_form(s, hub, f"{path}/act", sent, page=path)
    assert done.status_code == 200 and status_of(hub, app.id) == "rejected"
    assert events(hub, app.id)[-1]["note"] == "超出规定的申请期限"


def test_the_reasons_are_worded_in_english_on_the_english_page(hub):
    app = pushed_application(hub)
    s = signed_in(hub, "officer", "officer", UNIT)
    path = f"/applications/{app.id}"
    page = s.get(f"{hub.url}{path}", timeout=10)
    s.post(f"{hub.url}/lang", data={"lang": "en", "csrf_token": token(page)}, timeout=10)
    english = s.get(f"{hub.url}{path}", timeout=10).text
    assert "Not within this department&#39;s remit" in english
    assert "I have checked: refuse to accept this application" in english


# --- the scans -----------------------------------------------------------------------------------


@pytest.fixture
def agent(hub, tmp_path: Path) -> Agent:
    return Agent(tmp_path / "agent", hub, "PO-WUHOU-01")


@pytest.fixture
def synced(hub, agent: Agent, tmp_path: Path) -> dict[str, str]:
    """An SS-CARD-ACT application synced: the ID card's two pages uploaded, the social
    security card checked on paper."""
    made = capture(agent, tmp_path, {"front.jpg": JPEG, "back.png": PNG})
    result = sync(agent)
    assert (result.pushed, result.uploaded) == (1, 2)
    return made


def open_scan(
    s: requests.Session, hub, app_id: str, material: str = "ID-CARD", n: int | str = 1, **data
) -> requests.Response:
    path = f"/applications/{app_id}"
    sent = {"reason": REASON, **data}
    return post_form(s, hub, f"{path}/materials/{material}/{n}", sent, page=path)


def test_the_materials_are_named_each_scan_a_button_and_paper_says_so(hub, synced):
    officer = signed_in(hub, "wang", "officer", UNIT)
    page = officer.get(f"{hub.url}/applications/{synced['id']}", timeout=10).text
    materials = page.split('data-testid="materials"')[1].split("</section>")[0]
    card = materials.split('data-testid="material-ID-CARD"')[1].split("</li>")[0]
    paper = materials.split('data-testid="material-SS-CARD"')[1].split("</li>")[0]
    assert "居民身份证" in card and "ID-CARD</" not in card
    for n in (1, 2):
        assert f'formaction="/applications/{synced["id"]}/materials/ID-CARD/{n}"' in card
    assert "社会保障卡" in paper and "已核验纸质材料" in paper and "(0)" not in materials
    assert 'name="reason"' in materials and 'target="_blank"' in materials
    assert audit(hub) == []  # listing the scans opens none


def test_the_holding_officer_gets_the_scan_and_the_view_is_audited(hub, synced):
    officer = signed_in(hub, "wang", "officer", UNIT)
    front = open_scan(officer, hub, synced["id"])
    assert front.status_code == 200, front.text[:500]
    assert front.content == JPEG  # the very page the outlet photographed
    assert front.headers["Content-Type"] == "image/jpeg"
    assert front.headers["Content-Disposition"] == (
        f'inline; filename="{synced["receipt"]}-ID-CARD-1.jpg"'
    )
    assert front.headers["Cache-Control"] == "no-store"
    assert front.headers["X-Content-Type-Options"] == "nosniff"
    assert front.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    back = open_scan(officer, hub, synced["id"], n=2)
    assert (back.status_code, back.content, back.headers["Content-Type"]) == (200, PNG, "image/png")
    rows = audit(hub)
    assert [(x["user"], x["application"]) for x in rows] == [("wang", synced["id"])] * 2
    assert rows[0]["detail"].startswith("ID-CARD #1 ") and rows[0]["detail"].endswith(REASON)


def test_a_scan_without_a_reason_is_refused_on_the_page_and_opens_nothing(hub, synced):
    officer = signed_in(hub, "wang", "officer", UNIT)
    answer = open_scan(officer, hub, synced["id"], reason="  ")
    assert answer.status_code == 400 and "text/html" in answer.headers["Content-Type"]
    assert 'id="err-scan-reason"' in answer.text and "请说明查看扫描件的原因" in answer.text
    assert 'id="err-reason"' not in answer.text  # the reveal form is not marked
    assert audit(hub) == []


def test_another_units_officer_gets_404_and_nothing_is_audited(hub, synced):
    other = signed_in(hub, "li", "officer", OTHER_UNIT)
    assert open_scan(other, hub, synced["id"]).status_code == 404
    assert other.get(f"{hub.url}/applications/{synced['id']}", timeout=10).status_code == 404
    assert audit(hub) == []


@pytest.mark.parametrize(("material", "n"), [("ID-CARD", 3), ("ID-CARD", "²"), ("SS-CARD", 1)])
def test_a_scan_the_application_does_not_have_is_a_page_message(hub, synced, material, n):
    officer = signed_in(hub, "wang", "officer", UNIT)
    answer = open_scan(officer, hub, synced["id"], material, n)
    assert answer.status_code == 404 and 'data-testid="scan-error"' in answer.text
    assert "此申请没有这份扫描件" in answer.text and "Traceback" not in answer.text
    assert audit(hub) == []


def test_a_scan_still_uploading_shows_so_and_opening_it_says_why_not(
    hub, agent, tmp_path, monkeypatch
):
    import agent.syncer as syncer
    from agent.store import local

    def first_chunk_only(db, home, client, result, *, progress):
        for scan in local.scans_to_upload(db):
            data = home.scan_path(scan["sha256"]).read_bytes()
            client.upload_chunk(scan["sha256"], 0, scan["size"], data[:1000])

    made = capture(agent, tmp_path, {"front.jpg": JPEG})
    with monkeypatch.context() as cut:
        cut.setattr(syncer, "upload_scans", first_chunk_only)
        assert sync(agent).pushed == 1
    officer = signed_in(hub, "wang", "officer", UNIT)
    path = f"/applications/{made['id']}"
    page = officer.get(f"{hub.url}{path}", timeout=10).text
    card = page.split('data-testid="material-ID-CARD"')[1].split("</li>")[0]
    assert "正在上传" in card and "formaction" not in card
    answer = open_scan(officer, hub, made["id"])
    assert answer.status_code == 409 and "尚未到达中心" in answer.text
    assert "Traceback" not in answer.text and audit(hub) == []

    assert sync(agent).uploaded == 1  # the upload completes: now it opens
    page = officer.get(f"{hub.url}{path}", timeout=10).text
    assert "正在上传" not in page and f"{path}/materials/ID-CARD/1" in page
    assert open_scan(officer, hub, made["id"]).content == JPEG
    assert len(audit(hub)) == 1


def test_a_scan_that_does_not_open_for_this_application_is_a_page_message(hub, synced):
    """A record naming another application's scan: the bytes are at the hub but sealed for
    the other application, so the page says to scan it again, and opens and audits nothing."""
    import random

    import msgspec

    from sync import records as r
    from tests import factories
    from tests.hub.test_e2e_sync import CAT, enrolled

    db = hub.db()
    try:
        [row] = db.query("SELECT materials FROM applications WHERE id = ?", [synced["id"]])
    finally:
        db.close()
    stolen = json.loads(row["materials"])[0]["scans"][0]
    device = enrolled(hub, "PO-WUHOU-01")
    assert device.sealing_key is not None
    base = factories.catalogue_application(
        random.Random(7),
        device.sealing_key,
        CAT.item("SS-CARD-ACT"),
        tag=device.tag,
        seq=1,
        outlet="PO-WUHOU-01",
        ms=hub.clock(),
        scans=False,
    )
    scan = r.Scan(sha256=stolen, size=len(JPEG) + 48, media_type="image/jpeg")
    record = msgspec.structs.replace(
        base,
        materials=(
            r.MaterialProvided(code="ID-CARD", scans=(scan,)),
            r.MaterialProvided(code="SS-CARD"),
        ),
    )
    assert [x.status for x in device.push([record]).results] == ["accepted"]
    officer = signed_in(hub, "wang", "officer", UNIT)
    answer = open_scan(officer, hub, record.id)
    assert answer.status_code == 422 and "请网点重新扫描" in answer.text
    assert "Traceback" not in answer.text and audit(hub) == []
