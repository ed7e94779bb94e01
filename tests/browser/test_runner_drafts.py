"""What the runner photographed is never dropped unseen, in a real browser against a real hub.

A supplement gathered on the phone outlives the request it was for: the outlet's laptop
hands the supplement in first, and the phone keeps the photo it took, says so, and lists it
with the department's next request (and in "needs attention" meanwhile), when it goes up with
the new one, though alone it does not answer a request. A photo taken in another tab of the
same draft stops the save and is shown; a supplement recorded is not recorded twice; one the
runner throws away goes only when asked twice. A photo taken for a material then switched to
"promised" stops the save; a photo still being sealed when "save" is tapped is part of the
application saved.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from sync import records as r
from sync.ids import uuid7
from tests.browser import test_runner as story
from tests.browser.conftest import SHOTS
from tests.browser.runner_support import noisy_photo, photo_file
from tests.browser.test_runner import (
    DRAFTS,
    OUTLET,
    PIN,
    Phone,
    PhoneCamera,
    fill_applicant,
    finish,
    hub_rows,
    officer,
    open_form,
    sync_now,
)
from tests.support.device import Device
from tests.support.served import ServedHub

hub = story.hub  # the runner story's hub fixture: one township outlet, the real clock


def enrol(phone: Phone, hub: ServedHub) -> None:
    page = phone.page
    page.fill("#f-code", hub.enrolment_code(OUTLET))
    page.get_by_test_id("enrol").click()
    page.wait_for_selector("[data-testid=setup-form]")
    page.fill("#f-name", "王代办")
    page.fill("#f-pin", PIN)
    page.fill("#f-pin2", PIN)
    page.click("[data-testid=setup-form] button")
    page.wait_for_selector("[data-testid=new]")


def scans(hub: ServedHub, app_id: str) -> dict[str, int]:
    rows = hub_rows(
        hub,
        f"SELECT material, COUNT(*) FROM scans WHERE application = '{app_id}' GROUP BY material",
    )
    return {str(material): int(n) for material, n in rows}


def status(hub: ServedHub, app_id: str) -> tuple[str, int]:
    [(state, version)] = hub_rows(
        hub, f"SELECT status, version FROM applications WHERE id = '{app_id}'"
    )
    return str(state), int(version)


def ask(api: Any, hub: ServedHub, app_id: str, materials: list[str]) -> None:
    act = f"{hub.url}/api/v1/applications/{app_id}/actions"
    asked = {"action": "request_supplement", "materials": materials, "message": "请补交材料"}
    assert api.post(act, json=asked, timeout=10).ok


def open_app(phone: Phone, app_id: str, state: str) -> Any:
    page = phone.page
    page.goto(f"{phone.url}/runner/#/app/{app_id}")
    expect(page.get_by_test_id("hub-status")).to_have_attribute("data-state", state)
    return page


def laptop_hands_in(hub: ServedHub, app_id: str) -> None:
    """The outlet's laptop (another device of the same outlet) hands the supplement in, seen
    on paper, before the phone does."""
    laptop = Device(hub.url, hub.clock)
    assert "device_id" in laptop.enroll(hub.enrolment_code(OUTLET))
    _, version = status(hub, app_id)
    amend = r.ApplicationAmend(
        id=uuid7(hub.clock(), secrets.token_bytes(10)),
        application=app_id,
        base_version=version,
        reason="supplement",
        staff="clerk-01",
        captured_at=hub.clock(),
        materials=(r.MaterialProvided(code="PHOTO"),),
        note="在柜台补交",
    )
    ack = laptop.push([amend])
    assert [res.status for res in ack.results] == ["accepted"], ack


def second_tab(phone: Phone, url: str, ready: str) -> Any:
    """Another tab of the same phone at ``url``, signed in (each tab signs in), once
    ``ready`` (a selector) shows."""
    other = phone.context.new_page()
    other.goto(url)
    other.wait_for_selector(f"[data-testid=signin-form], {ready}")
    if other.locator("[data-testid=signin-form]").count():
        other.fill("#f-pin", PIN)
        other.click("[data-testid=signin-form] button")
        other.wait_for_selector("[data-testid=new]")
        other.goto(url)
    other.wait_for_selector(ready)
    return other


def test_a_supplement_is_never_dropped_unseen(
    chromium: Any, hub: ServedHub, tmp_path: Path
) -> None:
    camera = PhoneCamera(SHOTS / "runner-drafts")
    phone = Phone(chromium, tmp_path / "phone-profile", hub.url)
    page = phone.page = phone.open()
    try:
        enrol(phone, hub)
        open_form(phone)
        fill_applicant(phone, 0, tmp_path)
        finish(phone, 0)
        sync_now(page)
        [(app_id,)] = hub_rows(hub, "SELECT id FROM applications")
        api = officer(hub)
        assert api.post(
            f"{hub.url}/api/v1/applications/{app_id}/actions", json={"action": "accept"}, timeout=10
        ).ok
        ask(api, hub, app_id, ["PHOTO"])
        sync_now(page)

        # The runner takes the photo and a note, and does not send them yet.
        open_app(phone, app_id, "supplement_requested")
        page.set_input_files("#file-PHOTO", str(photo_file(tmp_path, "photo.png", 21)))
        expect(page.get_by_test_id("photo-count-PHOTO")).to_contain_text("1")
        page.fill("#f-note", "证件照已补拍")
        expect(page.get_by_test_id("supplement-form")).to_have_attribute("data-draft", "saved")

        # The laptop hands it in first: the phone keeps its photo, and says so.
        laptop_hands_in(hub, app_id)
        sync_now(page)
        open_app(phone, app_id, "accepted")
        leftover = page.get_by_test_id("supplement-leftover")
        expect(leftover).to_contain_text("1 张照片")
        expect(leftover).to_contain_text("已受理")
        expect(leftover.get_by_test_id("photos-PHOTO").locator("figure")).to_have_count(1)
        expect(page.get_by_test_id("supplement-form")).to_have_count(0)
        leftover.scroll_into_view_if_needed()
        camera.shoot(phone, "supplement-leftover")
        assert page.evaluate(DRAFTS) == [1, 1]
        page.goto(f"{phone.url}/runner/#/attention")  # and it is never out of sight
        expect(
            page.locator("[data-testid=attention] li[data-kind=supplement_kept]")
        ).to_contain_text("1 张照片")

        # The department asks for another material: the kept photo is listed beside it.
        ask(api, hub, app_id, ["ID-CARD"])
        sync_now(page)
        open_app(phone, app_id, "supplement_requested")
        held = page.locator("[data-testid=supplement-form] [data-material=PHOTO]")
        expect(held).to_contain_text("本次未要求")
        expect(held.get_by_test_id("photo-count-PHOTO")).to_contain_text("1")
        expect(page.locator("#f-note")).to_have_value("证件照已补拍")
        # The kept photo goes along, but alone it does not answer what is asked now.
        page.get_by_test_id("send-supplement").click()
        expect(page.locator("[data-testid=supplement-form] p.error").first).to_contain_text(
            "请为至少一项材料拍照"
        )

        # A photo of the ID card taken in another tab of the same phone: the first tab's
        # save does not drop it, it stops and shows it.
        other = second_tab(
            phone, f"{phone.url}/runner/#/app/{app_id}", "[data-testid=supplement-form]"
        )
        other.set_input_files("#file-ID-CARD", str(photo_file(tmp_path, "id-again.png", 22)))
        expect(other.get_by_test_id("photo-count-ID-CARD")).to_contain_text("1")
        page.check("input[name=paper-ID-CARD]")
        page.get_by_test_id("send-supplement").click()
        expect(page.locator("[data-testid=supplement-form] p.error")).to_contain_text(
            "表单上没显示的照片"
        )
        expect(page.get_by_test_id("photo-count-ID-CARD")).to_contain_text("1")
        page.get_by_test_id("send-supplement").click()
        expect(page.locator(".flash-ok")).to_contain_text("已保存，等待同步")
        # Until the hub answers, the application says it is recorded: no second supplement.
        open_app(phone, app_id, "supplement_requested")
        expect(page.get_by_test_id("supplement-sent")).to_contain_text("补正已提交")
        expect(page.get_by_test_id("supplement-form")).to_have_count(0)
        # The other tab still shows the form: its send is refused, not queued a second time.
        other.check("input[name=paper-ID-CARD]")
        other.get_by_test_id("send-supplement").click()
        expect(other.locator("#error-summary")).to_contain_text("已经录入过")
        expect(other.get_by_test_id("supplement-sent")).to_be_visible()
        other.close()
        sync_now(page)
        open_app(phone, app_id, "accepted")
        assert scans(hub, app_id) == {"ID-CARD": 2, "PHOTO": 1}
        assert hub_rows(hub, f"SELECT missing_scans FROM applications WHERE id = '{app_id}'") == [
            (0,)
        ]
        assert page.evaluate(DRAFTS) == [0, 0]
        expect(page.get_by_test_id("supplement-leftover")).to_have_count(0)

        # Thrown away only when asked twice.
        ask(api, hub, app_id, ["PHOTO"])
        sync_now(page)
        open_app(phone, app_id, "supplement_requested")
        page.set_input_files("#file-PHOTO", str(photo_file(tmp_path, "photo-2.png", 23)))
        expect(page.get_by_test_id("photo-count-PHOTO")).to_contain_text("1")
        page.get_by_test_id("discard-supplement").click()
        box = page.get_by_test_id("discard-supplement-box")
        expect(box).to_contain_text("1 张照片")
        box.get_by_role("button", name="保留").click()
        expect(box).to_be_hidden()
        assert page.evaluate(DRAFTS) == [1, 1]
        page.get_by_test_id("discard-supplement").click()
        page.get_by_test_id("discard-supplement-confirm").click()
        expect(page.locator(".flash-ok")).to_contain_text("已删除")
        expect(page.get_by_test_id("photo-count-PHOTO")).to_have_text("")
        assert page.evaluate(DRAFTS) == [0, 0]
        page.check("input[name=paper-PHOTO]")
        page.get_by_test_id("send-supplement").click()
        expect(page.locator(".flash-ok")).to_contain_text("已保存，等待同步")
        sync_now(page)
        assert status(hub, app_id)[0] == "accepted"
        assert scans(hub, app_id) == {"ID-CARD": 2, "PHOTO": 1}
        assert not phone.errors, phone.errors
    finally:
        phone.close()


def test_a_photo_still_being_sealed_is_saved_with_the_form(
    chromium: Any, hub: ServedHub, tmp_path: Path
) -> None:
    phone = Phone(chromium, tmp_path / "phone-profile", hub.url)
    page = phone.page = phone.open()
    try:
        enrol(phone, hub)
        open_form(phone)
        fill_applicant(phone, 0, tmp_path)
        page.check("input[name=delivery][value=pickup]")
        # A photo taken, then "promised later" chosen for the material: not saved as it is.
        page.set_input_files("#file-PHOTO", str(photo_file(tmp_path, "photo.png", 31)))
        expect(page.get_by_test_id("photo-count-PHOTO")).to_contain_text("1")
        page.check("input[name='m-PHOTO'][value=promise]")
        page.get_by_test_id("save").click()
        expect(page.locator("#f-material-PHOTO")).to_contain_text("没有选“拍照”")
        page.get_by_test_id("photos-PHOTO").get_by_role("button", name="删除这张照片").click()
        expect(page.get_by_test_id("photo-count-PHOTO")).to_have_text("")
        # A second, larger picture of the ID card, and "save" tapped at once while it is
        # still being read and sealed.
        page.set_input_files("#file-ID-CARD", str(noisy_photo(tmp_path, "id-back.png", 5)))
        page.get_by_test_id("save").click()
        page.wait_for_selector("[data-testid=receipt]")
        sync_now(page)
        [(app_id, materials)] = hub_rows(hub, "SELECT id, materials FROM applications")
        by_code = {m["code"]: m["scans"] for m in json.loads(materials)}
        assert len(by_code["ID-CARD"]) == 2, by_code
        assert scans(hub, app_id) == {"ID-CARD": 2}
        assert page.evaluate(DRAFTS) == [0, 0]
        assert not phone.errors, phone.errors
    finally:
        phone.close()


def test_a_form_saved_in_another_tab_is_not_brought_back(
    chromium: Any, hub: ServedHub, tmp_path: Path
) -> None:
    """The same form open in two tabs: one saves it; a keystroke in the other does not bring
    the saved application back as a draft that could never be saved: that tab shows the
    receipt and says so. And photos of a material the item no longer lists (the catalogue
    changed under a draft) are shown apart and stop the save until the runner removes them."""
    phone = Phone(chromium, tmp_path / "phone-profile", hub.url)
    page = phone.page = phone.open()
    try:
        enrol(phone, hub)
        open_form(phone)
        fill_applicant(phone, 0, tmp_path)
        page.check("input[name='m-PHOTO'][value=promise]")
        page.check("input[name=delivery][value=pickup]")
        other = second_tab(phone, page.url, "[data-testid=capture-form]")
        expect(other.locator("#f-name")).to_have_value("张三")
        page.get_by_test_id("save").click()
        page.wait_for_selector("[data-testid=receipt]")
        other.fill("#f-note", "补一句")
        other.wait_for_selector("[data-testid=receipt]")
        expect(other.locator(".flash-ok")).to_contain_text("已经保存过了")
        other.close()
        assert page.evaluate(DRAFTS) == [0, 0]

        # A draft whose photo's material left the item.
        open_form(phone)
        fill_applicant(phone, 1, tmp_path)
        page.evaluate(RELABEL_PHOTO)
        page.reload()
        page.wait_for_selector("[data-testid=capture-form]")
        orphans = page.get_by_test_id("orphan-photos")
        expect(orphans).to_contain_text("OLD-FORM")
        page.check("input[name='m-ID-CARD'][value=paper]")
        page.check("input[name='m-PHOTO'][value=promise]")
        page.check("input[name=delivery][value=pickup]")
        page.get_by_test_id("save").click()
        expect(page.locator("#error-summary")).to_contain_text("不再要求的材料")
        assert page.evaluate(DRAFTS) == [1, 1]  # nothing saved, nothing dropped
        page.get_by_test_id("orphan-photos").get_by_role("button", name="删除这张照片").click()
        page.get_by_test_id("save").click()
        page.wait_for_selector("[data-testid=receipt]")
        assert page.evaluate(DRAFTS) == [0, 0]
        assert not phone.errors, phone.errors
    finally:
        phone.close()


# The draft's one photo relabelled to a material no item lists (as a catalogue change would).
RELABEL_PHOTO = """async () => {
  const db = await new Promise(r => { const q = indexedDB.open('daiban-runner');
    q.onsuccess = () => r(q.result); });
  await new Promise((resolve, reject) => {
    const t = db.transaction('draft_photos', 'readwrite');
    const store = t.objectStore('draft_photos');
    const all = store.getAll();
    all.onsuccess = () => {
      for (const p of all.result) store.put({ ...p, material: 'OLD-FORM' });
    };
    t.oncomplete = resolve; t.onerror = reject;
  });
  db.close();
}"""
