"""A loopback TCP proxy that loses answers: the request reaches the hub, the reply never
comes back. This is the failure that makes a naive client send a batch twice."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def _read_http_message(sock: socket.socket, limit: int = 64 * 1024 * 1024) -> bytes:
    """Read one HTTP/1.1 message framed by Content-Length (enough for our API)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
        if len(data) > limit:
            raise ValueError("message too large")
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


Handler = Callable[[socket.socket, socket.socket, bytes, threading.Event], None]


@contextmanager
def _serving(upstream_port: int, handle: Handler) -> Iterator[str]:
    """A loopback proxy to 127.0.0.1:upstream_port, until the block ends; yields its URL.

    Each connection's request is read (and marked Connection: close: one request per
    connection keeps the framing simple) and given to ``handle`` on a thread of its own,
    with the client socket, the upstream socket and the stop event to wait on."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stopping = threading.Event()

    def forward(client: socket.socket) -> None:
        with client, socket.create_connection(("127.0.0.1", upstream_port), timeout=10) as up:
            client.settimeout(10)
            request = _read_http_message(client)
            request = request.replace(b"Connection: keep-alive", b"Connection: close", 1)
            handle(client, up, request, stopping)

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
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        thread.join(timeout=2)
        listener.close()


@contextmanager
def answer_dropping_proxy(
    upstream_port: int,
    *,
    drops: int = 1,
    drop: set[int] | None = None,
    drop_if: Callable[[bytes], bool] | None = None,
) -> Iterator[str]:
    """Forward requests to 127.0.0.1:upstream_port; swallow the first ``drops`` answers, or
    (with ``drop``) the answers to the requests with those 0-based numbers, or (with
    ``drop_if``) the answers to every request it matches (given the whole request)."""
    state = {"dropped": 0, "seen": 0}
    lock = threading.Lock()

    def handle(
        client: socket.socket, up: socket.socket, request: bytes, stopping: threading.Event
    ) -> None:
        up.sendall(request)
        answer = _read_http_message(up)
        with lock:
            number = state["seen"]
            state["seen"] += 1
            if drop_if is not None:
                lose = drop_if(request)
            elif drop is not None:
                lose = number in drop
            else:
                lose = state["dropped"] < drops
            if lose:
                state["dropped"] += 1
        if not lose:  # else the hub answered, and the client never hears it
            client.sendall(answer)

    with _serving(upstream_port, handle) as url:
        yield url


@contextmanager
def watching_proxy(
    upstream_port: int,
    *,
    hold_s: float = 0.2,
    hold_if: Callable[[bytes], bool] | None = None,
    strip_header: str | None = None,
) -> Iterator[tuple[str, dict]]:
    """Forward requests to 127.0.0.1:upstream_port, holding each (or each ``hold_if``
    matches) ``hold_s`` before it goes on, so that requests a client sends at once are seen
    at once; ``strip_header``: a header taken out of every answer. Yields the proxy's URL
    and ``most_at_once``: for each method, the most requests that were in the proxy
    together."""
    now: dict[str, int] = {}
    most: dict[str, int] = {}
    lock = threading.Lock()

    def handle(
        client: socket.socket, up: socket.socket, request: bytes, stopping: threading.Event
    ) -> None:
        method = request.split(b" ", 1)[0].decode()
        with lock:
            now[method] = now.get(method, 0) + 1
            most[method] = max(most.get(method, 0), now[method])
        try:
            if hold_if is None or hold_if(request):
                stopping.wait(hold_s)
            up.sendall(request)
            answer = _read_http_message(up)
            if strip_header is not None:
                head, _, body = answer.partition(b"\r\n\r\n")
                name = strip_header.lower().encode() + b":"
                lines = [x for x in head.split(b"\r\n") if not x.lower().startswith(name)]
                answer = b"\r\n".join(lines) + b"\r\n\r\n" + body
            client.sendall(answer)
        finally:
            with lock:
                now[method] -= 1

    with _serving(upstream_port, handle) as url:
        yield url, most


def push_of_batch(seq: int) -> Callable[[bytes], bool]:
    """Matches the pushes (first try and retries) of the batch with this ``seq``."""
    from sync.codec import decode_frame

    def match(request: bytes) -> bool:
        head, _, body = request.partition(b"\r\n\r\n")
        if not head.startswith(b"POST /api/v1/sync/push"):
            return False
        return json.loads(decode_frame(body)[1])["seq"] == seq

    return match
