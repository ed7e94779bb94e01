"""The everyday pages issue 16 changed, in a real browser at a laptop's and a phone's width,
against the served hub and agent (conftest.World): the hub's queue of 121 applications paged
to its end and searched (a receipt's beginning, a phone tail, a wrong check character); the
officer's case page with its materials, a scan opened in a new tab, and a refusal's own form
(refused without a reason, then with one); at the outlet, its list of 121 applications with
its search, the refused application with the department's reason, and an attention item
marked as dealt with.

The 120 made-up applications are written straight into each store before the programs start
(tests/hub/many_apps.py); one real application is captured at the outlet with a scan and
synced to the hub.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from agent.store import local
from agent.store import open_db as open_agent_db
from agent.store import write as agent_write
from hub.store import open_db as open_hub_db
from hub.store import write as hub_write
from sync import refusals
from sync.glossary import ACTIONS, STATES
from tests.browser.conftest import Camera, Watched, World
from tests.browser.test_counter_to_dashboard import jpeg, sign_in_hub, sync_until
from tests.hub import many_apps

MADE = 120
HUB_APPS = many_apps.made(MADE, seed=16)
AGENT_APPS = many_apps.made(MADE, seed=61)
RETURNED = AGENT_APPS[9]
ID_NUMBER = "11010519491231002X"
PHONE = "13912345678"
REASON = "not_eligible"
BACKLOG_EMPTY = "document.querySelector('[data-testid=backlog]').textContent === '0'"


def showing(first: int, last: int, total: int) -> str:
    return f"第 {first}–{last} 件，共 {total} 件"


def fill_stores(world: World) -> None:
    """The made-up applications, straight into the stopped hub's and agent's databases."""
    hub_db = open_hub_db(world.hub.data / "hub.db")
    try:
        with hub_write(hub_db):
            many_apps.into_hub(hub_db, HUB_APPS, outlet=world.outlet)
    finally:
        hub_db.close()
    agent_db = open_agent_db(world.agent.home / "agent.db")
    try:
        with agent_write(agent_db):
            many_apps.into_agent(agent_db, AGENT_APPS)
            # Mail that came back: another item on the attention list, left there.
            local.add_attention(
                agent_db,
                application=RETURNED.id,
                record_id=RETURNED.id,
                kind="returned",
                reasons=[{"message": "收件人地址不详，邮件退回"}],
                body=None,
                now=many_apps.T0 + 20,
            )
    finally:
        agent_db.close()


def capture_with_scan(clerk: Watched, scan: Path) -> str:
    """The clerk records an application with a scan of the ID card; its receipt number."""
    page = clerk.page
    page.goto("/new/SS-CARD-APPLY")
    page.fill("#f-name", "赵六")
    page.fill("#f-id_number", ID_NUMBER)
    page.fill("#f-phone", PHONE)
    page.check("input[name='m-ID-CARD'][value=scan]")
    page.set_input_files("#file-ID-CARD", str(scan))
    page.check("input[name='m-PHOTO'][value=paper]")
    page.check("input[name=delivery][value=pickup]")
    page.click("form.capture button.primary")
    page.wait_for_load_state("load")
    receipt: str = page.get_by_test_id("receipt").inner_text()
    return receipt


def search(page: Any, q: str) -> None:
    page.get_by_test_id("queue-q").fill(q)
    page.click("form.filters p.actions button")
    page.wait_for_load_state("load")


def test_daily_pages(chromium: Any, world: World, camera: Camera, tmp_path: Path) -> None:
    users = world.users
    fill_stores(world)
    world.hub.start()
    world.agent.start()

    # --- the clerk records one real application with a scan and syncs it ----------------
    clerk = Watched(chromium, world.agent.url)
    page = clerk.page
    page.goto("/signin")
    page.fill("#f-code", users["clerk"]["code"])
    page.fill("#f-pin", users["clerk"]["pin"])
    page.click("form button.primary")
    page.wait_for_load_state("load")
    receipt = capture_with_scan(clerk, jpeg(tmp_path, "id-card.jpg"))
    page.click("a.button[href*='/applications/']")
    page.wait_for_load_state("load")
    real_url = page.url
    sync_until(
        clerk,
        f"{BACKLOG_EMPTY} && "
        "document.querySelector('[data-testid=hub-status]').dataset.state === 'routed'",
    )
    total = MADE + 1

    # --- the operator pages the hub's queue to its end and searches it --------------------
    operator = Watched(chromium, world.hub.url)
    ops = operator.page
    sign_in_hub(operator, users["operator"])
    ops.goto("/queue")
    expect(ops.get_by_test_id("showing")).to_have_text(showing(1, 50, total))
    expect(ops.get_by_test_id("total")).to_have_text(str(total))
    expect(ops.get_by_test_id("page-prev")).to_have_count(0)
    expect(ops.locator("table.list tbody tr")).to_have_count(50)
    ops.get_by_test_id("page-next").click()
    ops.wait_for_load_state("load")
    expect(ops.get_by_test_id("showing")).to_have_text(showing(51, 100, total))
    ops.get_by_test_id("page-next").click()
    ops.wait_for_load_state("load")
    expect(ops.get_by_test_id("showing")).to_have_text(showing(101, total, total))
    expect(ops.locator("table.list tbody tr")).to_have_count(total - 100)
    expect(ops.get_by_test_id("page-next")).to_have_count(0)
    expect(ops.get_by_test_id("page-prev")).to_have_count(1)
    camera.shoot(operator, "hub-queue-paged")

    some = HUB_APPS[37]
    prefix = some.receipt[:10]  # the tag, a dash and five of the counter's six digits
    expected = [a for a in HUB_APPS if a.receipt.startswith(prefix)]
    assert 1 < len(expected) < 50, prefix
    search(ops, prefix)
    expect(ops.get_by_test_id("showing")).to_have_text(showing(1, len(expected), len(expected)))
    for a in expected:
        expect(ops.locator("table.list tbody")).to_contain_text(a.receipt)
    expect(ops.get_by_test_id("queue-q")).to_have_value(prefix)

    search(ops, some.phone[-4:])
    expect(ops.get_by_test_id("showing")).to_have_text(showing(1, 1, 1))
    expect(ops.locator("table.list tbody tr")).to_have_count(1)
    expect(ops.locator("table.list tbody")).to_contain_text(some.receipt)
    camera.shoot(operator, "hub-queue-search")

    # The same receipt with another check character: said so, nothing listed.
    check = some.receipt[-1]
    wrong = some.receipt[:-1] + ("A" if check != "A" else "B")
    search(ops, wrong)
    expect(ops.get_by_test_id("queue-problem")).to_be_visible()
    expect(ops.get_by_test_id("queue-q")).to_have_attribute("aria-invalid", "true")
    expect(ops.get_by_test_id("queue-q")).to_have_value(wrong)
    expect(ops.locator("table.list tbody tr")).to_have_count(0)
    camera.shoot(operator, "hub-queue-bad-check")

    # --- the officer opens the case: its materials, a scan, and a refusal -----------------
    officer = Watched(chromium, world.hub.url)
    opage = officer.page
    sign_in_hub(officer, users["wuhou-hrss"])
    search(opage, receipt)
    opage.click(f"text={receipt}")
    opage.wait_for_load_state("load")
    case_url = opage.url
    materials = opage.get_by_test_id("materials")
    expect(materials.get_by_test_id("material-ID-CARD")).to_contain_text("居民身份证")
    expect(materials.get_by_test_id("material-PHOTO")).to_contain_text("近期免冠白底证件照")
    expect(materials.get_by_test_id("material-PHOTO").get_by_test_id("paper")).to_be_visible()
    scan_button = opage.get_by_test_id("scan-ID-CARD-1")
    expect(scan_button).to_have_text("扫描件 1")
    expect(opage.locator("button.primary")).to_have_text(ACTIONS["accept"].zh)
    expect(opage.get_by_test_id("status")).to_have_text(STATES["routed"].zh)
    camera.shoot(officer, "hub-case-materials")

    opage.fill("#f-scan-reason", "核对身份证扫描件")
    with (
        officer.context.expect_event(
            "response", lambda r: "/materials/ID-CARD/1" in r.url, timeout=15_000
        ) as answer,
        opage.expect_popup(timeout=15_000) as popup,
    ):
        scan_button.click()
    response = answer.value
    assert response.status == 200, response.status
    assert response.headers["content-type"].startswith("image/"), response.headers
    assert response.request.method == "POST"
    popup.value.close()

    refuse = opage.get_by_test_id("refusal-refuse")
    opage.get_by_test_id("refusal-refuse-open").click()
    expect(refuse.locator("form")).to_be_visible()
    opage.get_by_test_id("act-refuse").click()  # no reason, not confirmed: refused
    opage.wait_for_load_state("load")
    refuse = opage.get_by_test_id("refusal-refuse")
    expect(refuse).to_have_attribute("open", "")
    expect(opage.locator("#err-refusal-refuse-reason")).to_be_visible()
    expect(opage.get_by_test_id(f"refusal-refuse-reason-{REASON}")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(opage.get_by_test_id("status")).to_have_text(STATES["routed"].zh)
    camera.shoot(officer, "hub-case-refuse-form")

    opage.get_by_test_id(f"refusal-refuse-reason-{REASON}").check()
    opage.get_by_test_id("refusal-refuse-confirm").check()
    opage.get_by_test_id("act-refuse").click()
    opage.wait_for_load_state("load")
    assert opage.url == case_url
    expect(opage.get_by_test_id("status")).to_have_text(STATES["rejected"].zh)
    expect(opage.get_by_test_id("timeline")).to_contain_text(refusals.reason_words(REASON, "zh"))
    expect(opage.get_by_test_id("refusal-refuse")).to_have_count(0)
    camera.shoot(officer, "hub-case-refused")

    # --- at the outlet: the list, the refused application, the attention list -------------
    page.goto(real_url)
    sync_until(
        clerk, "document.querySelector('[data-testid=hub-status]').dataset.state === 'rejected'"
    )
    words = refusals.reason_words(REASON, "zh")
    expect(page.locator(".card.kind-dept_rejected .reasons")).to_contain_text(words)
    expect(page.locator(".card.kind-dept_rejected")).to_have_count(1)
    camera.shoot(clerk, "agent-refused-reason")

    page.goto("/applications")
    expect(page.get_by_test_id("showing")).to_have_text(showing(1, 50, total))
    expect(page.locator("table.list tbody tr").first).to_contain_text(receipt)  # newest first
    page.get_by_test_id("page-next").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("showing")).to_have_text(showing(51, 100, total))
    expect(page.locator("#f-q")).to_be_visible()
    camera.shoot(clerk, "agent-applications-paged")

    wanted = AGENT_APPS[58]
    page.fill("#f-q", wanted.phone[-4:])
    page.click("form.filters > button")
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("showing")).to_have_text(showing(1, 1, 1))
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.locator("table.list tbody")).to_contain_text(wanted.receipt)
    expect(page.locator("#f-q")).to_have_value(wanted.phone[-4:])
    camera.shoot(clerk, "agent-applications-search")

    page.goto("/attention")
    mine = page.locator("li.card.kind-dept_rejected", has_text=receipt)
    expect(mine).to_have_count(1)
    expect(mine.locator(".reasons")).to_contain_text(words)
    expect(page.locator("ul.cards > li.card")).to_have_count(2)
    expect(page.locator("li.card.kind-returned")).to_contain_text(RETURNED.receipt)
    mine.get_by_test_id("dealt-with").click()
    page.wait_for_load_state("load")
    expect(page.locator(".flash-ok")).to_contain_text("已处理")
    expect(page.locator("li.card", has_text=receipt)).to_have_count(0)
    expect(page.locator("ul.cards > li.card")).to_have_count(1)
    expect(page.locator("li.card.kind-returned")).to_contain_text(RETURNED.receipt)
    camera.shoot(clerk, "agent-attention-dealt")

    for tab in (clerk, operator, officer):
        tab.close()
