"""The operator's dashboard and the statistics page in a real browser, at a laptop's and a
phone's width: a hub with applications at several stages, a device that stopped syncing;
each table a labelled card per row on the phone, every target at least 24 x 24 px, a compact
header; both downloads offered and working. The hub is served in this process (a settable
clock), so the page shows the same figures on every run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from hub.store import write
from hub.workflow import STATES
from tests.browser.conftest import Camera, Watched
from tests.browser.test_counter_to_dashboard import phone_cards
from tests.hub.test_e2e_sync import apps_for, enrolled
from tests.hub.web.test_pages import PASSWORD, UNIT, add_user
from tests.support.served import Clock, ServedHub, served_hub

MONDAY_10AM = 1_789_956_000_000  # 2026-09-21 in China
NAMES = {"PO-WUHOU-01": "武侯区人民南路邮政所", "VL-JINTANG-01": "金堂县三溪镇便民服务站"}


@pytest.fixture
def busy_hub(tmp_path: Path) -> Iterator[ServedHub]:
    """Monday: six applications from the Wuhou post office; one decided, one accepted, one
    waiting for a supplement. Wednesday: one more; the village outlet's device never synced."""
    clock = Clock(MONDAY_10AM)
    with served_hub(tmp_path / "hub", clock) as hub:
        for code, name in NAMES.items():
            hub.outlet(code, kind="postal" if code.startswith("PO") else "village")
            db = hub.db()
            with write(db):
                db.execute("UPDATE outlets SET name = ? WHERE code = ?", [name, code])
            db.close()
        device = enrolled(hub, "PO-WUHOU-01")
        apps = apps_for(device, 6)
        device.push(apps)
        enrolled(hub, "VL-JINTANG-01")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {hub.user('wang', 'officer', unit=UNIT)}"

        def act(app: Any, action: str, **body: Any) -> None:
            url = f"{hub.url}/api/v1/applications/{app.id}/actions"
            done = api.post(url, json={"action": action, **body}, timeout=10)
            assert done.status_code == 200, done.text

        for app, actions in ((apps[0], ("accept", "approve")), (apps[1], ("accept",))):
            for action in actions:
                act(app, action)
        act(apps[2], "accept")
        act(apps[2], "request_supplement", note="请补交照片", materials=["PHOTO"])
        clock.advance(days=2)
        device.push(apps_for(device, 1, seed=9))
        add_user(hub, "op", "operator")
        yield hub


def test_dashboard_and_statistics_at_both_widths(
    chromium: Any, busy_hub: ServedHub, camera: Camera
) -> None:
    tab = Watched(chromium, busy_hub.url)
    page = tab.page
    page.goto("/signin")
    page.fill("#f-name", "op")
    page.fill("#f-password", PASSWORD)
    page.click("form button.primary")
    page.wait_for_load_state("load")

    page.goto("/dashboard")
    expect(page.get_by_test_id("received-today")).to_have_text("1")
    expect(page.get_by_test_id("supplements")).to_have_text("1")
    expect(page.get_by_test_id("supplements-oldest")).to_contain_text("2")
    expect(page.get_by_test_id("computed-at")).to_contain_text("2026-09-23 10:00")
    expect(page.locator("[data-testid=queue-counts] thead th[data-state]")).to_have_count(
        len(STATES)
    )
    expect(page.get_by_test_id("waiting")).to_contain_text(NAMES["PO-WUHOU-01"])
    expect(page.get_by_test_id("silent-outlet-VL-JINTANG-01")).to_contain_text(
        NAMES["VL-JINTANG-01"]
    )
    expect(page.get_by_test_id("not-syncing")).to_have_text("1")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=str(camera.folder / "hub-dashboard-1366.png"), full_page=True)
    camera.shoot(tab, "hub-dashboard")
    phone_cards(
        tab, "[data-testid=queue-counts]", "[data-testid=waiting]", "[data-testid=sync-devices]"
    )
    # The oldest routed application opens from its receipt number.
    page.get_by_test_id("oldest-routed").click()
    page.wait_for_load_state("load")
    assert "/applications/" in page.url

    page.goto("/stats?by=outlet")
    expect(page.get_by_test_id("stats")).to_contain_text(NAMES["PO-WUHOU-01"])
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=str(camera.folder / "hub-stats-1366.png"), full_page=True)
    camera.shoot(tab, "hub-stats")
    phone_cards(tab, "[data-testid=stats]")
    for kind in ("csv", "xlsx"):
        with page.expect_download() as got:
            page.get_by_test_id(f"download-{kind}").click()
        assert got.value.suggested_filename == f"daiban-stats-outlet-2026-08-25-2026-09-23.{kind}"
    tab.close()
