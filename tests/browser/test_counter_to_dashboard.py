"""One application from the counter to the operator's dashboard, in a real browser.

A clerk records an application with a scan while the hub is down and sees it queued; the hub
comes up, "sync now" sends it and the status changes; an officer accepts it and asks for a
supplement; the clerk finds it under attention and supplements it; the officer issues the
result by mail; the operator sees it in transit on the dashboard; the carrier delivers it; the
clerk records the citizen's (bad) rating and the operator sees the follow-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from hub.workflow import LABELS, STATES
from tests.browser.conftest import LAPTOP, PHONE, Camera, Watched, World
from tests.support.procs import HUB_BIN, run
from tests.support.qr import read_qr

ID_NUMBER = "11010519491231002X"
TRACKING = "EA123456785CN"
ADDRESS = "四川省成都市武侯区人民南路四段1号"


def jpeg(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 80 + b"\xff\xd9")
    return path


def sync_until(tab: Watched, done: str, tries: int = 10) -> None:
    """Press "sync now" until the page shows `done` (a JS condition), or fail after `tries`.

    A background round may be running when the button is pressed; the page then says so and
    the clerk presses again, which is what this does."""
    page = tab.page
    for _ in range(tries):
        page.get_by_test_id("sync-now").click()
        page.wait_for_load_state("load")
        if page.evaluate(done):
            return
        page.wait_for_timeout(300)
    raise AssertionError(f"after {tries} syncs the page still does not show {done}")


def hub_status(page: Any) -> str:
    return page.get_by_test_id("hub-status").get_attribute("data-state")


def sign_in_hub(tab: Watched, user: dict[str, Any]) -> None:
    page = tab.page
    page.goto("/signin")
    page.fill("#f-name", user["name"])
    page.fill("#f-password", user["password"])
    page.click("form button.primary")
    page.wait_for_load_state("load")
    expect(page.locator("form[action$='/signout']")).to_have_count(1)


def officer_acts(tab: Watched, action: str, **fields: str) -> None:
    page = tab.page
    for selector, value in fields.items():
        page.fill(selector, value)
    page.click(f"button[name=action][value={action}]")
    page.wait_for_load_state("load")


# Links and buttons smaller than 24 x 24 CSS px (WCAG 2.5.8, axe's target-size rule), except
# links inside running text, which the rule exempts.
SMALL_TARGETS = """() => [...document.querySelectorAll('a, button, summary, select, input')]
  .filter(e => e.offsetParent !== null && e.type !== 'hidden')
  .filter(e => !(e.tagName === 'A' && e.closest('p, li') && !e.closest('.cards, .actions')))
  .map(e => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
  .filter(([, r]) => r.width < 24 || r.height < 24)
  .map(([text, r]) => `${text} ${Math.round(r.width)}x${Math.round(r.height)}`)"""
# On a phone a table's row is a card: each cell shows its column's name (data-label) first.
UNLABELLED_CELLS = """(selector) => [...document.querySelectorAll(selector + ' td')]
  .filter(td => getComputedStyle(td).display !== 'none')
  .filter(td => !td.dataset.label
               || getComputedStyle(td, '::before').content !== JSON.stringify(td.dataset.label))
  .map(td => td.outerHTML)"""


def phone_cards(tab: Watched, *tables: str) -> None:
    """At 360 px: the tables are labelled cards, every target is at least 24 x 24, and the
    header and navigation leave most of the first screen to the page."""
    page = tab.page
    page.set_viewport_size(PHONE)
    try:
        for table in tables:
            assert page.locator(f"{table} td").count(), table
            assert page.evaluate(UNLABELLED_CELLS, table) == [], table
        assert page.evaluate(SMALL_TARGETS) == []
        top = page.evaluate("document.querySelector('main').getBoundingClientRect().top")
        assert top < PHONE["height"] * 0.15, f"header and navigation take {top} px"
    finally:
        page.set_viewport_size(LAPTOP)


def test_counter_to_dashboard(chromium: Any, world: World, camera: Camera, tmp_path: Path) -> None:
    users = world.users
    world.agent.start()
    clerk = Watched(chromium, world.agent.url)
    page = clerk.page

    # --- the clerk signs in and records an application while the hub is down -------------
    page.goto("/signin")
    camera.shoot(clerk, "agent-signin")
    page.fill("#f-code", users["clerk"]["code"])
    page.fill("#f-pin", users["clerk"]["pin"])
    page.click("form button.primary")
    page.wait_for_load_state("load")
    camera.shoot(clerk, "agent-today")

    page.goto("/new")
    page.fill("#f-q", "shbzksl")  # pinyin initials of 社会保障卡申领, filtered in the page
    expect(page.locator("#items li:visible")).to_have_count(1)
    camera.shoot(clerk, "agent-new-pick")
    page.click("#items li:visible a.item")

    scan = jpeg(tmp_path, "id-card.jpg")
    page.fill("#f-name", "张三")
    page.fill("#f-id_number", ID_NUMBER)
    page.fill("#f-phone", "1381234")  # too short: refused, nothing stored
    page.check("input[name='m-ID-CARD'][value=scan]")
    page.set_input_files("#file-ID-CARD", str(scan))
    page.check("input[name='m-PHOTO'][value=promise]")
    page.check("input[name=delivery][value=mail]")
    page.fill("#f-mail_to", ADDRESS)
    page.click("form.capture button.primary")
    page.wait_for_load_state("load")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#f-phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-name")).to_have_value("张三")
    expect(page.locator("#f-mail_to")).to_have_value(ADDRESS)
    camera.shoot(clerk, "agent-new-invalid")

    page.fill("#f-phone", "13812345678")
    page.set_input_files("#file-ID-CARD", str(scan))  # the browser forgets chosen files
    page.click("form.capture button.primary")
    page.wait_for_load_state("load")
    receipt = page.get_by_test_id("receipt").inner_text()
    expect(page.get_by_test_id("promised")).to_contain_text("免冠")
    expect(page.locator("figure.qr svg")).to_have_count(1)
    # The citizen's phone reads it off the screen: a standard QR code holding the number.
    assert read_qr(page.locator("figure.qr svg").screenshot()) == receipt
    expect(page.get_by_test_id("backlog")).to_have_text("1")
    camera.shoot(clerk, "agent-receipt")

    page.click("a.button[href*='/applications/']")
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("sync-state")).to_have_attribute("data-state", "queued")
    page.get_by_test_id("sync-now").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "offline")
    expect(page.get_by_test_id("backlog")).to_have_text("1")  # kept, waiting
    camera.shoot(clerk, "agent-offline")

    # --- the hub comes up; sync now sends it and the status changes -----------------------
    world.hub.start()
    sync_until(clerk, "document.querySelector('[data-testid=backlog]').textContent === '0'")
    expect(page.get_by_test_id("sync-state")).to_have_attribute("data-state", "sent")
    assert hub_status(page) == "routed"
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "online")
    camera.shoot(clerk, "agent-application-routed")

    # --- the officer accepts and asks for a supplement -----------------------------------
    officer = Watched(chromium, world.hub.url)
    opage = officer.page
    opage.goto("/signin")
    camera.shoot(officer, "hub-signin")
    sign_in_hub(officer, users["wuhou-hrss"])
    opage.goto("/queue")
    camera.shoot(officer, "hub-queue")
    opage.click(f"text={receipt}")
    opage.wait_for_load_state("load")
    camera.shoot(officer, "hub-application-routed")
    officer_acts(officer, "accept")
    expect(opage.get_by_test_id("status")).to_have_text(LABELS["accepted"])
    opage.check("input[name=materials][value=PHOTO]")
    officer_acts(officer, "request_supplement", **{"#f-note": "请补交近期免冠白底证件照"})
    expect(opage.get_by_test_id("status")).to_have_text(LABELS["supplement_requested"])
    camera.shoot(officer, "hub-application-supplement")

    # --- the clerk sees it under attention and supplements -------------------------------
    sync_until(clerk, "!!document.querySelector('[data-testid=attention-count]')")
    page.goto("/attention")
    expect(page.locator("li.card.kind-supplement")).to_have_count(1)
    camera.shoot(clerk, "agent-attention")
    page.click("li.card.kind-supplement a.button")
    page.wait_for_load_state("load")
    assert hub_status(page) == "supplement_requested"
    page.set_input_files("#sfile-PHOTO", str(jpeg(tmp_path, "photo.jpg")))
    camera.shoot(clerk, "agent-supplement")
    page.click("#supplement button.primary")
    page.wait_for_load_state("load")
    sync_until(
        clerk,
        "document.querySelector('[data-testid=backlog]').textContent === '0' && "
        "document.querySelector('[data-testid=hub-status]').dataset.state === 'accepted'",
    )

    # --- the officer decides and mails the result ----------------------------------------
    opage.reload()
    expect(opage.get_by_test_id("status")).to_have_text(LABELS["accepted"])
    officer_acts(officer, "approve")
    officer_acts(officer, "issue_result", **{"#f-carrier": "EMS", "#f-tracking": TRACKING})
    expect(opage.get_by_test_id("status")).to_have_text(LABELS["mailed"])
    expect(opage.get_by_test_id("timeline")).to_contain_text(TRACKING)
    camera.shoot(officer, "hub-application-mailed")

    # --- the operator sees it in transit --------------------------------------------------
    operator = Watched(chromium, world.hub.url)
    sign_in_hub(operator, users["operator"])
    operator.page.goto("/")
    expect(operator.page.get_by_test_id("in-transit")).to_have_text("1")
    # Every state a column, whatever the data, with the totals and the time of the figures.
    expect(operator.page.locator("[data-testid=queue-counts] thead th[data-state]")).to_have_count(
        len(STATES)
    )
    expect(operator.page.get_by_test_id("queue-totals")).to_be_visible()
    expect(operator.page.get_by_test_id("computed-at")).to_be_visible()
    camera.shoot(operator, "hub-dashboard-in-transit")
    phone_cards(operator, "[data-testid=queue-counts]", "[data-testid=waiting]")
    operator.page.goto("/devices")
    expect(operator.page.locator("tr[data-testid^=device-]")).to_have_count(1)
    camera.shoot(operator, "hub-devices")

    # --- delivered; the citizen is unhappy and the operator must follow up ---------------
    at = "2026-11-23T10:00+08:00"
    run(
        HUB_BIN,
        "--data",
        str(world.hub.data),
        "shipment",
        "event",
        "EMS",
        TRACKING,
        "delivered",
        "--at",
        at,
    )
    page.reload()
    sync_until(
        clerk, "document.querySelector('[data-testid=hub-status]').dataset.state === 'delivered'"
    )
    page.check("#rate input[name=level][value=dissatisfied]")
    page.fill("#f-comment", "等了很久才收到")
    camera.shoot(clerk, "agent-rate")
    page.click("#rate button.primary")
    page.wait_for_load_state("load")
    sync_until(clerk, "document.querySelector('[data-testid=backlog]').textContent === '0'")

    ops = operator.page
    ops.goto("/")
    expect(ops.get_by_test_id("followups")).to_have_text("1")
    ops.get_by_test_id(f"followup-{receipt}").get_by_test_id("resolve-open").click()
    ops.get_by_test_id("resolve-submit").click()  # no note: refused, nothing changes
    ops.wait_for_load_state("load")
    expect(ops.get_by_test_id("resolve-note")).to_have_attribute("aria-invalid", "true")
    expect(ops.get_by_test_id("followups")).to_have_text("1")
    camera.shoot(operator, "hub-dashboard-followup")
    ops.get_by_test_id("resolve-note").fill("已电话回访，群众表示理解")
    ops.get_by_test_id("resolve-submit").click()
    ops.wait_for_load_state("load")
    expect(ops.get_by_test_id("followups")).to_have_text("0")
    ops.goto("/stats")
    expect(ops.get_by_test_id("chart-throughput")).to_be_visible()
    camera.shoot(operator, "hub-stats")
    phone_cards(operator, "[data-testid=stats]")
    for kind in ("csv", "xlsx"):
        with ops.expect_download() as got:
            ops.get_by_test_id(f"download-{kind}").click()
        assert got.value.suggested_filename.endswith(f".{kind}")

    # --- a result for pickup at the counter, handed over to a proxy ---------------------
    page.goto("/new/SS-CARD-APPLY")
    page.fill("#f-name", "李四")
    page.fill("#f-id_number", "110105194912310021")  # wrong check digit
    page.fill("#f-phone", "13912345678")
    page.check("input[name='m-ID-CARD'][value=paper]")
    page.check("input[name='m-PHOTO'][value=paper]")
    page.check("input[name=delivery][value=pickup]")
    page.click("form.capture button.primary")
    page.wait_for_load_state("load")
    expect(page.locator("#f-id_number")).to_have_attribute("aria-invalid", "true")
    page.fill("#f-id_number", ID_NUMBER)
    page.click("form.capture button.primary")
    page.wait_for_load_state("load")
    second = page.get_by_test_id("receipt").inner_text()
    sync_until(clerk, "document.querySelector('[data-testid=backlog]').textContent === '0'")
    opage.goto("/queue")
    opage.click(f"text={second}")
    opage.wait_for_load_state("load")
    for action in ("accept", "approve", "issue_result"):
        officer_acts(officer, action)
    expect(opage.get_by_test_id("status")).to_have_text(LABELS["ready_for_pickup"])
    page.goto("/pickup")
    sync_until(clerk, f"document.body.textContent.includes('{second}')")
    camera.shoot(clerk, "agent-pickup-list")
    page.click(f"text={second}")
    page.wait_for_load_state("load")
    page.check("#pickup input[name=collector][value=proxy]")
    page.click("#pickup button.primary")  # no name, no ID checked: refused
    page.wait_for_load_state("load")
    for field in ("#f-proxy_name", "#f-proxy_id_number", "#f-id_checked"):  # all at once
        expect(page.locator(field)).to_have_attribute("aria-invalid", "true")
    page.fill("#f-proxy_name", "李小四")
    page.fill("#f-proxy_id_number", ID_NUMBER)
    page.check("#f-id_checked")
    camera.shoot(clerk, "agent-handover")
    page.click("#pickup button.primary")
    page.wait_for_load_state("load")
    sync_until(
        clerk, "document.querySelector('[data-testid=hub-status]').dataset.state === 'delivered'"
    )

    # --- the same pages in English, on request ---------------------------------------------
    page.click("button[name=lang][value=en]")
    page.wait_for_load_state("load")
    page.goto("/applications")
    expect(page.locator("h1")).to_contain_text("applications")
    camera.shoot(clerk, "agent-applications-english")
    page.click("button[name=lang][value=zh]")
    page.wait_for_load_state("load")

    # --- a new laptop for the outlet; the old one is lost and revoked --------------------
    ops.goto("/devices")
    ops.get_by_test_id("enrol-outlet").select_option(world.outlet)
    ops.get_by_test_id("enrol-ttl").fill("24")
    ops.get_by_test_id("enrol-submit").click()
    ops.wait_for_load_state("load")
    expect(ops.get_by_test_id("enrol-qr").locator("svg")).to_have_count(1)
    code = ops.get_by_test_id("enrol-code").inner_text()
    expect(ops.get_by_test_id("enrol-payload")).to_contain_text(code)
    shown = read_qr(ops.get_by_test_id("enrol-qr").locator("svg").screenshot())
    assert shown == ops.get_by_test_id("enrol-payload").inner_text().strip(), shown
    camera.shoot(operator, "hub-devices-enrol")
    device = ops.locator("a[data-testid^=revoke-]").first
    device.click()
    ops.wait_for_load_state("load")
    camera.shoot(operator, "hub-revoke")
    ops.get_by_test_id("revoke-reason").fill("笔记本丢失")
    ops.get_by_test_id("revoke-confirm").click()
    ops.wait_for_load_state("load")
    expect(ops.locator("a[data-testid^=revoke-]")).to_have_count(0)
    page.get_by_test_id("sync-now").click()
    page.wait_for_load_state("load")
    expect(page.locator(".flash-error")).to_be_visible()  # the clerk is told, not left guessing
    camera.shoot(clerk, "agent-revoked")

    for tab in (clerk, officer, operator):
        tab.close()
