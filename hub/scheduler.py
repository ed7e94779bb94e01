"""The hub's background job: the sweep (time limits, calendar alarms, quiet shipments, stale
uploads), on an APScheduler 3 interval."""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from .admin import sweep
from .context import build_hub, stored_catalogue
from .store import open_db, write

log = logging.getLogger("daiban.hub.scheduler")


def run_sweep(app: Flask) -> dict:
    """One sweep against the app's database; errors are logged, never silent."""
    db = open_db(app.config["DATABASE"], migrate=False)
    try:
        with write(db):
            cat = stored_catalogue(db)
            hub = build_hub(
                db,
                at_ms=app.config["CLOCK"](),
                cat=cat,
                warn_days=app.config["WARN_DAYS"],
            )
            result = sweep(
                hub,
                signature_window=app.config["SIGNATURE_WINDOW"],
                stale_days=app.config["SHIPMENT_STALE_DAYS"],
            )
        result["partial_uploads_removed"] = drop_stale_partials(app)
        log.info("sweep: %s", result)
        return result
    except Exception:
        log.exception("sweep failed")
        raise
    finally:
        db.close()


def drop_stale_partials(app: Flask) -> int:
    """Delete unfinished scan uploads untouched for PARTIAL_UPLOAD_DAYS; how many.

    A laptop that died mid-upload would otherwise leave its partial on the hub's disk for
    ever. Nothing is lost: a device keeps each scan until the hub holds all of it, and one
    that comes back later is told to start that scan again from byte 0.
    """
    blobs = app.config["BLOBS"]
    max_age_s = app.config["PARTIAL_UPLOAD_DAYS"] * 86_400
    now_s = app.config["CLOCK"]() / 1000
    removed = 0
    for sha256 in blobs.partials_older_than(max_age_s, now=now_s):
        # Checked again under the upload's lock: a device may be resuming it right now.
        removed += blobs.delete_partial(sha256, untouched_since=now_s - max_age_s)
    if removed:
        log.info(
            "removed %d unfinished scan upload(s) older than %d days", removed, max_age_s // 86_400
        )
    return removed


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


def _now() -> datetime:
    return datetime.now().astimezone()
