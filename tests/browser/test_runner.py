"""The runner's phone app in a real browser (Debian's Chromium), against a real hub on
loopback, with nothing mocked.

A runner enrols a phone by typing the hub's one-time code, sets a PIN, and records twenty
applications with photos while the phone has no network, reloading the app and closing and
reopening the browser profile in between; a form half filled in (a photo taken) comes back
after a reload and after a restart, kept encrypted or sealed, never in clear. Back in
signal, first behind a captive portal (a 200 sign-in page instead of the hub: not taken for
an acknowledgement, nothing leaves the queue), then for real: the hub holds exactly twenty,
none twice, photos included. A full disk in the middle of a round does not stop the next
one; a batch the hub refuses for good waits under "needs attention" with its records, in
plain words, while its photos and the feed still go. A supplement the department asks for
comes down, goes back up with a new photo taken before a reload; a result is handed over and
rated; and a revoked phone keeps its unsent work, records nothing new, is enrolled again
with a new code and sends that work under its new key, once. A runner who forgot the PIN
enrols the phone again. A photo cut twice on its way (an answer lost, a chunk cut half-way)
is resumed where the hub's copy stopped; a photo the hub refuses for good waits under
"needs attention" without holding back the one beside it; and a phone whose storage is full
says so and keeps the form, and saves it once there is room.

Every screen is photographed at 360 x 740 under artifacts/screenshots/runner/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from hub.devices import revoke_device
from hub.store import write
from tests.browser.conftest import CHROMIUM, FLAGS, SHOTS
from tests.browser.runner_support import (
    PHONE,
    noisy_photo,
    photo_file,
    portal_proxy,
    qr_video,
    runner_hub,
)
from tests.support.served import ServedHub

RUNNER_DIST = Path(__file__).resolve().parents[2] / "hub" / "web" / "runner_dist"
OUTLET = "TS-JINTANG-01"
ITEM = "SS-CARD-APPLY"  # 社会保障卡申领: ID card (photo), photo (may be promised)
PEOPLE = [
    ("张三", "11010519491231002X", "13812345678"),
    ("李四", "510107199003078796", "13912345678"),
]
PIN = "246813"
N = 20  # applications captured offline
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


def open_form(phone: Phone, camera: PhoneCamera | None = None) -> None:
    """The form of the ID-card item, found by its pinyin initials."""
    page = phone.page
    page.goto(f"{phone.url}/runner/#/new")
    page.wait_for_selector("#items")  # (a hash change: the screen before has a #f-q too)
    page.fill("#f-q", "shbzksl")  # pinyin initials of 社会保障卡申领
    expect(page.locator("#items li")).to_have_count(1)
    if camera:
        camera.shoot(phone, "new-pick")
    page.click("#items li a")
    page.wait_for_selector("[data-testid=capture-form]")


def fill_applicant(phone: Phone, n: int, folder: Path, photo: Path | None = None) -> None:
    """The applicant of application `n` and a photo of the ID card, kept as a draft."""
    page = phone.page
    name, id_number, mobile = PEOPLE[n % 2]
    page.fill("#f-name", name)
    page.fill("#f-id_number", id_number)
    page.fill("#f-phone", mobile)
    page.set_input_files("#file-ID-CARD", str(photo or photo_file(folder, f"id-{n}.png", n)))
    expect(page.get_by_test_id("photo-count-ID-CARD")).to_contain_text("1")
    draft_kept(page)


def draft_kept(page: Any) -> None:
    """Wait until what was typed is written to the phone's store (as a runner's pause does)."""
    expect(page.get_by_test_id("capture-form")).to_have_attribute("data-draft", "saved")


def finish(phone: Phone, n: int) -> str:
    """The rest of application `n` (a promised photo, pickup or mail), saved: its receipt."""
    page = phone.page
    page.check("input[name='m-PHOTO'][value=promise]")
    if n == 1:
        page.check("input[name=delivery][value=mail]")
        page.fill("#f-mail_to", "四川省成都市金堂县赵镇十里大道一段1号")
    else:
        page.check("input[name=delivery][value=pickup]")
    page.get_by_test_id("save").click()
    page.wait_for_selector("[data-testid=receipt]")
    return str(page.get_by_test_id("receipt").inner_text())


def capture(
    phone: Phone, camera: PhoneCamera | None, n: int, folder: Path, photo: Path | None = None
) -> str:
    """Record application `n` with a photo of the ID card; its receipt number."""
    open_form(phone, camera)
    fill_applicant(phone, n, folder, photo)
    return finish(phone, n)


def stored(page: Any) -> str:
    """Everything in the phone's store as text; none of the applicants' data in clear."""
    dump = str(page.evaluate(STORE_DUMP))
    for clear in [*PEOPLE[0], *PEOPLE[1], "十里大道"]:
        assert clear not in dump, f"{clear} is stored in clear"
    return dump


def sign_in(phone: Phone) -> None:
    page = phone.page
    page.wait_for_selector("[data-testid=signin-form]")
    page.fill("#f-pin", PIN)
    page.click("[data-testid=signin-form] button")
    page.wait_for_selector("[data-testid=new]")


def idle(page: Any) -> None:
    """Wait until no sync round runs (the app starts them by itself too)."""
    expect(page.get_by_test_id("connection")).not_to_have_attribute(
        "data-state", "syncing", timeout=30_000
    )


def test_a_runners_day_offline_then_synced(chromium: Any, hub: ServedHub, tmp_path: Path) -> None:
    camera = PhoneCamera(SHOTS / "runner")
    with portal_proxy(hub) as (url, proxy):
        phone = Phone(chromium, tmp_path / "phone-profile", url)
        page = phone.open()
        try:
            _enrol_and_set_up(phone, camera, hub)
            # The network goes; a round the app started by itself meanwhile ends first.
            phone.context.set_offline(True)
            idle(phone.page)
            proxy.down = True  # and the network beyond the phone too
            receipts = _capture_offline(phone, camera, tmp_path)
            # With the network off nothing reached the hub.
            assert hub_rows(hub, "SELECT COUNT(*) FROM applications") == [(0,)]
            _captive_portal_is_refused(phone, camera, hub, proxy)
            _sync_for_real(phone, camera, hub, proxy, receipts)
            _a_full_disk_stops_one_round_only(phone)
            _a_batch_refused_for_good_waits_for_the_runner(phone, camera, hub, tmp_path)
            api = officer(hub)
            _supplement_down_and_up(phone, camera, hub, api, receipts, tmp_path)
            _hand_over_and_rate(phone, camera, hub, api, receipts)
            _revoked_phone_is_enrolled_again(phone, camera, hub, tmp_path)
            _forgotten_pin(phone, hub)
            _a_photo_cut_on_its_way_is_resumed(phone, hub, proxy, tmp_path)
            _a_photo_refused_for_good_waits_for_the_runner(phone, camera, hub, proxy, tmp_path)
            _full_storage_keeps_the_form(phone, camera, hub, tmp_path)
        finally:
            page = phone.page
            if page is not None and phone.errors:
                print("script errors:", phone.errors)
            phone.close()


def _enrol_and_set_up(phone: Phone, camera: PhoneCamera, hub: ServedHub) -> None:
    page = phone.page
    expect(page.locator("#f-hub")).to_have_value(phone.url)  # the hub that served the app
    camera.shoot(phone, "enrol")
    # This phone has no camera: said in Chinese, the browser's own error name behind 详情.
    page.get_by_test_id("scan").click()
    status = page.get_by_test_id("scan-status")
    expect(status).to_contain_text("手动输入注册码")
    technical = page.locator("[data-testid=enrol-form] [data-testid=details]")
    expect(technical).to_contain_text("Error")
    assert "Error" not in status.inner_text()
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
    page.fill("#f-pin", "2468")  # four digits: too short (six at least), refused, nothing kept
    page.click("[data-testid=setup-form] button")
    expect(page.locator("#err-pin")).to_contain_text("PIN 应为6到12位数字")
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
    # An address that does not decode is a screen that says so, not a dead page.
    page.goto(f"{phone.url}/runner/#/app/%E0")
    expect(page.get_by_test_id("not-found")).to_have_text("找不到这个页面")
    page.goto(f"{phone.url}/runner/#/today")
    page.wait_for_selector("[data-testid=new]")
    # The app shell is in the service worker's cache before the network goes.
    # (polled from here: the app's CSP refuses the string evaluation wait_for_function does)
    for _ in range(200):
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the service worker never took the page over")
    camera.shoot(phone, "today")


DRAFTS = """async () => {
  const db = await new Promise(r => { const q = indexedDB.open('daiban-runner');
    q.onsuccess = () => r(q.result); });
  const count = name => new Promise(r => { const q = db.transaction(name).objectStore(name)
    .count(); q.onsuccess = () => r(q.result); });
  const out = [await count('drafts'), await count('draft_photos')];
  db.close();
  return out;
}"""


def _capture_offline(phone: Phone, camera: PhoneCamera, tmp_path: Path) -> list[str]:
    page = phone.page
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
    # It is a draft now; discarding it is asked twice, and then it is gone.
    page.get_by_test_id("discard").click()
    expect(page.get_by_test_id("discard-confirm-box")).to_be_visible()
    page.get_by_test_id("discard-confirm").click()
    expect(page.locator(".flash-ok")).to_contain_text("已放弃")
    assert page.evaluate(DRAFTS) == [0, 0]

    receipts.append(capture(phone, camera, 0, tmp_path))
    camera.shoot(phone, "receipt")
    # (its QR code is drawn by a chunk of the app loaded on first use: the worker had it)
    expect(page.get_by_test_id("receipt-qr")).to_be_visible()
    receipts.append(capture(phone, None, 1, tmp_path))

    page.reload()  # a reload with no network: the service worker serves the app
    page.wait_for_selector("[data-testid=receipt]")
    expect(page.get_by_test_id("backlog")).to_have_text("2")

    # Half filled in, a photo taken, and the tab reloaded (as a phone killing it while the
    # camera app is open): all of it comes back; none of it was stored in clear.
    open_form(phone)
    fill_applicant(phone, 2, tmp_path)
    page.reload()
    page.wait_for_selector("header.top")
    open_form(phone)
    name, id_number, mobile = PEOPLE[0]
    expect(page.locator("#f-name")).to_have_value(name)
    expect(page.locator("#f-id_number")).to_have_value(id_number)
    expect(page.locator("#f-phone")).to_have_value(mobile)
    expect(page.get_by_test_id("photo-count-ID-CARD")).to_contain_text("1")
    expect(page.locator("input[name='m-ID-CARD'][value=scan]")).to_be_checked()
    assert page.evaluate(DRAFTS) == [1, 1]
    stored(page)
    camera.shoot(phone, "new-draft")
    receipts.append(finish(phone, 2))
    assert page.evaluate(DRAFTS) == [0, 0]  # saved: the draft became the application

    # Half filled in again, and the browser closed (phone restarted) and opened, offline.
    open_form(phone)
    fill_applicant(phone, 3, tmp_path)
    phone.close()
    page = phone.open(offline=True)
    page.wait_for_selector("[data-testid=signin-form]")  # a new browser session: the PIN again
    camera.shoot(phone, "signin")
    sign_in(phone)
    expect(page.get_by_test_id("backlog")).to_have_text("3")
    page.goto(f"{phone.url}/runner/#/new")
    drafts = page.locator("[data-testid=drafts] li")
    expect(drafts).to_have_count(1)
    expect(drafts).to_contain_text("李*")  # masked: its values are decrypted only in memory
    camera.shoot(phone, "new-drafts")
    drafts.locator("a").click()
    page.wait_for_selector("[data-testid=capture-form]")
    expect(page.locator("#f-name")).to_have_value(PEOPLE[1][0])
    expect(page.get_by_test_id("photo-count-ID-CARD")).to_contain_text("1")
    receipts.append(finish(phone, 3))
    for n in range(4, N):
        receipts.append(capture(phone, None, n, tmp_path))
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
    dump = stored(page)
    assert "1101**********002X" in dump and "138****5678" in dump
    return receipts


def _captive_portal_is_refused(
    phone: Phone, camera: PhoneCamera, hub: ServedHub, proxy: Any
) -> None:
    page = phone.page
    proxy.portal = True
    proxy.down = False
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
    assert sorted(r[0] for r in rows) == sorted(receipts)  # exactly twenty, none twice
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


FULL_DISK = """(stores) => {
  // The phone's storage full: every write to these stores fails as a full disk makes it
  // fail (QuotaExceededError), and the transaction with it.
  window.__put = window.__put || IDBObjectStore.prototype.put;
  window.__add = window.__add || IDBObjectStore.prototype.add;
  const full = (write) => function (...args) {
    if (stores.includes(this.name)) {
      throw new DOMException('the disk is full', 'QuotaExceededError');
    }
    return write.apply(this, args);
  };
  IDBObjectStore.prototype.put = full(window.__put);
  IDBObjectStore.prototype.add = full(window.__add);
}"""
DISK_FREED = """() => {
  IDBObjectStore.prototype.put = window.__put;
  IDBObjectStore.prototype.add = window.__add;
}"""


def _a_full_disk_stops_one_round_only(phone: Phone) -> None:
    """A round that throws (here: nothing can be written) ends all the same, in plain words;
    the next one, once there is room again, runs."""
    page = phone.page
    page.goto(f"{phone.url}/runner/#/today")
    page.evaluate(FULL_DISK, ["meta"])  # in the middle of a round
    try:
        words = sync_now(page)
    finally:
        page.evaluate(DISK_FREED)
    assert "存储空间已满" in words, words
    expect(page.get_by_test_id("sync-now")).to_be_enabled()
    assert "同步完成" in sync_now(page)


# The sealed frame of the batch in flight spoilt on the phone (a bug, a bad flash cell): no
# hub can read it, so every send of these same bytes is refused, for good.
SPOIL_BATCH = """async () => {
  const db = await new Promise(r => { const q = indexedDB.open('daiban-runner');
    q.onsuccess = () => r(q.result); });
  const rows = await new Promise(r => { const q = db.transaction('inflight')
    .objectStore('inflight').getAll(); q.onsuccess = () => r(q.result); });
  await new Promise(r => { const tx = db.transaction('inflight', 'readwrite');
    for (const row of rows) tx.objectStore('inflight').put({ ...row,
      frame: new TextEncoder().encode('not a frame at all') });
    tx.oncomplete = r; });
  db.close();
  return rows.length;
}"""


def _a_batch_refused_for_good_waits_for_the_runner(
    phone: Phone, camera: PhoneCamera, hub: ServedHub, tmp_path: Path
) -> None:
    """A batch the hub refuses for good does not block the round: its photo is uploaded and
    the feed pulled all the same; its record waits under "needs attention", intact, in
    Chinese (the hub's English behind 详情), until the runner sends it again."""
    page = phone.page
    phone.context.set_offline(True)
    receipt = capture(phone, None, 6, tmp_path)
    page.goto(f"{phone.url}/runner/#/today")
    assert "连不上中心" in sync_now(page)  # made into a batch, written in flight, not sent
    assert page.evaluate(SPOIL_BATCH) == 1
    phone.context.set_offline(False)  # (the app syncs by itself too, at once)
    sync_now(page)
    expect(page.get_by_test_id("attention-count")).to_have_text("1")
    expect(page.get_by_test_id("backlog")).to_have_text("0")
    expect(page.get_by_test_id("photos")).to_have_count(0)  # its photo went all the same
    page.goto(f"{phone.url}/runner/#/attention")
    card = page.locator("[data-testid=attention] li[data-kind=held]")
    expect(card).to_contain_text("中心读不懂这批数据")
    expect(card).to_contain_text(receipt)
    assert "malformed" not in card.inner_text() and "frame" not in card.inner_text()
    technical = card.get_by_test_id("details")
    expect(technical).to_contain_text("malformed")  # folded away, there for the operator
    technical.locator("summary").click()
    expect(technical.locator("code")).to_be_visible()
    camera.shoot(phone, "held")
    assert hub_rows(hub, f"SELECT COUNT(*) FROM applications WHERE receipt = '{receipt}'") == [(0,)]
    card.get_by_test_id("send-again").click()
    expect(page.locator(".flash-ok")).to_contain_text("已重新排队 1 条")
    assert "同步完成" in sync_now(page)
    assert hub_rows(hub, f"SELECT missing_scans FROM applications WHERE receipt = '{receipt}'") == [
        (0,)
    ]
    expect(page.locator("[data-testid=attention] li[data-kind=held]")).to_have_count(0)


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
    page.fill("#f-note", "证件照已补拍")
    expect(page.get_by_test_id("supplement-form")).to_have_attribute("data-draft", "saved")
    # The tab killed while the citizen waits: the photo and the note come back, and none of
    # it is stored in clear (the photo sealed to the hub, the note encrypted).
    assert "证件照已补拍" not in stored(page)
    page.reload()
    page.wait_for_selector("[data-testid=supplement-form]")
    expect(page.get_by_test_id("photo-count-PHOTO")).to_contain_text("1")
    expect(page.locator("#f-note")).to_have_value("证件照已补拍")
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
    assert page.evaluate(DRAFTS) == [0, 0]  # the supplement's draft became the record


def _revoked_phone_is_enrolled_again(
    phone: Phone, camera: PhoneCamera, hub: ServedHub, tmp_path: Path
) -> None:
    """Revoked with work unsent: the phone keeps it and records nothing new; enrolled again
    with a new code (its old key vouching for the new one), it sends that work, once."""
    page = phone.page
    receipt = capture(phone, None, 5, tmp_path)
    [(device_id,)] = hub_rows(hub, "SELECT id FROM devices")
    db = hub.db()
    with write(db):
        revoke_device(db, device_id=device_id, reason="手机丢失", by="admin", now=hub.clock())
    db.close()
    page.goto(f"{phone.url}/runner/#/today")
    words = sync_now(page)
    assert "中心已停用本设备" in words and "未同步的记录都还在" in words, words
    notice = page.get_by_test_id("revoked")
    expect(notice).to_contain_text("手机丢失")
    assert "was revoked" not in notice.inner_text()  # the hub's own sentence is behind 详情
    expect(page.get_by_test_id("backlog")).to_have_text("1")
    held = N + 1  # the five, and the one sent again from "needs attention"
    assert hub_rows(hub, "SELECT COUNT(*) FROM applications") == [(held,)]
    camera.shoot(phone, "revoked")
    page.locator("header .who button", has_text="English").click()
    expect(page.locator("h1")).to_have_text("Today’s work")
    camera.shoot(phone, "today-english")
    page.locator("header .who button", has_text="中文").click()
    # A stopped phone takes no new application: it could never be sent.
    for where in ("#/new", f"#/new/{ITEM}"):
        page.goto(f"{phone.url}/runner/{where}")
        expect(page.get_by_test_id("capture-blocked")).to_contain_text("不能录入新申请")
    page.get_by_test_id("reenrol-link").first.click()
    page.wait_for_selector("[data-testid=reenrol-form]")
    expect(page.get_by_test_id("reenrol-keeps")).to_contain_text("1 条待上传记录")
    camera.shoot(phone, "reenrol")
    page.fill("#f-code", hub.enrolment_code(OUTLET))
    page.get_by_test_id("reenrol").click()
    page.wait_for_selector("[data-testid=new]")  # still signed in: today's screen
    expect(page.locator(".flash-ok")).to_contain_text("已重新注册到")
    expect(page.get_by_test_id("revoked")).to_have_count(0)
    assert "同步完成" in sync_now(page)
    expect(page.get_by_test_id("backlog")).to_have_text("0")
    # The hub took the old device's receipt number from the new one, exactly once.
    assert hub_rows(hub, "SELECT COUNT(*) FROM applications") == [(held + 1,)]
    assert hub_rows(hub, f"SELECT COUNT(*) FROM applications WHERE receipt = '{receipt}'") == [(1,)]
    devices = hub_rows(hub, "SELECT successor_of, revoked_at IS NULL FROM devices ORDER BY number")
    assert devices == [(None, 0), (device_id, 1)]
    page.get_by_test_id("settings").click()
    expect(page.get_by_test_id("device-facts")).to_contain_text(device_id)  # its former self
    camera.shoot(phone, "settings")


def _forgotten_pin(phone: Phone, hub: ServedHub) -> None:
    """A runner who forgot the PIN enrols the phone again (a new code is the credential),
    then sets a new name and PIN; every record on the phone stays."""
    page = phone.page
    page.get_by_test_id("signout").click()  # (or the browser closed: the PIN is asked again)
    page.wait_for_selector("[data-testid=signin-form]")
    page.get_by_test_id("forgot-pin").click()
    page.wait_for_selector("[data-testid=reenrol-form]")
    expect(page.locator("main")).to_contain_text("重新填写代办员姓名")
    page.fill("#f-code", hub.enrolment_code(OUTLET))
    page.get_by_test_id("reenrol").click()
    page.wait_for_selector("[data-testid=setup-form]")
    page.fill("#f-name", "王代办")
    page.fill("#f-pin", "135790")
    page.fill("#f-pin2", "135790")
    page.click("[data-testid=setup-form] button")
    page.wait_for_selector("[data-testid=new]")
    page.goto(f"{phone.url}/runner/#/all")
    expect(page.locator("[data-testid=apps] li")).to_have_count(N + 2)
    devices = hub_rows(hub, "SELECT successor_of FROM devices ORDER BY number")
    assert len(devices) == 3 and devices[2][0] is not None


def _a_photo_cut_on_its_way_is_resumed(
    phone: Phone, hub: ServedHub, proxy: Any, tmp_path: Path
) -> None:
    """A photo over one upload chunk, cut twice on its way: a chunk cut half-way (the hub
    never sees it whole), then a chunk's answer lost (the hub wrote it). The phone asks the
    hub where its copy stopped and goes on from there; the hub holds the photo, whole."""
    page = phone.page
    phone.context.set_offline(True)
    receipt = capture(phone, None, 30, tmp_path, noisy_photo(tmp_path, "large.png", 30))
    before = len(proxy.api_lines)
    proxy.cut_upload_bodies = 1
    proxy.lose_upload_answers = 1
    phone.context.set_offline(False)  # (the app syncs by itself too, at once)
    page.goto(f"{phone.url}/runner/#/today")
    for _ in range(4):
        sync_now(page)
        if hub_rows(hub, f"SELECT missing_scans FROM applications WHERE receipt = '{receipt}'") == [
            (0,)
        ]:
            break
    else:
        raise AssertionError("the photo never arrived whole")
    assert proxy.upload_cuts == 2
    offsets = [
        re.search(r"[?&]offset=(\d+)", line)[1]  # type: ignore[index]
        for line in proxy.api_lines[before:]
        if line.startswith("PATCH /api/v1/blobs/")
    ]
    # From the start until the hub had the first chunk, then only the rest, once.
    assert offsets[-1] == str(256 * 1024) and offsets.count(offsets[-1]) == 1, offsets
    assert set(offsets) == {"0", offsets[-1]}, offsets
    expect(page.get_by_test_id("photos")).to_have_count(0)


# The sealed bytes of one application's photo spoilt on the phone (a bad flash cell): the hub
# can never take them. Returns the photo's SHA-256.
SPOIL_PHOTO = """async (receipt) => {
  const db = await new Promise(r => { const q = indexedDB.open('daiban-runner');
    q.onsuccess = () => r(q.result); });
  const get = (store, how) => new Promise(r => { const q = how(db.transaction(store)
    .objectStore(store)); q.onsuccess = () => r(q.result); });
  const app = await get('applications', s => s.index('receipt').get(receipt));
  const scans = (await get('scans', s => s.getAll())).filter(x => x.application === app.id);
  const scan = scans[0];
  scan.bytes[100] ^= 0xff;
  await new Promise(r => { const tx = db.transaction('scans', 'readwrite');
    tx.objectStore('scans').put(scan); tx.oncomplete = r; });
  db.close();
  return [scans.length, scan.sha256];
}"""


def _a_photo_refused_for_good_waits_for_the_runner(
    phone: Phone, camera: PhoneCamera, hub: ServedHub, proxy: Any, tmp_path: Path
) -> None:
    """A photo the hub refuses for good (its bytes spoilt here) leaves the upload queue for
    "needs attention", sealed bytes kept, in plain words; the photo beside it goes all the
    same. Tried again, it is refused again and waits again: never sent every round unasked."""
    page = phone.page
    phone.context.set_offline(True)
    spoilt = capture(phone, None, 31, tmp_path)
    fine = capture(phone, None, 32, tmp_path)
    count, _sha = page.evaluate(SPOIL_PHOTO, spoilt)
    assert count == 1
    phone.context.set_offline(False)
    page.goto(f"{phone.url}/runner/#/today")
    sync_now(page)  # (or the round the app started by itself as it came online)
    expect(page.get_by_test_id("attention-count")).to_have_text("1")
    missing = "SELECT receipt, missing_scans FROM applications WHERE receipt IN ('{}', '{}')"
    assert sorted(hub_rows(hub, missing.format(spoilt, fine))) == sorted([(spoilt, 1), (fine, 0)])
    expect(page.get_by_test_id("photos")).to_have_count(0)  # nothing left to upload
    page.goto(f"{phone.url}/runner/#/attention")
    card = page.locator("[data-testid=attention] li[data-kind=photo]")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("这张照片在本机已损坏")
    expect(card).to_contain_text(spoilt)
    expect(card.get_by_test_id("details")).to_contain_text("blob.digest_mismatch")
    camera.shoot(phone, "photo-refused")
    before = len(proxy.api_lines)
    sync_now(page)  # a round with nothing asked: the refused photo is not sent again
    assert not [x for x in proxy.api_lines[before:] if x.startswith("PATCH /api/v1/blobs/")]
    page.goto(f"{phone.url}/runner/#/attention")
    card.get_by_test_id("upload-again").click()
    expect(page.locator(".flash-ok")).to_contain_text("已重新排队 1 张照片")
    sync_now(page)
    page.goto(f"{phone.url}/runner/#/attention")
    expect(card).to_have_count(1)  # refused again, waiting again; the bytes are still here
    assert hub_rows(hub, missing.format(spoilt, spoilt)) == [(spoilt, 1)]


def _full_storage_keeps_the_form(
    phone: Phone, camera: PhoneCamera, hub: ServedHub, tmp_path: Path
) -> None:
    """With the phone's storage full, a photo taken and a form saved are refused in plain
    words; what was typed stays on screen and in the draft; with room again, it is saved."""
    page = phone.page
    open_form(phone)
    name, id_number, mobile = PEOPLE[0]
    page.fill("#f-name", name)
    page.fill("#f-id_number", id_number)
    page.fill("#f-phone", mobile)
    draft_kept(page)
    page.evaluate(FULL_DISK, ["draft_photos", "drafts"])
    try:
        page.set_input_files("#file-ID-CARD", str(photo_file(tmp_path, "id-40.png", 40)))
        expect(page.locator("[data-material=ID-CARD] [role=alert]")).to_contain_text(
            "存储空间已满，这张照片没有保存"
        )
        expect(page.get_by_test_id("photo-count-ID-CARD")).to_have_text("")
    finally:
        page.evaluate(DISK_FREED)
    page.set_input_files("#file-ID-CARD", str(photo_file(tmp_path, "id-40.png", 40)))
    expect(page.get_by_test_id("photo-count-ID-CARD")).to_contain_text("1")
    page.check("input[name='m-PHOTO'][value=promise]")
    page.check("input[name=delivery][value=pickup]")
    draft_kept(page)
    before = hub_rows(hub, "SELECT COUNT(*) FROM applications")[0][0]
    page.evaluate(FULL_DISK, ["applications"])
    try:
        page.get_by_test_id("save").click()
        expect(page.locator("#error-summary")).to_contain_text("手机存储空间已满，这件申请没有保存")
    finally:
        page.evaluate(DISK_FREED)
    expect(page.locator("#f-name")).to_have_value(name)
    expect(page.get_by_test_id("photo-count-ID-CARD")).to_contain_text("1")
    assert page.evaluate(DRAFTS) == [1, 1]  # the draft and its photo, untouched
    camera.shoot(phone, "storage-full")
    page.get_by_test_id("save").click()
    page.wait_for_selector("[data-testid=receipt]")
    receipt = page.get_by_test_id("receipt").inner_text()
    assert "同步完成" in sync_now(page)
    assert hub_rows(hub, "SELECT COUNT(*) FROM applications") == [(before + 1,)]
    assert hub_rows(hub, f"SELECT missing_scans FROM applications WHERE receipt = '{receipt}'") == [
        (0,)
    ]


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
    # It precaches every file of the bundle, the chunks app.js imports on demand included
    # (the QR reader, the QR drawer), so an offline phone has each before it needs it.
    assert "__DAIBAN_FILES__" not in worker.text
    files = sorted(p.name for p in RUNNER_DIST.iterdir() if p.name not in ("index.html", "sw.js"))
    assert json.dumps(files) in worker.text
    chunks = [name for name in files if name.startswith("chunk-")]
    assert chunks, "app.js is split: what only some screens need loads when first used"
    app = requests.get(f"{hub.url}/runner/app.js", timeout=10).text
    assert len(app) < 320_000 and "jsQR" not in app  # the QR reader is not in the first load
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


# The store as version 1 of the app made it (its stores, no schema version), holding a
# phone's unsent work.
VERSION_1_STORE = """async () => {
  const db = await new Promise((resolve, reject) => {
    const q = indexedDB.open('daiban-runner', 1);
    q.onupgradeneeded = () => {
      const d = q.result;
      d.createObjectStore('meta');
      const apps = d.createObjectStore('applications', { keyPath: 'id' });
      apps.createIndex('captured_at', 'captured_at');
      apps.createIndex('receipt', 'receipt', { unique: true });
      const outbox = d.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
      outbox.createIndex('record_id', 'record_id', { unique: true });
      outbox.createIndex('application', 'application');
      d.createObjectStore('inflight', { keyPath: 'batch' });
      d.createObjectStore('scans', { keyPath: 'sha256' }).createIndex('uploaded', 'uploaded');
      const timeline = d.createObjectStore('timeline', { keyPath: 'n', autoIncrement: true });
      timeline.createIndex('application', 'application');
      const attention = d.createObjectStore('attention', { keyPath: 'n', autoIncrement: true });
      attention.createIndex('application', 'application');
      attention.createIndex('record_id', 'record_id');
      d.createObjectStore('versions', { keyPath: 'id' });
    };
    q.onsuccess = () => resolve(q.result);
    q.onerror = () => reject(q.error);
  });
  const tx = db.transaction(['meta', 'applications', 'outbox'], 'readwrite');
  tx.objectStore('meta').put('en', 'lang');
  tx.objectStore('meta').put(7, 'receipt_seq');
  tx.objectStore('applications').put({ id: 'app-1', receipt: '2222-000007-X', captured_at: 1 });
  tx.objectStore('outbox').put({ record_id: 'app-1', kind: 'application.create',
    application: 'app-1', body: new Uint8Array([123, 125]), created_at: 1 });
  await new Promise(r => { tx.oncomplete = r; });
  db.close();
}"""
THE_STORE = """async () => {
  const db = await new Promise(r => { const q = indexedDB.open('daiban-runner');
    q.onsuccess = () => r(q.result); });
  const get = (name, key) => new Promise(r => { const q = db.transaction(name)
    .objectStore(name).get(key); q.onsuccess = () => r(q.result ?? null); });
  const out = { version: db.version, stores: [...db.objectStoreNames].sort(),
    schema: await get('meta', 'schema_version'), seq: await get('meta', 'receipt_seq'),
    app: (await get('applications', 'app-1'))?.receipt,
    outbox: (await get('outbox', 1))?.record_id };
  db.close();
  return out;
}"""


def test_an_older_store_is_upgraded_in_place(chromium: Any, hub: ServedHub, tmp_path: Path) -> None:
    """A phone whose store an older version of the app made keeps all of it when the app
    that opens it needs a newer schema: each version's step runs from the one it had."""
    context = chromium.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=FLAGS, viewport=PHONE
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{hub.url}/runner/manifest.webmanifest")  # the origin, without the app
        page.evaluate(VERSION_1_STORE)
        page.goto(f"{hub.url}/runner/")
        expect(page.locator("h1")).to_have_text("Enrol this phone")  # its language was kept
        store = page.evaluate(THE_STORE)
        assert store["version"] == store["schema"] == 2
        assert {"drafts", "draft_photos", "outbox", "meta"} <= set(store["stores"])
        assert (store["seq"], store["app"], store["outbox"]) == (7, "2222-000007-X", "app-1")
        assert not errors, errors
    finally:
        context.close()


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
