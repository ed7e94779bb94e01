"""Real headless Chromium (Debian's, installed by `make test`) driven by Playwright against the
real programs: `daiban-hub serve` and `daiban-agent serve` on loopback, set up with the same
steps as the README's run command.

Every page a test looks at goes through `Camera.shoot`, which checks what a user would notice
(nothing wider than a 360 px phone screen, every form control labelled, no request leaving
the machine, no script errors) and saves a laptop-width and a phone-width screenshot under
artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.demo.quickstart import OUTLET, set_up_agent, set_up_hub
from tests.support.procs import AgentPages, Hub

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("DAIBAN_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling Google from a closed network.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=zh-CN",  # the browser's own words (file pickers) in Chinese, as at an outlet
]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
LOCAL = re.compile(r"^(http://127\.0\.0\.1:\d+/|data:|blob:|about:)")

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby'))
  .map(e => e.name || e.id || e.outerHTML)"""


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("DAIBAN_SKIP_BROWSER"):
            pytest.skip("DAIBAN_SKIP_BROWSER is set and there is no Chromium")
        pytest.fail(
            f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium; "
            "set DAIBAN_CHROMIUM to another binary, or DAIBAN_SKIP_BROWSER=1 to skip"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


class Watched:
    """A browser tab for one person, with everything it requested and every script error."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.context = browser.new_context(
            base_url=base_url, locale="zh-CN", viewport=LAPTOP, accept_downloads=True
        )
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", self.console)
        self.page.on("response", self.response)

    def console(self, message: Any) -> None:
        # A failed load is reported with its address by `response`; this one has none.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def response(self, response: Any) -> None:
        # 4xx answers to the page itself are the product speaking; to its assets, a bug.
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {response.url}")

    def close(self) -> None:
        self.context.close()


class Camera:
    """Checks and photographs each page a test visits, numbered in the order of the story."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def shoot(self, tab: Watched, name: str) -> Path:
        self.count += 1
        page = tab.page
        page.wait_for_load_state("load")
        assert not tab.errors, f"script errors on {name}: {tab.errors}"
        outside = [url for url in tab.requests if not LOCAL.match(url)]
        assert not outside, f"{name} asked for something off this machine: {outside}"
        assert page.evaluate(UNLABELLED) == [], f"{name} has form controls without a label"
        shot = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        page.set_viewport_size(PHONE)
        try:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} is {width} px wide on a 360 px phone"
            page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}-360.png"))
        finally:
            page.set_viewport_size(LAPTOP)
        return shot


@pytest.fixture
def camera(request: pytest.FixtureRequest) -> Camera:
    return Camera(SHOTS / request.node.name)


class World:
    """A hub and one outlet's agent pages, set up as the run command does it."""

    def __init__(self, data: Path) -> None:
        self.data, self.outlet = data, OUTLET[0]
        users = set_up_hub(data)
        self.hub = Hub(data / "hub")
        self.hub.start()
        try:
            self.users = set_up_agent(data, self.hub.url, users)
        finally:
            self.hub.stop()
        self.agent = AgentPages(data / "agent")

    def stop(self) -> None:
        self.agent.stop()
        self.hub.stop()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = World(tmp_path / "daiban-data")
    try:
        yield built
    finally:
        built.stop()
