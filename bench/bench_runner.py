"""Runner phone benchmark: the real app (/runner/) in Debian's Chromium against a served hub.

1. Capture and seal one application on the phone: Playwright fills the form as a runner
   would (name, ID number, phone, pickup, two photos: real JPEGs of about --capture-photo-kb,
   made by the page's canvas). Timed in the page: each photo from the file input's change to
   the form counting it (read, and sealed to the hub and kept with the draft where the app
   does that as the photo is taken), and 保存 from the form's submit to the receipt being in
   the page (the checks, sealing, the one IndexedDB transaction, the receipt and its QR
   code); the total of the three is the capture. 360 x 740, phone offline, headless;
   unthrottled and with the CPU throttled 4x (CDP Emulation.setCPUThrottlingRate, during the
   photos and the save only: typing is the runner's time) for a cheap phone, interleaved.
2. Sync a backlog: --apps applications with two photos each (random bytes, as incompressible
   as JPEG, --photo-kb each) queued on a second phone while it is offline, with the app's own
   capture code (bench/runner_page.js, bundled from runner/src by runner/'s esbuild; if it no
   longer fits the app's code, by filling each form on screen); then the phone comes back
   into signal through a shaping proxy (--rtt-ms round trip, --mbit both ways, one shared
   link per direction, a round trip for each new connection) and the app syncs (by itself on
   `online`, and 立即同步 after each round until nothing is left); timed until the round that
   confirmed the last of it ended. Requests, bytes and connections are counted at the proxy.
   Then the hub must hold exactly the phone's applications and photos, none twice, every
   photo whole, and the phone must have nothing left to send.
3. For comparison (--agent), the laptop agent's sync of the same backlog through the same
   proxy, in this process as bench/bench_sync.py does it.

At 300 ms and 1 Mbit/s the defaults take about 7 minutes on the 2-core machine (the phone's
sync about 5 of them, each timed capture pair about 5 s); --agent adds about 3. The machine
may be shared: the load average is printed with the figures. Network only to 127.0.0.1. A
hard timeout (--timeout) bounds the whole run.

    .venv/bin/python bench/bench_runner.py [--apps 200] [--photo-kb 50] [--captures 20]
        [--capture-photo-kb 200] [--rtt-ms 300] [--mbit 1] [--agent] [--timeout 1200]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import requests
from bench_sync import client_for, enrol_agent
from playwright.sync_api import Error as PlaywrightError

from agent import capture as cap
from agent.home import Home
from agent.store import meta, write
from agent.syncer import sync_once
from hub.blobs import LocalBlobStore
from hub.catalogue import sample_catalogue
from hub.devices import enrolment_code
from hub.setup import add_outlet, init_data
from hub.store import open_db
from hub.store import write as hub_write
from tests.support.procs import Hub

CHROMIUM = os.environ.get("DAIBAN_CHROMIUM", "/usr/bin/chromium")
# As tests/browser/conftest.py: without the background-networking flags Chromium dials out.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=zh-CN",
]
PHONE = {"width": 360, "height": 740}
ITEM = "SS-CARD-APPLY"  # 社会保障卡申领: ID card (required), photo (may be promised)
PHONE_OUTLET, AGENT_OUTLET = "TS-BENCH-01", "TS-BENCH-02"
PIN = "246813"  # six digits: what the app asks for (it asked for four to eight before)
PAGE_JS = ROOT / "bench" / "runner_page.js"
ESBUILD = ROOT / "runner" / "node_modules" / ".bin" / "esbuild"

# Set on the page once, in-page times: each photo from the file input's change to the form
# counting it (read, and sealed as it is taken where the app does that), and the save from
# the form's submit to the receipt being in the page.
TIMER_JS = """() => {
  const bench = (window.__benchTimer = { t0: null, saves: [], photo: {}, photos: [] });
  document.addEventListener('submit', () => { bench.t0 = performance.now(); }, true);
  document.addEventListener('change', (e) => {
    const el = e.target;
    if (el && el.type === 'file' && el.id.startsWith('file-')) {
      bench.photo[el.id.slice(5)] = performance.now();
    }
  }, true);
  new MutationObserver(() => {
    if (bench.t0 !== null && document.querySelector('[data-testid=receipt]')) {
      bench.saves.push(performance.now() - bench.t0);
      bench.t0 = null;
    }
    for (const [code, at] of Object.entries(bench.photo)) {
      const count = document.querySelector(`[data-testid="photo-count-${code}"]`);
      if (count && count.textContent.trim()) {
        bench.photos.push(performance.now() - at);
        delete bench.photo[code];
      }
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}"""
# A real JPEG of about `target` bytes (a gradient under fine noise, as a photo of a paper
# form), made by the page's own canvas encoder: {b64, width, height}.
JPEG_JS = """async ({ target, seed }) => {
  let w = 1200, h = 900, blob = null;
  for (let turn = 0; turn < 8; turn++) {
    const canvas = document.createElement('canvas');
    canvas.width = w; canvas.height = h;
    const g = canvas.getContext('2d');
    const img = g.createImageData(w, h);
    let x = (seed * 2654435761 + 1) >>> 0;
    for (let p = 0, i = 0; p < img.data.length; p += 4, i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      const n = x & 31, px = i % w, py = (i / w) | 0;
      img.data[p] = ((px * 200) / w + n) & 255;
      img.data[p + 1] = ((py * 200) / h + n) & 255;
      img.data[p + 2] = (160 + n) & 255;
      img.data[p + 3] = 255;
    }
    g.putImageData(img, 0, 0);
    blob = await new Promise((ok) => canvas.toBlob(ok, 'image/jpeg', 0.85));
    if (Math.abs(blob.size - target) < target * 0.05) break;
    const ratio = Math.sqrt(target / blob.size);
    w = Math.max(16, Math.round(w * ratio)); h = Math.max(12, Math.round(h * ratio));
  }
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = '';
  for (let at = 0; at < bytes.length; at += 8192) {
    text += String.fromCharCode(...bytes.subarray(at, at + 8192));
  }
  return { b64: btoa(text), width: w, height: h };
}"""
# What the phone still has to send, and its last round, read from its IndexedDB.
STATE_JS = """async () => {
  const db = await new Promise((ok, no) => { const q = indexedDB.open('daiban-runner');
    q.onsuccess = () => ok(q.result); q.onerror = () => no(q.error); });
  const tx = db.transaction(['meta', 'outbox', 'inflight', 'scans', 'applications']);
  const ask = (q) => new Promise((ok, no) => { q.onsuccess = () => ok(q.result);
    q.onerror = () => no(q.error); });
  const out = {
    outbox: await ask(tx.objectStore('outbox').count()),
    inflight: await ask(tx.objectStore('inflight').count()),
    photos: await ask(tx.objectStore('scans').index('uploaded').count(IDBKeyRange.only(0))),
    round: (await ask(tx.objectStore('meta').get('last_round'))) || null,
    device: ((await ask(tx.objectStore('meta').get('device'))) || {}).device_id || null,
  };
  db.close();
  return out;
}"""
# The phone's applications by sync state, and its photos' sizes (to check the hub's copies).
PHONE_HOLDS_JS = """async () => {
  const db = await new Promise((ok) => { const q = indexedDB.open('daiban-runner');
    q.onsuccess = () => ok(q.result); });
  const tx = db.transaction(['applications', 'scans']);
  const all = (s) => new Promise((ok) => { const q = tx.objectStore(s).getAll();
    q.onsuccess = () => ok(q.result); });
  const states = {};
  for (const a of await all('applications')) states[a.sync_state] = (states[a.sync_state] || 0) + 1;
  const scans = (await all('scans')).map((s) => [s.sha256, s.size, s.uploaded, s.bytes === null]);
  db.close();
  return { states, scans };
}"""


class Photo(TypedDict):
    """A file for Playwright's set_input_files: a picture the phone's camera took."""

    name: str
    mimeType: str
    buffer: bytes


class Deadline(Exception):
    """The run's hard timeout (--timeout) passed."""


_BEGAN = time.monotonic()


def progress(what: str) -> None:
    """A line on stderr as the run goes (the figures go to stdout at the end)."""
    print(f"[{time.monotonic() - _BEGAN:6.1f} s] {what}", file=sys.stderr, flush=True)


def now_ms() -> int:
    return int(time.time() * 1000)


def median_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered), p95


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def jpeg_like(rng: random.Random, size: int) -> bytes:
    """``size`` random bytes behind a JPEG start-of-image marker: a photo that won't deflate."""
    return (b"\xff\xd8\xff\xe0" + rng.randbytes(max(0, size - 4)))[:size]


# --- the link: a loopback TCP proxy that shapes like a phone's weak mobile link -----------------


class RequestCounter:
    """Counts the HTTP/1.1 requests in one connection's client-to-hub bytes, by method and path
    (digests folded), following Content-Length framing: enough for what the app sends."""

    def __init__(self, tally: Counter[str]) -> None:
        self.tally = tally
        self.head = b""
        self.body_left = 0

    def feed(self, data: bytes) -> None:
        while data:
            if self.body_left:
                take = min(self.body_left, len(data))
                self.body_left -= take
                data = data[take:]
                continue
            self.head += data
            data = b""
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.head) > 256 * 1024:  # not HTTP as we know it: stop counting
                    self.head = b""
                return
            head, data = self.head[:end], self.head[end + 4 :]
            self.head = b""
            lines = head.split(b"\r\n")
            parts = lines[0].decode("latin-1").split(" ")
            if len(parts) >= 2:
                path = re.sub(r"[0-9a-f]{64}", "{sha256}", parts[1].split("?", 1)[0])
                self.tally[f"{parts[0]} {path}"] += 1
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    self.body_left = int(value.strip() or 0)


class ShapingProxy:
    """Forwards 127.0.0.1:<its port> to the hub. While ``shaping``, each direction is one
    link shared by every connection: bytes leave at ``mbit`` and arrive ``rtt_s / 2`` later,
    and a new connection waits one round trip (its TCP handshake) before anything passes.
    A reader stops taking bytes while its link is booked more than 0.25 s ahead (a window),
    so a sender sees the link's pace. Counts bytes each way, connections and requests."""

    def __init__(self, upstream_port: int, *, rtt_s: float, mbit: float) -> None:
        self.upstream_port = upstream_port
        self.one_way = rtt_s / 2
        self.rate = mbit * 1_000_000 / 8  # bytes per second
        self.shaping = False
        self.loop = asyncio.new_event_loop()
        self.free_at = {"up": 0.0, "down": 0.0}  # loop time each direction's link is free
        self.bytes = {"up": 0, "down": 0}
        self.connections = 0
        self.requests: Counter[str] = Counter()
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connection, "127.0.0.1", 0), self.loop
        ).result(timeout=10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        """Zero the counts and cut every open connection: a phone back in signal connects anew."""
        self.bytes = {"up": 0, "down": 0}
        self.connections = 0
        self.requests.clear()

        def cut() -> None:
            for writer in list(self._writers):
                writer.close()

        self.loop.call_soon_threadsafe(cut)

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()

    def _book(self, direction: str, size: int) -> float:
        """When ``size`` bytes read now arrive at the far end (loop time)."""
        now = self.loop.time()
        if not self.shaping:
            return now
        start = max(now, self.free_at[direction])
        self.free_at[direction] = start + size / self.rate
        return self.free_at[direction] + self.one_way

    async def _connection(
        self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        writers = [cwriter]
        self._writers.add(cwriter)
        try:
            if self.shaping:
                await asyncio.sleep(2 * self.one_way)  # SYN, SYN-ACK
            ureader, uwriter = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            writers.append(uwriter)
            counter = RequestCounter(self.requests)
            await asyncio.gather(
                self._pump(creader, uwriter, "up", counter.feed),
                self._pump(ureader, cwriter, "down", None),
            )
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # a reset, a refused connection, or the proxy stopping: a network error
        finally:
            for writer in writers:
                writer.close()
            self._writers.discard(cwriter)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        direction: str,
        watch: Callable[[bytes], None] | None,
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                at, data = await queue.get()
                wait = at - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()

        sender = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await reader.read(16 * 1024)
                if data:
                    self.bytes[direction] += len(data)
                    if watch is not None:
                        watch(data)
                queue.put_nowait((self._book(direction, len(data)), data))
                if not data:
                    break
                ahead = self.free_at[direction] - self.loop.time()
                if self.shaping and ahead > 0.25:
                    await asyncio.sleep(ahead - 0.25)
            await sender
        finally:
            if not sender.done():
                sender.cancel()
                writer.close()


# --- the hub and the phones --------------------------------------------------------------------


def init_hub(data: Path) -> None:
    init_data(data, sample_catalogue(), now=now_ms())
    db = open_db(data / "hub.db")
    with hub_write(db):
        for code in (PHONE_OUTLET, AGENT_OUTLET):
            add_outlet(
                db, code=code, kind="township", name=f"{code} 代办点", region="510121", now=now_ms()
            )
    db.close()


def new_code(data: Path, outlet: str) -> str:
    db = open_db(data / "hub.db")
    with hub_write(db):
        code = enrolment_code(db, outlet=outlet, now=now_ms(), ttl_s=3600)["code"]
    db.close()
    return str(code)


def hub_rows(data: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    db = open_db(data / "hub.db", migrate=False)
    try:
        return [tuple(row) for row in db.execute(sql, args).fetchall()]
    finally:
        db.close()


def open_phone(browser: Any, url: str) -> tuple[Any, Any]:
    """A fresh phone browser profile at ``url``/runner/, 360 x 740: (context, page)."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{url}/runner/")
    page.wait_for_selector("header.top")
    return context, page


def enrol_phone(page: Any, code: str) -> None:
    """Enrol with a typed code and set up the runner, as in tests/browser/test_runner.py."""
    page.wait_for_selector("[data-testid=enrol-form]")
    page.fill("#f-code", code)
    page.get_by_test_id("enrol").click()
    page.wait_for_selector("[data-testid=setup-form]")
    page.fill("#f-name", "王代办")
    page.fill("#f-pin", PIN)
    page.fill("#f-pin2", PIN)
    page.click("[data-testid=setup-form] button")
    page.wait_for_selector("[data-testid=new]")


def throttled(cdp: Any, rate: int) -> None:
    if cdp is not None:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})


def in_page(page: Any, key: str, before: int) -> float:
    """The newest in-page time under ``key`` once there are more than ``before``."""
    for _ in range(100):  # the observer records it in the task that drew it: at once
        got = page.evaluate(f"window.__benchTimer.{key}")
        if len(got) > before:
            return float(got[-1])
        page.wait_for_timeout(20)
    raise RuntimeError(f"the page did not record its {key} time")


def capture_once(
    page: Any, url: str, photos: tuple[Photo, Photo], n: int, *, cdp: Any = None, rate: int = 1
) -> tuple[float, float, float]:
    """Fill the form as a runner does, two photos, press 保存: the in-page ms of each photo
    and of the save. The CPU is throttled ``rate`` times for the two photos and the save only
    (typing is the runner's time, and a throttled fill would only make the run long)."""
    page.goto(f"{url}/runner/#/new/{ITEM}")
    page.wait_for_selector("[data-testid=capture-form]")
    page.fill("#f-name", "张三" if n % 2 else "李四")
    page.fill("#f-id_number", "11010519491231002X" if n % 2 else "510107199003078796")
    page.fill("#f-phone", "13812345678")
    page.check("input[name=delivery][value=pickup]")
    took = []
    for material, photo in zip(("ID-CARD", "PHOTO"), photos, strict=True):
        before = len(page.evaluate("window.__benchTimer.photos"))
        throttled(cdp, rate)
        try:
            page.set_input_files(f"#file-{material}", files=[photo])
            page.wait_for_selector(f"[data-testid=photo-count-{material}]:has-text('1')")
        finally:
            throttled(cdp, 1)
        took.append(in_page(page, "photos", before))
    # A runner pauses before 保存: a draft being written (where the app keeps one) is done.
    page.wait_for_selector(
        "[data-testid=capture-form]:not([data-draft=saving]):not([data-draft=new])"
    )
    before = len(page.evaluate("window.__benchTimer.saves"))
    throttled(cdp, rate)
    try:
        page.get_by_test_id("save").click()
        page.wait_for_selector("[data-testid=receipt]")
    finally:
        throttled(cdp, 1)
    return took[0], took[1], in_page(page, "saves", before)


def jpeg_pool(page: Any, kb: int, count: int) -> tuple[list[Photo], str]:
    """``count`` different real JPEGs of about ``kb`` KB, and their size in words."""
    pool: list[Photo] = []
    for k in range(count):
        made = page.evaluate(JPEG_JS, {"target": kb * 1024, "seed": k + 1})
        data = base64.b64decode(made["b64"])
        pool.append({"name": f"photo-{k}.jpg", "mimeType": "image/jpeg", "buffer": data})
    sizes = sorted(len(p["buffer"]) for p in pool)
    words = f"JPEG {made['width']}x{made['height']}, {sizes[0] // 1024}-{sizes[-1] // 1024} KB"
    return pool, words


def wait_for_worker(page: Any) -> None:
    """The app shell (its chunks included) is in the service worker's cache: it then works
    with the network off. Polled: the app's CSP refuses wait_for_function's evaluation."""
    for _ in range(300):
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            return
        page.wait_for_timeout(100)
    raise RuntimeError("the service worker never took the page over")


def bench_capture(
    browser: Any, hub: Hub, args: argparse.Namespace
) -> tuple[dict[int, list[tuple[float, float, float]]], str]:
    """Part 1: ``args.captures`` timed captures at each CPU rate, interleaved."""
    context, page = open_phone(browser, hub.url)
    try:
        enrol_phone(page, new_code(hub.data, PHONE_OUTLET))
        wait_for_worker(page)
        pool, words = jpeg_pool(page, args.capture_photo_kb, 4)
        context.set_offline(True)  # at the doorstep: no network
        page.evaluate(TIMER_JS)
        cdp = context.new_cdp_session(page)
        times: dict[int, list[tuple[float, float, float]]] = {1: [], 4: []}
        for n in range(args.captures + 2):  # two warm-ups at each rate, not counted
            for rate in (1, 4):
                photos = (pool[(2 * n) % 4], pool[(2 * n + 1) % 4])
                took = capture_once(page, hub.url, photos, n, cdp=cdp, rate=rate)
                if n >= 2:
                    times[rate].append(took)
            if n % 10 == 9:
                progress(f"captured {n + 1} at each CPU rate")
        return times, words
    finally:
        context.close()


def bundle_page_js(tmp: Path) -> str:
    out = tmp / "runner_page.bundle.js"
    subprocess.run(
        [
            str(ESBUILD),
            str(PAGE_JS),
            "--bundle",
            "--format=iife",
            "--platform=browser",
            "--target=chrome100",
            "--log-level=warning",
            f"--outfile={out}",
        ],
        check=True,
        timeout=120,
    )
    return out.read_text()


def phone_state(page: Any) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(STATE_JS)
    return state


def sync_phone(page: Any, proxy: ShapingProxy, deadline: float) -> dict[str, Any]:
    """Back in signal: press 立即同步 and again after each round until nothing is left; the
    seconds until the round that confirmed the last record ended, and its rounds."""
    proxy.reset()
    proxy.shaping = True
    start = time.time()
    page.context.set_offline(False)
    rounds: list[dict[str, Any]] = []
    seen: set[int] = set()
    next_note = time.time() + 15
    while True:
        if time.time() > deadline:
            raise Deadline("the phone's sync did not finish")
        button = page.get_by_test_id("sync-now")
        if button.is_enabled():  # disabled while a round runs (one the app started itself)
            try:
                button.click(timeout=5000)
            except PlaywrightError:
                pass  # a round began meanwhile: it is waited for below
        # Wait for a round to end (the button's, or one the app started itself meanwhile).
        while True:
            if time.time() > deadline:
                raise Deadline("the phone's sync round did not end")
            page.wait_for_timeout(250)
            state = phone_state(page)
            if time.time() >= next_note:
                next_note = time.time() + 15
                progress(
                    f"phone syncing: {state['outbox']} records, {state['photos']} photos to "
                    f"send; {proxy.bytes['up'] / 1e6:.1f} MB up so far"
                )
            last = state["round"]
            if last and last["at"] >= start * 1000 and last["at"] not in seen:
                seen.add(last["at"])
                rounds.append(last)
                break
        pending = state["outbox"] + state["inflight"] + state["photos"]
        if not pending and last.get("outcome") == "ok":
            proxy.shaping = False
            return {
                "seconds": last["at"] / 1000 - start,
                "rounds": rounds,
                "device": state["device"],
            }


def queue_backlog(
    page: Any, url: str, tmp: Path, args: argparse.Namespace, deadline: float
) -> tuple[str, list[float]]:
    """Queue ``args.apps`` applications with two photos each on the (offline) phone: how, and
    the ms each took. With the app's own capture code called in the page (fast); if that
    helper no longer fits the app's code, by filling the form on screen for each."""
    per_app: list[float] = []
    why = ""
    try:
        page.evaluate(bundle_page_js(tmp))
        while len(per_app) < args.apps:
            if time.time() > deadline:
                raise Deadline("queueing the backlog did not finish")
            made = page.evaluate(
                "(o) => window.__daibanBench.enqueue(o)",
                {"count": min(25, args.apps - len(per_app)), "photoBytes": args.photo_kb * 1024},
            )
            per_app += made["perAppMs"]
            progress(f"queued {len(per_app)}")
        return "the app's capture code, called in the page (bench/runner_page.js)", per_app
    except (subprocess.CalledProcessError, PlaywrightError) as error:
        why = str(error).strip().splitlines()[0][:200]
        progress(f"the page helper does not fit the app ({why}): filling forms on screen")
    if not page.evaluate("Boolean(window.__benchTimer)"):
        page.evaluate(TIMER_JS)
    rng = random.Random(3)
    done = phone_state(page)["outbox"]
    per_app = []
    for n in range(done, args.apps):
        if time.time() > deadline:
            raise Deadline("queueing the backlog did not finish")
        photos: list[Photo] = [
            {
                "name": f"p{n}-{k}.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg_like(rng, args.photo_kb * 1024),
            }
            for k in (0, 1)
        ]
        started = time.perf_counter()
        capture_once(page, url, (photos[0], photos[1]), n)
        per_app.append((time.perf_counter() - started) * 1000)
        if (n + 1) % 25 == 0:
            progress(f"queued {n + 1}")
    return f"the form on screen, by Playwright (the page helper failed: {why})", per_app


def bench_sync_phone(
    browser: Any,
    hub: Hub,
    proxy: ShapingProxy,
    tmp: Path,
    args: argparse.Namespace,
    deadline: float,
) -> dict[str, Any]:
    """Part 2: queue the backlog offline, then sync it through the shaped link; verify."""
    context, page = open_phone(browser, proxy.url)
    try:
        enrol_phone(page, new_code(hub.data, PHONE_OUTLET))
        for _ in range(300):  # the app's first round (nothing to send yet) is over
            if phone_state(page)["round"] and page.get_attribute(
                "[data-testid=connection]", "data-state"
            ) not in ("syncing", "never"):
                break
            page.wait_for_timeout(100)
        else:
            raise RuntimeError("the phone's first round never ended")
        wait_for_worker(page)
        context.set_offline(True)
        progress(f"phone 2 enrolled; queueing {args.apps} applications offline")
        started = time.perf_counter()
        how, per_app = queue_backlog(page, proxy.url, tmp, args, deadline)
        queued_s = time.perf_counter() - started
        state = phone_state(page)
        if state["outbox"] != args.apps or state["photos"] != 2 * args.apps or state["inflight"]:
            raise RuntimeError(f"the phone queued {state}, not {args.apps} with two photos each")
        if page.get_attribute("[data-testid=connection]", "data-state") == "syncing":
            raise RuntimeError("a round is running before the phone is back in signal")
        progress("phone back in signal: syncing through the shaped link")
        result = sync_phone(page, proxy, deadline)
        progress(f"phone synced in {result['seconds']:.1f} s")
        result.update(
            queued_s=queued_s,
            queued_how=how,
            per_app=per_app,
            bytes=dict(proxy.bytes),
            connections=proxy.connections,
            requests=Counter(proxy.requests),
            phone=page.evaluate(PHONE_HOLDS_JS),
        )
        return result
    finally:
        context.close()


def verify_hub(
    data: Path, device: str, apps: int, phone_scans: list[list[Any]] | None
) -> list[str]:
    """What is wrong with the hub's copy of one device's backlog (empty: nothing)."""
    problems = []
    [(count, receipts, ids)] = hub_rows(
        data,
        "SELECT COUNT(*), COUNT(DISTINCT receipt), COUNT(DISTINCT id) FROM applications "
        "WHERE device = ?",
        device,
    )
    if not count == receipts == ids == apps:
        problems.append(f"{count} applications ({receipts} receipts, {ids} ids), not {apps}")
    [(records, distinct)] = hub_rows(
        data,
        "SELECT COUNT(*), COUNT(DISTINCT id) FROM records WHERE device = ? "
        "AND kind = 'application.create'",
        device,
    )
    if not records == distinct == apps:
        problems.append(f"{records} application records applied ({distinct} distinct)")
    rows = hub_rows(
        data,
        "SELECT s.sha256, s.present FROM scans s JOIN applications a ON a.id = s.application "
        "WHERE a.device = ?",
        device,
    )
    shas = [sha for sha, _ in rows]
    if len(shas) != 2 * apps or len(set(shas)) != 2 * apps:
        problems.append(
            f"{len(shas)} photos referenced ({len(set(shas))} distinct), not {2 * apps}"
        )
    if any(not present for _, present in rows):
        problems.append(f"{sum(1 for _, p in rows if not p)} photos not present at the hub")
    blobs = LocalBlobStore(data / "blobs")
    missing = [sha for sha in shas if not blobs.has(sha)]
    if missing:
        problems.append(f"{len(missing)} photos' bytes missing from the hub's blob store")
    if phone_scans is not None:
        wrong = [sha for sha, size, _, _ in phone_scans if blobs.size(sha) != size]
        if wrong or {sha for sha, *_ in phone_scans} != set(shas):
            problems.append(f"{len(wrong)} photos differ in size from the phone's sealed copies")
    return problems


def bench_agent(
    hub: Hub, proxy: ShapingProxy, tmp: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Part 3: the laptop agent, the same backlog, the same link."""
    home = Home(tmp / "agent")
    enrol_agent(home, proxy.url, new_code(hub.data, AGENT_OUTLET))
    rng = random.Random(2)
    db = home.open()
    with write(db):
        for i in range(args.apps):
            scans = {}
            for material in ("ID-CARD", "PHOTO"):
                path = tmp / f"agent-{i}-{material}.jpg"
                path.write_bytes(jpeg_like(rng, args.photo_kb * 1024))
                scans[material] = [path]
            cap.capture(
                db,
                home,
                cap.NewApplication(
                    item=ITEM,
                    name="张三" if i % 2 else "李四",
                    id_number="11010519491231002X" if i % 2 else "510107199003078796",
                    phone="13812345678",
                    staff="runner-01",
                    scans=scans,
                    mail_to=f"四川省成都市金堂县赵镇十里大道一段{i}号" if i % 2 else None,
                ),
                now_ms=now_ms(),
            )
    device = meta.get(db, "device")["device_id"]
    progress("agent: backlog captured; syncing through the shaped link")
    client = client_for(home)
    proxy.reset()
    proxy.shaping = True
    start = time.perf_counter()
    result = sync_once(db, home, client, now_ms=now_ms)
    seconds = time.perf_counter() - start
    proxy.shaping = False
    db.close()
    return {
        "seconds": seconds,
        "device": device,
        "bytes": dict(proxy.bytes),
        "connections": proxy.connections,
        "requests": Counter(proxy.requests),
        "uploaded": result.uploaded,
    }


# --- the report --------------------------------------------------------------------------------


def request_summary(requests: Counter[str]) -> str:
    short = {
        "GET /api/v1/sync/pull": "pull",
        "POST /api/v1/sync/push": "push",
        "POST /api/v1/blobs/query": "blob query",
        "PATCH /api/v1/blobs/{sha256}": "photo chunks",
    }
    parts = [f"{short.get(k, k)} {v}" for k, v in sorted(requests.items(), key=lambda kv: -kv[1])]
    return ", ".join(parts)


def runner_build(url: str) -> str:
    """The build id of the app bundle the hub serves now."""
    answer = requests.get(f"{url}/runner/manifest.webmanifest", timeout=10)
    return str(answer.headers.get("Daiban-Runner", "?"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--apps", type=int, default=200, help="applications to sync (2 photos each)"
    )
    parser.add_argument("--photo-kb", type=int, default=50, help="size of each synced photo")
    parser.add_argument("--captures", type=int, default=20, help="timed captures at each CPU rate")
    parser.add_argument(
        "--capture-photo-kb", type=int, default=200, help="photo size when capturing"
    )
    parser.add_argument("--rtt-ms", type=float, default=300)
    parser.add_argument("--mbit", type=float, default=1.0, help="link rate, each direction")
    parser.add_argument(
        "--agent", action="store_true", help="also the laptop agent's sync (adds ~3 min)"
    )
    parser.add_argument("--timeout", type=int, default=1200, help="hard bound on the run, s")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM} (set DAIBAN_CHROMIUM)")
    if not ESBUILD.exists():
        raise SystemExit(f"no {ESBUILD}: run `npm ci` in runner/")

    began = time.time()
    deadline = began + args.timeout

    def out_of_time(signum: int, frame: object) -> None:
        raise Deadline(f"the run took longer than --timeout {args.timeout} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(args.timeout)
    print(f"load average at start: {load()} ({os.cpu_count()} CPUs)", flush=True)

    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="daiban-runner-bench-"))
    init_hub(tmp / "hub")
    hub = Hub(tmp / "hub")
    hub.start()
    build = runner_build(hub.url)
    proxy = ShapingProxy(hub.port, rtt_s=args.rtt_ms / 1000, mbit=args.mbit)
    problems: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                t = time.perf_counter()
                times, photo_words = (
                    bench_capture(browser, hub, args) if args.captures else ({}, "")
                )
                capture_wall = time.perf_counter() - t
                load_capture = load()
                t = time.perf_counter()
                phone = bench_sync_phone(browser, hub, proxy, tmp, args, deadline)
                phone_wall = time.perf_counter() - t
                load_phone = load()
            finally:
                browser.close()
        problems += [
            f"phone: {p}"
            for p in verify_hub(hub.data, phone["device"], args.apps, phone["phone"]["scans"])
        ]
        held = phone["phone"]
        if held["states"] != {"sent": args.apps}:
            problems.append(f"phone: applications by state {held['states']}, not all sent")
        if any(not (uploaded and dropped) for _, _, uploaded, dropped in held["scans"]):
            problems.append("phone: photos still kept after the hub confirmed them")
        agent = None
        if args.agent:
            t = time.perf_counter()
            agent = bench_agent(hub, proxy, tmp, args)
            agent_wall = time.perf_counter() - t
            load_agent = load()
            problems += [
                f"agent: {p}" for p in verify_hub(hub.data, agent["device"], args.apps, None)
            ]
        build_end = runner_build(hub.url)
    finally:
        signal.alarm(0)
        proxy.stop()
        hub.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(f"runner app build {build}, served by the hub at /runner/")
    if build_end != build:
        print(f"   NOTE: the bundle changed during the run (now {build_end}): figures are mixed")
    if times:
        print(
            f"1. capture and seal one application on the phone: 2 photos ({photo_words}), "
            f"each from the file input's change to the form counting it, plus 保存 (submit) "
            f"to the receipt in the page; in-page times, {args.captures} captures at each "
            f"CPU rate, interleaved; 360x740, offline, headless Chromium; part took "
            f"{capture_wall:.0f} s; load {load_capture}"
        )
        print(
            f"   {'CPU':<14}{'total median':>14}{'p95':>8}{'max':>8}{'photo median':>14}"
            f"{'p95':>8}{'save median':>13}{'p95':>8}"
        )
        for rate, label in ((1, "unthrottled"), (4, "throttled 4x")):
            totals = [sum(x) for x in times[rate]]
            photos = [x[k] for x in times[rate] for k in (0, 1)]
            saves = [x[2] for x in times[rate]]
            t_med, t_p95 = median_p95(totals)
            p_med, p_p95 = median_p95(photos)
            s_med, s_p95 = median_p95(saves)
            print(
                f"   {label:<14}{t_med:>12.0f}ms{t_p95:>6.0f}ms{max(totals):>6.0f}ms"
                f"{p_med:>12.0f}ms{p_p95:>6.0f}ms{s_med:>11.0f}ms{s_p95:>6.0f}ms"
            )
    per_med, per_p95 = median_p95(phone["per_app"])
    mb = args.apps * 2 * args.photo_kb / 1024
    print(
        f"2. sync {args.apps} queued applications x 2 photos of {args.photo_kb} KB "
        f"({mb:.1f} MB of photos) through the proxy: {args.rtt_ms:.0f} ms round trip, "
        f"{args.mbit:g} Mbit/s each way (part took {phone_wall:.0f} s"
        + (f", the agent's {agent_wall:.0f} s)" if agent is not None else ")")
    )
    print(
        f"   queued offline with {phone['queued_how']}: {phone['queued_s']:.1f} s, "
        f"{per_med:.0f} ms median / {per_p95:.0f} ms p95 per application, unthrottled"
    )
    rows = [("phone (runner app)", phone, len(phone["rounds"]), load_phone)]
    if agent is not None:
        rows.append(("laptop agent", agent, 1, load_agent))
    print(
        f"   {'':<20}{'time':>9}{'requests':>10}{'conns':>7}{'up MB':>8}{'down MB':>9}"
        f"{'rounds':>8}{'Mbit/s up':>11}   load"
    )
    for label, r, n_rounds, at_load in rows:
        up, down = r["bytes"]["up"], r["bytes"]["down"]
        print(
            f"   {label:<20}{r['seconds']:>8.1f}s{sum(r['requests'].values()):>10}"
            f"{r['connections']:>7}{up / 1e6:>8.2f}{down / 1e6:>9.3f}{n_rounds:>8}"
            f"{up * 8 / 1e6 / r['seconds']:>11.2f}   {at_load}"
        )
    for label, r, _, _ in rows:
        print(f"   {label} requests: {request_summary(r['requests'])}")
    outcomes = [(r.get("why"), r.get("outcome")) for r in phone["rounds"]]
    print(f"   phone rounds (why, outcome): {outcomes}")
    print(
        f"3. hub check: {'OK' if not problems else 'FAILED'} - each device's {args.apps} "
        f"applications and {2 * args.apps} photos there exactly once, photos whole"
        + ("; the phone has nothing left to send" if not problems else "")
    )
    for problem in problems:
        print(f"   {problem}")
    print(f"load average at end: {load()}; whole run {time.time() - began:.0f} s")
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
