"""``daiban-agent serve`` as staff start it: pages on a port and background sync, both stopped
by Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import requests

from agent.store import local, outbox
from tests.agent.web.conftest import Pages, application_form
from tests.support.served import wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_runs_the_pages_and_background_sync_until_ctrl_c(agent, hub, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DAIBAN_LANG", "DAIBAN_AGENT_HOME")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agent",
            "--home",
            str(agent.home.root),
            "serve",
            "--interval",
            "1",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{base}/signin", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        assert wait_for(up, timeout=20), "the pages did not come up"
        page = requests.get(f"{base}/signin", timeout=5)
        assert 'name="code"' in page.text and "/static/daiban.css" in page.text
        assert "王芳" not in page.text  # the sign-in page names nobody
        assert requests.get(f"{base}/static/daiban.css", timeout=5).status_code == 200
        # A record captured while serving goes to the hub soon, without pressing sync.
        session = requests.Session()
        adapter_pages = _RequestsPages(session, base)
        adapter_pages.sign_in()
        form = application_form()
        data, name = form.pop("f-ID-CARD")
        files = {"f-ID-CARD": (name, data, "image/jpeg")}
        made = adapter_pages.post("/new/SS-CARD-APPLY", form, files=files)
        assert made.status_code == 302, made.text
        assert wait_for(lambda: outbox.count(agent.db) == 0, timeout=20)
        [app] = local.list_applications(agent.db)
        assert wait_for(
            lambda: agent.application(app["id"])["hub_status"] == "routed",
            timeout=20,
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            raise AssertionError("serve did not stop on Ctrl-C: " + out.decode()) from None
    log = out.decode()
    assert proc.returncode == 0, log
    assert f"pages at http://127.0.0.1:{port}/" in log and "stopped" in log
    assert "Traceback" not in log


class _RequestsPages(Pages):
    """The same helper over a real socket (left untyped: it answers requests' responses,
    not Flask's test responses)."""

    def __init__(self, session: requests.Session, base: str) -> None:
        self.session, self.base = session, base

    def get(self, path: str, **kw):
        return self.session.get(self.base + path, allow_redirects=False, timeout=10, **kw)

    def token(self, path: str = "/signin") -> str:
        import re

        found = re.search(r'name="csrf_token" value="([^"]+)"', self.get(path).text)
        assert found
        return found.group(1)

    def post(self, path: str, data=None, *, page=None, files=None, **kw):
        body = {**(data or {}), "csrf_token": self.token(page or "/signin")}
        return self.session.post(
            self.base + path, data=body, files=files, allow_redirects=False, timeout=10
        )


def test_serve_refuses_a_port_in_use(agent):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "agent",
                "--home",
                str(agent.home.root),
                "--lang",
                "en",
                "serve",
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1, done.stderr
    assert "cannot listen" in done.stderr or "无法" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_names_every_socket_of_a_host_with_several_addresses(tmp_path, monkeypatch, caplog):
    """A host name like localhost may stand for several addresses (IPv4 and IPv6): waitress
    then listens on one socket each, and serve says where instead of failing."""
    from waitress.server import MultiSocketServer, create_server

    from agent.home import Home
    from agent.web import server

    def two_sockets(app, *, host, port, threads):  # as for a name with two addresses
        return create_server(app, listen="127.0.0.1:0 127.0.0.1:0", threads=threads)

    synced = threading.Event()

    def sync() -> tuple[int, dict[str, object]]:
        synced.set()
        return 0, {}

    def run(self: MultiSocketServer) -> None:
        # Stop once the round at start has run and its one-shot job is gone: APScheduler 3
        # stopped in between logs a JobLookupError from its own thread.
        assert synced.wait(10)
        time.sleep(0.3)

    monkeypatch.setattr(server, "create_server", two_sockets)
    monkeypatch.setattr(MultiSocketServer, "run", run)
    caplog.set_level("INFO", logger="daiban.agent")
    server.serve_pages(Home(tmp_path / "home"), sync, interval_minutes=60, host="localhost")
    assert caplog.text.count("pages at http://127.0.0.1:") == 2
    assert "stopped" in caplog.text
