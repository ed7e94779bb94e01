"""The runner's phone app in a real browser (Debian's Chromium), against a real hub on
loopback, with nothing mocked.

A runner enrols a phone by typing the hub's one-time code, sets a PIN, and records five
applications with photos while the phone has no network, reloading the app and closing and
reopening the browser profile in between. Back in signal, first behind a captive portal
(a 200 sign-in page instead of the hub: not taken for an acknowledgement, nothing leaves
the queue), then for real: the hub holds exactly five, none twice, photos included. A
supplement the department asks for comes down, goes back up with a new photo; a result is
handed over and rated; and a revoked
phone keeps its unsent work and says so.

Every screen is photographed at 360 x 740 under artifacts/screenshots/runner/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from hub.admin import revoke_device
from hub.store import write
from tests.browser.conftest import CHROMIUM, FLAGS, SHOTS
from tests.browser.runner_support import PHONE, photo_file, portal_proxy, qr_video, runner_hub
from tests.support.served import ServedHub

OUTLET = "TS-JINTANG-01"
ITEM = "SS-CARD-APPLY"  # 社会保障卡申领: ID card (photo), photo (may be promised)
PEOPLE = [
    ("张三", "11010519491231002X", "13812345678"),
    ("李四", "510107199003078796", "13912345678"),
]
PIN = "2468"
N = 5
LOCAL = re.compile(r"^(http://127\.0\.0\.1:\d+/|data:|blob:|about:|chrome-error:)")
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby'))
  .map(e => e.name || e.id || e.outerHTML)"""
# Everything in the phone's IndexedDB as text (bytes decoded as UTF-8, as a thief would try).
STORE_DUMP = """async () => {
  const db = await new Promise(r => { const q = indexedDB.open('daiban-runner');
    q.onsuccess = () => r(q.result); });
  const out = [];
  for (const name of db.objectStoreNames) {
    const rows = await new Promise(r => { const q = db.transaction(name).objectStore(name)
      .getAll(); q.onsuccess = () => r(q.result); });
    out.push(JSON.stringify(rows, (k, v) => v instanceof Uint8Array
      ? new TextDecoder().decode(v) : v));
  }
  db.close();
  return out.join('\\n');
}"""


class Phone:
    """One browser profile on disk (a phone's browser), opened and closed as a person does."""

    def __init__(self, chromium: Any, profile: Path, url: str) -> None:
        self.chromium, self.profile, self.url = chromium, profile, url
        self.context: Any = None
        self.page: Any = None
        self.errors: list[str] = []
        self.requests: list[str] = []

    def open(self, *, offline: bool = False) -> Any:
        self.context = self.chromium.browser_type.launch_persistent_context(
            str(self.profile),
            executable_path=CHROMIUM,
            args=FLAGS,
            viewport=PHONE,
            locale="zh-CN",
            service_workers="allow",
            offline=offline,  # from the first moment: a page restored at launch stays offline too
        )
        self.context.set_default_timeout(20_000)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", self._console)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("response", self._response)
        self.page.goto(f"{self.url}/runner/")
        self.page.wait_for_selector("header.top")
        return self.page

    def _console(self, message: Any) -> None:
        # Failed loads while offline are the network speaking; the app says so on screen.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(message.text)

    def _response(self, response: Any) -> None:
        # The hub refusing an API call is the product speaking; a missing asset is a bug.
        kind = response.request.resource_type
        if response.status >= 400 and kind not in ("document", "fetch", "xhr"):
            self.errors.append(f"{response.status} {response.url}")

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
        self.context = self.page = None


class PhoneCamera:
    """Checks and photographs each screen (numbered in the story's order) at 360 x 740."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.count = folder, 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def shoot(self, phone: Phone, name: str) -> None:
        self.count += 1
        page = phone.page
        page.wait_for_load_state("load")
        assert not phone.errors, f"script errors on {name}: {phone.errors}"
        outside = [url for url in phone.requests if not LOCAL.match(url)]
        assert not outside, f"{name} asked for something off this machine: {outside}"
        assert page.evaluate(UNLABELLED) == [], f"{name} has form controls without a label"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} is {width} px wide on a 360 px phone"
        page.screenshot(path=str(self.folder / f"{self.count:02d}-runner-{name}.png"))


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[ServedHub]:
    with runner_hub(tmp_path / "hub") as served:
        yield served


def hub_rows(hub: ServedHub, sql: str) -> list[tuple[Any, ...]]:
    db = hub.db()
    try:
        return [tuple(row) for row in db.execute(sql).fetchall()]
    finally:
        db.close()


def sync_now(page: Any, *, tries: int = 6) -> str:
    """Press "sync now" and wait for the round's words; a round already running (the app
    syncs by itself too) is waited out and the button pressed again, as a runner would."""
    said = "[data-testid^=flash-], [data-testid=revoked]"
    for _ in range(tries):
        page.evaluate("document.querySelectorAll('.flash, .notice').forEach(e => e.remove())")
        page.get_by_test_id("sync-now").click()
        page.wait_for_selector(said, timeout=30_000)
        words = page.locator(said).first.inner_text()
        if "另一个同步正在进行" not in words:
            # and any round the app started by itself meanwhile is over too
            expect(page.get_by_test_id("connection")).not_to_have_attribute(
                "data-state", "syncing", timeout=30_000
            )
            return words
        page.wait_for_timeout(700)
    raise AssertionError("a sync round never became free")


def backlog(page: Any) -> str:
    return page.get_by_test_id("backlog").inner_text()


def capture(phone: Phone, camera: PhoneCamera | None, n: int, folder: Path) -> str:
    """Record application `n` with a photo of the ID card; its receipt number."""
    page = phone.page
    name, id_number, mobile = PEOPLE[n % 2]
    page.goto(f"{phone.url}/runner/#/new")
    page.fill("#f-q", "shbzksl")  # pinyin initials of 社会保障卡申领
    expect(page.locator("#items li")).to_have_count(1)
    if camera:
        camera.shoot(phone, "new-pick")
    page.click("#items li a")
    page.wait_for_selector("[data-testid=capture-form]")
    page.fill("#f-name", name)
    page.fill("#f-id_number", id_number)
    page.fill("#f-phone", mobile)
    page.set_input_files("#file-ID-CARD", str(photo_file(folder, f"id-{n}.png", n)))
    expect(page.get_by_test_id("photo-count-ID-CARD")).to_contain_text("1")
    page.check("input[name='m-PHOTO'][value=promise]")
    if n == 1:
        page.check("input[name=delivery][value=mail]")
        page.fill("#f-mail_to", "四川省成都市金堂县赵镇十里大道一段1号")
    else:
        page.check("input[name=delivery][value=pickup]")
    page.get_by_test_id("save").click()
    page.wait_for_selector("[data-testid=receipt]")
    return page.get_by_test_id("receipt").inner_text()


def sign_in(phone: Phone) -> None:
    page = phone.page
    page.wait_for_selector("[data-testid=signin-form]")
    page.fill("#f-pin", PIN)
    page.click("[data-testid=signin-form] button")
    page.wait_for_selector("[data-testid=new]")


def test_a_runners_day_offline_then_synced(chromium: Any, hub: ServedHub, tmp_path: Path) -> None:
    camera = PhoneCamera(SHOTS / "runner")
    with portal_proxy(hub) as (url, proxy):
        phone = Phone(chromium, tmp_path / "phone-profile", url)
        page = phone.open()
        try:
            _enrol_and_set_up(phone, camera, hub)
            before = len(proxy.api_lines)
            receipts = _capture_offline(phone, camera, tmp_path)
            # With the network off nothing reached the hub (the emulation held, SW included).
            assert proxy.api_lines[before:] == []
            _captive_portal_is_refused(phone, camera, hub, proxy)
            _sync_for_real(phone, camera, hub, proxy, receipts)
            api = officer(hub)
            _supplement_down_and_up(phone, camera, hub, api, receipts, tmp_path)
            _hand_over_and_rate(phone, camera, hub, api, receipts)
            _revoked_phone_keeps_its_work(phone, camera, hub, tmp_path)
        finally:
            page = phone.page
            if page is not None and phone.errors:
                print("script errors:", phone.errors)
            phone.close()


def _enrol_and_set_up(phone: Phone, camera: PhoneCamera, hub: ServedHub) -> None:
    page = phone.page
    expect(page.locator("#f-hub")).to_have_value(phone.url)  # the hub that served the app
    camera.shoot(phone, "enrol")
    page.fill("#f-code", "WRON-GCOD-E222")
    page.get_by_test_id("enrol").click()
    expect(page.locator("#err-code")).to_contain_text("中心不认识这个注册码")
    camera.shoot(phone, "enrol-refused")
    page.fill("#f-code", hub.enrolment_code(OUTLET).lower())  # typed in lower case: fine
    page.get_by_test_id("enrol").click()
    page.wait_for_selector("[data-testid=setup-form]")
    expect(page.locator(".flash-ok")).to_contain_text("已注册到")
    camera.shoot(phone, "setup")
    page.fill("#f-name", "王代办")
    page.fill("#f-pin", "12")  # too short: refused on the phone, nothing kept
    page.click("[data-testid=setup-form] button")
    expect(page.locator("#err-pin")).to_contain_text("PIN 应为4到8位数字")
    page.fill("#f-pin", PIN)
    page.fill("#f-pin2", PIN)
    page.click("[data-testid=setup-form] button")
    page.wait_for_selector("[data-testid=new]")
    # The key is non-extractable and kept as a CryptoKey, not as bytes anyone could copy.
    key = page.evaluate(
        """async () => {
          const db = await new Promise(r => { const q = indexedDB.open('daiban-runner');
            q.onsuccess = () => r(q.result); });
          const d = await new Promise(r => { const q = db.transaction('meta')
            .objectStore('meta').get('device'); q.onsuccess = () => r(q.result); });
          db.close();
          const k = d.keys.privateKey;
          return [k instanceof CryptoKey, k.extractable, k.algorithm.name];
        }"""
    )
    assert key == [True, False, "Ed25519"]
    [(_device, outlet, revoked)] = hub_rows(hub, "SELECT id, outlet, revoked_at FROM devices")
    assert (outlet, revoked) == (OUTLET, None)
    # The app shell is in the service worker's cache before the network goes.
    # (polled from here: the app's CSP refuses the string evaluation wait_for_function does)
    for _ in range(200):
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the service worker never took the page over")
    camera.shoot(phone, "today")


def _capture_offline(phone: Phone, camera: PhoneCamera, tmp_path: Path) -> list[str]:
    page = phone.page
    phone.context.set_offline(True)
    receipts = []

    # An invalid form is refused on the phone, with the laptop's words, nothing stored.
    page.goto(f"{phone.url}/runner/#/new/{ITEM}")
    page.wait_for_selector("[data-testid=capture-form]")
    camera.shoot(phone, "new-form")
    page.fill("#f-name", "张三")
    page.fill("#f-id_number", "110105194912310021")  # wrong check character
    page.fill("#f-phone", "1381234")
    page.check("input[name=delivery][value=pickup]")
    page.get_by_test_id("save").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#err-id_number")).to_contain_text("校验位不对")
    expect(page.locator("#err-phone")).to_contain_text("手机号码")
    expect(page.locator("#err-material-ID-CARD")).to_contain_text("缺少必需材料")
    expect(page.locator("#f-name")).to_have_value("张三")  # what was typed stays
    camera.shoot(phone, "new-invalid")
    page.goto(f"{phone.url}/runner/#/today")  # leaves the draft behind

    receipts.append(capture(phone, camera, 0, tmp_path))
    camera.shoot(phone, "receipt")
    expect(page.get_by_test_id("receipt-qr")).to_be_visible()
    receipts.append(capture(phone, None, 1, tmp_path))

    page.reload()  # a reload with no network: the service worker serves the app
    page.wait_for_selector("[data-testid=receipt]")
    expect(page.get_by_test_id("backlog")).to_have_text("2")
    receipts.append(capture(phone, None, 2, tmp_path))

    # The browser closed (phone restarted) and opened again, still without network.
    phone.close()
    page = phone.open(offline=True)
    page.wait_for_selector("[data-testid=signin-form]")  # a new browser session: the PIN again
    camera.shoot(phone, "signin")
    sign_in(phone)
    expect(page.get_by_test_id("backlog")).to_have_text("3")
    receipts.append(capture(phone, None, 3, tmp_path))
    receipts.append(capture(phone, None, 4, tmp_path))
    page.goto(f"{phone.url}/runner/#/today")
    words = sync_now(page)
    assert "连不上中心" in words and "数据已保存在本机" in words
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "offline")
    expect(page.get_by_test_id("backlog")).to_have_text(str(N))
    camera.shoot(phone, "offline")

    page.goto(f"{phone.url}/runner/#/all")
    expect(page.locator("[data-testid=apps] li")).to_have_count(N)
    expect(page.locator("[data-testid=apps] li[data-state=queued]")).to_have_count(N)
    camera.shoot(phone, "all-queued")
    assert len(set(receipts)) == N
    # What the phone stores holds the applicants' data sealed or masked, never in clear.
    stored = page.evaluate(STORE_DUMP)
    assert "1101**********002X" in stored and "138****5678" in stored
    for clear in [*PEOPLE[0], *PEOPLE[1], "十里大道"]:
        assert clear not in stored, f"{clear} is stored in clear"
    return receipts


def _captive_portal_is_refused(
    phone: Phone, camera: PhoneCamera, hub: ServedHub, proxy: Any
) -> None:
    page = phone.page
    proxy.portal = True
    phone.context.set_offline(False)
    page.goto(f"{phone.url}/runner/#/today")
    words = sync_now(page)
    assert "不是中心签名的" in words, words  # a Wi-Fi sign-in page, said in plain words
    assert proxy.portal_answers > 0
    expect(page.get_by_test_id("backlog")).to_have_text(str(N))
    assert hub_rows(hub, "SELECT COUNT(*) FROM applications") == [(0,)]
    camera.shoot(phone, "captive-portal")
    proxy.portal = False


def _sync_for_real(
    phone: Phone, camera: PhoneCamera, hub: ServedHub, proxy: Any, receipts: list[str]
) -> None:
    page = phone.page
    proxy.lose_push_answers = 1  # the hub applies the first batch; its answer is lost
    words = sync_now(page)
    assert proxy.lost == 1
    assert "同步完成" in words, words
    expect(page.get_by_test_id("backlog")).to_have_text("0")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "online")
    rows = hub_rows(hub, "SELECT receipt, status, missing_scans FROM applications")
    assert sorted(r[0] for r in rows) == sorted(receipts)  # exactly five, none twice
    assert {r[2] for r in rows} == {0}  # every photo arrived
    assert {r[1] for r in rows} == {"routed"}
    # The batch whose answer was lost went again with the same id and bytes: the hub answered
    # it from what it remembered, and no batch of duplicates was ever made (the batches made
    # offline were fixed then: the first round in flight kept the records it had).
    assert hub_rows(hub, "SELECT SUM(records), SUM(accepted) FROM batches") == [(N, N)]
    camera.shoot(phone, "synced")
    sync_now(page)  # again: nothing is sent twice
    assert hub_rows(hub, "SELECT COUNT(*) FROM applications") == [(N,)]
    page.goto(f"{phone.url}/runner/#/all")
    expect(page.locator("[data-testid=apps] li[data-state=sent]")).to_have_count(N)


def officer(hub: ServedHub) -> requests.Session:
    """The API session of an officer of the Jintang county unit the township's items go to."""
    session = requests.Session()
    token = hub.user("o-jintang", "officer", "HRSS-510121")
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _hand_over_and_rate(
    phone: Phone, camera: PhoneCamera, hub: ServedHub, api: requests.Session, receipts: list[str]
) -> None:
    """A result for pickup: the runner hands it over, then records the citizen's rating."""
    page = phone.page
    [(app_id,)] = hub_rows(hub, f"SELECT id FROM applications WHERE receipt = '{receipts[2]}'")
    act = f"{hub.url}/api/v1/applications/{app_id}/actions"
    for action in ("accept", "approve", "issue_result"):
        assert api.post(act, json={"action": action}, timeout=10).ok, action
    sync_now(page)
    page.goto(f"{phone.url}/runner/#/app/{app_id}")
    expect(page.get_by_test_id("hub-status")).to_have_attribute("data-state", "ready_for_pickup")
    page.get_by_test_id("confirm-pickup").click()  # nothing ticked: refused, with reasons
    expect(page.locator("#error-summary")).to_contain_text("请先核验领取人的身份证")
    page.check("input[name=collector][value=applicant]")
    page.check("input[name=id_checked]")
    page.get_by_test_id("pickup-form").scroll_into_view_if_needed()
    camera.shoot(phone, "handover")
    page.get_by_test_id("confirm-pickup").click()
    expect(page.locator(".flash-ok")).to_contain_text("已保存，等待同步")
    sync_now(page)
    page.goto(f"{phone.url}/runner/#/app/{app_id}")
    expect(page.get_by_test_id("hub-status")).to_have_attribute("data-state", "delivered")
    page.check("input[name=level][value=dissatisfied]")
    page.fill("#f-comment", "等候时间太长")
    page.get_by_test_id("rating-form").scroll_into_view_if_needed()
    camera.shoot(phone, "rate")
    page.get_by_test_id("record-rating").click()
    expect(page.locator(".flash-ok")).to_contain_text("已保存，等待同步")
    sync_now(page)
    assert hub_rows(hub, f"SELECT level FROM ratings WHERE application = '{app_id}'") == [
        ("dissatisfied",)
    ]


def _supplement_down_and_up(
    phone: Phone,
    camera: PhoneCamera,
    hub: ServedHub,
    api: requests.Session,
    receipts: list[str],
    tmp_path: Path,
) -> None:
    page = phone.page
    [(app_id,)] = hub_rows(hub, f"SELECT id FROM applications WHERE receipt = '{receipts[0]}'")
    act = f"{hub.url}/api/v1/applications/{app_id}/actions"
    assert api.post(act, json={"action": "accept"}, timeout=10).ok
    asked = {
        "action": "request_supplement",
        "materials": ["PHOTO"],
        "message": "请补交近期免冠白底证件照",
    }
    assert api.post(act, json=asked, timeout=10).ok
    sync_now(page)
    expect(page.get_by_test_id("attention-count")).to_have_text("1")
    page.goto(f"{phone.url}/runner/#/attention")
    expect(page.locator("[data-testid=attention] li[data-kind=supplement]")).to_contain_text("免冠")
    camera.shoot(phone, "attention")
    page.click("[data-testid=attention] li a.button")
    page.wait_for_selector("[data-testid=supplement-form]")
    expect(page.get_by_test_id("hub-status")).to_have_attribute(
        "data-state", "supplement_requested"
    )
    page.set_input_files("#file-PHOTO", str(photo_file(tmp_path, "photo.png", 9)))
    expect(page.get_by_test_id("photo-count-PHOTO")).to_contain_text("1")
    page.get_by_test_id("supplement-form").scroll_into_view_if_needed()
    camera.shoot(phone, "supplement")
    page.get_by_test_id("send-supplement").click()
    expect(page.locator(".flash-ok")).to_contain_text("已保存，等待同步")
    sync_now(page)
    page.goto(f"{phone.url}/runner/#/app/{app_id}")
    expect(page.get_by_test_id("hub-status")).to_have_attribute("data-state", "accepted")
    expect(
        page.locator("[data-testid=timeline] li[data-event='amended (supplement)']")
    ).to_have_count(1)
    page.get_by_test_id("timeline").scroll_into_view_if_needed()
    camera.shoot(phone, "application")
    [(status, missing)] = hub_rows(
        hub, f"SELECT status, missing_scans FROM applications WHERE id = '{app_id}'"
    )
    assert (status, missing) == ("accepted", 0)


def _revoked_phone_keeps_its_work(
    phone: Phone, camera: PhoneCamera, hub: ServedHub, tmp_path: Path
) -> None:
    page = phone.page
    capture(phone, None, 5, tmp_path)
    [(device_id,)] = hub_rows(hub, "SELECT id FROM devices")
    db = hub.db()
    with write(db):
        revoke_device(db, device_id=device_id, reason="手机丢失", by="admin", now=hub.clock())
    db.close()
    page.goto(f"{phone.url}/runner/#/today")
    words = sync_now(page)
    assert "中心已停用本设备" in words and "未同步的记录都还在" in words, words
    expect(page.get_by_test_id("revoked")).to_contain_text("手机丢失")
    expect(page.get_by_test_id("backlog")).to_have_text("1")
    assert hub_rows(hub, "SELECT COUNT(*) FROM applications") == [(N,)]
    camera.shoot(phone, "revoked")
    page.locator("header .who button", has_text="English").click()
    expect(page.locator("h1")).to_have_text("Today’s work")
    camera.shoot(phone, "today-english")


def test_the_hub_serves_the_app_and_nothing_else(hub: ServedHub) -> None:
    """The app's files, without a sign-in, with headers that keep the service worker's copy
    honest; every other name under /runner/ is a 404 that reaches no file outside."""
    page = requests.get(f"{hub.url}/runner/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"
    assert "blob:" in page.headers["Content-Security-Policy"]
    build = page.headers["Daiban-Runner"]
    worker = requests.get(f"{hub.url}/runner/sw.js", timeout=10)
    assert worker.headers["Cache-Control"] == "no-cache"
    assert build in worker.text and "__DAIBAN_BUILD__" not in worker.text
    manifest = requests.get(f"{hub.url}/runner/manifest.webmanifest", timeout=10)
    assert manifest.headers["Content-Type"] == "application/manifest+json"
    assert manifest.json()["start_url"] == "/runner/"
    again = requests.get(f"{hub.url}/runner/app.js", headers={"If-None-Match": '"x"'}, timeout=10)
    assert again.status_code == 200
    etag = again.headers["ETag"]
    cached = requests.get(f"{hub.url}/runner/app.js", headers={"If-None-Match": etag}, timeout=10)
    assert cached.status_code == 304
    bare = requests.get(f"{hub.url}/runner", allow_redirects=False, timeout=10)
    assert bare.status_code in (301, 308) and bare.headers["Location"].endswith("/runner/")
    for name in ("nope.js", "index.html", "../hub.db", "%2e%2e/hub.db", "..%2fkeys", "/etc/passwd"):
        answer = requests.get(f"{hub.url}/runner/{name}", timeout=10)  # "//" is merged first
        assert answer.status_code == 404 and "root:" not in answer.text, name
    initials = requests.get(f"{hub.url}/runner/initials.json", timeout=10).json()
    assert initials["initials"]["SS-CARD-APPLY"] == "shbzksl"


def test_enrol_by_scanning_the_qr_code_and_no_plain_http(
    chromium: Any, hub: ServedHub, tmp_path: Path
) -> None:
    """The camera (Chromium's fake one, playing a video of the hub's enrolment QR code) reads
    the code; and the app refuses to run on a plain-http address that is not this machine."""
    code = hub.enrolment_code(OUTLET)
    video = qr_video(tmp_path, f"daiban://enroll?hub={hub.url}&code={code}")
    context = chromium.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=[
            *FLAGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
            # runner.test is this machine, reached by name: an ordinary, insecure http origin
            "--host-resolver-rules=MAP runner.test 127.0.0.1",
        ],
        viewport=PHONE,
        locale="zh-CN",
    )
    try:
        context.grant_permissions(["camera"], origin=hub.url)
        page = context.pages[0] if context.pages else context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{hub.url}/runner/")
        page.get_by_test_id("scan").click()
        expect(page.locator("#f-code")).to_have_value(code, timeout=20_000)
        expect(page.get_by_test_id("scan-status")).to_contain_text("已读取注册码")
        page.get_by_test_id("enrol").click()
        page.wait_for_selector("[data-testid=setup-form]")
        assert hub_rows(hub, "SELECT outlet FROM devices") == [(OUTLET,)]

        port = hub.url.rsplit(":", 1)[1]
        page.goto(f"http://runner.test:{port}/runner/")
        expect(page.get_by_test_id("refused")).to_have_text("需要安全连接（https）")
        expect(page.locator("main")).to_contain_text("https://")
        assert not errors, errors
    finally:
        context.close()
