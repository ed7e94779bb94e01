"""Per-request state of the served hub: the database, clock, catalogue and calendar."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask, current_app, g
from sqlite_utils import Database

from hub import store
from hub.cases import Hub
from hub.catalogue import Catalogue, load_catalogue
from hub.store import open_db
from hub.workdays import WorkCalendar

_catalogues: dict[tuple[str, int], Catalogue] = {}
_lock = threading.Lock()


def system_clock_ms() -> int:
    return int(time.time() * 1000)


def now_ms() -> int:
    clock: Callable[[], int] = current_app.config["CLOCK"]
    return clock()


_local = threading.local()


def get_db() -> Database:
    """This thread's connection to the hub database.

    Server threads live long, so each keeps one connection: opening and closing per request
    would checkpoint the WAL every time (tens of milliseconds) for nothing.
    """
    path = current_app.config["DATABASE"]
    connections: dict[str, Database] = _local.__dict__.setdefault("connections", {})
    if path not in connections:
        # A thread that served another hub's database before (one process running several
        # apps, as the tests do) lets that connection go: kept, each would hold its files open.
        for other in list(connections):
            connections.pop(other).close()
        connections[path] = open_db(path, migrate=False, background_checkpoint=True)
    return connections[path]


def close_db(_exc: BaseException | None = None) -> None:
    """After each request: never leave a transaction open on the kept connection."""
    g.pop("hub", None)
    connections: dict[str, Database] = _local.__dict__.get("connections", {})
    db = connections.get(current_app.config["DATABASE"])
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


class NoCatalogue(RuntimeError):
    """The hub database holds no catalogue (``daiban-hub init`` publishes the first one)."""


def _current_catalogue_row(db: Database) -> dict[str, Any]:
    row = store.catalogue.current_catalogue(db)
    if row is None:
        raise NoCatalogue("the hub has no catalogue: run `daiban-hub init`")
    return row


def stored_catalogue(db: Database) -> Catalogue:
    """The current catalogue, parsed afresh (for code outside a request: CLI, scheduler)."""
    return load_catalogue(_current_catalogue_row(db)["body"])


def catalogue(db: Database) -> Catalogue:
    """The current catalogue, parsed once per version per database."""
    row = _current_catalogue_row(db)
    key = (str(current_app.config["DATABASE"]), int(row["version"]))
    with _lock:
        if key not in _catalogues:
            _catalogues[key] = load_catalogue(row["body"])
        return _catalogues[key]


def work_calendar(db: Database) -> WorkCalendar:
    days, years = store.calendar.calendar_overrides(db)
    return WorkCalendar({date.fromisoformat(d): w for d, w in days.items()}, years)


def build_hub(
    db: Database, *, at_ms: int, cat: Catalogue, warn_days: int = 2, followup_days: int = 5
) -> Hub:
    """A Hub for code outside a request (CLI, scheduler)."""
    return Hub(
        db=db,
        catalogue=cat,
        calendar=work_calendar(db),
        now_ms=at_ms,
        overrides=store.catalogue.region_overrides(db),
        warn_days=warn_days,
        followup_days=followup_days,
    )


def hub() -> Hub:
    """The Hub for this request."""
    if "hub" not in g:
        db = get_db()
        g.hub = build_hub(
            db,
            at_ms=now_ms(),
            cat=catalogue(db),
            warn_days=current_app.config["WARN_DAYS"],
            followup_days=current_app.config["FOLLOWUP_DAYS"],
        )
    hub_: Hub = g.hub
    return hub_


def warm_up(app: Flask) -> None:
    """Parse the catalogue before the first request needs it (it takes ~0.1 s)."""
    with app.app_context():
        catalogue(get_db())


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)


def config_value(name: str) -> Any:
    return current_app.config[name]


def is_api(path: str) -> bool:
    """Whether a request path is the API's (answered in JSON) rather than a page's."""
    return path.startswith("/api/") or path == "/api" or path == "/healthz"
