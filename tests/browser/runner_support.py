"""What the runner app's browser tests need beside Playwright: a hub whose clock is the real
one (the browser signs with the real clock), a loopback proxy in front of it that can turn
into a captive portal, and a camera for the phone's screens.

The phone reaches the hub only through the proxy: the app's origin is the proxy's address
(loopback, so a secure context), so IndexedDB, the service worker and the signed API all
live there, as they would behind a hotel's Wi-Fi.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.netfaults import _read_http_message
from tests.support.served import Clock, ServedHub, served_hub

PHONE = {"width": 360, "height": 740}
PORTAL_PAGE = b"<html><body><h1>Free WiFi</h1><p>Please log in to continue.</p></body></html>"


class RealClock(Clock):
    """The hub's clock follows real time (plus what a test advances it by): the browser
    signs with the real clock, and a stuck hub clock would make its signatures stale."""

    def __init__(self) -> None:
        super().__init__(0)

    def __call__(self) -> int:
        return int(time.time() * 1000) + self.ms


@contextmanager
def runner_hub(data: Path) -> Iterator[ServedHub]:
    """A served hub with one township outlet (where runners work) and its carrier."""
    with served_hub(data, RealClock()) as hub:
        hub.outlet("TS-JINTANG-01", kind="township", region="510121")
        yield hub


class PortalProxy:
    """Forwards everything to the hub, until ``portal`` is set: then every API request is
    answered ``200 OK`` with a Wi-Fi sign-in page, as a captive portal does, and never
    reaches the hub. The app's own files still pass (the phone has them cached anyway).

    ``lose_push_answers``: so many pushes reach the hub and are applied, but their answers
    never come back (the cut that makes a naive client send a batch twice).

    ``lose_upload_answers``: so many photo chunks reach the hub and are written, their
    answers lost; ``cut_upload_bodies``: so many photo chunks are cut half-way through their
    body, the connection closed (the hub never sees them whole)."""

    def __init__(self) -> None:
        self.portal = False
        # ``down``: no network beyond the phone: an API request gets its connection closed
        # unanswered and never reaches the hub. Chromium's offline emulation alone can let a
        # request slip out as a page reloads under load; a real cut cannot.
        self.down = False
        self.lose_push_answers = 0
        self.lost = 0
        self.lose_upload_answers = 0
        self.cut_upload_bodies = 0
        self.upload_cuts = 0
        self.api_lines: list[str] = []  # the request line of every API request, in order
        self.portal_answers = 0
        self.lock = threading.Lock()

    def handle(self, client: Any, up: Any, request: bytes, stopping: threading.Event) -> None:
        line = request.split(b"\r\n", 1)[0]
        is_api = b" /api/" in line
        with self.lock:
            if is_api:
                self.api_lines.append(line.decode(errors="replace"))
            portal = self.portal and is_api
            self.portal_answers += int(portal)
            down = self.down and is_api
        if down:
            return  # the connection closes with no answer, as with no network
        if portal:
            head = (
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                + f"Content-Length: {len(PORTAL_PAGE)}\r\n".encode()
                + b"Connection: close\r\n\r\n"
            )
            client.sendall(head + PORTAL_PAGE)
            return
        upload = line.startswith(b"PATCH /api/v1/blobs/")
        with self.lock:
            cut_body = upload and self.cut_upload_bodies > 0
            if cut_body:
                self.cut_upload_bodies -= 1
                self.upload_cuts += 1
        if cut_body:
            head, _, body = request.partition(b"\r\n\r\n")
            up.sendall(head + b"\r\n\r\n" + body[: len(body) // 2])
            return  # both connections close: the rest of the chunk never comes
        up.sendall(request)
        answer = _read_http_message(up)
        with self.lock:
            lose = line.startswith(b"POST /api/v1/sync/push") and self.lose_push_answers > 0
            if lose:
                self.lose_push_answers -= 1
                self.lost += 1
            lose_upload = upload and not lose and self.lose_upload_answers > 0
            if lose_upload:
                self.lose_upload_answers -= 1
                self.upload_cuts += 1
        if not (lose or lose_upload):
            client.sendall(answer)


@contextmanager
def portal_proxy(hub: ServedHub) -> Iterator[tuple[str, PortalProxy]]:
    """The proxy on a loopback port until the block ends; yields its URL and its switch.

    One request per connection (each is marked ``Connection: close``). A browser opens
    connections it may never use (preconnects) and drops others half-way: such a
    connection simply ends, it is not a failure of the test."""
    proxy = PortalProxy()
    upstream = int(hub.url.rsplit(":", 1)[1])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stopping = threading.Event()

    def forward(client: socket.socket) -> None:
        try:
            with client, socket.create_connection(("127.0.0.1", upstream), timeout=10) as up:
                client.settimeout(10)
                request = _read_http_message(client)
                if not request:
                    return
                request = request.replace(b"Connection: keep-alive", b"Connection: close", 1)
                proxy.handle(client, up, request, stopping)
        except OSError:  # timeouts and resets: the browser gave up on this connection
            return

    def serve() -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=forward, args=(client,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", proxy
    finally:
        stopping.set()
        thread.join(timeout=2)
        listener.close()


def _png(width: int, height: int, rows: bytes) -> bytes:
    """A PNG of 8-bit RGB ``rows`` (each led by its filter byte)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def png(width: int = 64, height: int = 48, seed: int = 0) -> bytes:
    """A small valid PNG (a colour gradient), as a phone camera's picture stands in."""
    rows = b"".join(
        b"\x00"
        + b"".join(
            bytes(((x * 4 + seed) % 256, (y * 5) % 256, (x + y) % 256)) for x in range(width)
        )
        for y in range(height)
    )
    return _png(width, height, rows)


def photo_file(folder: Path, name: str, seed: int) -> Path:
    path = folder / name
    path.write_bytes(png(seed=seed))
    return path


def noisy_photo(folder: Path, name: str, seed: int, *, side: int = 300) -> Path:
    """A PNG of noise (it does not compress: about 270 KB at 300 px), over one upload chunk
    and under the size the app redraws: the phone seals and sends it as it is."""
    noise = random.Random(seed)
    rows = b"".join(b"\x00" + noise.randbytes(side * 3) for _ in range(side))
    path = folder / name
    path.write_bytes(_png(side, side, rows))
    return path


def qr_video(folder: Path, text: str, *, side: int = 480, frames: int = 10) -> Path:
    """A Y4M video of a QR code holding ``text``, for Chromium's fake camera
    (``--use-file-for-fake-video-capture``): the phone's camera pointed at the hub's page."""
    import segno

    matrix = segno.make(text, error="m").matrix
    modules = len(matrix) + 8  # the quiet zone: 4 modules each side
    scale = side // modules
    offset = (side - scale * modules) // 2 + 4 * scale
    luma = bytearray(b"\xff" * side * side)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (offset + y * scale + dy) * side + offset + x * scale
                    luma[start : start + scale] = b"\x00" * scale
    chroma = b"\x80" * (side // 2) * (side // 2)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    path = folder / "qr.y4m"
    header = f"YUV4MPEG2 W{side} H{side} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * frames)
    return path
