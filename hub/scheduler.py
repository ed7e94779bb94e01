"""The hub's background job: the sweep (time limits, calendar alarms, quiet shipments), on an
APScheduler 3 interval."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from .admin import sweep
from .catalogue import load_catalogue
from .context import build_hub
from .store import admin, open_db, write

log = logging.getLogger("daiban.hub.scheduler")


def run_sweep(app: Flask) -> dict:
    """One sweep against the app's database; errors are logged, never silent."""
    db = open_db(app.config["DATABASE"], migrate=False)
    try:
        with write(db):
            row = admin.current_catalogue(db)
            hub = build_hub(
                db,
                at_ms=app.config["CLOCK"](),
                cat=load_catalogue(row["body"]),
                warn_days=app.config["WARN_DAYS"],
            )
            result = sweep(
                hub,
                signature_window=app.config["SIGNATURE_WINDOW"],
                stale_days=app.config["SHIPMENT_STALE_DAYS"],
            )
        log.info("sweep: %s", result)
        return result
    except Exception:
        log.exception("sweep failed")
        raise
    finally:
        db.close()


def start_scheduler(app: Flask, *, minutes: int) -> BackgroundScheduler:
    """Start the sweep now and every ``minutes``; one run at a time, missed runs coalesced."""
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        run_sweep,
        "interval",
        args=[app],
        minutes=minutes,
        id="sweep",
        max_instances=1,
        coalesce=True,
        next_run_time=None,
    )
    scheduler.start()
    scheduler.modify_job("sweep", next_run_time=_now())
    return scheduler


def _now():  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.now().astimezone()
