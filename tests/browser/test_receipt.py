"""The receipt a clerk prints for the citizen (issue 16), in a real browser: on screen at laptop
and phone width, as printed on A4 (the applicant's copy, a cut line, the outlet's copy), and as
the receipt printer's slip on 80 mm and 58 mm rolls, its QR code still readable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, Camera, Watched, World
from tests.support.procs import AGENT_BIN, run
from tests.support.qr import read_qr

ID_NUMBER = "11010519491231002X"
ADDRESS = "四川省成都市武侯区人民南路四段1号"
PHONE = "028-85551234"
MM = 96 / 25.4  # CSS px per millimetre
PT = 72 / 25.4  # PDF points per millimetre
MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]")


def jpeg(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 80 + b"\xff\xd9")
    return path


def printed(tab: Watched, camera: Camera, name: str, width_px: int) -> None:
    """The page as the printer gets it, ``width_px`` wide: nothing wider, and a picture."""
    page = tab.page
    page.emulate_media(media="print")
    page.set_viewport_size({"width": width_px, "height": LAPTOP["height"]})
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= width_px, f"{name} prints {width} px wide on {width_px} px"
        for hidden in (".top", ".statusbar", ".nav", ".foot", ".actions"):
            assert page.locator(hidden).first.is_hidden(), f"{hidden} is printed on {name}"
        camera.count += 1
        page.screenshot(path=str(camera.folder / f"{camera.count:02d}-{name}.png"), full_page=True)
    finally:
        page.emulate_media(media="screen")
        page.set_viewport_size(LAPTOP)


def qr_as_printed(chromium: Any, tab: Watched, width_mm: int) -> str:
    """The QR code of the page ``tab`` shows, as a receipt printer prints it (203 dpi, the
    usual thermal head) on a roll ``width_mm`` wide, read back as a phone would."""
    context = chromium.new_context(
        base_url=tab.page.url,
        device_scale_factor=203 / 96,
        storage_state=tab.context.storage_state(),
        viewport={"width": round(width_mm * MM), "height": LAPTOP["height"]},
    )
    try:
        page = context.new_page()
        page.emulate_media(media="print")
        page.goto(tab.page.url)
        qr = page.locator("figure.qr svg")
        box = qr.bounding_box()
        assert box and box["width"] >= 25 * MM, f"the QR code prints {box} px wide"
        png = qr.screenshot(scale="device")
        return read_qr(png)
    finally:
        context.close()


def page_size_mm(tab: Watched) -> tuple[float, float]:
    """The first page's size in millimetres when the browser prints it (to PDF)."""
    pdf = tab.page.pdf(prefer_css_page_size=True, print_background=True)
    found = MEDIA_BOX.search(pdf)
    assert found, "no page size in the PDF"
    return float(found.group(1)) / PT, float(found.group(2)) / PT


def test_the_receipt_on_screen_on_a4_and_on_a_receipt_printer(
    chromium: Any, world: World, camera: Camera, tmp_path: Path
) -> None:
    run(AGENT_BIN, "--home", str(world.data / "agent"), "outlet-phone", PHONE)
    world.agent.start()
    clerk = Watched(chromium, world.agent.url)
    page = clerk.page
    page.goto("/signin")
    page.fill("#f-code", world.users["clerk"]["code"])
    page.fill("#f-pin", world.users["clerk"]["pin"])
    page.click("form button.primary")
    page.wait_for_load_state("load")

    page.goto("/new/SS-CARD-APPLY")
    page.fill("#f-name", "张三")
    page.fill("#f-id_number", ID_NUMBER)
    page.fill("#f-phone", "13812345678")
    page.check("input[name='m-ID-CARD'][value=scan]")
    page.set_input_files("#file-ID-CARD", str(jpeg(tmp_path, "id-card.jpg")))
    page.check("input[name='m-PHOTO'][value=promise]")
    page.check("input[name=delivery][value=mail]")
    page.fill("#f-mail_to", ADDRESS)
    page.click("form.capture button.primary")
    page.wait_for_load_state("load")

    # --- on screen: both copies, the promise with its date, how to follow it -----------------
    receipt = page.get_by_test_id("receipt").inner_text()
    citizen, outlet = page.get_by_test_id("copy-citizen"), page.get_by_test_id("copy-outlet")
    expect(citizen.get_by_test_id("promise-by")).to_contain_text(
        re.compile(r"须于 \d{4}-\d\d-\d\d")
    )
    expect(citizen.get_by_test_id("sign-promise")).to_contain_text("申请人签名")
    expect(citizen.get_by_test_id("fee")).to_have_text("免费")
    expect(citizen.get_by_test_id("outlet-phone")).to_have_text(PHONE)
    expect(citizen.get_by_test_id("follow")).to_contain_text("12345")
    expect(citizen.get_by_test_id("address-note")).to_be_visible()
    expect(outlet.get_by_test_id("sign-outlet")).to_contain_text("签字确认")
    expect(outlet.locator("svg")).to_have_count(0)
    assert ADDRESS not in page.content()  # only the masked address is kept here
    assert read_qr(citizen.locator("figure.qr svg").screenshot()) == receipt
    camera.shoot(clerk, "agent-receipt-sheet")

    # --- printed on A4: no header, bar, navigation or buttons; the cut line between ----------
    printed(clerk, camera, "agent-receipt-sheet-print", 794)  # A4's 210 mm
    tops = [part.bounding_box() for part in (citizen, page.get_by_test_id("cut-line"), outlet)]
    assert all(tops) and [box["y"] for box in tops if box] == sorted(
        box["y"] for box in tops if box
    )

    # --- the receipt printer: 80 mm ------------------------------------------------------------
    page.get_by_test_id("slip-layout").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("receipt-print")).to_have_attribute("data-layout", "slip")
    sheet = page.get_by_test_id("receipt-print").bounding_box()
    assert sheet and sheet["width"] <= 80 * MM + 1, sheet
    camera.shoot(clerk, "agent-receipt-slip")
    width, height = page_size_mm(clerk)
    assert (round(width), round(height)) == (80, 297)
    printed(clerk, camera, "agent-receipt-slip-80mm-print", round(80 * MM))
    assert qr_as_printed(chromium, clerk, 80) == receipt

    # --- the receipt printer: 58 mm ------------------------------------------------------------
    page.get_by_test_id("paper-58").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("paper-58")).to_have_attribute("aria-current", "page")
    camera.shoot(clerk, "agent-receipt-slip-58")
    width, height = page_size_mm(clerk)
    assert (round(width), round(height)) == (58, 297)
    printed(clerk, camera, "agent-receipt-slip-58mm-print", round(58 * MM))
    page.emulate_media(media="print")
    page.set_viewport_size({"width": round(58 * MM), "height": LAPTOP["height"]})
    try:
        # Every line of text fits the roll: nothing is cut off at the right edge.
        overflow = page.evaluate(
            """() => [...document.querySelectorAll('.receipt-print *')]
              .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1
                           && getComputedStyle(e).overflowX !== 'visible')
              .map(e => e.outerHTML.slice(0, 80))"""
        )
        assert overflow == []
    finally:
        page.emulate_media(media="screen")
        page.set_viewport_size(LAPTOP)
    assert qr_as_printed(chromium, clerk, 58) == receipt
    assert not clerk.errors, clerk.errors
    clerk.close()
