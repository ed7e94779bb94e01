"""A real hub served by waitress on 127.0.0.1 and an ephemeral port, for end-to-end tests."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlite_utils import Database
from waitress.server import BaseWSGIServer, create_server

from hub import create_app
from hub.catalogue import sample_catalogue
from hub.devices import enrolment_code
from hub.setup import add_outlet, init_data
from hub.store import open_db, stop_checkpoints, write
from hub.users import create_user


class Clock:
    """A settable clock in Unix milliseconds, shared by the hub and the test."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, *, seconds: float = 0, days: float = 0) -> None:
        self.ms += int((seconds + days * 86400) * 1000)


@dataclass
class ServedHub:
    app: Flask
    url: str
    data: Path
    clock: Clock

    def db(self) -> Database:
        return open_db(self.data / "hub.db", migrate=False)

    def outlet(self, code: str, *, kind: str = "postal", region: str = "510107") -> None:
        db = self.db()
        with write(db):
            add_outlet(
                db, code=code, kind=kind, name=f"{code} 代办点", region=region, now=self.clock()
            )
        db.close()

    def enrolment_code(self, outlet: str, ttl_s: int = 3600) -> str:
        db = self.db()
        with write(db):
            code = enrolment_code(db, outlet=outlet, now=self.clock(), ttl_s=ttl_s)["code"]
        db.close()
        return str(code)

    def user(self, name: str, role: str, unit: str | None = None) -> str:
        db = self.db()
        with write(db):
            units = set(sample_catalogue().units())
            token = create_user(
                db, name=name, role=role, unit=unit, known_units=units, now=self.clock()
            ).token
        db.close()
        return token


@contextmanager
def served_hub(data: Path, clock: Clock, **config: object) -> Iterator[ServedHub]:
    """Initialise ``data`` (if new) and serve a hub on loopback until the block ends."""
    if not (data / "hub.db").exists():
        _initialise(data, now=clock())
    app = create_app(data, {"CLOCK": clock, **config})
    channels: dict[int, Any] = {}  # waitress's socket map: its channels by file descriptor
    server = create_server(app, map=channels, host="127.0.0.1", port=0, threads=4)
    assert isinstance(server, BaseWSGIServer)  # one address: one socket
    port = server.getsockname()[1]
    stopping = threading.Event()
    thread = threading.Thread(target=_serve, args=(server, channels, stopping), daemon=True)
    thread.start()
    try:
        yield ServedHub(app=app, url=f"http://127.0.0.1:{port}", data=data, clock=clock)
    finally:
        stopping.set()
        thread.join(timeout=5)
        stop_checkpoints(app.config["DATABASE"])  # its connection goes with the hub


_TEMPLATES: dict[int, Path] = {}


def _initialise(data: Path, *, now: int) -> None:
    """Copy a data folder that ``init_data`` made once per process for this clock reading:
    init (keys, migrations, catalogue) costs about 0.25 s, a copy a few milliseconds."""
    template = _TEMPLATES.get(now)
    if template is None:
        parent = Path(tempfile.mkdtemp(prefix="daiban-hub-template-"))
        atexit.register(shutil.rmtree, parent, ignore_errors=True)
        template = parent / "hub"
        init_data(template, sample_catalogue(), now=now)
        _TEMPLATES[now] = template
    shutil.copytree(template, data)


def _serve(server: BaseWSGIServer, channels: dict[int, Any], stopping: threading.Event) -> None:
    """waitress's loop, one turn at a time, so the same thread can stop it cleanly."""
    while not stopping.is_set():
        server.asyncore.loop(timeout=0.05, map=channels, count=1)
    # types-waitress says int seconds; waitress takes any number (it adds it to time.time()).
    server.task_dispatcher.shutdown(timeout=0.5)  # type: ignore[arg-type]
    for channel in list(channels.values()):
        channel.close()


def wait_for(predicate: Callable[[], bool], *, timeout: float = 5.0) -> bool:
    """Poll ``predicate`` a bounded number of times."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
